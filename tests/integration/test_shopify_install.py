"""Connecting a Shopify shop through the whole app: OAuth install, embedded token exchange, the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import responses
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from connector.app import create_app
from connector.bootstrap import Services, build_services
from connector.cli import main
from connector.jobs.queues import InlineJobQueue
from connector.persistence.tables import ShopRow
from connector.web.connect_flows import bind_cookie
from connector.workflow.shops import TokenExchangeError, connect_embedded
from platforms.shopify.signatures import oauth_hmac
from tests import builders
from tests.conftest import FrozenClock
from tests.unit.shopify.conftest import SHOP, FakeShopify, Raw, cached_admin_schema

API_KEY, API_SECRET = "test-api-key", "test-api-secret"
TOKEN_URL = f"https://{SHOP}/admin/oauth/access_token"
SCOPES = ["write_orders", "write_returns", "read_customers", "write_discounts", "write_gift_cards",
          "write_store_credit_account_transactions"]


def shop_answer() -> dict[str, Any]:
    return {"data": {
        "shop": {"name": "Maison Claire", "currencyCode": "EUR", "myshopifyDomain": SHOP, "contactEmail": "c@example.com"},
        "shopLocales": [{"locale": "fr", "primary": True}],
        "currentAppInstallation": {"accessScopes": [{"handle": h} for h in SCOPES]},
    }}


def subscribed(call: Any) -> dict[str, Any]:
    return {"webhookSubscription": {"id": f"gid://shopify/WebhookSubscription/{call.variables['topic']}",
                                    "topic": call.variables["topic"], "uri": "x"}, "userErrors": []}


@pytest.fixture
def shopify() -> Iterator[tuple[FakeShopify, responses.RequestsMock]]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeShopify(rsps, cached_admin_schema())
        fake.on("shop", Raw(200, shop_answer()))
        fake.on("webhookSubscriptionCreate", subscribed)
        yield fake, rsps
    assert not fake.invalid


def token_endpoint(rsps: responses.RequestsMock, token: str = "shpat_offline", status: int = 200) -> None:  # noqa: S107
    body = {"access_token": token, "scope": ",".join(SCOPES)} if status == 200 else {"error": "invalid_request"}
    rsps.add(responses.POST, TOKEN_URL, json=body, status=status)


def start_install(client: FlaskClient) -> str:
    answer = client.get(f"/shopify/install?shop={SHOP}")
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer.headers["Location"]).query)["state"][0]


def callback_query(services: Services, issued: str, **changes: str) -> str:
    params = {"code": "0907a61c0c8d55e99db179b68161bc00", "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvdGVzdC1zaG9w",
              "shop": SHOP, "state": issued, "timestamp": str(int(services.clock.now().timestamp()))}
    params.update({k: v for k, v in changes.items() if k != "hmac"})
    params["hmac"] = changes.get("hmac") or oauth_hmac(params, API_SECRET)
    return urlencode(params)


def stored_shops(services: Services) -> list[ShopRow]:
    with services.uow() as uow:
        rows = list(uow.session.query(ShopRow).all())
        uow.session.expunge_all()  # read after the session closes
        return rows


def test_install_redirects_to_the_authorize_page_with_a_state_bound_to_the_browser(client: FlaskClient) -> None:
    answer = client.get(f"/shopify/install?shop={SHOP}")
    assert answer.status_code == 302
    target = urlsplit(answer.headers["Location"])
    assert (target.netloc, target.path) == (SHOP, "/admin/oauth/authorize")
    query = parse_qs(target.query)
    assert query["client_id"] == [API_KEY]
    assert query["redirect_uri"] == ["https://returns.example.test/shopify/callback"]
    assert "grant_options[]" not in query  # offline token
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(f"{bind_cookie('shopify')}=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie
    assert query["state"][0] not in cookie  # signed, not the bare nonce


@pytest.mark.parametrize("shop", ["", "evil.com", "evil.com%2F.myshopify.com", "x.myshopify.com.evil.com", "%00"])
def test_install_refuses_anything_but_a_myshopify_host(client: FlaskClient, shop: str) -> None:
    answer = client.get(f"/shopify/install?shop={shop}")
    assert answer.status_code == 400
    assert "Set-Cookie" not in answer.headers


@pytest.mark.parametrize(("language", "title", "advice"), [
    ("fr", "Ce n&#39;est pas une boutique Shopify", "ma-boutique.myshopify.com"),
    ("en", "Not a Shopify shop", "my-shop.myshopify.com"),
])
def test_an_install_refusal_is_said_in_the_merchants_language(
    client: FlaskClient, language: str, title: str, advice: str,
) -> None:
    answer = client.get("/shopify/install?shop=evil.com", headers={"Accept-Language": language})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert title in page
    assert advice in page


def test_install_is_off_with_a_clear_page_when_the_app_keys_are_unset(services: Services, clock: FrozenClock) -> None:
    from dataclasses import replace

    bare = replace(services.settings, shopify_api_key="", shopify_api_secret="")
    svc = build_services(bare, queue=InlineJobQueue(eager=True), clock=clock)
    app: Flask = create_app(bare, svc)
    answer = app.test_client().get(f"/shopify/install?shop={SHOP}")
    assert answer.status_code == 404
    assert b"SHOPIFY_API_KEY" in answer.data
    svc.engine.dispose()


def test_the_callback_stores_the_offline_token_encrypted_and_opens_the_admin(
    client: FlaskClient, services: Services, shopify: tuple[FakeShopify, responses.RequestsMock],
) -> None:
    fake, rsps = shopify
    token_endpoint(rsps)
    state = start_install(client)
    answer = client.get(f"/shopify/callback?{callback_query(services, state)}")
    assert answer.status_code == 302, answer.data
    [row] = stored_shops(services)
    assert answer.headers["Location"] == f"/admin/{row.slug}/"
    assert "shpat_offline" not in row.credentials  # sealed at rest
    with services.uow() as uow:
        assert uow.shops.connection(row.id).access_token == "shpat_offline"
    assert (row.name, row.currency, row.locale) == ("Maison Claire", "EUR", "fr")
    assert len(fake.calls_to("webhookSubscriptionCreate")) > 0
    assert json.loads(rsps.calls[0].request.body or b"{}")["code"] == "0907a61c0c8d55e99db179b68161bc00"


@pytest.mark.parametrize("forgery", ["hmac", "state", "stale", "shop"])
def test_a_forged_callback_is_refused_and_stores_nothing(
    client: FlaskClient, services: Services, clock: FrozenClock, forgery: str,
    shopify: tuple[FakeShopify, responses.RequestsMock],
) -> None:
    _fake, rsps = shopify
    token_endpoint(rsps)
    state = start_install(client)
    changes = {
        "hmac": {"hmac": "0" * 64},
        "state": {"state": "not-the-state-we-issued"},
        "stale": {"timestamp": str(int(clock.now().timestamp()) - 91)},
        "shop": {"shop": "other-shop.myshopify.com"},
    }[forgery]
    answer = client.get(f"/shopify/callback?{callback_query(services, state, **changes)}")
    assert answer.status_code == 401
    assert stored_shops(services) == []
    assert not any(c.request.url == TOKEN_URL for c in rsps.calls)


def test_a_callback_from_another_browser_is_refused(
    app: Flask, services: Services, shopify: tuple[FakeShopify, responses.RequestsMock],
) -> None:
    state = start_install(app.test_client())
    stranger = app.test_client()
    answer = stranger.get(f"/shopify/callback?{callback_query(services, state)}")
    assert answer.status_code == 400
    assert stored_shops(services) == []


@pytest.mark.parametrize("query", ["", "shop=x", "code=a&shop=test-shop.myshopify.com", "hmac=%ff&code=%00&shop=%ff"])
def test_a_malformed_callback_is_a_400_page(client: FlaskClient, services: Services, query: str) -> None:
    assert client.get(f"/shopify/callback?{query}").status_code == 400
    assert stored_shops(services) == []


def test_a_code_shopify_refuses_stores_nothing(
    client: FlaskClient, services: Services, shopify: tuple[FakeShopify, responses.RequestsMock],
) -> None:
    _fake, rsps = shopify
    token_endpoint(rsps, status=400)
    state = start_install(client)
    assert client.get(f"/shopify/callback?{callback_query(services, state)}").status_code == 400
    assert stored_shops(services) == []


# ---- embedded load: token exchange ----

# The suite's app secret (tests/conftest.py) is 15 bytes; Shopify's are 32+. PyJWT warns
# about short HMAC keys, and warnings are errors here.
short_secret = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")

def id_token(services: Services, secret: str = API_SECRET, **changes: Any) -> str:
    now = int(services.clock.now().timestamp())
    claims = {"iss": f"https://{SHOP}/admin", "dest": f"https://{SHOP}", "aud": API_KEY, "sub": "42",
              "exp": now + 60, "nbf": now - 5, "iat": now - 5, "jti": "abc", "sid": "s"}
    claims.update(changes)
    return jwt.encode(claims, secret, algorithm="HS256")


@short_secret
def test_a_first_embedded_load_swaps_the_id_token_for_an_offline_token(
    services: Services, shopify: tuple[FakeShopify, responses.RequestsMock],
) -> None:
    _fake, rsps = shopify
    token_endpoint(rsps, token="shpat_exchanged")
    shop = connect_embedded(services, "shopify", id_token(services))
    with services.uow() as uow:
        assert uow.shops.connection(shop.id).access_token == "shpat_exchanged"
    sent = json.loads(rsps.calls[0].request.body or b"{}")
    assert sent["requested_token_type"] == "urn:shopify:params:oauth:token-type:offline-access-token"


@short_secret
def test_a_shop_with_a_token_is_not_exchanged_again(services: Services) -> None:
    existing = builders.shop(services, platform="shopify", domain=SHOP, credentials={"access_token": "shpat_kept"})
    with responses.RequestsMock():  # any outbound call would fail the test
        assert connect_embedded(services, "shopify", id_token(services)).id == existing.id


@short_secret
def test_a_shop_that_uninstalled_gets_a_new_token(
    services: Services, shopify: tuple[FakeShopify, responses.RequestsMock],
) -> None:
    _fake, rsps = shopify
    token_endpoint(rsps, token="shpat_again")
    existing = builders.shop(services, platform="shopify", domain=SHOP, credentials={"access_token": "shpat_old"})
    with services.uow() as uow:
        uow.shops.uninstall(existing.id, services.clock.now())
        uow.commit()
    shop = connect_embedded(services, "shopify", id_token(services))
    assert shop.id == existing.id
    assert shop.active
    with services.uow() as uow:
        assert uow.shops.connection(shop.id).access_token == "shpat_again"


@short_secret
@pytest.mark.parametrize("bad", [{"secret": "wrong"}, {"aud": "another-app"}, {"exp": 1}, {"dest": "https://evil.com"}])
def test_a_forged_id_token_is_refused_with_401(services: Services, bad: dict[str, Any]) -> None:
    secret = bad.pop("secret", API_SECRET)
    with responses.RequestsMock(), pytest.raises(TokenExchangeError) as refused:
        connect_embedded(services, "shopify", id_token(services, secret, **bad))
    assert refused.value.status == 401
    assert stored_shops(services) == []


@short_secret
def test_garbage_is_not_an_id_token(services: Services) -> None:
    with pytest.raises(TokenExchangeError) as refused:
        connect_embedded(services, "shopify", "not.a.jwt")
    assert refused.value.status == 401


# ---- the command line ----

def test_connect_shopify_command_connects_the_shop_end_to_end(
    services: Services, shopify: tuple[FakeShopify, responses.RequestsMock],
) -> None:
    result = CliRunner().invoke(main, ["shop", "connect-shopify", "--domain", "https://test-shop.myshopify.com/admin",
                                       "--token", "shpat_custom"], obj={"services": services})
    assert result.exit_code == 0, result.output
    assert f"connected {SHOP}" in result.output
    [row] = stored_shops(services)
    with services.uow() as uow:
        assert uow.shops.connection(row.id).access_token == "shpat_custom"


def test_connect_shopify_command_explains_a_refused_token(
    services: Services, shopify: tuple[FakeShopify, responses.RequestsMock],
) -> None:
    fake, _rsps = shopify
    fake._replies["shop"] = [Raw(401, {"errors": "[API] Invalid API key or access token"})]
    result = CliRunner().invoke(main, ["shop", "connect-shopify", "--domain", SHOP, "--token", "shpat_wrong"],
                                obj={"services": services})
    assert result.exit_code == 1
    assert "401" in result.output
    assert stored_shops(services) == []


def test_connect_shopify_command_refuses_a_www_domain(services: Services) -> None:
    result = CliRunner().invoke(main, ["shop", "connect-shopify", "--domain", "www.maison-claire.fr",
                                       "--token", "shpat_custom"], obj={"services": services})
    assert result.exit_code == 1
    assert "myshopify.com" in result.output


@short_secret
def test_the_first_embedded_load_of_an_unknown_shop_connects_it_and_opens_its_admin(
    client: FlaskClient, services: Services, shopify: tuple[FakeShopify, responses.RequestsMock],
) -> None:
    _fake, rsps = shopify
    token_endpoint(rsps, token="shpat_managed")
    answer = client.get(f"/admin/?id_token={id_token(services)}&shop={SHOP}&embedded=1")
    assert answer.status_code == 302
    with services.uow() as uow:
        shop = uow.shops.by_domain("shopify", SHOP)
        assert shop is not None
        assert uow.shops.connection(shop.id).access_token == "shpat_managed"
    assert answer.headers["Location"].startswith(f"/admin/{shop.slug}/")


@short_secret
def test_a_forged_first_embedded_load_connects_nothing(client: FlaskClient, services: Services) -> None:
    with responses.RequestsMock():  # no call may leave
        answer = client.get(f"/admin/?id_token={id_token(services, 'forged-secret-long-enough-xx')}")
    assert answer.status_code == 401
    with services.uow() as uow:
        assert uow.shops.by_domain("shopify", SHOP) is None
