"""Shopify returns mirrored from our workflow: each call as Shopify's schema wants it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.domain.money import Money
from connector.ports import PlatformError
from platforms.shopify.client import AdminClient
from platforms.shopify.returns import ReturnLine, ShopifyReturns
from tests.unit.shopify.conftest import FakeShopify

RETURN_NODE = {
    "id": "gid://shopify/Return/7", "name": "#1042-R1", "status": "OPEN",
    "returnLineItems": {"nodes": [{"id": "gid://shopify/ReturnLineItem/71", "quantity": 1,
                        "fulfillmentLineItem": {"id": "gid://shopify/FulfillmentLineItem/61",
                                                "lineItem": {"id": "gid://shopify/LineItem/51"}}}]},
    "reverseFulfillmentOrders": {"nodes": [{"id": "gid://shopify/ReverseFulfillmentOrder/8", "lineItems": {"nodes": [
        {"id": "gid://shopify/ReverseFulfillmentOrderLineItem/81", "totalQuantity": 1,
         "fulfillmentLineItem": {"id": "gid://shopify/FulfillmentLineItem/61", "lineItem": {"id": "gid://shopify/LineItem/51"}}}]}}]},
}
RETURNABLE = {"nodes": [{"id": "gid://shopify/ReturnableFulfillment/6", "returnableFulfillmentLineItems": {"nodes": [
    {"quantity": 2, "fulfillmentLineItem": {"id": "gid://shopify/FulfillmentLineItem/61", "lineItem": {"id": "gid://shopify/LineItem/51"}}}]}}]}


@pytest.fixture
def returns(client: AdminClient) -> ShopifyReturns:
    return ShopifyReturns(client)


def test_a_return_is_created_on_the_fulfillment_line_items(shopify: FakeShopify, returns: ShopifyReturns) -> None:
    shopify.on("returnableFulfillments", RETURNABLE)
    shopify.on("returnCreate", {"return": RETURN_NODE, "userErrors": []})
    created = returns.create_return("42", [ReturnLine("51", 1, "too small")])
    assert created.id == "7"
    assert created.lines == (("71", "51", 1),)
    assert created.reverse_lines == (("81", "51", 1),)
    sent = shopify.calls_to("returnCreate")[0].variables["returnInput"]
    assert sent == {"orderId": "gid://shopify/Order/42", "returnLineItems": [
        {"fulfillmentLineItemId": "gid://shopify/FulfillmentLineItem/61", "quantity": 1, "returnReasonNote": "too small"}]}


def test_more_than_was_fulfilled_cannot_be_returned(shopify: FakeShopify, returns: ShopifyReturns) -> None:
    shopify.on("returnableFulfillments", RETURNABLE)
    with pytest.raises(PlatformError, match="only 2 of 3"):
        returns.create_return("42", [ReturnLine("51", 3)])
    assert shopify.calls_to("returnCreate") == []


def test_a_requested_return_is_approved_and_declined(shopify: FakeShopify, returns: ShopifyReturns) -> None:
    shopify.on("returnApproveRequest", {"return": RETURN_NODE, "userErrors": []})
    shopify.on("returnDeclineRequest", {"return": {"id": "gid://shopify/Return/7", "status": "DECLINED"}, "userErrors": []})
    assert returns.approve("7").status == "open"
    assert returns.decline("7", "RETURN_PERIOD_ENDED", "30 days have passed") == "declined"
    declined = shopify.calls_to("returnDeclineRequest")[0].variables["input"]
    assert declined["declineReason"] == "RETURN_PERIOD_ENDED"


def test_received_items_are_disposed_at_a_location(shopify: FakeShopify, returns: ShopifyReturns) -> None:
    shopify.on("reverseFulfillmentOrderDispose", {"reverseFulfillmentOrderLineItems": [], "userErrors": []})
    returns.dispose([("81", 1, "RESTOCKED", "9"), ("82", 1, "NOT_RESTOCKED", None)])
    sent = shopify.calls_to("reverseFulfillmentOrderDispose")[0].variables["dispositionInputs"]
    assert sent[0] == {"reverseFulfillmentOrderLineItemId": "gid://shopify/ReverseFulfillmentOrderLineItem/81",
                       "quantity": 1, "dispositionType": "RESTOCKED", "locationId": "gid://shopify/Location/9"}


def test_restocking_without_a_location_is_refused(returns: ShopifyReturns) -> None:
    with pytest.raises(PlatformError, match="location"):
        returns.dispose([("81", 1, "RESTOCKED", None)])


def test_a_return_is_processed_with_its_refund_then_closed(shopify: FakeShopify, returns: ShopifyReturns) -> None:
    shopify.on("returnProcess", {"return": {"id": "gid://shopify/Return/7", "status": "OPEN"}, "userErrors": []})
    shopify.on("returnClose", {"return": {"id": "gid://shopify/Return/7", "status": "CLOSED"}, "userErrors": []})
    returns.process("7", [("71", 1)], refunds=[("2", Money(Decimal("103.20"), "CAD"))])
    assert returns.close("7") == "closed"
    sent = shopify.calls_to("returnProcess")[0].variables["input"]
    assert sent["financialTransfer"]["issueRefund"]["orderTransactions"] == [
        {"parentId": "gid://shopify/OrderTransaction/2", "transactionAmount": {"amount": "103.20", "currencyCode": "CAD"}}]


def test_a_return_is_cancelled(shopify: FakeShopify, returns: ShopifyReturns) -> None:
    shopify.on("returnCancel", {"return": {"id": "gid://shopify/Return/7", "status": "CANCELED"}, "userErrors": []})
    assert returns.cancel("7") == "canceled"
