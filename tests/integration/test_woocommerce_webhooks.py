"""Recorded WooCommerce deliveries posted to /webhooks/woocommerce through the whole app: the database end state."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses
from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.domain.returns import Channel, ResolutionKind
from connector.workflow import returns as flow
from tests.conftest import FrozenClock
from tests.unit.woocommerce.app_helpers import (
    RECORDED_API,
    delivery_statuses,
    post_delivery,
    recorded_body,
    recorded_shop,
    use_secret,
)
from tests.unit.woocommerce.recordings import SECRETS, pings, rest_body

ORDER_20_CREATED = "20261122T013213-order_created-506308"
ORDER_21_UPDATED_FIRST = "20261122T013213-order_updated-035574"
ORDER_22_UPDATED_FIRST = "20261122T013213-order_updated-215262"
ORDER_21_UPDATED_LATER = "20261122T013223-order_updated-061653"
ORDER_20_REFUNDED = "20261122T013223-order_updated-662221"
ORDER_22_REFUND_ACTION = "20261122T013308-action_woocommerce_order_refunded-335801"
PRODUCT_UPDATED = "20261122T013213-product_updated-142670"
COUPON_CREATED = "20261122T013223-coupon_created-539678"


@pytest.fixture(autouse=True)
def after_the_recordings(clock: FrozenClock) -> None:
    # The recordings were made on 2026-11-22: the app's day is three days later.
    clock.current = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_order_created_delivery_stores_the_order_with_its_lines_and_taxes(
    client: FlaskClient, services: Services
) -> None:
    shop = recorded_shop(services, SECRETS["2"])
    answer = post_delivery(client, ORDER_20_CREATED)
    assert answer.status_code == 200
    with services.uow() as uow:
        order = uow.scope(shop).orders.get("20")
    assert order is not None
    assert order.customer.email == "jane.doe@example.test"
    assert [(ln.platform_line_id, ln.quantity) for ln in order.lines] == [("1", 2), ("2", 1)]
    assert order.line("1").tax_by_rate[0][0] == "1"
    assert delivery_statuses(services) == [("order.created", "processed")]


def test_two_deliveries_sharing_a_delivery_id_are_both_applied(client: FlaskClient, services: Services) -> None:
    shop = recorded_shop(services, SECRETS["1"])
    assert post_delivery(client, ORDER_21_UPDATED_FIRST).status_code == 200
    assert post_delivery(client, ORDER_22_UPDATED_FIRST).status_code == 200
    with services.uow() as uow:
        assert uow.scope(shop).orders.count() == 2


def test_repeated_delivery_is_accepted_once_with_no_second_effect(client: FlaskClient, services: Services) -> None:
    recorded_shop(services, SECRETS["1"])
    first = post_delivery(client, ORDER_21_UPDATED_FIRST)
    second = post_delivery(client, ORDER_21_UPDATED_FIRST)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_json()["status"] == "duplicate delivery, already accepted"
    assert len(delivery_statuses(services)) == 1


def test_late_older_delivery_never_overwrites_a_newer_order(client: FlaskClient, services: Services) -> None:
    shop = recorded_shop(services, SECRETS["1"])
    post_delivery(client, ORDER_21_UPDATED_LATER)
    post_delivery(client, ORDER_21_UPDATED_FIRST)
    with services.uow() as uow:
        order = uow.scope(shop).orders.get("21")
    assert order is not None
    assert order.updated_at == datetime(2026, 11, 22, 1, 32, 19, tzinfo=UTC)


def test_refund_made_in_the_shop_admin_is_written_on_the_open_return(client: FlaskClient, services: Services) -> None:
    shop = recorded_shop(services, SECRETS["2"])
    post_delivery(client, ORDER_20_CREATED)
    opened = flow.open_return_request(
        services, shop.id, "20", [flow.WantedItem("1", 1, "size_too_small", ResolutionKind.REFUND)],
        channel=Channel.PORTAL)
    use_secret(services, shop, SECRETS["1"])
    assert post_delivery(client, ORDER_20_REFUNDED).status_code == 200
    with services.uow() as uow:
        ret = uow.scope(shop).returns.get_by_reference(opened.ret.reference)
    assert ret is not None
    assert any("refund 23 of 76.96 USD" in e.message and e.private for e in ret.timeline)


@responses.activate
def test_order_refunded_action_reads_the_order_again_from_the_store(
    client: FlaskClient, services: Services
) -> None:
    shop = recorded_shop(services, SECRETS["1"])
    post_delivery(client, ORDER_22_UPDATED_FIRST)
    refund = copy.deepcopy(rest_body("refunds-create-full-order22-amount-only"))
    responses.get(RECORDED_API + "orders/22", json=rest_body("orders-get-22-after-full-refund"))
    responses.get(RECORDED_API + "orders/22/refunds", json=[refund], headers={"X-WP-TotalPages": "1"})
    use_secret(services, shop, SECRETS["5"])
    assert post_delivery(client, ORDER_22_REFUND_ACTION).status_code == 200
    with services.uow() as uow:
        order = uow.scope(shop).orders.get("22")
    assert order is not None
    assert order.financial_status == "refunded"
    assert order.refunded is not None
    assert order.refunded.amount == Decimal("129.90")


def test_product_and_coupon_topics_are_acknowledged_and_ignored(client: FlaskClient, services: Services) -> None:
    shop = recorded_shop(services, SECRETS["4"])
    assert post_delivery(client, PRODUCT_UPDATED).status_code == 200
    use_secret(services, shop, SECRETS["3"])
    assert post_delivery(client, COUPON_CREATED).status_code == 200
    assert delivery_statuses(services) == [("product.updated", "ignored"), ("coupon.created", "ignored")]


def test_delivery_signed_with_another_secret_is_401_with_no_effect(client: FlaskClient, services: Services) -> None:
    shop = recorded_shop(services, SECRETS["2"])  # order.updated was signed with webhook 1's secret
    assert post_delivery(client, ORDER_21_UPDATED_FIRST).status_code == 401
    assert delivery_statuses(services) == []
    with services.uow() as uow:
        assert uow.scope(shop).orders.count() == 0


def test_delivery_from_an_unknown_store_is_404(client: FlaskClient) -> None:
    assert post_delivery(client, ORDER_21_UPDATED_FIRST).status_code == 404


def test_creation_ping_answers_200_and_records_nothing(client: FlaskClient, services: Services) -> None:
    recorded_shop(services)
    for ping in pings():
        headers = {k: v for k, v in ping["headers"].items() if k.lower() not in {"host", "content-length"}}
        answer = client.post("/webhooks/woocommerce", data=ping["body_raw"].encode(), headers=headers)
        assert answer.status_code == 200
    assert delivery_statuses(services) == []


def test_body_that_is_not_json_is_a_400(client: FlaskClient, services: Services) -> None:
    recorded_shop(services)
    answer = post_delivery(client, ORDER_21_UPDATED_FIRST, body=b"not json", secret=SECRETS["1"])
    assert answer.status_code == 400


def test_order_moved_to_the_return_request_status_opens_one_return_for_review(
    client: FlaskClient, services: Services
) -> None:
    shop = recorded_shop(services, SECRETS["1"])
    body = recorded_body(ORDER_21_UPDATED_LATER)
    body["status"] = "return-requested"
    for second in range(2):  # WooCommerce sends order.updated on every save: one request only
        body["date_modified_gmt"] = body["date_modified_gmt"][:-1] + str(second)
        raw = json.dumps(body).encode()
        assert post_delivery(client, ORDER_21_UPDATED_LATER, body=raw, secret=SECRETS["1"]).status_code == 200
    with services.uow() as uow:
        [ret] = uow.scope(shop).returns.for_order("21")
    assert ret.channel is Channel.WEBHOOK
    assert ret.status.value == "requested"
    assert [(i.order_line_id, i.reason) for i in ret.items] == [(str(line["id"]), "other") for line in body["line_items"]]
