"""ShopifyGateway: orders in, resolutions out, each exactly once (end state seen by the stand-in)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests

from connector.domain.money import Money
from connector.domain.returns import ResolutionKind
from connector.ports import PlatformError, PlatformGateway, PushLine, ResolutionPush
from platforms.shopify.client import AdminClient
from platforms.shopify.gateway import WEBHOOK_TOPICS, ShopifyGateway, coupon_code_for, gift_card_code_for
from tests.unit.shopify.conftest import FakeShopify, load_fixture

ORDER_ID = "820982911946154508"
ORDER_GID = f"gid://shopify/Order/{ORDER_ID}"
NOW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def cad(amount: str) -> Money:
    return Money(Decimal(amount), "CAD")


def a_push(**overrides: Any) -> ResolutionPush:
    values: dict[str, Any] = {
        "reference": "R-7KQ2MX/2",
        "idempotency_key": "9b2f7c1e-5d4a-4f0e-9a51-3f0d6c2b8e11",
        "kind": ResolutionKind.REFUND,
        "amount": cad("103.20"),
        "platform_order_id": ORDER_ID,
        "customer_email": "jon@example.com",
        "customer_platform_id": "115310627314723954",
        "lines": (
            PushLine("487817672276298554", 1, cad("96.00"), cad("7.20"), restock=True),
        ),
    }
    values.update(overrides)
    return ResolutionPush(**values)


def order_refunds(refunds: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    def bag(amount: str) -> dict[str, Any]:
        return {"presentmentMoney": {"amount": amount, "currencyCode": "CAD"},
                "shopMoney": {"amount": amount, "currencyCode": "USD"}}
    return {
        "id": ORDER_GID, "currencyCode": "USD", "presentmentCurrencyCode": "CAD",
        "refunds": refunds or [],
        "transactions": [
            {"id": "gid://shopify/OrderTransaction/1", "kind": "AUTHORIZATION", "status": "SUCCESS",
             "gateway": "shopify_payments", "amountSet": bag("271.96"), "parentTransaction": None},
            {"id": "gid://shopify/OrderTransaction/2", "kind": "CAPTURE", "status": "SUCCESS",
             "gateway": "shopify_payments", "amountSet": bag("271.96"),
             "parentTransaction": {"id": "gid://shopify/OrderTransaction/1"}},
        ],
    }


REFUND_CREATED = {"refund": {"id": "gid://shopify/Refund/777", "note": "Returns: R-7KQ2MX/2", "totalRefundedSet": None},
                  "userErrors": []}


@pytest.fixture
def gateway(client: AdminClient) -> ShopifyGateway:
    return ShopifyGateway(client, clock=lambda: NOW, page_size=2)


def test_the_gateway_satisfies_the_port(gateway: ShopifyGateway) -> None:
    assert isinstance(gateway, PlatformGateway)


# ---- refunds ----

def test_a_refund_is_created_in_the_presentment_currency(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", order_refunds())
    shopify.on("refundCreate", REFUND_CREATED)
    result = gateway.push(a_push())
    assert (result.platform_reference, result.adopted) == ("777", False)
    sent = shopify.calls_to("refundCreate")[0].variables
    assert sent["idempotencyKey"] == "9b2f7c1e-5d4a-4f0e-9a51-3f0d6c2b8e11"
    assert sent["input"]["currency"] == "CAD"
    assert "R-7KQ2MX/2" in sent["input"]["note"]
    assert sent["input"]["refundLineItems"] == [
        {"lineItemId": "gid://shopify/LineItem/487817672276298554", "quantity": 1, "restockType": "RETURN"}
    ]
    assert sent["input"]["transactions"] == [{
        "orderId": ORDER_GID, "parentId": "gid://shopify/OrderTransaction/2", "kind": "REFUND",
        "gateway": "shopify_payments", "amount": "103.20",
    }]


def test_a_line_not_restocked_is_refunded_with_no_restock(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", order_refunds())
    shopify.on("refundCreate", REFUND_CREATED)
    line = PushLine("487817672276298554", 1, cad("96.00"), cad("7.20"), restock=False)
    gateway.push(a_push(lines=(line,)))
    assert shopify.calls_to("refundCreate")[0].variables["input"]["refundLineItems"][0]["restockType"] == "NO_RESTOCK"


def test_a_refund_retried_after_a_timeout_sends_the_same_idempotency_key(
    shopify: FakeShopify, gateway: ShopifyGateway
) -> None:
    shopify.on("order", order_refunds())
    shopify.on("refundCreate", requests.exceptions.ReadTimeout("gateway slow"), REFUND_CREATED)
    assert gateway.push(a_push()).platform_reference == "777"
    keys = [c.variables["idempotencyKey"] for c in shopify.calls_to("refundCreate")]
    assert keys == ["9b2f7c1e-5d4a-4f0e-9a51-3f0d6c2b8e11"] * 2


def test_a_refund_job_run_twice_sends_the_same_idempotency_key(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    # The job died after Shopify answered but before our commit; Shopify's note search
    # may lag, so the second run can still reach refundCreate: the key makes it safe.
    shopify.on("order", order_refunds())
    shopify.on("refundCreate", REFUND_CREATED)
    first, second = gateway.push(a_push()), gateway.push(a_push())
    assert first == second
    assert len({c.variables["idempotencyKey"] for c in shopify.calls_to("refundCreate")}) == 1


def test_refund_is_adopted_when_it_already_exists(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    by_hand = {"id": "gid://shopify/Refund/555", "note": "Refunded by phone, Returns: R-7KQ2MX/2",
               "createdAt": "2026-01-30T10:00:00Z", "totalRefundedSet": None}
    shopify.on("order", order_refunds([by_hand]))
    result = gateway.push(a_push())
    assert (result.platform_reference, result.adopted) == ("555", True)
    assert shopify.calls_to("refundCreate") == []


def test_a_refund_of_another_return_is_not_adopted(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    other = {"id": "gid://shopify/Refund/556", "note": "Returns: R-7KQ2MX/1", "createdAt": None, "totalRefundedSet": None}
    shopify.on("order", order_refunds([other]))
    shopify.on("refundCreate", REFUND_CREATED)
    assert gateway.push(a_push()).adopted is False


def test_a_refund_in_the_shop_currency_of_a_multi_currency_order_is_refused(
    shopify: FakeShopify, gateway: ShopifyGateway
) -> None:
    shopify.on("order", order_refunds())
    with pytest.raises(PlatformError, match="customer paid in CAD"):
        gateway.push(a_push(amount=Money(Decimal("77.40"), "USD")))
    assert shopify.calls_to("refundCreate") == []


def test_a_refund_larger_than_the_capture_is_refused(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", order_refunds())
    line = PushLine("487817672276298554", 1, cad("480.00"), cad("20.00"), restock=True)
    with pytest.raises(PlatformError, match="exceeds"):
        gateway.push(a_push(amount=cad("500.00"), lines=(line,)))


def test_a_refund_refused_by_shopify_is_a_clear_error(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", order_refunds())
    shopify.on("refundCreate", {"refund": None, "userErrors": [{"field": ["input"], "message": "Order is not refundable"}]})
    with pytest.raises(PlatformError, match="Order is not refundable") as caught:
        gateway.push(a_push())
    assert caught.value.retryable is False


# ---- store credit and gift cards ----

CREDITED = {"storeCreditAccountTransaction": {"id": "gid://shopify/StoreCreditAccountCreditTransaction/31",
            "amount": {"amount": "50.0", "currencyCode": "CAD"}, "account": {"id": "gid://shopify/StoreCreditAccount/3"}},
            "userErrors": []}


def test_store_credit_is_given_to_the_customer_and_marked(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", order_refunds())  # no Shopify return on the order
    shopify.on("customer", {"id": "gid://shopify/Customer/115310627314723954", "metafield": None})
    shopify.on("storeCreditAccountCredit", CREDITED)
    shopify.on("metafieldsSet", {"metafields": [], "userErrors": []})
    result = gateway.push(a_push(kind=ResolutionKind.STORE_CREDIT, amount=cad("50.00"), lines=()))
    assert (result.platform_reference, result.adopted) == ("31", False)
    credit = shopify.calls_to("storeCreditAccountCredit")[0].variables
    assert credit["id"] == "gid://shopify/Customer/115310627314723954"
    assert credit["creditInput"]["creditAmount"] == {"amount": "50.00", "currencyCode": "CAD"}
    marker = shopify.calls_to("metafieldsSet")[0].variables["metafields"][0]
    assert (marker["key"], marker["value"]) == ("credit-r-7kq2mx-2", "31")


def test_store_credit_is_adopted_when_the_marker_exists(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", order_refunds())  # no Shopify return on the order
    shopify.on("customer", {"id": "gid://shopify/Customer/115310627314723954", "metafield": {"value": "31"}})
    result = gateway.push(a_push(kind=ResolutionKind.STORE_CREDIT, amount=cad("50.00"), lines=()))
    assert (result.platform_reference, result.adopted) == ("31", True)
    assert shopify.calls_to("storeCreditAccountCredit") == []


def test_a_lost_marker_write_does_not_fail_a_credit_already_given(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", order_refunds())  # no Shopify return on the order
    shopify.on("customer", {"id": "gid://shopify/Customer/1", "metafield": None})
    shopify.on("storeCreditAccountCredit", CREDITED)
    shopify.on("metafieldsSet", {"metafields": None, "userErrors": [{"field": None, "message": "nope", "code": "INVALID"}]})
    assert gateway.push(a_push(kind=ResolutionKind.STORE_CREDIT, lines=())).platform_reference == "31"


def test_store_credit_for_a_guest_becomes_a_gift_card(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", order_refunds())  # no Shopify return on the order
    push = a_push(kind=ResolutionKind.STORE_CREDIT, amount=cad("50.00"), lines=(), customer_platform_id=None)
    code = gift_card_code_for(push)
    shopify.on("giftCards", {"nodes": []})
    shopify.on("giftCardCreate", {"giftCard": {"id": "gid://shopify/GiftCard/88", "note": "", "lastCharacters": code[-4:],
               "balance": {"amount": "50.0", "currencyCode": "CAD"}}, "giftCardCode": code, "userErrors": []})
    result = gateway.push(push)
    assert (result.platform_reference, result.code, result.adopted) == ("88", code, False)
    sent = shopify.calls_to("giftCardCreate")[0].variables["input"]
    assert sent["code"] == code
    assert len(code) == 16
    assert code.isalnum()
    assert "R-7KQ2MX/2" in sent["note"]
    assert "customerId" not in sent


def test_a_gift_card_is_adopted_when_it_already_exists(shopify: FakeShopify, client: AdminClient) -> None:
    gateway = ShopifyGateway(client, options={"store_credit_as": "gift_card"})
    push = a_push(kind=ResolutionKind.STORE_CREDIT, lines=())
    code = gift_card_code_for(push)
    shopify.on("giftCards", {"nodes": [{"id": "gid://shopify/GiftCard/88", "note": "Returns: R-7KQ2MX/2",
               "lastCharacters": code[-4:].lower(), "balance": {"amount": "103.2", "currencyCode": "CAD"}}]})
    result = gateway.push(push)
    assert (result.platform_reference, result.adopted, result.code) == ("88", True, code)
    assert shopify.calls_to("giftCardCreate") == []


def test_gift_card_codes_cannot_be_derived_from_the_public_reference() -> None:
    one, other = a_push(kind=ResolutionKind.STORE_CREDIT), a_push(kind=ResolutionKind.STORE_CREDIT, idempotency_key="other")
    assert gift_card_code_for(one) != gift_card_code_for(other)
    assert gift_card_code_for(one) == gift_card_code_for(dataclasses.replace(one))


# ---- coupons ----

def test_a_coupon_is_created_for_that_customer_only_and_once(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", order_refunds())  # no Shopify return on the order
    push = a_push(kind=ResolutionKind.COUPON, amount=cad("20.00"), lines=(), expires_at=datetime(2026, 5, 1, tzinfo=UTC))
    code = coupon_code_for(push)
    shopify.on("codeDiscountNodeByCode", None)
    shopify.on("discountCodeBasicCreate", {"codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/12",
               "codeDiscount": {"title": "Return R-7KQ2MX/2", "codes": {"nodes": [{"code": code}]}}}, "userErrors": []})
    result = gateway.push(push)
    assert (result.platform_reference, result.code, result.adopted) == ("12", code, False)
    assert code.startswith("R-7KQ2MX-2-")
    sent = shopify.calls_to("discountCodeBasicCreate")[0].variables["basicCodeDiscount"]
    assert sent["context"] == {"customers": {"add": ["gid://shopify/Customer/115310627314723954"]}}
    assert (sent["usageLimit"], sent["appliesOncePerCustomer"], sent["code"]) == (1, True, code)
    assert "R-7KQ2MX/2" in sent["title"]
    assert sent["startsAt"] == "2026-02-01T09:00:00+00:00"
    assert sent["endsAt"] == "2026-05-01T00:00:00+00:00"


def test_a_percent_coupon_is_a_percentage_off_the_next_order(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    push = a_push(kind=ResolutionKind.COUPON, amount=cad("0"), lines=(), coupon_percent=Decimal("15"))
    shopify.on("codeDiscountNodeByCode", None)
    shopify.on("discountCodeBasicCreate", {"codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/13",
               "codeDiscount": {"title": "Return R-7KQ2MX/2", "codes": {"nodes": []}}}, "userErrors": []})
    gateway.push(push)
    sent = shopify.calls_to("discountCodeBasicCreate")[0].variables["basicCodeDiscount"]
    assert sent["customerGets"]["value"] == {"percentage": 0.15}
    assert shopify.calls_to("order") == []  # no currency conversion for a percentage


def test_a_coupon_is_adopted_when_its_code_exists(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    push = a_push(kind=ResolutionKind.COUPON, lines=())
    shopify.on("codeDiscountNodeByCode", {"id": "gid://shopify/DiscountCodeNode/12", "codeDiscount": {"title": "Return R-7KQ2MX/2"}})
    result = gateway.push(push)
    assert (result.platform_reference, result.adopted, result.code) == ("12", True, coupon_code_for(push))
    assert shopify.calls_to("discountCodeBasicCreate") == []
    assert shopify.calls_to("codeDiscountNodeByCode")[0].variables == {"code": coupon_code_for(push)}


def test_an_exchange_without_a_shopify_return_is_refused(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", order_refunds())
    with pytest.raises(PlatformError, match="exchange needs the return"):
        gateway.push(a_push(kind=ResolutionKind.EXCHANGE, exchange_variant_id="1"))


# ---- orders ----

def test_fetch_order_maps_the_graphql_order(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", load_fixture("order_multicurrency_graphql.json"))
    order = gateway.fetch_order(ORDER_ID)
    assert order is not None
    assert order.name == "#1042"
    assert order.currency == "CAD"
    assert shopify.calls[0].variables == {"id": ORDER_GID}


def test_fetch_order_of_an_unknown_order_is_none(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("order", None)
    assert gateway.fetch_order("1") is None


def test_find_order_keeps_only_the_exact_name_and_email(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    exact = load_fixture("order_multicurrency_graphql.json")
    near = {**exact, "id": "gid://shopify/Order/2", "name": "#10420"}
    shopify.on("orders", {"nodes": [near, exact]})
    shopify.on("order", exact)
    order = gateway.find_order("1042", "JON@example.com")
    assert order is not None
    assert order.platform_order_id == ORDER_ID
    assert shopify.calls[0].variables == {"query": 'name:"#1042" email:"JON@example.com"'}
    assert [c.variables for c in shopify.calls_to("order")] == [{"id": ORDER_GID}]  # only the exact one is read
    assert gateway.find_order("1042", "someone@else.com") is None


def test_orders_since_follows_the_cursor_and_reports_progress(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    node = load_fixture("order_multicurrency_graphql.json")
    shopify.on("ordersCount", {"count": 3, "precision": "EXACT"})
    shopify.on(
        "orders",
        {"pageInfo": {"hasNextPage": True, "endCursor": "c1"}, "nodes": [node, {**node, "id": "gid://shopify/Order/2"}]},
        {"pageInfo": {"hasNextPage": False, "endCursor": "c2"}, "nodes": [{**node, "id": "gid://shopify/Order/3"}]},
    )
    seen: list[tuple[int, int | None]] = []
    orders = list(gateway.orders_since(datetime(2026, 1, 1, tzinfo=UTC), lambda done, total: seen.append((done, total))))
    assert [o.platform_order_id for o in orders] == [ORDER_ID, "2", "3"]
    assert seen == [(0, 3), (2, 3), (3, 3)]  # the bar learns its length before the first page
    pages = shopify.calls_to("orders")
    assert [p.variables["after"] for p in pages] == [None, "c1"]
    assert pages[0].variables["query"] == "updated_at:>='2026-01-01T00:00:00+00:00'"


def test_a_bulk_export_starts_with_a_valid_inner_query(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("bulkOperationRunQuery", {"bulkOperation": {"id": "gid://shopify/BulkOperation/1", "status": "CREATED"},
               "userErrors": []})
    assert gateway.start_bulk_export(datetime(2025, 1, 1, tzinfo=UTC)) == "gid://shopify/BulkOperation/1"
    inner = shopify.calls_to("bulkOperationRunQuery")[0].variables["query"]
    assert "updated_at:>='2025-01-01T00:00:00+00:00'" in inner


# ---- webhooks ----

def test_webhooks_are_subscribed_for_every_topic_and_reinstall_is_harmless(
    shopify: FakeShopify, gateway: ShopifyGateway
) -> None:
    created = {"webhookSubscription": {"id": "gid://shopify/WebhookSubscription/1", "topic": "ORDERS_CREATE",
               "uri": "https://returns.example/webhooks/shopify"}, "userErrors": []}
    taken = {"webhookSubscription": None, "userErrors": [{"field": ["webhookSubscription", "callbackUrl"],
             "message": "Address for this topic has already been taken"}]}
    shopify.on("webhookSubscriptionCreate", taken, created)
    ids = gateway.subscribe_webhooks("https://returns.example/")
    calls = shopify.calls_to("webhookSubscriptionCreate")
    assert [c.variables["topic"] for c in calls] == [t.upper().replace("/", "_") for t in WEBHOOK_TOPICS]
    assert {c.variables["webhookSubscription"]["uri"] for c in calls} == {"https://returns.example/webhooks/shopify"}
    assert len(ids) == len(WEBHOOK_TOPICS) - 1


def test_exchange_choices_are_the_variants_for_sale(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("product", {"variants": {"nodes": [
        {"id": "gid://shopify/ProductVariant/11", "title": "S", "availableForSale": True},
        {"id": "gid://shopify/ProductVariant/12", "title": "M", "availableForSale": False},
        {"id": "gid://shopify/ProductVariant/13", "title": "L", "availableForSale": True},
    ]}})
    variants = gateway.variants_of("7")
    assert [(v.platform_variant_id, v.title) for v in variants] == [("11", "S"), ("13", "L")]
    assert shopify.calls[0].variables == {"id": "gid://shopify/Product/7"}


def test_exchange_variants_carry_shopifys_stock_only_where_it_is_counted(gateway: ShopifyGateway,
                                                                          shopify: FakeShopify) -> None:
    shopify.on("product", {"variants": {"nodes": [
        {"id": "gid://shopify/ProductVariant/11", "title": "S", "availableForSale": True, "inventoryQuantity": 2,
         "inventoryPolicy": "DENY", "inventoryItem": {"tracked": True}},
        {"id": "gid://shopify/ProductVariant/12", "title": "M", "availableForSale": True, "inventoryQuantity": 0,
         "inventoryPolicy": "DENY", "inventoryItem": {"tracked": False}},
        {"id": "gid://shopify/ProductVariant/13", "title": "L", "availableForSale": True, "inventoryQuantity": -3,
         "inventoryPolicy": "CONTINUE", "inventoryItem": {"tracked": True}},
    ]}})
    assert [(v.title, v.stock) for v in gateway.variants_of("7")] == [("S", 2), ("M", None), ("L", None)]
