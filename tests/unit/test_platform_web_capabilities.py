"""The embedded admin and the storefront proxy reach Shopify through its adapter's capabilities, never by name.

The core web edges (connector.web.auth, connector.web.portal_visit) ask the registry for an
adapter offering ports.EmbeddedSessions or ports.ServesStorefrontProxy; a server whose platforms
offer neither answers as if the flow did not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import jwt
import pytest
from flask import Flask

from connector.bootstrap import Services
from connector.ports.platforms import (
    EmbeddedSession,
    EmbeddedSessions,
    InvalidProxyRequest,
    InvalidSessionToken,
    ServesStorefrontProxy,
    StorefrontProxyRequest,
)
from connector.ports.registry import PlatformRegistry, register_platform
from connector.workflow.portal import open_proxied_shop
from connector.workflow.shops import embedded_session, invalid_session_headers
from platforms.shopify import ShopifyAdapter, create_adapter
from platforms.shopify.signatures import app_proxy_signature
from tests import builders
from tests.conftest import FrozenClock
from tests.fake_services import fake_services
from tests.fakes import FakePlatform

# The tests' secrets are short; real Shopify secrets are longer. PyJWT warns, we know.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
SHOP = "claire.myshopify.com"
SETTINGS = {"SHOPIFY_API_KEY": "key", "SHOPIFY_API_SECRET": "new-secret", "SHOPIFY_PREVIOUS_API_SECRET": "old-secret",
            "APP_URL": "https://returns.example"}


def _shopify(settings: dict[str, str] | None = None) -> ShopifyAdapter:
    return create_adapter(SETTINGS if settings is None else settings)


def _session_token(secret: str, *, sub: str = "42") -> str:
    issued = int(NOW.timestamp())
    return jwt.encode({"iss": f"https://{SHOP}/admin", "dest": f"https://{SHOP}", "aud": "key", "sub": sub,
                       "exp": issued + 60, "nbf": issued}, secret, algorithm="HS256")


def _proxy_query(secret: str, *, path_prefix: str = "/apps/returns", customer: str = "") -> str:
    pairs = [("shop", SHOP), ("path_prefix", path_prefix), ("logged_in_customer_id", customer),
             ("timestamp", str(int(NOW.timestamp())))]
    pairs.append(("signature", app_proxy_signature(pairs, secret)))
    return urlencode(pairs)


def test_the_registry_records_the_embedded_admin_and_the_storefront_proxy_of_the_shopify_adapter() -> None:
    registry = PlatformRegistry()
    register_platform(registry, "shopify", create_adapter, SETTINGS)
    registry["fake"] = FakePlatform()
    assert {"embedded_sessions", "storefront_proxy"} <= registry.capabilities("shopify")
    assert set(registry.offering("embedded_sessions")) == {"shopify"}
    assert set(registry.offering("storefront_proxy")) == {"shopify"}
    assert isinstance(registry["shopify"], EmbeddedSessions)
    assert isinstance(registry["shopify"], ServesStorefrontProxy)


def test_a_session_token_names_the_shop_and_the_shopify_user_as_the_actor() -> None:
    adapter = _shopify()
    assert adapter.session_of_token(_session_token("new-secret"), NOW) == EmbeddedSession(SHOP, "shopify:42")


def test_a_session_token_signed_with_the_previous_secret_holds_during_a_rotation() -> None:
    assert _shopify().session_of_token(_session_token("old-secret"), NOW).shop_domain == SHOP
    with pytest.raises(InvalidSessionToken):
        _shopify().session_of_token(_session_token("another-secret"), NOW)


def test_a_refused_session_token_asks_app_bridge_to_retry() -> None:
    assert _shopify().invalid_session_headers() == {"X-Shopify-Retry-Invalid-Session-Request": "1"}


def test_the_core_finds_the_embedding_platform_through_the_registry() -> None:
    svc = fake_services(FakePlatform(), _shopify())
    svc.clock.current = NOW
    assert embedded_session(svc, _session_token("new-secret")) == ("shopify", EmbeddedSession(SHOP, "shopify:42"))
    assert invalid_session_headers(svc) == {"X-Shopify-Retry-Invalid-Session-Request": "1"}
    with pytest.raises(InvalidSessionToken):
        embedded_session(svc, "not-a-token")


def test_without_an_embedding_platform_there_is_no_embedded_session() -> None:
    svc = fake_services(FakePlatform(), _shopify({"APP_URL": "https://returns.example"}))  # no app keys: off
    assert embedded_session(svc, _session_token("new-secret")) is None
    # The header is still given: the admin's frame retries rather than showing a dead page.
    assert invalid_session_headers(svc) == {"X-Shopify-Retry-Invalid-Session-Request": "1"}
    assert invalid_session_headers(fake_services(FakePlatform())) == {}


def test_a_proxied_request_gives_the_shop_the_customer_and_the_path_prefix() -> None:
    adapter = _shopify()
    proxied = adapter.verify_proxy_request(_proxy_query("old-secret", customer="7"), NOW)
    assert proxied == StorefrontProxyRequest(SHOP, "7", "/apps/returns")
    assert adapter.verify_proxy_request(_proxy_query("new-secret"), NOW).customer_id is None
    with pytest.raises(InvalidProxyRequest):
        adapter.verify_proxy_request(_proxy_query("another-secret"), NOW)
    with pytest.raises(InvalidProxyRequest):
        adapter.verify_proxy_request("", NOW)


@pytest.mark.parametrize("prefix", ["//evil.example/x", "https://evil.example", "apps/returns", ""])
def test_a_proxy_path_prefix_off_the_storefront_falls_back_to_the_apps_path(prefix: str) -> None:
    assert _shopify().verify_proxy_request(_proxy_query("new-secret", path_prefix=prefix), NOW).path_prefix == (
        "/apps/returns")


def test_without_a_platform_serving_a_storefront_proxy_there_is_no_proxied_shop() -> None:
    svc = fake_services(FakePlatform())
    svc.clock.current = NOW
    assert open_proxied_shop(svc, _proxy_query("new-secret")) is None
    off = fake_services(FakePlatform(), _shopify({"SHOPIFY_API_KEY": "key"}))  # no secret to verify with
    assert open_proxied_shop(off, _proxy_query("new-secret")) is None


def test_the_proxy_route_answers_the_portals_404_when_no_platform_serves_a_storefront_proxy(
        app: Flask, services: Services, clock: FrozenClock) -> None:
    builders.shop(services, platform="shopify", domain=SHOP, name="Claire Shopify")
    pairs = [("shop", SHOP), ("path_prefix", "/apps/returns"), ("logged_in_customer_id", ""),
             ("timestamp", str(int(clock.now().timestamp())))]
    pairs.append(("signature", app_proxy_signature(pairs, "test-api-secret")))  # tests/conftest.py settings
    client = app.test_client(use_cookies=False)
    assert client.get("/proxy/policy?" + urlencode(pairs)).status_code == 200  # Shopify serves it
    del services.adapters["shopify"]  # a server whose platforms have no storefront proxy
    answer = client.get("/proxy/policy?" + urlencode(pairs))
    assert answer.status_code == 404
    assert "Page introuvable" in answer.get_data(as_text=True)  # the portal's own error page
