"""Resolutions of returns that exist in Shopify go through returnProcess; fixed amounts are converted to the shop's currency."""

from __future__ import annotations

from typing import Any

import pytest

from connector.domain.returns import ResolutionKind
from connector.ports import PlatformError
from platforms.shopify.gateway import ShopifyGateway
from tests.unit.shopify.conftest import FakeShopify
from tests.unit.shopify.test_gateway import a_push, cad, order_refunds

MARKER = "R-7KQ2MX-12"  # resolution 12 of return R-7KQ2MX


def return_node(note: str = "R-7KQ2MX size_too_small", processed: int = 0,
                exchanges: list[dict[str, Any]] | None = None, status: str = "OPEN") -> dict[str, Any]:
    return {
        "id": "gid://shopify/Return/7", "name": "#1001-R1", "status": status,
        "returnLineItems": {"nodes": [{
            "id": "gid://shopify/ReturnLineItem/71", "quantity": 1, "returnReasonNote": note, "customerNote": None,
            "processedQuantity": processed,
            "fulfillmentLineItem": {"id": "gid://shopify/FulfillmentLineItem/61",
                                    "lineItem": {"id": "gid://shopify/LineItem/487817672276298554"}}}]},
        "exchangeLineItems": {"nodes": exchanges or []},
        "reverseFulfillmentOrders": {"nodes": []},
    }


def with_returns(*returns: dict[str, Any]) -> dict[str, Any]:
    order = order_refunds()
    order["fulfillments"] = []
    order["returns"] = {"nodes": [{"id": r["id"], "status": r["status"], "returnLineItems": r["returnLineItems"]}
                                  for r in returns]}
    return order


def processed(refunds: list[tuple[str, str]]) -> dict[str, Any]:
    return {"return": {"id": "gid://shopify/Return/7", "status": "OPEN", "refunds": {"nodes": [
        {"id": f"gid://shopify/Refund/{i}", "note": n} for i, n in refunds]}}, "userErrors": []}


def no_refunds() -> dict[str, Any]:
    return {"id": "gid://shopify/Return/7", "status": "OPEN", "refunds": {"nodes": []}}


def exchange_priced(exchange: dict[str, Any], price: str, tax: str = "0.00") -> dict[str, Any]:
    """The return's exchange lines with the new item Shopify priced for each (RETURN_EXCHANGE_PRICES)."""
    def bag(amount: str) -> dict[str, Any]:
        return {"presentmentMoney": {"amount": amount, "currencyCode": "CAD"}}
    return {"id": "gid://shopify/Return/7", "order": {"id": "gid://shopify/Order/1", "taxesIncluded": False},
            "exchangeLineItems": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": [{
                **exchange, "lineItems": [{"id": "gid://shopify/LineItem/9", "quantity": exchange["quantity"],
                                           "originalUnitPriceSet": bag(price), "discountAllocations": [],
                                           "taxLines": [{"priceSet": bag(tax)}]}]}]}}


@pytest.fixture
def gateway(client: Any) -> ShopifyGateway:
    return ShopifyGateway(client)


