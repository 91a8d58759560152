"""The WooCommerce two-click connect through the whole app, with WooCommerce answers from the recordings."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import responses
from flask.testing import FlaskClient
from sqlalchemy import select

from connector.bootstrap import Services
from connector.persistence.tables import ShopRow
from platforms.woocommerce.signatures import sign_user_id
from tests.conftest import FrozenClock
from tests.unit.woocommerce.recordings import rest, rest_body

STORE = "https://shop.example.test"
API = STORE + "/wp-json/wc/v3/"
APP = "https://returns.example.test"


def rest_index(namespaces: tuple[str, ...] = ("wp/v2", "wc/v3", "wc-auth/v1")) -> None:
    responses.get(STORE + "/wp-json/", json={"name": "Shop", "namespaces": list(namespaces)})


def store_accepts_keys() -> None:
    """The recorded answers of a store that takes the key: orders, then four new webhooks."""
    recorded = rest("orders-list-basic-auth-https")["response"]
    responses.get(API + "orders", json=recorded["body"], headers={"X-WP-Total": "3", "X-WP-TotalPages": "3"})
    responses.get(API + "webhooks", json=[], headers={"X-WP-Total": "0", "X-WP-TotalPages": "1"})
    for topic in ("order_created", "order_updated", "order_updated", "order_updated"):
        responses.post(API + "webhooks", status=201, json=rest_body(f"webhooks-create-{topic}"))
    # The store's identity, read once connected (currency, language, address).
    responses.get(API + "settings/general", json=rest_body("multirate-settings-general"))
    responses.get(API + "system_status", json=rest_body("multirate-system-status"))


def callback_body(user_id: str, permissions: str = "read_write") -> str:
    return json.dumps({"key_id": 7, "user_id": user_id, "consumer_key": "ck_live123",
                       "consumer_secret": "cs_live456", "key_permissions": permissions})


def start(client: FlaskClient) -> str:
    """First click: the store's address; returns the user_id WooCommerce will echo back."""
    answer = client.get("/woocommerce/connect", query_string={"store_url": "Shop.Example.Test/"})
    assert answer.status_code == 302
    target = urlsplit(answer.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == STORE + "/wc-auth/v1/authorize"
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["app_name"] == "returns-connector"
    assert query["scope"] == "read_write"
    assert query["return_url"] == APP + "/woocommerce/return"
    assert query["callback_url"] == APP + "/woocommerce/callback"
    return query["user_id"]


def stored_shops(services: Services) -> list[ShopRow]:
    with services.uow() as uow:
        rows = list(uow.session.scalars(select(ShopRow)))
        uow.session.expunge_all()  # read as stored, for assertions after the session closes
    return rows


@responses.activate
def test_connect_redirects_to_the_store_authorize_page_with_a_signed_user_id(client: FlaskClient) -> None:
    rest_index()
    user_id = start(client)
    assert "." in user_id  # payload.mac


@responses.activate
def test_connect_explains_a_store_without_rest_api(client: FlaskClient) -> None:
    responses.get(STORE + "/wp-json/", status=404, body="<html>Not found</html>", content_type="text/html")
    answer = client.get("/woocommerce/connect?store_url=https://shop.example.test&lang=en")
    assert answer.status_code == 400
    assert b"pretty permalinks" in answer.data


@responses.activate
def test_connect_explains_a_wordpress_without_woocommerce(client: FlaskClient) -> None:
    rest_index(("wp/v2",))
    answer = client.get("/woocommerce/connect?store_url=https://shop.example.test&lang=en")
    assert answer.status_code == 400
    assert b"WooCommerce installed, active" in answer.data


def test_connect_refuses_what_is_not_a_store_url(client: FlaskClient) -> None:
    answer = client.get("/woocommerce/connect?store_url=ftp://shop.example.test&lang=en")
    assert answer.status_code == 400
    assert b"must be http or https" in answer.data


def test_connect_without_an_address_shows_the_form(client: FlaskClient) -> None:
    answer = client.get("/woocommerce/connect?lang=fr")
    assert answer.status_code == 200
    assert b'name="store_url"' in answer.data


@responses.activate
def test_callback_stores_the_keys_encrypted_and_creates_the_webhooks(
    client: FlaskClient, services: Services
) -> None:
    rest_index()
    store_accepts_keys()
    user_id = start(client)
    answer = client.post("/woocommerce/callback", data=callback_body(user_id), content_type="application/json")
    assert answer.status_code == 200
    [row] = stored_shops(services)
    assert (row.platform, row.domain) == ("woocommerce", STORE)
    assert "ck_live123" not in row.credentials
    assert "cs_live456" not in row.credentials
    with services.uow() as uow:
        connection = uow.shops.connection(row.id)
    assert (connection.consumer_key, connection.consumer_secret) == ("ck_live123", "cs_live456")
    created = [json.loads(c.request.body) for c in responses.calls if c.request.method == "POST"]
    assert {b["topic"] for b in created} == {"order.created", "order.updated", "order.deleted", "order.restored"}
    assert {b["delivery_url"] for b in created} == {APP + "/webhooks/woocommerce"}
    assert {b["secret"] for b in created} == {connection.webhook_secret}
    assert len(connection.webhook_secret) >= 32


@responses.activate
def test_callback_behind_a_host_stripping_authorization_persists_query_string_auth(
    client: FlaskClient, services: Services
) -> None:
    rest_index()
    refused = rest("orders-list-basic-auth-plain-http-REJECTED")["response"]
    responses.get(API + "orders", status=401, json=refused["body"])  # the Authorization header was dropped
    store_accepts_keys()
    user_id = start(client)
    answer = client.post("/woocommerce/callback", data=callback_body(user_id), content_type="application/json")
    assert answer.status_code == 200
    [row] = stored_shops(services)
    assert row.options["query_string_auth"] == "yes"
    webhook_posts = [c for c in responses.calls if c.request.method == "POST"]
    assert all("consumer_key=ck_live123" in (c.request.url or "") for c in webhook_posts)


@responses.activate
def test_callback_with_a_forged_user_id_is_refused_and_stores_nothing(
    client: FlaskClient, services: Services
) -> None:
    forged = sign_user_id(STORE, "not-the-app-secret", services.clock.now())
    answer = client.post("/woocommerce/callback", data=callback_body(forged), content_type="application/json")
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "bad_binding"
    assert stored_shops(services) == []
    assert len(responses.calls) == 0  # the store was never called with the offered key


@responses.activate
def test_callback_after_the_user_id_expired_is_refused(
    client: FlaskClient, services: Services, clock: FrozenClock
) -> None:
    rest_index()
    user_id = start(client)
    clock.advance(hours=1, minutes=1)
    answer = client.post("/woocommerce/callback", data=callback_body(user_id), content_type="application/json")
    assert answer.status_code == 403
    assert "expired" in answer.get_json()["error"]["message"]
    assert stored_shops(services) == []


@responses.activate
def test_callback_with_a_read_only_key_is_refused_so_woocommerce_deletes_it(
    client: FlaskClient, services: Services
) -> None:
    rest_index()
    user_id = start(client)
    answer = client.post("/woocommerce/callback", data=callback_body(user_id, "read"),
                         content_type="application/json")
    assert answer.status_code == 400
    assert "read_write" in answer.get_json()["error"]["message"]
    assert stored_shops(services) == []


@responses.activate
def test_callback_whose_key_the_store_refuses_is_not_stored(client: FlaskClient, services: Services) -> None:
    rest_index()
    responses.get(API + "orders", status=401, json={
        "code": "woocommerce_rest_authentication_error", "message": "Consumer key is invalid.",
        "data": {"status": 401}})
    user_id = start(client)
    answer = client.post("/woocommerce/callback", data=callback_body(user_id), content_type="application/json")
    assert answer.status_code == 422
    assert "revoked or mistyped" in answer.get_json()["error"]["message"]
    assert stored_shops(services) == []


def test_callback_body_that_is_not_json_is_a_400(client: FlaskClient) -> None:
    answer = client.post("/woocommerce/callback", data="consumer_key=ck_x", content_type="text/plain")
    assert answer.status_code == 400


@responses.activate
def test_return_after_connecting_shows_the_embed_snippet(client: FlaskClient) -> None:
    rest_index()
    store_accepts_keys()
    user_id = start(client)
    client.post("/woocommerce/callback", data=callback_body(user_id), content_type="application/json")
    page = client.get("/woocommerce/return", query_string={"success": "1", "user_id": user_id, "lang": "fr"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Boutique connectée" in text
    assert "/portal/" in text
    assert "&lt;" in text


def test_return_when_the_merchant_declined_says_nothing_was_stored(client: FlaskClient) -> None:
    page = client.get("/woocommerce/return?success=0&user_id=x&lang=en")
    assert page.status_code == 200
    assert b"nothing was stored" in page.data


def test_return_for_a_store_that_was_not_stored_explains_the_usual_causes(
    client: FlaskClient, services: Services
) -> None:
    user_id = sign_user_id(STORE, services.settings.secret_key, services.clock.now())
    page = client.get("/woocommerce/return", query_string={"success": "1", "user_id": user_id, "lang": "en"})
    assert page.status_code == 400
    assert b"Authorization header" in page.data


def _form_value(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, f"no {name} in the page"
    return html.unescape(found.group(1))


@responses.activate
def test_only_the_browser_that_started_the_connect_may_set_the_admin_sign_in(client: FlaskClient) -> None:
    rest_index()
    store_accepts_keys()
    user_id = start(client)
    client.post("/woocommerce/callback", data=callback_body(user_id), content_type="application/json")
    page = client.get("/woocommerce/return", query_string={"success": "1", "user_id": user_id, "lang": "en"})
    text = page.get_data(as_text=True)
    form = {"token": _form_value(text, "token"), "csrf_token": _form_value(text, "csrf_token"),
            "email": "owner@shop.example.test", "password": "a long enough secret"}
    # Without what the connect bound to the browser (another browser read the URL): refused.
    bound = client.get_cookie("woocommerce_connect_state", path="/woocommerce")
    assert bound is not None
    client.delete_cookie("woocommerce_connect_state", path="/woocommerce")
    refused = client.post("/woocommerce/account?lang=en", data=form)
    assert b"Sign-in created" not in refused.data
    assert b'name="token"' not in refused.data  # no sign-in form either
    client.set_cookie("woocommerce_connect_state", bound.value, path="/woocommerce")
    answer = client.post("/woocommerce/account?lang=en", data=form)
    assert answer.status_code == 200
    assert b"Sign-in created for owner@shop.example.test" in answer.data
