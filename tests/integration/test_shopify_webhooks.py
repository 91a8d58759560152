"""Shopify webhooks through the whole app: Shopify's example payloads, signed and posted as Shopify sends them,
then the end state in the database."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from connector.bootstrap import Services
from connector.domain.money import Money
from connector.domain.resolutions import Resolution
from connector.domain.returns import Channel, ResolutionKind, ReturnItem, ReturnRequest, ReturnStatus
from connector.domain.shops import Shop
from connector.persistence.tables import OrderRow, WebhookDeliveryRow
from connector.workflow import merchant_webhooks
from connector.workflow.api_tokens import create_token
from connector.workflow.markers import resolution_marker
from connector.workflow.push import push_resolution
from platforms.shopify.signatures import webhook_hmac
from tests import builders
from tests.unit.shopify.conftest import SHOP, load_fixture

SECRET = "test-api-secret"  # the app's client secret in tests/conftest.py
ORDER_ID = "820982911946154508"
RETURN_ORDER_ID = "4783296544821"
_events = iter(range(1, 10_000))


def payload(name: str) -> dict[str, Any]:
    return copy.deepcopy(load_fixture(f"webhooks/{name}.json"))


def post(client: FlaskClient, topic: str, body: dict[str, Any] | bytes, *, event_id: str | None = None,
         secret: str = SECRET) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/webhooks/shopify", data=raw, content_type="application/json", headers={
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": webhook_hmac(raw, secret),
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Webhook-Id": f"webhook-{next(_events)}",
        "X-Shopify-Event-Id": event_id or f"event-{next(_events)}",
        "X-Shopify-Triggered-At": "2026-06-15T09:59:58.000Z",
    })


@pytest.fixture
def shop(services: Services) -> Shop:
    return builders.shop(services, platform="shopify", domain=SHOP, name="Maison Claire",
                         credentials={"access_token": "shpat_test"})


def an_order(order_id: str = ORDER_ID, email: str = "john@example.com", updated_at: str | None = None) -> dict[str, Any]:
    body = payload("orders__create")
    body["admin_graphql_api_id"] = f"gid://shopify/Order/{order_id}"
    body["id"] = int(order_id)
    body["email"] = email
    if updated_at:
        body["updated_at"] = updated_at
    return body


def stored_order(services: Services, shop: Shop, order_id: str = ORDER_ID) -> Any:
    with services.uow() as uow:
        return uow.scope(shop).orders.get(order_id)


def a_return(services: Services, shop: Shop, order_id: str = ORDER_ID) -> ReturnRequest:
    """A return opened in the app on the order (the policy window does not matter here)."""
    with services.uow() as uow:
        scope = uow.scope(shop)
        ret = ReturnRequest(shop_id=shop.id, order_id=order_id, customer_email="john@example.com", channel=Channel.PORTAL,
                            items=[ReturnItem("487817672276298554", 1, "size_too_small", ResolutionKind.REFUND)])
        ret.record_request(services.clock.now())
        scope.returns.add(ret, now=services.clock.now(), currency="USD")
        uow.commit()
    return ret


def deliveries(services: Services) -> list[tuple[str, str]]:
    with services.uow() as uow:
        return [(r.topic, r.status) for r in uow.session.scalars(select(WebhookDeliveryRow).order_by(WebhookDeliveryRow.id))]


# ---- orders ----

def test_orders_create_stores_the_order(client: FlaskClient, services: Services, shop: Shop) -> None:
    assert post(client, "orders/create", an_order()).status_code == 200
    order = stored_order(services, shop)
    assert order is not None
    assert order.name == "#9999"
    assert len(order.lines) == 5
    assert deliveries(services) == [("orders/create", "processed")]


def test_a_repeated_event_id_is_accepted_once_with_no_second_effect(
    client: FlaskClient, services: Services, shop: Shop,
) -> None:
    first = post(client, "orders/create", an_order(), event_id="evt-1")
    again = post(client, "orders/create", an_order(), event_id="evt-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert "duplicate" in again.get_json()["status"]
    assert deliveries(services) == [("orders/create", "processed")]


def test_an_older_event_never_overwrites_newer_order_data(client: FlaskClient, services: Services, shop: Shop) -> None:
    newer = an_order(updated_at="2022-01-05T10:00:00-05:00")
    newer["tags"] = "vip, second-edit"
    post(client, "orders/updated", newer)
    older = an_order(updated_at="2021-12-31T19:00:00-05:00")
    older["tags"] = "first-version"
    assert post(client, "orders/create", older).status_code == 200  # accepted, and ignored as stale
    order = stored_order(services, shop)
    assert order.tags == ("vip", "second-edit")
    assert order.updated_at.isoformat() == "2022-01-05T15:00:00+00:00"


# ---- refunds made outside the app ----

def a_refund(order_id: str = ORDER_ID, note: str = "Things were damaged") -> dict[str, Any]:
    body = payload("refunds__create")
    body["order_id"] = int(order_id)  # the documented example's id lost its last digits
    body["note"] = note
    return body


def test_a_refund_made_by_hand_in_the_shopify_admin_is_noted_on_the_return(
    client: FlaskClient, services: Services, shop: Shop,
) -> None:
    post(client, "orders/create", an_order())
    ret = a_return(services, shop)
    assert post(client, "refunds/create", a_refund()).status_code == 200
    with services.uow() as uow:
        stored = uow.scope(shop).returns.get_by_reference(ret.reference)
    notes = [e.message for e in stored.timeline if e.kind == "note"]
    assert notes == ["refund 890088186047892319 of 85.00 USD made in the shop's admin"]


def test_our_own_refund_seen_by_webhook_marks_the_resolution_pushed_so_it_is_never_repeated(
    client: FlaskClient, services: Services, shop: Shop,
) -> None:
    post(client, "orders/create", an_order())
    ret = a_return(services, shop)
    with services.uow() as uow:
        scope = uow.scope(shop)
        resolution = scope.resolutions.add(
            Resolution(ResolutionKind.REFUND, Money(Decimal("85.00"), "USD"), Money.zero("USD"), Money.zero("USD"),
                       Money.zero("USD"), Money.zero("USD"), "k-1"),
            return_id=ret.id or 0, now=services.clock.now())
        outbox = scope.outbox.add("push_resolution", resolution.id, services.clock.now())
        uow.commit()
    marker = resolution_marker(ret.reference, resolution.id)
    post(client, "refunds/create", a_refund(note=f"Returns: {marker}"))
    with services.uow() as uow:
        stored = uow.scope(shop).resolutions.get(resolution.id)
    assert (stored.push_status, stored.platform_reference) == ("pushed", "890088186047892319")
    # The push job finds it done: no call to Shopify (none is stubbed), nothing repeated.
    assert push_resolution(services, outbox.id) == "skipped"


# ---- Shopify returns ----

def with_lines() -> dict[str, Any]:
    return copy.deepcopy(load_fixture("returns_request_with_lines.json"))


def status_change(topic: str) -> dict[str, Any]:
    return payload(topic.replace("/", "__"))


def test_returns_request_opens_a_return_request_here(client: FlaskClient, services: Services, shop: Shop) -> None:
    post(client, "orders/create", an_order(RETURN_ORDER_ID))
    assert post(client, "returns/request", with_lines()).status_code == 200
    with services.uow() as uow:
        ret = uow.scope(shop).returns.get_by_platform_return_id("123134564567890")
    assert ret is not None
    assert (ret.status, ret.channel, ret.order_id) == (ReturnStatus.REQUESTED, Channel.WEBHOOK, RETURN_ORDER_ID)
    assert [(i.order_line_id, i.quantity, i.reason) for i in ret.items] == [("487817672276298554", 1, "size_too_small")]


def test_a_return_request_repeated_by_shopify_opens_one_return(client: FlaskClient, services: Services, shop: Shop) -> None:
    post(client, "orders/create", an_order(RETURN_ORDER_ID))
    post(client, "returns/request", with_lines())
    post(client, "returns/request", with_lines())  # a new event id: Shopify's retry after a timeout
    with services.uow() as uow:
        assert len(uow.scope(shop).returns.for_order(RETURN_ORDER_ID)) == 1


@pytest.mark.parametrize(("topics", "status"), [
    (["returns/approve"], ReturnStatus.APPROVED),
    (["returns/decline"], ReturnStatus.REJECTED),
    (["returns/cancel"], ReturnStatus.CANCELLED),
    (["returns/decline", "returns/close"], ReturnStatus.CLOSED),
])
def test_return_status_changes_in_shopify_are_mirrored_here(
    client: FlaskClient, services: Services, shop: Shop, topics: list[str], status: ReturnStatus,
) -> None:
    post(client, "orders/create", an_order(RETURN_ORDER_ID))
    post(client, "returns/request", with_lines())
    for topic in topics:
        assert post(client, topic, status_change(topic)).status_code == 200
    with services.uow() as uow:
        ret = uow.scope(shop).returns.get_by_platform_return_id("123134564567890")
    assert ret.status is status
    assert ret.timeline[-1].actor == "platform"


# ---- the app removed, and privacy requests ----

def test_app_uninstalled_drops_the_token_and_stops_pushes(client: FlaskClient, services: Services, shop: Shop) -> None:
    post(client, "orders/create", an_order())
    ret = a_return(services, shop)
    with services.uow() as uow:
        scope = uow.scope(shop)
        resolution = scope.resolutions.add(
            Resolution(ResolutionKind.REFUND, Money(Decimal("10.00"), "USD"), Money.zero("USD"), Money.zero("USD"),
                       Money.zero("USD"), Money.zero("USD"), "k-2"),
            return_id=ret.id or 0, now=services.clock.now())
        outbox = scope.outbox.add("push_resolution", resolution.id, services.clock.now())
        # A delivery to the merchant's own systems, waiting too: nothing more goes out either.
        to_merchant = scope.outbox.add(merchant_webhooks.OUTBOX_TASK, 424242, services.clock.now())
        uow.commit()
    token = create_token(services, shop.id, "erp")
    assert client.get("/api/v1/returns", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert post(client, "app/uninstalled", payload("app__uninstalled")).status_code == 200
    with services.uow() as uow:
        gone = uow.shops.get(shop.id)
        connection = uow.shops.connection(shop.id)
        # Stopped at once, not when a worker next picks the row up.
        assert uow.scope(shop).outbox.get(outbox.id).status == "failed"
        assert uow.scope(shop).outbox.get(to_merchant.id).status == "failed"
        assert uow.scope(shop).resolutions.get(resolution.id).push_status == "failed"
    assert not gone.active
    assert connection.access_token == ""
    assert push_resolution(services, outbox.id) == "skipped"  # and no call to Shopify was made
    assert client.get("/api/v1/returns", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_customers_data_request_exports_what_the_app_holds(client: FlaskClient, services: Services, shop: Shop) -> None:
    post(client, "orders/create", an_order())
    assert post(client, "customers/data_request", payload("customers__data_request")).status_code == 200
    export = Path(services.settings.instance_path) / "exports" / str(shop.id) / "data-request-9999.json"
    data = json.loads(export.read_text())
    assert data["customer"]["emails"] == ["john@example.com"]
    assert [o["number"] for o in data["orders"]] == ["#9999"]


def test_customers_redact_erases_the_customer_and_keeps_the_figures(
    client: FlaskClient, services: Services, shop: Shop,
) -> None:
    post(client, "orders/create", an_order())
    post(client, "orders/create", an_order("820982911946154599", email="someone.else@example.com"))
    before = stored_order(services, shop).total_paid
    assert post(client, "customers/redact", payload("customers__redact")).status_code == 200
    order = stored_order(services, shop)
    assert order.customer.email.startswith("redacted-")
    assert (order.customer.first_name, order.customer.last_name) == ("", "")
    assert order.total_paid == before
    assert stored_order(services, shop, "820982911946154599").customer.email == "someone.else@example.com"


def test_shop_redact_deletes_the_shop_and_all_its_rows(
    client: FlaskClient, services: Services, shop: Shop,
) -> None:
    post(client, "orders/create", an_order())
    post(client, "orders/create", an_order("820982911946154599", email="someone.else@example.com"))
    assert post(client, "shop/redact", payload("shop__redact")).status_code == 200
    with services.uow() as uow:
        assert uow.shops.get(shop.id) is None
        assert uow.session.scalar(select(func.count()).select_from(OrderRow)) == 0
        assert uow.session.scalar(select(func.count()).select_from(WebhookDeliveryRow)) == 0


# ---- bad input ----

def test_a_wrongly_signed_delivery_is_401_and_records_nothing(client: FlaskClient, services: Services, shop: Shop) -> None:
    assert post(client, "orders/create", an_order(), secret="not-the-secret").status_code == 401
    assert deliveries(services) == []


def test_a_body_that_is_not_json_is_400(client: FlaskClient, services: Services, shop: Shop) -> None:
    assert post(client, "orders/create", b"not json").status_code == 400
    assert deliveries(services) == []
