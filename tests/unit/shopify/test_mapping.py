"""Shopify orders become the same domain Order through GraphQL and through webhooks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import graphql
import pytest

from connector.domain.money import Money
from connector.domain.orders import Order
from connector.ports import BadWebhook
from platforms.shopify import queries
from platforms.shopify.mapping import gid, numeric_id, order_from_graphql, order_from_webhook, parse_event
from tests.unit.shopify.conftest import load_fixture


def cad(amount: str) -> Money:
    return Money(Decimal(amount), "CAD")


@pytest.fixture
def graphql_order() -> Order:
    return order_from_graphql(load_fixture("order_multicurrency_graphql.json"))


@pytest.fixture
def webhook_order() -> Order:
    return order_from_webhook(load_fixture("order_multicurrency_webhook.json"))


def without_product_details(order: Order) -> Order:
    # REST line items carry no product type or tags: only GraphQL can fill them.
    lines = tuple(dataclasses.replace(ln, product_type="", product_tags=()) for ln in order.lines)
    return dataclasses.replace(order, lines=lines)


def test_the_same_order_maps_equal_through_graphql_and_webhook(graphql_order: Order, webhook_order: Order) -> None:
    # Both carry the shopper's language (customerLocale / customer_locale): emails follow it.
    assert webhook_order.customer.locale == graphql_order.customer.locale == "en"
    assert without_product_details(graphql_order) == webhook_order


def test_the_graphql_fixture_is_a_valid_answer_to_order_by_id(admin_schema: graphql.GraphQLSchema) -> None:
    result = graphql.execute(
        admin_schema,
        graphql.parse(queries.ORDER_BY_ID),
        root_value={"order": load_fixture("order_multicurrency_graphql.json")},
        variable_values={"id": "gid://shopify/Order/820982911946154508"},
    )
    assert result.errors is None


def test_ids_are_numeric_strings_taken_from_the_gid(webhook_order: Order) -> None:
    # The payload's numeric "id" lost precision (…500); the gid's digits did not (…508).
    assert webhook_order.platform_order_id == "820982911946154508"
    assert webhook_order.lines[0].platform_line_id == "487817672276298554"
    assert webhook_order.customer.platform_customer_id == "115310627314723954"


def test_amounts_are_in_the_presentment_currency_the_customer_paid(graphql_order: Order) -> None:
    assert graphql_order.currency == "CAD"
    assert graphql_order.shop_currency == "USD"
    sunglasses = graphql_order.lines[0]
    assert (sunglasses.unit_price, sunglasses.discount, sunglasses.tax) == (cad("120.00"), cad("24.00"), cad("14.40"))
    assert sunglasses.paid_total == cad("230.40")
    assert graphql_order.total_paid == cad("230.40") + cad("28.25") + cad("13.56")


def test_fulfilled_and_refunded_quantities_and_dates(graphql_order: Order) -> None:
    sunglasses, plan = graphql_order.lines
    assert (sunglasses.fulfilled_quantity, sunglasses.refunded_quantity) == (2, 1)
    assert (plan.fulfilled_quantity, plan.refunded_quantity) == (0, 0)
    assert graphql_order.refunded == cad("103.20")
    assert graphql_order.fulfilled_at == datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
    assert graphql_order.delivered_at == datetime(2026, 1, 8, 19, 0, tzinfo=UTC)
    assert graphql_order.placed_at == datetime(2026, 1, 2, 15, 0, tzinfo=UTC)


def test_tags_product_type_and_status(graphql_order: Order) -> None:
    assert graphql_order.tags == ("vip", "returning")
    assert graphql_order.lines[0].product_type == "Sunglasses"
    assert graphql_order.lines[0].product_tags == ("final-sale-exempt", "summer")
    assert graphql_order.lines[0].variant_id == "642667041472713922"
    assert graphql_order.financial_status == "partially_refunded"
    assert graphql_order.customer.email == "jon@example.com"
    assert graphql_order.customer.postal_code == "40003"


def test_shopify_documented_order_payload_maps() -> None:
    order = order_from_webhook(load_fixture("webhooks/orders__create.json"))
    assert order.name == "#9999"
    assert order.currency == "USD"
    assert order.tags == ("tag1", "tag2")
    assert order.cancelled_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    assert [ln.title for ln in order.lines][:2] == ["Aviator sunglasses", "Lens Protection Plan (2 Year)"]
    assert order.shipping_lines[0].price == Money(Decimal("0.00"), "USD")


def test_numeric_ids_and_gids_round_trip() -> None:
    assert numeric_id("gid://shopify/Order/42") == "42"
    assert numeric_id(42) == "42"
    assert gid("Order", "42") == gid("Order", "gid://shopify/Order/42") == "gid://shopify/Order/42"
    with pytest.raises(ValueError, match="not a Shopify id"):
        numeric_id("gid://shopify/Order/abc")


def test_an_order_body_missing_what_the_topic_needs_is_a_bad_webhook() -> None:
    with pytest.raises(BadWebhook):
        parse_event("orders/create", {"id": 1})
    with pytest.raises(BadWebhook):
        parse_event("orders/create", ["not", "an", "object"])  # type: ignore[arg-type]
