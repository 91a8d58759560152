"""Recorded WooCommerce orders become domain orders whose totals are WooCommerce's totals."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.domain.money import Money
from connector.ports import Ignored, OrderChanged, OrderDeleted, OrderRefreshRequested, RefundRecorded
from platforms.woocommerce.mapping import (
    MappingError,
    events_from_webhook,
    order_from_rest,
)
from tests.unit.woocommerce.recordings import delivery, rest_body


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


@pytest.mark.parametrize(
    "recording",
    ["orders-get-1", "orders-get-1-after-refund", "orders-update-meta", "orders-get-22-after-full-refund",
     "orders-create-2", "orders-complete-1"],
)
def test_domain_total_equals_woocommerce_total(recording: str) -> None:
    body = rest_body(recording)
    order = order_from_rest(body)
    assert order.total_paid == usd(body["total"])


def test_coupon_discount_is_allocated_per_line_from_subtotal_minus_total() -> None:
    order = order_from_rest(rest_body("orders-get-1"))
    sneaker, hoodie = order.line("1"), order.line("2")
    assert (sneaker.unit_price, sneaker.discount, sneaker.tax) == (usd("79.00"), usd("15.80"), usd("11.73"))
    assert (hoodie.unit_price, hoodie.discount, hoodie.tax) == (usd("120.00"), usd("12.00"), usd("8.91"))
    assert sneaker.discount + hoodie.discount == usd("27.80")  # the order's discount_total


def test_taxes_are_kept_per_rate_id() -> None:
    order = order_from_rest(rest_body("orders-get-1"))
    assert order.line("1").tax_by_rate == (("1", usd("11.73")),)
    assert order.line("2").tax_by_rate == (("1", usd("8.91")),)
    assert order.shipping_lines[0].tax == usd("0.83")


def test_order_header_customer_and_dates() -> None:
    order = order_from_rest(rest_body("orders-get-1"))
    assert order.platform == "woocommerce"
    assert (order.platform_order_id, order.name, order.currency) == ("20", "#20", "USD")
    assert order.customer.platform_customer_id == "2"
    assert order.customer.email == "jane.doe@example.test"
    assert order.customer.postal_code == "94103"
    assert order.placed_at == datetime(2026, 11, 22, 1, 31, 39, tzinfo=UTC)
    assert order.fulfilled_at == datetime(2026, 11, 22, 1, 31, 40, tzinfo=UTC)
    assert order.updated_at == datetime(2026, 11, 22, 1, 31, 40, tzinfo=UTC)
    assert order.financial_status == "completed"
    assert order.refunded == usd("0")
    assert all(line.fulfilled_quantity == line.quantity for line in order.lines)
    assert order.line("1").product_id == "12"
    assert order.line("1").variant_id is None


def test_guest_order_has_no_customer_id() -> None:
    order = order_from_rest(rest_body("orders-get-22-after-full-refund"))
    assert order.customer.platform_customer_id is None
    assert order.customer.email == "guest@example.test"
    assert order.refunded == usd("129.90")
    assert order.financial_status == "refunded"


def test_variation_ids_and_title() -> None:
    order = order_from_rest(rest_body("orders-update-meta"))
    tee = order.line("7")
    assert (tee.product_id, tee.variant_id, tee.variant_title, tee.sku) == ("15", "18", "L", "TEE-004-L")


def test_refunded_quantities_come_from_the_refunds_list() -> None:
    order = order_from_rest(rest_body("orders-get-1-after-refund"), rest_body("refunds-list"))
    assert order.line("1").refunded_quantity == 1
    assert order.line("2").refunded_quantity == 0
    assert order.refunded == usd("76.96")


def test_refund_without_restock_is_seen_only_with_the_refunds_list() -> None:
    body = copy.deepcopy(rest_body("orders-get-1-after-refund"))
    for item in body["line_items"]:
        item["meta_data"] = [m for m in item["meta_data"] if m["key"] != "_restock_refunded_items"]
    assert order_from_rest(body).line("1").refunded_quantity == 0  # the body alone cannot tell
    assert order_from_rest(body, rest_body("refunds-list")).line("1").refunded_quantity == 1


def test_prices_including_tax_keep_the_same_total() -> None:
    body = copy.deepcopy(rest_body("orders-get-1"))
    body["prices_include_tax"] = True
    order = order_from_rest(body)
    sneaker = order.line("1")
    assert sneaker.taxes_included
    assert sneaker.unit_price == usd("85.52")  # (158.00 + 13.04) / 2
    assert sneaker.paid_total == usd("153.93")  # 142.20 + 11.73
    assert order.total_paid == usd(body["total"])


def test_fee_lines_count_in_the_total_and_cannot_be_returned() -> None:
    body = copy.deepcopy(rest_body("orders-get-1"))
    body["fee_lines"] = [
        {"id": 9, "name": "Gift wrap", "total": "5.00", "total_tax": "0.41",
         "taxes": [{"id": 1, "total": "0.41", "subtotal": ""}]},
        {"id": 10, "name": "Goodwill", "total": "-3.00", "total_tax": "0.00", "taxes": []},
    ]
    body["total"] = "284.08"  # 281.67 + 5.41 - 3.00
    order = order_from_rest(body)
    assert order.total_paid == usd("284.08")
    wrap = order.line("9")
    assert wrap.final_sale
    assert wrap.product_type == "fee"
    assert wrap.tax_by_rate == (("1", usd("0.41")),)


@given(
    quantity=st.integers(min_value=1, max_value=50),
    subtotal_cents=st.integers(min_value=0, max_value=10_000_000),
    discount_cents=st.integers(min_value=0, max_value=10_000_000),
    tax_cents=st.integers(min_value=0, max_value=1_000_000),
    included=st.booleans(),
)
def test_line_paid_total_is_always_woocommerces_to_the_cent(
    quantity: int, subtotal_cents: int, discount_cents: int, tax_cents: int, included: bool
) -> None:
    line_total = max(subtotal_cents - discount_cents, 0)
    body = copy.deepcopy(rest_body("orders-get-1"))
    body["prices_include_tax"] = included
    body["line_items"] = [
        {
            "id": 1, "name": "x", "product_id": 1, "variation_id": 0, "quantity": quantity,
            "subtotal": str(Decimal(subtotal_cents) / 100), "subtotal_tax": str(Decimal(tax_cents) / 100),
            "total": str(Decimal(line_total) / 100), "total_tax": str(Decimal(tax_cents) / 100),
            "taxes": [{"id": 1, "total": str(Decimal(tax_cents) / 100)}], "meta_data": [],
        }
    ]
    line = order_from_rest(body).line("1")
    assert line.paid_total == Money.from_minor(line_total + tax_cents, "USD")


def test_order_updated_delivery_becomes_order_changed_and_its_refunds() -> None:
    body = json.loads(delivery("20261122T013308-order_updated-339059")["body_raw"])
    events = events_from_webhook("order.updated", body)
    assert isinstance(events[0], OrderChanged)
    assert events[0].order.platform_order_id == "21"
    assert events[1:] == [RefundRecorded("21", "25", usd("115.29"), "Full line return: Leather Belt")]


def test_order_created_delivery_without_refunds_is_one_event() -> None:
    body = json.loads(delivery("20261122T013213-order_created-506308")["body_raw"])
    events = events_from_webhook("order.created", body)
    assert len(events) == 1
    assert isinstance(events[0], OrderChanged)
    assert events[0].order.total_paid == usd("281.67")


def test_refunded_action_names_the_order_to_read_again() -> None:
    body = json.loads(delivery("20261122T013308-action_woocommerce_order_refunded-335801")["body_raw"])
    (event,) = events_from_webhook("action.woocommerce_order_refunded", body)
    assert isinstance(event, OrderRefreshRequested)
    assert event.platform_order_id == "22"


def test_deleted_order_and_other_topics() -> None:
    assert events_from_webhook("order.deleted", {"id": 20}) == [OrderDeleted("20")]
    coupon = json.loads(delivery("20261122T013223-coupon_created-539678")["body_raw"])
    assert events_from_webhook("coupon.created", coupon) == [Ignored("coupon.created")]


@pytest.mark.parametrize(
    "body", [{"id": 1}, {"id": 1, "currency": "USD", "line_items": [{"id": 1, "total": "abc"}]}, {}]
)
def test_bodies_that_are_not_orders_raise_mapping_error(body: dict[str, object]) -> None:
    with pytest.raises(MappingError):
        events_from_webhook("order.updated", body)
