"""The WooCommerce adapter's edge work: envelope, de-duplication, verification, parsing."""

from __future__ import annotations

import json

import pytest

from connector.ports import (
    BadWebhook,
    OrderChanged,
    PlatformAdapter,
    RefundRecorded,
    ShopConnection,
    WebhookEnvelope,
)
from platforms.woocommerce import CreationPing, WooCommerceAdapter, create_adapter
from tests.unit.woocommerce.recordings import SECRETS, delivery, pings

ADAPTER = create_adapter({"APP_URL": "https://returns.example"})
SAME_CHANGE = ("20261122T013308-order_updated-339059", "20261122T013308-order_updated-009365-port8099")


def envelope_of(name: str) -> WebhookEnvelope:
    recorded = delivery(name)
    return ADAPTER.envelope(recorded["headers"], recorded["body_raw"].encode())


def test_adapter_is_a_platform_adapter() -> None:
    assert isinstance(ADAPTER, PlatformAdapter)
    assert ADAPTER.name == "woocommerce"


def test_envelope_names_the_normalised_store_and_topic() -> None:
    env = envelope_of("20261122T013308-order_updated-339059")
    assert env.shop_domain == "http://127.0.0.1:8088"
    assert env.topic == "order.updated"
    assert env.triggered_at is not None
    assert env.triggered_at.isoformat() == "2026-11-22T01:33:04+00:00"


def test_two_deliveries_of_one_change_share_a_dedupe_key_despite_different_delivery_ids() -> None:
    first, second = (delivery(name) for name in SAME_CHANGE)
    assert first["headers"]["X-WC-Webhook-Delivery-ID"] != second["headers"]["X-WC-Webhook-Delivery-ID"]
    assert envelope_of(SAME_CHANGE[0]).dedupe_key == envelope_of(SAME_CHANGE[1]).dedupe_key


def test_deliveries_sharing_a_delivery_id_but_not_an_order_get_different_keys() -> None:
    # Recorded: one burst, one delivery id, three orders.
    names = ["20261122T013213-order_created-506308", "20261122T013213-order_created-543886",
             "20261122T013213-order_created-651202"]
    assert len({delivery(n)["headers"]["X-WC-Webhook-Delivery-ID"] for n in names}) == 1
    assert len({envelope_of(n).dedupe_key for n in names}) == 3


def test_later_change_of_the_same_order_gets_a_new_key() -> None:
    before = envelope_of("20261122T013223-order_updated-061653")  # order 21 at 01:32:19
    after = envelope_of("20261122T013308-order_updated-339059")  # order 21 at 01:33:04
    assert before.dedupe_key != after.dedupe_key


def test_created_and_updated_for_the_same_state_are_different_events() -> None:
    created = envelope_of("20261122T013213-order_created-506308")
    updated = envelope_of("20261122T013213-order_updated-242624")
    assert created.dedupe_key != updated.dedupe_key


def test_action_topic_envelope_uses_the_arg_as_resource() -> None:
    env = envelope_of("20261122T013308-action_woocommerce_order_refunded-335801")
    assert env.topic == "action.woocommerce_order_refunded"
    assert env.triggered_at is None


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"X-WC-Webhook-Topic": "order.updated"}, b"{}"),
        ({"X-WC-Webhook-Source": "http://127.0.0.1:8088/"}, b"{}"),
        ({"X-WC-Webhook-Source": "http://127.0.0.1:8088/", "X-WC-Webhook-Topic": "order.updated"}, b"not json"),
        ({"X-WC-Webhook-Source": "http://127.0.0.1:8088/", "X-WC-Webhook-Topic": "order.updated"}, b"[1, 2]"),
        ({"X-WC-Webhook-Source": "ftp://x", "X-WC-Webhook-Topic": "order.updated"}, b"{}"),
    ],
)
def test_envelope_refuses_missing_headers_and_non_json(headers: dict[str, str], body: bytes) -> None:
    with pytest.raises(BadWebhook):
        ADAPTER.envelope(headers, body)


def test_creation_ping_is_told_apart_from_a_bad_webhook() -> None:
    ping = pings()[0]
    body = ping["body_raw"].encode()
    assert ADAPTER.is_creation_ping(ping["headers"], body)
    with pytest.raises(CreationPing):
        ADAPTER.envelope(ping["headers"], body)


def shop(secret: str) -> ShopConnection:
    return ShopConnection(1, "woocommerce", "http://127.0.0.1:8088", webhook_secret=secret)


def test_verify_webhook_uses_the_shops_webhook_secret() -> None:
    recorded = delivery("20261122T013308-order_updated-339059")
    body = recorded["body_raw"].encode()
    # Header names in any case, as a WSGI server may hand them over.
    headers = {k.lower(): v for k, v in recorded["headers"].items()}
    assert ADAPTER.verify_webhook(headers, body, shop(SECRETS["1"]))
    assert not ADAPTER.verify_webhook(headers, body, shop("wrong"))
    assert not ADAPTER.verify_webhook(headers, body, shop(""))
    assert not ADAPTER.verify_webhook({}, body, shop(SECRETS["1"]))


def test_parse_webhook_turns_a_refund_update_into_order_and_refund_events() -> None:
    recorded = delivery("20261122T013308-order_updated-526316")
    events = ADAPTER.parse_webhook("order.updated", recorded["body_raw"].encode())
    assert isinstance(events[0], OrderChanged)
    assert events[0].order.financial_status == "refunded"
    refunds = [e for e in events if isinstance(e, RefundRecorded)]
    assert [(r.platform_order_id, r.platform_refund_id, str(r.amount)) for r in refunds] == [
        ("22", "26", "129.90 USD")
    ]


@pytest.mark.parametrize("body", [b"nope", b"[]", json.dumps({"id": 1}).encode()])
def test_parse_webhook_refuses_bodies_that_are_not_the_topics(body: bytes) -> None:
    with pytest.raises(BadWebhook):
        ADAPTER.parse_webhook("order.updated", body)


def test_gateway_takes_gateway_refunds_and_auth_mode_from_shop_options() -> None:
    connection = ShopConnection(
        1, "woocommerce", "https://shop.example", consumer_key="ck_x", consumer_secret="cs_x",
        webhook_secret="s", options={"gateway_refunds": "yes", "query_string_auth": "yes"},
    )
    gateway = WooCommerceAdapter("https://returns.example/").gateway(connection)
    assert gateway.gateway_refunds
    assert gateway.client.query_string_auth
    assert gateway.app_url == "https://returns.example"