def test_a_refund_of_a_shopify_return_is_made_by_processing_it(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", with_returns(return_node()))
    shopify.on("return", return_node(), no_refunds())
    shopify.on("returnProcess", processed([("901", f"Returns: {MARKER}")]))
    result = gateway.push(a_push(reference=MARKER))
    assert (result.platform_reference, result.adopted) == ("901", False)
    sent = shopify.calls_to("returnProcess")[0].variables["input"]
    assert sent["returnLineItems"] == [{"id": "gid://shopify/ReturnLineItem/71", "quantity": 1}]
    assert sent["financialTransfer"]["issueRefund"]["orderTransactions"] == [{
        "parentId": "gid://shopify/OrderTransaction/2", "transactionAmount": {"amount": "103.20", "currencyCode": "CAD"}}]
    assert MARKER in sent["note"]
    assert shopify.calls_to("refundCreate") == []


def test_a_processed_refund_is_adopted_on_retry(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", with_returns(return_node(processed=1)))
    shopify.on("return", return_node(processed=1), {"id": "gid://shopify/Return/7", "status": "OPEN", "refunds": {
        "nodes": [{"id": "gid://shopify/Refund/901", "note": f"Returns: {MARKER}", "totalRefundedSet": None}]}})
    result = gateway.push(a_push(reference=MARKER))
    assert (result.platform_reference, result.adopted) == ("901", True)
    assert shopify.calls_to("returnProcess") == []


def test_store_credit_of_a_shopify_return_is_a_refund_method(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", with_returns(return_node()))
    shopify.on("return", return_node(), no_refunds())
    shopify.on("returnProcess", processed([("902", f"Returns: {MARKER}")]))
    result = gateway.push(a_push(reference=MARKER, kind=ResolutionKind.STORE_CREDIT, amount=cad("50.00")))
    assert result.platform_reference == "902"
    issue = shopify.calls_to("returnProcess")[0].variables["input"]["financialTransfer"]["issueRefund"]
    assert issue == {"orderTransactions": [], "refundMethods": [
        {"storeCreditRefund": {"amount": {"amount": "50.00", "currencyCode": "CAD"}}}]}


def test_an_exchange_confirms_its_exchange_line(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    exchange = {"id": "gid://shopify/ExchangeLineItem/5", "quantity": 1, "processedQuantity": 0,
                "variantId": "gid://shopify/ProductVariant/333"}
    shopify.on("order", with_returns(return_node(exchanges=[exchange])))
    shopify.on("return", return_node(exchanges=[exchange]), no_refunds(), exchange_priced(exchange, "103.20"))
    shopify.on("returnProcess", processed([]))
    result = gateway.push(a_push(reference=MARKER, kind=ResolutionKind.EXCHANGE, exchange_variant_id="333"))
    assert result.platform_reference == "7"
    sent = shopify.calls_to("returnProcess")[0].variables["input"]
    assert sent["exchangeLineItems"] == [{"id": "gid://shopify/ExchangeLineItem/5", "quantity": 1}]
    assert "financialTransfer" not in sent  # the new item costs what was returned: nothing to refund


def test_a_return_the_shopper_requested_in_shopify_is_found_by_its_lines(
    shopify: FakeShopify, gateway: ShopifyGateway,
) -> None:
    shopify.on("order", with_returns(return_node(note="")))
    shopify.on("return", return_node(note=""), no_refunds())
    shopify.on("returnProcess", processed([("903", f"Returns: {MARKER}")]))
    assert gateway.push(a_push(reference=MARKER)).platform_reference == "903"


def test_without_a_shopify_return_the_refund_is_a_plain_refund(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", with_returns())
    shopify.on("refundCreate", {"refund": {"id": "gid://shopify/Refund/777", "note": "", "totalRefundedSet": None},
                                "userErrors": []})
    assert gateway.push(a_push(reference=MARKER)).platform_reference == "777"
    assert shopify.calls_to("returnProcess") == []


# ---- fixed amounts in the shop's currency ----

def order_paid_at(shop_amount: str, presentment: str = "271.96") -> dict[str, Any]:
    order = order_refunds()
    for transaction in order["transactions"]:
        transaction["amountSet"]["shopMoney"]["amount"] = shop_amount
        transaction["amountSet"]["presentmentMoney"]["amount"] = presentment
    return order


def test_a_coupon_for_a_customer_who_paid_in_another_currency_is_converted_at_the_order_rate(
    shopify: FakeShopify, gateway: ShopifyGateway,
) -> None:
    shopify.on("order", with_returns() | order_paid_at("200.00", "271.96"))
    shopify.on("codeDiscountNodeByCode", None)
    shopify.on("discountCodeBasicCreate", {"codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/12",
                                                                "codeDiscount": {}}, "userErrors": []})
    gateway.push(a_push(kind=ResolutionKind.COUPON, amount=cad("27.20"), lines=()))
    sent = shopify.calls_to("discountCodeBasicCreate")[0].variables["basicCodeDiscount"]
    assert sent["customerGets"]["value"]["discountAmount"]["amount"] == "20.00"  # USD, 27.20 x 200/271.96


def test_a_gift_card_is_issued_in_the_shop_currency(shopify: FakeShopify, client: Any) -> None:
    gateway = ShopifyGateway(client, options={"store_credit_as": "gift_card"})
    shopify.on("order", order_paid_at("200.00", "271.96"))
    shopify.on("giftCards", {"nodes": []})
    shopify.on("giftCardCreate", {"giftCard": {"id": "gid://shopify/GiftCard/88", "note": "", "lastCharacters": "x",
                                               "balance": None}, "giftCardCode": "", "userErrors": []})
    gateway.push(a_push(kind=ResolutionKind.STORE_CREDIT, amount=cad("27.20"), lines=()))
    sent = shopify.calls_to("giftCardCreate")[0].variables["input"]
    assert sent["initialAmount"] == {"amount": "20.00", "currencyCode": "USD"}


def test_a_coupon_is_refused_when_no_payment_gives_the_rate(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    order = order_refunds()
    order["transactions"] = []
    shopify.on("order", order)
    shopify.on("codeDiscountNodeByCode", None)
    with pytest.raises(PlatformError, match="cannot convert"):
        gateway.push(a_push(kind=ResolutionKind.COUPON, amount=cad("20.00"), lines=()))
    assert shopify.calls_to("discountCodeBasicCreate") == []

