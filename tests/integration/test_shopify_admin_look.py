"""Inside the Shopify admin the admin looks native (Polaris) and loads App Bridge as Shopify requires; outside, nothing changes.

Shopify's rule: `<meta name="shopify-api-key">` and `<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js">`
in <head>, App Bridge the first script, loaded synchronously. Nothing else comes from outside, and the CSP
opens script-src to Shopify's CDN and frame-ancestors to this shop's admin in that case only.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from connector.bootstrap import Services
from tests import builders
from tests.conftest import FrozenClock
from tests.integration.test_admin_support import session_token, shopify_shop, signed_in

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")

APP_BRIDGE = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
STATIC = Path(__file__).resolve().parents[2] / "templates" / "static"


class _Head(HTMLParser):
    """The elements of <head> in order, and every address the page loads (script src, link href, img src)."""

    def __init__(self) -> None:
        super().__init__()
        self.head: list[tuple[str, dict[str, str | None]]] = []
        self.loads: list[str] = []
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "head":
            self._in_head = True
        elif self._in_head:
            self.head.append((tag, found))
        if tag in ("script", "img", "iframe") and found.get("src"):
            self.loads.append(str(found["src"]))
        if tag == "link" and found.get("href"):
            self.loads.append(str(found["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False


def _parse(html: str) -> _Head:
    parser = _Head()
    parser.feed(html)
    return parser


def _csp(header: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


def test_embedded_app_bridge_is_the_first_script_in_head_after_the_api_key(client: FlaskClient, services: Services,
                                                                          clock: FrozenClock) -> None:
    shop = shopify_shop(services)
    answer = client.get(f"/admin/{shop.slug}/", headers={"Authorization": f"Bearer {session_token(clock.now())}"})
    assert answer.status_code == 200
    page = _parse(answer.get_data(as_text=True))
    scripts = [attrs for tag, attrs in page.head if tag == "script"]
    assert scripts[0]["src"] == APP_BRIDGE
    assert "async" not in scripts[0]
    assert "defer" not in scripts[0]
    tags = [(tag, attrs.get("name") or attrs.get("src")) for tag, attrs in page.head]
    assert tags.index(("meta", "shopify-api-key")) < tags.index(("script", APP_BRIDGE))
    assert ("meta", "shopify-api-key") in tags
    assert next(a for t, a in page.head if t == "meta" and a.get("name") == "shopify-api-key")["content"] == "test-api-key"
    # Nothing else from outside: every other load is the app's own.
    outside = [url for url in page.loads if re.match(r"^(https?:)?//", url)]
    assert outside == [APP_BRIDGE]
    assert "/static/polaris.css" in page.loads


def test_embedded_csp_allows_shopifys_cdn_and_this_shops_admin_only(client: FlaskClient, services: Services,
                                                                    clock: FrozenClock) -> None:
    shop = shopify_shop(services)
    answer = client.get(f"/admin/{shop.slug}/", headers={"Authorization": f"Bearer {session_token(clock.now())}"})
    policy = _csp(answer.headers["Content-Security-Policy"])
    assert policy["script-src"] == "'self' https://cdn.shopify.com"
    assert policy["frame-ancestors"] == "https://admin.shopify.com https://claire.myshopify.com"
    assert "X-Frame-Options" not in answer.headers


def test_outside_shopify_nothing_comes_from_outside_and_nobody_frames_the_admin(client: FlaskClient,
                                                                                services: Services) -> None:
    shop = builders.shop(services)
    signed_in(client, services, shop)
    answer = client.get(f"/admin/{shop.slug}/")
    html = answer.get_data(as_text=True)
    page = _parse(html)
    assert "cdn.shopify.com" not in html
    assert "shopify-api-key" not in html
    assert "polaris.css" not in html
    assert [url for url in page.loads if re.match(r"^(https?:)?//", url)] == []
    policy = _csp(answer.headers["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_the_polaris_stylesheet_uses_token_values_and_fetches_nothing() -> None:
    css = re.sub(r"/\*.*?\*/", "", (STATIC / "polaris.css").read_text(encoding="utf-8"), flags=re.S)
    assert "@import" not in css
    assert "url(" not in css
    assert "@font-face" not in css
    declared = set(re.findall(r"(--p-[a-z0-9-]+):", css))
    used = set(re.findall(r"var\((--p-[a-z0-9-]+)\)", css))
    assert used <= declared, used - declared
    # Below the token block, colours are tokens, never literals.
    rules = css.split("font-size: 16px;\n}", 1)[1]
    assert re.findall(r"#[0-9a-fA-F]{3,6}\b", rules) == []
