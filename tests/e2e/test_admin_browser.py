"""The merchant admin in Debian's chromium: an inspection and a resolution end to end, and the dashboard's charts.

A real server in a thread on 127.0.0.1 serves the app with the admin edge only; the
browser signs in through the form like a merchant. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from connector.bootstrap import Services
from connector.domain.returns import ReturnStatus
from connector.workflow.returns import load_return
from tests import builders
from tests.conftest import FrozenClock
from tests.integration.test_admin_support import PASSWORD, request_return
from tests.integration.test_analytics import seed

pytestmark = pytest.mark.e2e

OWNER = "owner@boutique.example"


def admin_app(services: Services) -> Flask:
    """The whole app, as gunicorn serves it."""
    from connector.app import create_app

    flask_app = create_app(services.settings, services)
    # The test settings name an https APP_URL; this server is plain http on 127.0.0.1.
    flask_app.config.update(SESSION_COOKIE_SECURE=False, SESSION_COOKIE_SAMESITE="Lax")
    return flask_app


@pytest.fixture
def admin_url(services: Services) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, admin_app(services), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _sign_in(page: Any, base: str, slug: str) -> None:
    page.goto(f"{base}/admin/{slug}/")
    page.fill("#email", OWNER)
    page.fill("#password", PASSWORD)
    page.click("button[value=password]")
    page.wait_for_url(f"{base}/admin/{slug}/")


def test_a_merchant_inspects_and_resolves_a_return(browser: Any, services: Services, admin_url: str,
                                                    screenshots: Path) -> None:
    from connector.web.auth import create_merchant_user

    shop = builders.shop(services)
    builders.stored_order(services, shop)
    reference = request_return(services, shop)
    create_merchant_user(services, shop.id, OWNER, PASSWORD)
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _sign_in(page, admin_url, shop.slug)
        page.click(f"text={reference}")
        page.fill("#approve-message", "Merci, renvoyez le colis sous 14 jours.")
        page.click("#actions form[action*='/approve'] button")
        assert page.locator(".flash").first.is_visible()
        page.fill("#tracking", "6A987654321")
        page.click("#actions form[action*='/in-transit'] button")
        page.click("#actions form[action*='/receive'] button")
        page.select_option("#condition-L1", "opened")
        page.screenshot(path=str(screenshots / "admin-inspection.png"), full_page=True)
        page.click("#inspect-form button[type=submit]")
        assert "40,00\u00a0€" in page.locator("#resolve-form .plan-net").inner_text()  # shown before confirming
        page.screenshot(path=str(screenshots / "admin-resolution-preview.png"), full_page=True)
        page.click("#resolve-form button[type=submit]")
        assert page.locator("#status").inner_text() in ("Traité", "Resolved")
        assert page.locator("tr.resolution").count() == 1
        page.fill("input[name=note][id^=done-]", "virement du 16/06")
        page.click("form[action*='/done'] button")
        assert page.locator(".badge.push-done_by_merchant").count() == 1
        page.screenshot(path=str(screenshots / "admin-resolved.png"), full_page=True)
        phone = context.new_page()
        phone.set_viewport_size({"width": 390, "height": 844})
        phone.goto(f"{admin_url}/admin/{shop.slug}/")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        phone.screenshot(path=str(screenshots / "admin-list-phone.png"), full_page=True)
    finally:
        context.close()
    ret = load_return(services, shop.id, reference)[1]
    assert ret.status is ReturnStatus.RESOLVED
    assert ret.tracking_number == "6A987654321"
    assert ret.items[0].inspection is not None
    assert ret.items[0].inspection.condition.value == "opened"


def test_the_dashboard_draws_charts_from_seeded_data(browser: Any, services: Services, clock: FrozenClock,
                                                      admin_url: str, screenshots: Path) -> None:
    from connector.web.auth import create_merchant_user

    shop, _refs = seed(services, clock)
    create_merchant_user(services, shop.id, OWNER, PASSWORD)
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _sign_in(page, admin_url, shop.slug)
        page.goto(f"{admin_url}/admin/{shop.slug}/dashboard?from=2026-06-01&to=2026-06-30&grain=week")
        assert page.locator("svg.chart[role=img]").count() >= 5
        assert page.locator("#chart-reasons rect.chart-bar").count() == 2
        assert page.locator("#chart-rate circle").count() >= 1
        assert page.locator("#kpi-unit-rate").inner_text() == "42.9%"
        box = page.locator("#chart-reasons").bounding_box()
        assert box is not None
        assert box["width"] > 200
        assert "Pull marin" in page.locator("#products-table").inner_text()
        page.screenshot(path=str(screenshots / "admin-dashboard.png"), full_page=True)
    finally:
        context.close()


def test_a_merchant_in_english_resolves_and_the_restock_box_follows_the_condition(
        browser: Any, services: Services, admin_url: str, screenshots: Path) -> None:
    from connector.web.auth import create_merchant_user

    shop = builders.shop(services)
    builders.stored_order(services, shop)
    reference = request_return(services, shop)
    create_merchant_user(services, shop.id, OWNER, PASSWORD)
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{admin_url}/admin/{shop.slug}/?lang=en")
        page.fill("#email", OWNER)
        page.fill("#password", PASSWORD)
        page.click("button[value=password]")
        page.click(f"text={reference}")
        assert "Requested: waiting for your decision." in page.locator("#situation").inner_text()
        page.click("#actions form[action*='/approve'] button")
        page.click("#actions form[action*='/receive'] button")
        restock = page.locator("input[name=restock-L1]")
        page.select_option("#condition-L1", "damaged")
        assert not restock.is_checked()  # admin.js: a damaged unit is not put back in stock
        page.select_option("#condition-L1", "as_new")
        assert restock.is_checked()
        page.click("#inspect-form button[type=submit]")
        page.click("#resolve-form button[type=submit]")
        assert page.locator("#status").inner_text() == "Resolved"
        assert "Back in stock" in page.locator("#items-title").locator("xpath=..").inner_text()
        page.screenshot(path=str(screenshots / "admin-resolved-en.png"), full_page=True)
    finally:
        context.close()
    assert load_return(services, shop.id, reference)[1].status is ReturnStatus.RESOLVED
