"""What each root field of the Admin API does to a shop's state in the Shopify stand-in.

Queries read tests/standins/shopify_state.py; mutations change it as Shopify documents
(PLATFORMS.md B1-B2), refuse with a userErrors entry (UserError) and queue the webhooks
that follow through the stand-in (`Emitter.emit`). Test support only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Protocol

from tests.standins.shopify_state import (
    JSON,
    ShopState,
    UserError,
    Webhook,
    money,
    numeric,
    refund_webhook,
    return_webhook,
)


class Emitter(Protocol):
    """The stand-in, as the mutations see it: where webhooks go."""

    def emit(self, shop: ShopState, webhook: Webhook) -> None: ...


# ---- root queries ----

def _get(shop: ShopState, gid: str, kind: str) -> JSON | None:
    node = shop.objects.get(gid)
    return node if node is not None and node.get("__typename") == kind else None


def _orders(_s: Emitter, shop: ShopState, query: str | None = None, sortKey: str | None = None,  # noqa: N803
            **_args: Any) -> list[JSON]:
    found = shop.search(query)
    if sortKey == "UPDATED_AT":
        found.sort(key=lambda o: (o["updatedAt"], numeric(o["id"])))
    return found


def _orders_count(_s: Emitter, shop: ShopState, query: str | None = None, **_args: Any) -> JSON:
    return {"count": len(shop.search(query)), "precision": "EXACT"}


def _returnable_fulfillments(_s: Emitter, shop: ShopState, orderId: str, **_args: Any) -> list[JSON]:  # noqa: N803
    order = shop.order(orderId)
    return shop.returnable(order) if order else []


def _returnable_fulfillment(_s: Emitter, shop: ShopState, id: str) -> JSON | None:  # noqa: A002
    fulfillment = shop.objects.get(f"gid://shopify/Fulfillment/{numeric(id)}")
    if fulfillment is None:
        return None
    order = next(o for o in shop.orders if fulfillment in o["fulfillments"])
    return next((r for r in shop.returnable(order) if r["id"] == id), None)


def _customer(_s: Emitter, shop: ShopState, id: str) -> JSON | None:  # noqa: A002
    customer = _get(shop, id, "Customer")
    if customer is None:
        return None
    return {**customer, "metafield": lambda namespace, key: customer["metafields"].get((namespace, key))}


def _gift_cards(_s: Emitter, shop: ShopState, query: str | None = None, **_args: Any) -> list[JSON]:
    wanted = (query or "").strip().lower()
    return [node for node in shop.objects.values()
            if node["__typename"] == "GiftCard" and (not wanted or node["code"].lower() == wanted)]


def _code_discount(_s: Emitter, shop: ShopState, code: str) -> JSON | None:
    return next((node for node in shop.objects.values() if node["__typename"] == "DiscountCodeNode"
                 and any(c["code"].lower() == code.lower() for c in node["codeDiscount"]["codes"])), None)


def _variant(shop: ShopState, variant: str, title: str) -> JSON:
    """A variant with its stock as Shopify gives it: inventoryQuantity counts only when the item is tracked."""
    stock = shop.stock.get(variant, 10)
    return {"__typename": "ProductVariant", "id": variant, "title": title,
            "availableForSale": stock is None or stock > 0,
            "inventoryQuantity": 0 if stock is None else stock, "inventoryPolicy": "DENY",
            "inventoryItem": {"__typename": "InventoryItem", "tracked": stock is not None}}


def _product(_s: Emitter, shop: ShopState, id: str) -> JSON | None:  # noqa: A002
    for order in shop.orders:
        for line in order["lineItems"]:
            if line["product"]["id"] == id:
                return {"__typename": "Product", "id": id, "variants": [_variant(shop, line["variant"]["id"], "M")] + [
                    _variant(shop, variant, title)
                    for variant, (of, title, _price, _rate) in shop.variants.items() if of["product"]["id"] == id]}
    return None


QUERIES: dict[str, Callable[..., Any]] = {
    "order": lambda _s, shop, id: shop.order(id),
    "orders": _orders,
    "ordersCount": _orders_count,
    "fulfillment": lambda _s, shop, id: _get(shop, id, "Fulfillment"),
    "refund": lambda _s, shop, id: _get(shop, id, "Refund"),
    "return": lambda _s, shop, id: _get(shop, id, "Return"),
    "reverseFulfillmentOrder": lambda _s, shop, id: _get(shop, id, "ReverseFulfillmentOrder"),
    "returnableFulfillments": _returnable_fulfillments,
    "returnableFulfillment": _returnable_fulfillment,
    "location": lambda _s, shop, **_a: shop.location,
    "customer": _customer,
    "giftCards": _gift_cards,
    "codeDiscountNodeByCode": _code_discount,
    "product": _product,
    "bulkOperation": lambda _s, shop, id: None,
    "shop": lambda _s, shop: {"name": shop.name, "currencyCode": shop.currency, "myshopifyDomain": shop.domain,
                              "contactEmail": f"owner@{shop.domain}"},
    "shopLocales": lambda _s, shop, **_a: [{"locale": "fr", "primary": True}],
    "currentAppInstallation": lambda _s, shop: {"accessScopes": [{"handle": s} for s in shop.scopes]},
}


# ---- mutations ----

def _need(node: JSON | None, what: str, field_path: Iterable[str]) -> JSON:
    if node is None:
        raise UserError(f"{what} does not exist", field_path, "NOT_FOUND")
    return node


def _return_create(standin: Emitter, shop: ShopState, returnInput: JSON) -> JSON:  # noqa: N803
    order = _need(shop.order(returnInput["orderId"]), "Order", ["returnInput", "orderId"])
    available = {line["fulfillmentLineItem"]["id"]: line["quantity"]
                 for r in shop.returnable(order) for line in r["returnableFulfillmentLineItems"]}
    for index, item in enumerate(returnInput["returnLineItems"]):
        if item["quantity"] > available.get(item["fulfillmentLineItemId"], 0):
            raise UserError("Quantity is not available for return", ["returnInput", "returnLineItems", str(index)])
    for index, exchange in enumerate(returnInput.get("exchangeLineItems") or []):
        if exchange["variantId"] not in shop.variants and not any(
                li["variant"]["id"] == exchange["variantId"] for li in order["lineItems"]):
            raise UserError("Variant does not exist", ["returnInput", "exchangeLineItems", str(index), "variantId"],
                            "NOT_FOUND")
    ret = new_return(shop, order, "OPEN", [
        (shop.objects[i["fulfillmentLineItemId"]], i["quantity"], i.get("returnReasonNote") or "", "")
        for i in returnInput["returnLineItems"]])
    for exchange in returnInput.get("exchangeLineItems") or []:
        ret["exchangeLineItems"].append(shop.keep("ExchangeLineItem", {
            "quantity": exchange["quantity"], "processedQuantity": 0, "variantId": exchange["variantId"],
            "lineItems": [shop.exchange_line_item(order, exchange["variantId"], exchange["quantity"])]}))
    _open_reverse_order(shop, ret)
    return {"return": ret, "userErrors": []}


def new_return(shop: ShopState, order: JSON, status: str, lines: Iterable[tuple[JSON, int, str, str]]) -> JSON:
    ret = shop.keep("Return", {
        "name": f"{order['name']}-R{len(order['returns']) + 1}", "status": status, "order": order,
        "requestApprovedAt": None, "decline": None, "returnLineItems": [], "exchangeLineItems": [],
        "reverseFulfillmentOrders": [], "refunds": [],
    })
    for fli, quantity, note, customer_note in lines:
        ret["returnLineItems"].append(shop.keep("ReturnLineItem", {
            "quantity": quantity, "returnReasonNote": note, "customerNote": customer_note, "processedQuantity": 0,
            "fulfillmentLineItem": fli, "returnReasonDefinition": None}))
    order["returns"].append(ret)
    order["updatedAt"] = shop.tick()
    return ret


def _open_reverse_order(shop: ShopState, ret: JSON) -> None:
    ret["reverseFulfillmentOrders"].append(shop.keep("ReverseFulfillmentOrder", {"lineItems": [
        shop.keep("ReverseFulfillmentOrderLineItem", {
            "totalQuantity": item["quantity"], "dispositions": [], "fulfillmentLineItem": item["fulfillmentLineItem"]})
        for item in ret["returnLineItems"]]}))


def _return_status(ret: JSON, allowed: Iterable[str], action: str) -> None:
    if ret["status"] not in allowed:
        raise UserError(f"Return cannot be {action} in status {ret['status']}", ["id"], "INVALID_STATE")


def _approve(standin: Emitter, shop: ShopState, input: JSON) -> JSON:  # noqa: A002
    ret = _need(_get(shop, input["id"], "Return"), "Return", ["input", "id"])
    _return_status(ret, ("REQUESTED",), "approved")
    ret["status"], ret["requestApprovedAt"] = "OPEN", shop.tick()
    _open_reverse_order(shop, ret)
    standin.emit(shop, Webhook("returns/approve", return_webhook(ret)))
    return {"return": ret, "userErrors": []}


def _decline(standin: Emitter, shop: ShopState, input: JSON) -> JSON:  # noqa: A002
    ret = _need(_get(shop, input["id"], "Return"), "Return", ["input", "id"])
    _return_status(ret, ("REQUESTED",), "declined")
    ret["status"], ret["decline"] = "DECLINED", {"reason": input["declineReason"]}
    standin.emit(shop, Webhook("returns/decline", return_webhook(ret)))
    return {"return": ret, "userErrors": []}


def _dispose(_s: Emitter, shop: ShopState, dispositionInputs: list[JSON]) -> JSON:  # noqa: N803
    planned: list[tuple[JSON, JSON]] = []
    for index, entry in enumerate(dispositionInputs):
        line = _need(_get(shop, entry["reverseFulfillmentOrderLineItemId"], "ReverseFulfillmentOrderLineItem"),
                     "Reverse fulfillment order line item", ["dispositionInputs", str(index)])
        done = sum(d["quantity"] for d in line["dispositions"]) + sum(
            d["quantity"] for other, d in planned if other is line)
        if entry["quantity"] > line["totalQuantity"] - done:
            raise UserError("Quantity exceeds what is left to dispose", ["dispositionInputs", str(index), "quantity"])
        if entry["dispositionType"] == "RESTOCKED" and not entry.get("locationId"):
            raise UserError("A location is required to restock", ["dispositionInputs", str(index), "locationId"])
        planned.append((line, {"__typename": "ReverseFulfillmentOrderDisposition", "id": shop.new_id("Disposition"),
                               "quantity": entry["quantity"], "type": entry["dispositionType"]}))
    for line, disposition in planned:
        line["dispositions"].append(disposition)
    return {"reverseFulfillmentOrderLineItems": [line for line, _ in planned], "userErrors": []}


def _process(standin: Emitter, shop: ShopState, input: JSON) -> JSON:  # noqa: A002
    ret = _need(_get(shop, input["returnId"], "Return"), "Return", ["input", "returnId"])
    _return_status(ret, ("OPEN",), "processed")
    order = ret["order"]
    lines = []
    for index, item in enumerate(input.get("returnLineItems") or []):
        line = _get(shop, item["id"], "ReturnLineItem")
        if line is None or line not in ret["returnLineItems"]:
            raise UserError("Return line item does not belong to the return", ["input", "returnLineItems", str(index)])
        if item["quantity"] > line["quantity"] - line["processedQuantity"]:
            raise UserError("Quantity exceeds the unprocessed quantity",
                            ["input", "returnLineItems", str(index), "quantity"], "INVALID")
        lines.append((line, item["quantity"]))
    exchanges = []
    for index, item in enumerate(input.get("exchangeLineItems") or []):
        exchange = _get(shop, item["id"], "ExchangeLineItem")
        if exchange is None or item["quantity"] > exchange["quantity"] - exchange["processedQuantity"]:
            raise UserError("Exchange line item cannot be processed", ["input", "exchangeLineItems", str(index)])
        exchanges.append((exchange, item["quantity"]))
    issue = (input.get("financialTransfer") or {}).get("issueRefund")
    total, payments = Decimal(0), []
    shipping = _shipping_to_refund(shop, order, input.get("refundShipping"), ["input", "refundShipping"])
    if issue:
        for index, tx in enumerate(issue.get("orderTransactions") or []):
            parent = _need(_get(shop, tx["parentId"], "OrderTransaction"), "Transaction",
                           ["input", "financialTransfer", "issueRefund", "orderTransactions", str(index)])
            if tx["transactionAmount"]["currencyCode"] != order["presentmentCurrencyCode"]:
                raise UserError("Refund currency must be the order's presentment currency",
                                ["input", "financialTransfer"], "INVALID")
            total += Decimal(str(tx["transactionAmount"]["amount"]))
            payments.append((parent, Decimal(str(tx["transactionAmount"]["amount"]))))
        for method in issue.get("refundMethods") or []:
            credit = method.get("storeCreditRefund")
            if credit:
                total += Decimal(str(credit["amount"]["amount"]))
        _check_not_over_refunded(order, total)
    for line, quantity in lines:
        line["processedQuantity"] += quantity
    for exchange, quantity in exchanges:
        exchange["processedQuantity"] += quantity
    if issue:
        refund = shop.make_refund(order, [(line["fulfillmentLineItem"]["lineItem"], q) for line, q in lines],
                                  total, input.get("note") or "", payments=payments, shipping=shipping)
        ret["refunds"].append(refund)
        standin.emit(shop, Webhook("refunds/create", refund_webhook(refund)))
    return {"return": ret, "userErrors": []}


def _shipping_to_refund(shop: ShopState, order: JSON, asked: JSON | None, field_path: list[str]) -> Decimal | None:
    """The shipping (before tax) a refund gives back: Shopify refuses more than is left to refund."""
    if not asked:
        return None
    left = shop.refundable_shipping(order)
    if asked.get("fullRefund"):
        amount = left
    else:
        given = asked.get("shippingRefundAmount") or {}
        raw = given.get("amount") if isinstance(given, dict) else None
        raw = raw if raw is not None else asked.get("amount")
        if isinstance(given, dict) and given.get("currencyCode") not in (None, order["presentmentCurrencyCode"]):
            raise UserError("Shipping refund currency must be the order's presentment currency", field_path)
        amount = Decimal(str(raw or 0))
    if amount > left:
        raise UserError(f"Shipping refund amount exceeds the refundable shipping ({left})", field_path, "INVALID")
    return amount if amount > 0 else None


def _check_not_over_refunded(order: JSON, adding: Decimal) -> None:
    paid = sum((Decimal(t["amountSet"]["presentmentMoney"]["amount"]) for t in order["transactions"]
                if t["kind"] in ("SALE", "CAPTURE")), Decimal(0))
    refunded = sum((Decimal(r["totalRefundedSet"]["presentmentMoney"]["amount"]) for r in order["refunds"]),
                   Decimal(0))
    if refunded + adding > paid:
        raise UserError(f"Refund amount exceeds the refundable amount ({paid - refunded})", ["input"], "INVALID")


def _close(standin: Emitter, shop: ShopState, id: str) -> JSON:  # noqa: A002
    ret = _need(_get(shop, id, "Return"), "Return", ["id"])
    _return_status(ret, ("OPEN",), "closed")
    ret["status"] = "CLOSED"
    standin.emit(shop, Webhook("returns/close", return_webhook(ret)))
    return {"return": ret, "userErrors": []}


def _cancel(standin: Emitter, shop: ShopState, id: str, notifyCustomer: bool | None = None) -> JSON:  # noqa: A002, N803
    ret = _need(_get(shop, id, "Return"), "Return", ["id"])
    _return_status(ret, ("REQUESTED", "OPEN"), "canceled")
    ret["status"] = "CANCELED"
    standin.emit(shop, Webhook("returns/cancel", return_webhook(ret)))
    return {"return": ret, "userErrors": []}


def _refund_create(standin: Emitter, shop: ShopState, input: JSON) -> JSON:  # noqa: A002
    order = _need(shop.order(input["orderId"]), "Order", ["input", "orderId"])
    if order["presentmentCurrencyCode"] != order["currencyCode"] and input.get("currency") != order[
            "presentmentCurrencyCode"]:
        raise UserError("currency must be the order's presentment currency", ["input", "currency"])
    payments = [(_need(_get(shop, t["parentId"], "OrderTransaction"), "Transaction", ["input", "transactions"]),
                 Decimal(str(t["amount"]))) for t in input.get("transactions") or []]
    total = sum((amount for _paid, amount in payments), Decimal(0))
    _check_not_over_refunded(order, total)
    shipping = _shipping_to_refund(shop, order, input.get("shipping"), ["input", "shipping"])
    lines = [(_need(_get(shop, item["lineItemId"], "LineItem"), "Line item", ["input", "refundLineItems"]),
              item["quantity"]) for item in input.get("refundLineItems") or []]
    refund = shop.make_refund(order, lines, total, input.get("note") or "", payments=payments, shipping=shipping)
    standin.emit(shop, Webhook("refunds/create", refund_webhook(refund)))
    return {"refund": refund, "order": order, "userErrors": []}


def _store_credit(_s: Emitter, shop: ShopState, id: str, creditInput: JSON) -> JSON:  # noqa: A002, N803
    customer = _need(_get(shop, id, "Customer"), "Customer", ["id"])
    amount = creditInput["creditAmount"]
    accounts = customer.setdefault("storeCreditAccounts", {})
    account = accounts.get(amount["currencyCode"]) or shop.keep("StoreCreditAccount", {
        "balance": money(0, amount["currencyCode"])})
    accounts[amount["currencyCode"]] = account
    balance = Decimal(account["balance"]["amount"]) + Decimal(str(amount["amount"]))
    account["balance"] = money(balance, amount["currencyCode"])
    transaction = shop.keep("StoreCreditAccountCreditTransaction", {
        "amount": money(amount["amount"], amount["currencyCode"]), "account": account})
    return {"storeCreditAccountTransaction": transaction, "userErrors": []}


def _metafields_set(_s: Emitter, shop: ShopState, metafields: list[JSON]) -> JSON:
    made = []
    for entry in metafields:
        owner = _need(shop.objects.get(entry["ownerId"]), "Owner", ["metafields", "ownerId"])
        metafield = {"__typename": "Metafield", "id": shop.new_id("Metafield"), "key": entry["key"],
                     "value": entry["value"]}
        owner.setdefault("metafields", {})[(entry["namespace"], entry["key"])] = metafield
        made.append(metafield)
    return {"metafields": made, "userErrors": []}


def _gift_card_create(_s: Emitter, shop: ShopState, input: JSON) -> JSON:  # noqa: A002
    code = input.get("code") or uuid.uuid4().hex[:16]
    amount = input.get("initialAmount") or {"amount": input.get("initialValue"), "currencyCode": shop.currency}
    if any(n["__typename"] == "GiftCard" and n["code"].lower() == code.lower() for n in shop.objects.values()):
        raise UserError("Code has already been taken", ["input", "code"], "TAKEN")
    card = shop.keep("GiftCard", {"code": code, "note": input.get("note"), "lastCharacters": code[-4:],
                                  "balance": money(amount["amount"], amount["currencyCode"])})
    return {"giftCard": card, "giftCardCode": code, "userErrors": []}


def _discount_create(_s: Emitter, shop: ShopState, basicCodeDiscount: JSON) -> JSON:  # noqa: N803
    code = basicCodeDiscount["code"]
    if _code_discount(_s, shop, code) is not None:
        raise UserError("Code must be unique", ["basicCodeDiscount", "code"], "TAKEN")
    node = shop.keep("DiscountCodeNode", {"codeDiscount": {
        "__typename": "DiscountCodeBasic", "title": basicCodeDiscount["title"],
        "codes": [{"__typename": "DiscountRedeemCode", "code": code}]}})
    return {"codeDiscountNode": node, "userErrors": []}


def _subscribe(_s: Emitter, shop: ShopState, topic: str, webhookSubscription: JSON) -> JSON:  # noqa: N803
    name = topic.lower().replace("_", "/", 1)
    uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
    if shop.subscriptions.get(name) == uri:
        raise UserError("Address for this topic has already been taken", ["webhookSubscription", "callbackUrl"])
    shop.subscriptions[name] = str(uri)
    return {"webhookSubscription": {"id": shop.new_id("WebhookSubscription"), "topic": topic, "uri": uri},
            "userErrors": []}


def _bulk(_s: Emitter, _shop: ShopState, query: str, **_args: Any) -> JSON:
    raise UserError("bulk operations are not offered by this stand-in: raise SHOPIFY_BULK_THRESHOLD", ["query"])


MUTATIONS: dict[str, Callable[..., Any]] = {
    "returnCreate": _return_create,
    "returnApproveRequest": _approve,
    "returnDeclineRequest": _decline,
    "reverseFulfillmentOrderDispose": _dispose,
    "returnProcess": _process,
    "returnClose": _close,
    "returnCancel": _cancel,
    "refundCreate": _refund_create,
    "storeCreditAccountCredit": _store_credit,
    "metafieldsSet": _metafields_set,
    "giftCardCreate": _gift_card_create,
    "discountCodeBasicCreate": _discount_create,
    "webhookSubscriptionCreate": _subscribe,
    "bulkOperationRunQuery": _bulk,
}
