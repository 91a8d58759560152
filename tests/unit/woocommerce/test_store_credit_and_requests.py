"""WooCommerce adapter: store-credit coupons spent in an order, balance coupons, return requests by order status."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest
import responses

from connector.domain.money import Money
from connector.ports import PlatformReturnRequested, StoreCreditSpent
from platforms.woocommerce import WooCommerceAdapter, mapping
from platforms.woocommerce.client import WooCommerceClient
from platforms.woocommerce.gateway import WooCommerceGateway
from tests.unit.woocommerce.recordings import delivery, rest_body

ORDER_20 = "20261122T013223-order_updated-662221"  # completed, uses the save10 coupon
STORE = "https://127.0.0.1:8443"
API = STORE + "/wp-json/wc/v3/"


def order_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(delivery(ORDER_20)["body_raw"])
    body.update(changes)
    return body


def with_credit(code: str, discount: str, discount_tax: str = "0.00", **changes: Any) -> dict[str, Any]:
    body = order_body(**changes)
    body["coupon_lines"] = [*copy.deepcopy(body["coupon_lines"]),
                            {"id": 9, "code": code, "discount": discount, "discount_tax": discount_tax,
                             "discount_type": "fixed_cart", "meta_data": []}]
    return body


def spent(body: dict[str, Any]) -> list[StoreCreditSpent]:
    return [e for e in mapping.events_from_webhook("order.updated", body) if isinstance(e, StoreCreditSpent)]


def test_our_store_credit_coupon_in_a_paid_order_is_reported_spent() -> None:
    [event] = spent(with_credit("rcsc-0123456789abcdef", "20.00", "1.65"))
    assert event == StoreCreditSpent("20", "jane.doe@example.test", "rcsc-0123456789abcdef", Money.of("20.00", "USD"))


def test_store_credit_spent_in_a_tax_inclusive_shop_counts_the_tax_it_covered() -> None:
    [event] = spent(with_credit("rcsc-0123456789abcdef", "20.00", "1.65", prices_include_tax=True))
    assert event.amount == Money.of("21.65", "USD")


def test_other_coupons_are_not_store_credit() -> None:
    assert spent(order_body()) == []  # save10


@pytest.mark.parametrize("status", ["pending", "failed", "cancelled", "checkout-draft"])
def test_store_credit_in_an_unpaid_order_is_not_spent_yet(status: str) -> None:
    assert spent(with_credit("rcsc-0123456789abcdef", "20.00", status=status)) == []


def test_balance_coupon_codes_are_stable_per_movement_and_depend_on_the_shop_secret() -> None:
    client = WooCommerceClient(STORE, "ck_x", "cs_x", sleep=lambda _: None)
    one = WooCommerceGateway(client, webhook_secret="secret-one")
    two = WooCommerceGateway(client, webhook_secret="secret-two")
    assert one.credit_coupon_code("5:credit:R-1") == one.credit_coupon_code("5:credit:R-1")
    assert one.credit_coupon_code("5:credit:R-1") != one.credit_coupon_code("5:credit:R-2")
    assert one.credit_coupon_code("5:credit:R-1") != two.credit_coupon_code("5:credit:R-1")
    assert one.credit_coupon_code("5:credit:R-1").startswith(mapping.STORE_CREDIT_PREFIX)


@responses.activate
def test_retired_balance_coupon_is_deleted_for_good() -> None:
    coupon = {**rest_body("coupons-create-store-credit-like"), "id": 31, "code": "rcsc-0123456789abcdef"}
    responses.get(API + "coupons", json=[coupon])
    responses.delete(API + "coupons/31", json=coupon)
    gateway = WooCommerceGateway(WooCommerceClient(STORE, "ck_x", "cs_x"), webhook_secret="s")
    assert gateway.retire_credit_coupon("RCSC-0123456789ABCDEF")
    [deleted] = [c for c in responses.calls if c.request.method == "DELETE"]
    assert "force=true" in (deleted.request.url or "")


def test_only_our_coupons_can_be_retired() -> None:
    gateway = WooCommerceGateway(WooCommerceClient(STORE, "ck_x", "cs_x"), webhook_secret="s")
    with pytest.raises(ValueError, match="not a store-credit coupon"):
        gateway.retire_credit_coupon("save10")


def completed_order() -> Any:
    return mapping.order_from_rest(order_body())


def test_order_in_the_return_request_status_asks_back_every_unit_not_refunded() -> None:
    order = replace(completed_order(), financial_status="return-requested")
    [asked] = WooCommerceAdapter().return_requests_in(order, {})
    assert isinstance(asked, PlatformReturnRequested)
    assert asked.platform_return_id == "wc-status-20"
    assert [(line_id, qty, reason) for line_id, qty, reason, _ in asked.lines] == [("1", 1, "other"), ("2", 1, "other")]  # one sneaker was refunded


def test_return_request_status_is_the_shop_option_with_or_without_the_wc_prefix() -> None:
    order = replace(completed_order(), financial_status="retour-demande")
    assert WooCommerceAdapter().return_requests_in(order, {"return_request_status": "wc-retour-demande"})
    assert WooCommerceAdapter().return_requests_in(order, {}) == []


def test_orders_in_other_statuses_ask_nothing() -> None:
    assert WooCommerceAdapter().return_requests_in(completed_order(), {}) == []
