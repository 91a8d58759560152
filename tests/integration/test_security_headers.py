"""Every page carries a Content-Security-Policy with script-src 'self' and the right frame-ancestors, nosniff and a
Referrer-Policy; no page holds an inline script or style the policy would have to allow."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from connector.bootstrap import Services
from connector.domain.shops import Shop
from connector.web.security_headers import origin, storefront_ancestors
from tests import builders
from tests.conftest import FrozenClock
from tests.integration.test_admin_support import session_token, shopify_shop, signed_in
from tests.integration.test_portal import signed

# The test app's secret is short; Shopify's real ones are long enough.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def policy(response: TestResponse) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
            for part in (p.strip() for p in header.split(";")) if part}


def assert_common(response: TestResponse) -> dict[str, str]:
    found = policy(response)
    assert found["script-src"].split()[0] == "'self'"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert found["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    html = response.get_data(as_text=True)
    # Nothing inline for the policy to refuse: scripts and styles are files.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html
    assert not re.search(r"<[a-z][^>]*\sstyle=", html)
    assert not re.search(r"<[a-z][^>]*\son[a-z]+=", html)
    return found


def test_the_home_page_is_framed_by_nobody(client: FlaskClient) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert assert_common(home)["frame-ancestors"] == "'none'"
    assert home.headers["X-Frame-Options"] == "DENY"


def test_the_cookie_admin_and_its_sign_in_are_framed_by_nobody(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    login = client.get(f"/admin/{shop.slug}/login")
    assert assert_common(login)["frame-ancestors"] == "'none'"
    signed_in(client, services, shop)
    for path in ("", "dashboard", "policy", "emails", "settings", "customers"):
        page = client.get(f"/admin/{shop.slug}/{path}")
        assert page.status_code == 200, path
        assert assert_common(page)["frame-ancestors"] == "'none'", path


def test_the_embedded_admin_is_framed_by_the_shops_shopify_admin_only(
    client: FlaskClient, services: Services, clock: FrozenClock,
) -> None:
    shop = shopify_shop(services)
    page = client.get(f"/admin/{shop.slug}/", headers={"Authorization": f"Bearer {session_token(clock.now())}"})
    assert page.status_code == 200
    found = assert_common(page)
    assert found["frame-ancestors"] == "https://admin.shopify.com https://claire.myshopify.com"
    assert found["script-src"] == "'self' https://cdn.shopify.com"  # App Bridge


def test_the_portal_is_framed_by_the_shops_own_site(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services, platform="woocommerce", domain="https://www.ma-boutique.fr")
    page = client.get(f"/portal/{shop.slug}/")
    assert page.status_code == 200
    assert assert_common(page)["frame-ancestors"] == "'self' https://www.ma-boutique.fr"
    assert "X-Frame-Options" not in page.headers
    missing = client.get("/portal/no-such-shop/")
    assert missing.status_code == 404
    assert policy(missing)["frame-ancestors"] == "'none'"


def test_through_the_app_proxy_assets_come_from_the_app(app: Flask, services: Services, clock: FrozenClock) -> None:
    builders.shop(services, platform="shopify", domain="claire.myshopify.com", name="Claire Shopify")
    page = app.test_client(use_cookies=False).get(signed("/apps/returns/", clock))
    assert page.status_code == 200
    found = assert_common(page)
    assert found["script-src"] == "'self' https://returns.example.test"
    assert found["style-src"] == "'self' https://returns.example.test"
    assert "https://returns.example.test/static/portal.css" in page.get_data(as_text=True)


@pytest.mark.parametrize(("domain", "options", "expected"), [
    ("boutique.example", {}, "'self' https://boutique.example https://www.boutique.example"),
    ("https://shop.example:8443/wp", {}, "'self' https://shop.example:8443"),
    ("claire.myshopify.com", {"storefront_origins": "https://www.claire.fr, javascript:alert(1)"},
     "'self' https://admin.shopify.com https://claire.myshopify.com https://www.claire.fr"),
])
def test_storefront_origins_are_clean_origins(domain: str, options: dict[str, str], expected: str) -> None:
    platform = "shopify" if domain.endswith("myshopify.com") else "manual"
    shop = Shop(id=1, platform=platform, domain=domain, slug="s", name="S", locale="fr", currency="EUR",
                installed_at=datetime(2026, 6, 1, tzinfo=UTC), options=options)
    assert storefront_ancestors(shop) == expected


def test_a_header_breaking_url_gives_no_origin() -> None:
    assert origin("https://evil.example;script-src *") == ""
    assert origin("https://evil.example\r\nX: y") == ""
    assert origin("ftp://x.example") == ""


def test_json_answers_are_not_sniffed(client: FlaskClient) -> None:
    health = client.get("/healthz")
    assert health.headers["X-Content-Type-Options"] == "nosniff"
