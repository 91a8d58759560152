"""Property tests over headers and bodies: a bad signature never changes state, no input gives a 500."""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from connector.bootstrap import Services
from connector.persistence.tables import WebhookDeliveryRow
from tests import builders
from tests.fakes import FakePlatform

SECRET = "fake-webhook-secret"
SHOPIFY_SECRET = "test-api-secret"  # SHOPIFY_API_SECRET of the test settings
WC_SECRET = "wc-webhook-secret"
CONTRACT = {200, 400, 401, 404, 413}

# Header values a client can send: latin-1 text without line breaks.
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255, blacklist_characters="\x7f"), max_size=80)
bodies = st.one_of(
    st.binary(max_size=400),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                 max_leaves=12).map(lambda v: __import__("json").dumps(v).encode()),
)
fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _count(services: Services) -> int:
    with services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(WebhookDeliveryRow)).scalar_one())


def _shops(services: Services) -> None:
    services.adapters["fake"] = FakePlatform()
    builders.shop(services, platform="fake", domain="fake.example", webhook_secret=SECRET)
    builders.shop(services, platform="shopify", domain="claire.myshopify.com", name="Claire Shopify",
                  webhook_secret=SHOPIFY_SECRET)
    builders.shop(services, platform="woocommerce", domain="https://boutique.example", name="Claire WC",
                  webhook_secret=WC_SECRET)


def _shopify_hmac(body: bytes) -> str:
    return base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest()).decode()


@fuzz
@given(shop=st.sampled_from(["fake.example", "other.example"]) | header_text, topic=header_text,
       event=header_text, signature=header_text.filter(lambda s: s != SECRET), body=bodies)
def test_bad_fake_signatures_never_change_state_and_never_500(
    client: FlaskClient, services: Services, shop: str, topic: str, event: str, signature: str, body: bytes,
) -> None:
    if services.adapters.get("fake") is None:
        _shops(services)
    before = _count(services)
    answer = client.post("/webhooks/fake", data=body, headers={
        "X-Fake-Shop": shop, "X-Fake-Topic": topic, "X-Fake-Event": event, "X-Fake-Signature": signature})
    assert answer.status_code in CONTRACT - {200}
    assert _count(services) == before


@fuzz
@given(topic=header_text, webhook_id=header_text, signature=header_text, body=bodies,
       domain=st.sampled_from(["claire.myshopify.com", "nobody.myshopify.com"]) | header_text)
def test_bad_shopify_signatures_never_change_state_and_never_500(
    client: FlaskClient, services: Services, topic: str, webhook_id: str, signature: str, body: bytes,
    domain: str,
) -> None:
    if services.adapters.get("fake") is None:
        _shops(services)
    if signature == _shopify_hmac(body):
        return
    before = _count(services)
    answer = client.post("/webhooks/shopify", data=body, headers={
        "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": domain, "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Hmac-Sha256": signature})
    assert answer.status_code in CONTRACT - {200}
    assert _count(services) == before


@fuzz
@given(topic=header_text, source=st.sampled_from(["https://boutique.example", "https://x.example/"]) | header_text,
       signature=header_text, delivery=header_text, body=bodies)
def test_bad_woocommerce_signatures_never_change_state_and_never_500(
    client: FlaskClient, services: Services, topic: str, source: str, signature: str, delivery: str, body: bytes,
) -> None:
    if services.adapters.get("fake") is None:
        _shops(services)
    expected = base64.b64encode(hmac.new(WC_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    if signature == expected:
        return
    before = _count(services)
    answer = client.post("/webhooks/woocommerce", data=body, headers={
        "X-WC-Webhook-Source": source, "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Signature": signature,
        "X-WC-Webhook-Delivery-ID": delivery, "X-WC-Webhook-ID": "7"})
    # The creation ping (a form body `webhook_id=N`) is the one unsigned 200 and records nothing.
    assert answer.status_code in CONTRACT
    assert _count(services) == before


@fuzz
@given(topic=st.sampled_from(["orders/create", "orders/updated", "refunds/create", "returns/request",
                              "app/uninstalled", "customers/redact", "products/update"]) | header_text,
       webhook_id=header_text, body=bodies)
def test_signed_shopify_deliveries_of_any_body_answer_the_contract(
    client: FlaskClient, services: Services, topic: str, webhook_id: str, body: bytes,
) -> None:
    if services.adapters.get("fake") is None:
        _shops(services)
    answer = client.post("/webhooks/shopify", data=body, headers={
        "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": "claire.myshopify.com",
        "X-Shopify-Webhook-Id": webhook_id, "X-Shopify-Hmac-Sha256": _shopify_hmac(body)})
    assert answer.status_code in CONTRACT
