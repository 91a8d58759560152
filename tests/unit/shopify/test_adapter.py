"""The Shopify adapter at the webhook edge: envelope, signature and one event per topic."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connector.domain.money import Money
from connector.ports import (
    AppUninstalled,
    BadWebhook,
    CustomerDataRequested,
    CustomerRedactRequested,
    Ignored,
    OrderChanged,
    OrderRefreshRequested,
    PlatformAdapter,
    PlatformReturnRequested,
    PlatformReturnStatusChanged,
    RefundRecorded,
    ShopConnection,
    ShopRedactRequested,
)
from platforms.shopify import ShopifyAdapter, create_adapter
from platforms.shopify.gateway import ShopifyGateway
from platforms.shopify.signatures import webhook_hmac
from tests.unit.shopify.conftest import fixture_bytes

SECRET = "shpss_current"
PREVIOUS = "shpss_previous"
SHOP = ShopConnection(shop_id=1, platform="shopify", domain="test-shop.myshopify.com", access_token="shpat_x")


@pytest.fixture
def adapter() -> ShopifyAdapter:
    return create_adapter({
        "SHOPIFY_API_KEY": "key", "SHOPIFY_API_SECRET": SECRET, "SHOPIFY_PREVIOUS_API_SECRET": PREVIOUS,
        "SHOPIFY_SCOPES": "read_orders,write_returns", "APP_URL": "https://returns.example",
    })


def delivery(topic: str, body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": webhook_hmac(body, secret),
        "X-Shopify-Shop-Domain": "test-shop.myshopify.com",
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
        "X-Shopify-Triggered-At": "2026-01-09T13:30:00.123Z",
    }


def receive(adapter: ShopifyAdapter, topic: str, fixture: str) -> list[object]:
    """What the webhook edge does: envelope, verify, then parse."""
    body = fixture_bytes(fixture)
    headers = delivery(topic, body)
    envelope = adapter.envelope(headers, body)
    assert adapter.verify_webhook(headers, body, SHOP)
    return list(adapter.parse_webhook(envelope.topic, body))


def test_the_adapter_satisfies_the_port(adapter: ShopifyAdapter) -> None:
    assert isinstance(adapter, PlatformAdapter)
    assert adapter.name == "shopify"
    assert isinstance(adapter.gateway(SHOP), ShopifyGateway)


def test_the_envelope_reads_shop_topic_event_id_and_trigger_time(adapter: ShopifyAdapter) -> None:
    envelope = adapter.envelope(delivery("orders/create", b"{}"), b"{}")
    assert envelope.shop_domain == "test-shop.myshopify.com"
    assert envelope.topic == "orders/create"
    assert envelope.dedupe_key == "98880550-7158-44d4-b7cd-2c97c8a091b5"
    assert envelope.triggered_at == datetime(2026, 1, 9, 13, 30, 0, 123000, tzinfo=UTC)


def test_the_webhook_id_is_the_dedupe_key_when_no_event_id_is_sent(adapter: ShopifyAdapter) -> None:
    headers = {k: v for k, v in delivery("orders/create", b"{}").items() if k != "X-Shopify-Event-Id"}
    assert adapter.envelope(headers, b"{}").dedupe_key == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"


def test_header_names_are_case_insensitive(adapter: ShopifyAdapter) -> None:
    headers = {k.lower(): v for k, v in delivery("orders/create", b"{}").items()}
    assert adapter.envelope(headers, b"{}").topic == "orders/create"
    assert adapter.verify_webhook(headers, b"{}", SHOP)


@pytest.mark.parametrize("missing", ["X-Shopify-Topic", "X-Shopify-Shop-Domain"])
def test_a_delivery_missing_a_header_is_a_bad_webhook(adapter: ShopifyAdapter, missing: str) -> None:
    headers = {k: v for k, v in delivery("orders/create", b"{}").items() if k != missing}
    with pytest.raises(BadWebhook):
        adapter.envelope(headers, b"{}")


def test_a_delivery_without_any_id_is_a_bad_webhook(adapter: ShopifyAdapter) -> None:
    headers = {k: v for k, v in delivery("orders/create", b"{}").items() if "-Id" not in k}
    with pytest.raises(BadWebhook):
        adapter.envelope(headers, b"{}")


def test_a_shop_header_that_is_not_a_myshopify_domain_is_a_bad_webhook(adapter: ShopifyAdapter) -> None:
    headers = {**delivery("orders/create", b"{}"), "X-Shopify-Shop-Domain": "evil.com/x.myshopify.com"}
    with pytest.raises(BadWebhook):
        adapter.envelope(headers, b"{}")


def test_a_delivery_signed_with_the_previous_secret_is_accepted(adapter: ShopifyAdapter) -> None:
    body = fixture_bytes("webhooks/orders__create.json")
    assert adapter.verify_webhook(delivery("orders/create", body, PREVIOUS), body, SHOP)


def test_a_tampered_delivery_is_refused(adapter: ShopifyAdapter) -> None:
    body = fixture_bytes("webhooks/orders__create.json")
    headers = delivery("orders/create", body)
    assert not adapter.verify_webhook(headers, body.replace(b"414.95", b"0.01"), SHOP)


def test_an_unsigned_delivery_is_refused(adapter: ShopifyAdapter) -> None:
    headers = {k: v for k, v in delivery("orders/create", b"{}").items() if k != "X-Shopify-Hmac-Sha256"}
    assert not adapter.verify_webhook(headers, b"{}", SHOP)


@pytest.mark.parametrize(
    "topic", ["orders/create", "orders/updated", "orders/cancelled", "orders/fulfilled"]
)
def test_order_topics_become_order_changed(adapter: ShopifyAdapter, topic: str) -> None:
    [event] = receive(adapter, topic, f"webhooks/{topic.replace('/', '__')}.json")
    assert isinstance(event, OrderChanged)
    assert event.order.platform_order_id == "820982911946154508"


def test_a_multi_currency_order_webhook_keeps_the_presentment_currency(adapter: ShopifyAdapter) -> None:
    [event] = receive(adapter, "orders/updated", "order_multicurrency_webhook.json")
    assert isinstance(event, OrderChanged)
    assert (event.order.currency, event.order.shop_currency) == ("CAD", "USD")
    assert event.order.lines[0].refunded_quantity == 1


def test_refunds_create_records_the_refund_so_it_is_never_repeated(adapter: ShopifyAdapter) -> None:
    [event] = receive(adapter, "refunds/create", "webhooks/refunds__create.json")
    assert event == RefundRecorded(
        platform_order_id="820982911946154500",
        platform_refund_id="890088186047892319",
        amount=Money(Decimal("85.00"), "USD"),
        note="Things were damaged",
    )


def test_returns_request_carries_the_lines_asked_for(adapter: ShopifyAdapter) -> None:
    [event] = receive(adapter, "returns/request", "returns_request_with_lines.json")
    assert event == PlatformReturnRequested(
        platform_order_id="4783296544821",
        platform_return_id="123134564567890",
        lines=(("487817672276298554", 1, "size_too_small", "Too tight on the nose"),),
    )


def test_shopify_documented_return_request_maps_without_lines(adapter: ShopifyAdapter) -> None:
    [event] = receive(adapter, "returns/request", "webhooks/returns__request.json")
    assert isinstance(event, PlatformReturnRequested)
    assert event.lines == ()


@pytest.mark.parametrize(
    ("topic", "status"),
    [("returns/approve", "approved"), ("returns/decline", "rejected"),
     ("returns/cancel", "cancelled"), ("returns/close", "closed")],
)
def test_return_status_topics_become_status_changes(adapter: ShopifyAdapter, topic: str, status: str) -> None:
    [event] = receive(adapter, topic, f"webhooks/{topic.replace('/', '__')}.json")
    assert event == PlatformReturnStatusChanged("123134564567890", status)


def test_app_uninstalled(adapter: ShopifyAdapter) -> None:
    assert receive(adapter, "app/uninstalled", "webhooks/app__uninstalled.json") == [AppUninstalled()]


def test_customer_data_request_names_the_customer_by_email_id_and_orders(adapter: ShopifyAdapter) -> None:
    assert receive(adapter, "customers/data_request", "webhooks/customers__data_request.json") == [
        CustomerDataRequested(customer_email="john@example.com", request_id="9999", platform_customer_id="191167",
                              platform_order_ids=("299938", "280263", "220458"))
    ]


def test_customer_redact_names_the_customer_by_email_id_and_orders(adapter: ShopifyAdapter) -> None:
    assert receive(adapter, "customers/redact", "webhooks/customers__redact.json") == [
        CustomerRedactRequested(customer_email="john@example.com", platform_customer_id="191167",
                                platform_order_ids=("299938", "280263", "220458"))
    ]


def test_shop_redact(adapter: ShopifyAdapter) -> None:
    assert receive(adapter, "shop/redact", "webhooks/shop__redact.json") == [ShopRedactRequested()]


def test_an_unknown_topic_is_acknowledged_and_ignored(adapter: ShopifyAdapter) -> None:
    assert adapter.parse_webhook("products/update", b'{"id": 1}') == [Ignored("products/update")]


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b"[1, 2]", b'{"order_id": 1}'])
def test_a_body_that_is_not_the_json_the_topic_needs_is_a_bad_webhook(adapter: ShopifyAdapter, body: bytes) -> None:
    with pytest.raises(BadWebhook):
        adapter.parse_webhook("refunds/create", body)


def test_an_edited_order_asks_for_the_order_to_be_read_again(adapter: ShopifyAdapter) -> None:
    [event] = receive(adapter, "orders/edited", "webhooks/orders__edited.json")
    assert isinstance(event, OrderRefreshRequested)
