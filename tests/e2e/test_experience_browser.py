"""The shop's look in Debian's chromium: the email editor's live preview, and the portal in the shop's logo and colour.

Under the app's CSP (the e2e conftest fails a test on any refusal). The logo's https address is
answered by the browser context itself (no network in tests). Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from connector.bootstrap import Services
from connector.workflow import email_templates
from tests import builders
from tests.conftest import FrozenClock
from tests.e2e.test_admin_browser import OWNER, _sign_in, admin_url  # noqa: F401  (the fixture)
from tests.integration.test_admin_support import PASSWORD

pytestmark = pytest.mark.e2e

LOGO = "https://cdn.boutique.example/logo.png"


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain-colour PNG, written by hand so the test needs no imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _branded(services: Services) -> Any:
    shop = builders.shop(services)
    with services.uow() as uow:
        uow.shops.update(shop.id, options={"branding": {"logo_url": LOGO, "colour": "#1a6b3c"}})
        uow.commit()
    return shop


def test_the_email_editor_previews_as_the_merchant_types_and_names_the_bad_line(
        browser: Any, services: Services, admin_url: str, screenshots: Path) -> None:  # noqa: F811
    from connector.web.auth import create_merchant_user

    shop = builders.shop(services)
    create_merchant_user(services, shop.id, OWNER, PASSWORD)
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _sign_in(page, admin_url, shop.slug)
        page.goto(f"{admin_url}/admin/{shop.slug}/emails/templates/fr/approve")
        assert page.locator("#fields tbody tr").count() == len(email_templates.FIELDS)
        url_before = page.url
        page.fill("#source", "Bonne nouvelle, {{ reference }}\nBonjour,\nÀ bientôt chez {{ shop.name }}.")
        expect(page.locator("#preview-subject")).to_have_text("Bonne nouvelle, R-7KQ2MX")
        assert "À bientôt chez Boutique Claire." in page.locator("#preview-body").inner_text()
        assert page.url == url_before  # shown without leaving the page
        page.screenshot(path=str(screenshots / "admin-email-editor-preview.png"), full_page=True)
        page.fill("#source", "Bonne nouvelle\nBonjour,\n{{ numero }}")
        page.wait_for_selector("#source-error:not([hidden])")
        assert "Ligne 3" in page.locator("#source-error").inner_text()
        assert page.locator("#preview-body").is_hidden()
        page.screenshot(path=str(screenshots / "admin-email-editor-error.png"), full_page=True)
    finally:
        context.close()
    with services.uow() as uow:
        stored = uow.shops.get(shop.id)
    assert stored is not None
    assert email_templates.override(stored, "fr", "approve") is None  # previewing saved nothing


@pytest.mark.parametrize(("size", "lang"), [("phone", "fr-FR"), ("desktop", "en-GB")])
def test_the_portal_wears_the_shops_logo_and_colour(browser: Any, services: Services, admin_url: str,  # noqa: F811
                                                    screenshots: Path, size: str, lang: str) -> None:
    shop = _branded(services)
    viewport = {"width": 390, "height": 844} if size == "phone" else {"width": 1280, "height": 900}
    context = browser.new_context(locale=lang, viewport=viewport)
    context.route(LOGO, lambda route: route.fulfill(status=200, content_type="image/png",
                                                    body=_png(160, 48, (26, 107, 60))))
    page = context.new_page()
    try:
        page.goto(f"{admin_url}/portal/{shop.slug}/")
        logo = page.locator(".bar img.logo")
        assert logo.get_attribute("alt") == "Boutique Claire"
        expect(logo).to_have_js_property("naturalWidth", 160)  # the image loaded
        colour = page.evaluate("getComputedStyle(document.querySelector('button.primary, .primary')).backgroundColor")
        assert colour == "rgb(26, 107, 60)"
        page.screenshot(path=str(screenshots / f"portal-branded-{size}-{lang[:2]}.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_inside_shopify_the_admin_wears_polaris(browser: Any, services: Services, clock: FrozenClock,
                                                admin_url: str, screenshots: Path) -> None:  # noqa: F811
    from tests.integration.test_admin_support import request_return, session_token, shopify_shop

    shop = shopify_shop(services)
    builders.stored_order(services, shop)
    request_return(services, shop)
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900},
                                  extra_http_headers={"Authorization": f"Bearer {session_token(clock.now())}"})
    # Shopify's CDN is not reachable from tests: an empty App Bridge stands in (the page must not need it to show).
    loaded: list[str] = []
    context.route("https://cdn.shopify.com/**", lambda route: (loaded.append(route.request.url),
                                                               route.fulfill(status=200, content_type="text/javascript", body="")))
    page = context.new_page()
    try:
        page.goto(f"{admin_url}/admin/{shop.slug}/")
        assert loaded == ["https://cdn.shopify.com/shopifycloud/app-bridge.js"]
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(241, 241, 241)"
        assert page.locator(".card").first.evaluate("e => getComputedStyle(e).borderTopLeftRadius") == "12px"
        page.screenshot(path=str(screenshots / "admin-embedded-polaris.png"), full_page=True)
    finally:
        context.close()
