"""Shopify JSON (GraphQL nodes and REST-shaped webhooks) to domain orders and port events. Imports domain and ports.

Rules both shapes follow, so one order gives one domain Order whichever way it came:
- ids are Shopify's numeric ids as strings, taken from the `gid://shopify/...` id
  (webhooks: `admin_graphql_api_id`), because numeric JSON ids can lose precision
  in tools that read them as floats;
- amounts are the presentment money (what the customer paid, in their currency);
  `Order.currency` is the presentment currency and `shop_currency` the shop's;
- a line's discount is the sum of its discount allocations (line and order-level
  discounts alike), its tax the sum of its tax lines;
- fulfilled quantities come from successful fulfillments, refunded quantities and
  the refunded total from the refunds already made;
- `delivered_at`: GraphQL has `Fulfillment.deliveredAt`; REST payloads only carry
  `shipment_status: "delivered"`, so there the fulfillment's `updated_at` stands in.
- product type and tags exist only in GraphQL (REST line items do not carry them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.domain.money import Money
from connector.domain.orders import Customer, Order, OrderLine, ShippingLine
from connector.domain.shops import language_of
from connector.ports import (
    AppUninstalled,
    BadWebhook,
    CustomerDataRequested,
    CustomerRedactRequested,
    Ignored,
    OrderChanged,
    OrderDeleted,
    OrderRefreshRequested,
    PlatformEvent,
    PlatformReturnRequested,
    PlatformReturnStatusChanged,
    RefundRecorded,
    ShopRedactRequested,
)

PLATFORM = "shopify"
JSON = Mapping[str, Any]

ORDER_TOPICS = frozenset({
    "orders/create", "orders/updated", "orders/cancelled", "orders/fulfilled",
    "orders/paid", "orders/partially_fulfilled",
})
RETURN_STATUS_TOPICS = {
    "returns/approve": "approved",
    "returns/decline": "rejected",
    "returns/cancel": "cancelled",
    "returns/close": "closed",
}


# ---- ids ----

def numeric_id(value: object) -> str:
    """'gid://shopify/Order/123' or 123 -> '123'."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a Shopify id: {value!r}")
    text = str(value)
    if text.startswith("gid://"):
        text = text.rsplit("/", 1)[-1].split("?", 1)[0]
    if not text.isdigit():
        raise ValueError(f"not a Shopify id: {value!r}")
    return text


def gid(kind: str, value: object) -> str:
    """'Order', '123' -> 'gid://shopify/Order/123' (accepts a gid as it is)."""
    return f"gid://shopify/{kind}/{numeric_id(value)}"


def _rest_id(obj: JSON) -> str:
    # Prefer the gid: its digits are a string, never rounded by a float parser.
    return numeric_id(obj.get("admin_graphql_api_id") or obj["id"])


def _optional_id(value: object) -> str | None:
    return None if value in (None, "") else numeric_id(value)


# ---- scalars ----

def _when(value: object) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _required_when(value: object) -> datetime:
    moment = _when(value)
    if moment is None:
        raise ValueError("missing date")
    return moment


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def _gql_money(bag: JSON | None, currency: str) -> Money:
    """Presentment money of a GraphQL MoneyBag."""
    if not bag:
        return Money.zero(currency)
    money = bag["presentmentMoney"]
    return Money(_decimal(money["amount"]), money.get("currencyCode") or currency)


def _rest_money(price_set: JSON | None, currency: str) -> Money:
    """Presentment money of a REST `*_set` {shop_money, presentment_money}."""
    if not price_set:
        return Money.zero(currency)
    money = price_set["presentment_money"]
    return Money(_decimal(money["amount"]), money.get("currency_code") or currency)


def _sum(amounts: Iterable[Money], currency: str) -> Money:
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result


def _nodes(connection: JSON | None) -> list[JSON]:
    if not connection:
        return []
    if "nodes" in connection:
        return list(connection["nodes"] or [])
    return [edge["node"] for edge in connection.get("edges") or []]


def _tags(raw: object) -> tuple[str, ...]:
    items = raw.split(",") if isinstance(raw, str) else list(raw or [])  # type: ignore[call-overload]
    return tuple(t.strip() for t in items if isinstance(t, str) and t.strip())


def _latest(moments: Iterable[datetime | None]) -> datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None


# ---- orders from GraphQL ----

def _https(url: object) -> str:
    """A picture's address as the common model keeps it: https only, else none."""
    return url if isinstance(url, str) and url.startswith("https://") and len(url) <= 1000 else ""


def order_from_graphql(node: JSON) -> Order:
    """A GraphQL `Order` (queries.ORDER_FIELDS) as a domain Order."""
    currency = node["presentmentCurrencyCode"]
    taxes_included = bool(node.get("taxesIncluded"))
    fulfillments = [f for f in node.get("fulfillments") or [] if f.get("status") == "SUCCESS"]
    fulfilled: dict[str, int] = {}
    for fulfillment in fulfillments:
        for item in _nodes(fulfillment.get("fulfillmentLineItems")):
            line_id = numeric_id(item["lineItem"]["id"])
            fulfilled[line_id] = fulfilled.get(line_id, 0) + int(item.get("quantity") or 0)
    refunds = node.get("refunds") or []
    refunded: dict[str, int] = {}
    for refund in refunds:
        for item in _nodes(refund.get("refundLineItems")):
            line_id = numeric_id(item["lineItem"]["id"])
            refunded[line_id] = refunded.get(line_id, 0) + int(item["quantity"])

    lines = []
    for item in _nodes(node.get("lineItems")):
        line_id = numeric_id(item["id"])
        product = item.get("product") or {}
        lines.append(OrderLine(
            platform_line_id=line_id,
            title=item["title"],
            quantity=int(item["quantity"]),
            unit_price=_gql_money(item["originalUnitPriceSet"], currency),
            discount=_sum((_gql_money(d["allocatedAmountSet"], currency) for d in item.get("discountAllocations") or []), currency),
            tax=_sum((_gql_money(t["priceSet"], currency) for t in item.get("taxLines") or []), currency),
            sku=item.get("sku") or "",
            product_id=_optional_id(product.get("id")),
            variant_id=_optional_id((item.get("variant") or {}).get("id")),
            variant_title=item.get("variantTitle") or "",
            image_url=_https((item.get("image") or {}).get("url")),
            product_type=product.get("productType") or "",
            product_tags=_tags(product.get("tags")),
            fulfilled_quantity=fulfilled.get(line_id, 0),
            refunded_quantity=refunded.get(line_id, 0),
            taxes_included=taxes_included,
        ))
    shipping = tuple(
        ShippingLine(
            title=s["title"],
            price=_gql_money(s["discountedPriceSet"], currency),
            tax=_sum((_gql_money(t["priceSet"], currency) for t in s.get("taxLines") or []), currency),
        )
        for s in _nodes(node.get("shippingLines"))
    )
    customer = node.get("customer") or {}
    address = node.get("shippingAddress") or node.get("billingAddress") or {}
    email = node.get("email") or ((customer.get("defaultEmailAddress") or {}).get("emailAddress")) or ""
    return Order(
        platform=PLATFORM,
        platform_order_id=numeric_id(node["id"]),
        name=node["name"],
        currency=currency,
        customer=Customer(
            platform_customer_id=_optional_id(customer.get("id")),
            email=email,
            first_name=customer.get("firstName") or "",
            last_name=customer.get("lastName") or "",
            postal_code=address.get("zip") or "",
            locale=language_of(str(node.get("customerLocale") or "")),
        ),
        placed_at=_required_when(node.get("processedAt") or node.get("createdAt")),
        lines=tuple(lines),
        fulfilled_at=_latest(_when(f.get("createdAt")) for f in fulfillments),
        delivered_at=_latest(_when(f.get("deliveredAt")) for f in fulfillments),
        cancelled_at=_when(node.get("cancelledAt")),
        shipping_lines=shipping,
        tags=_tags(node.get("tags")),
        financial_status=str(node.get("displayFinancialStatus") or "").lower(),
        refunded=_sum((_gql_money(r.get("totalRefundedSet"), currency) for r in refunds), currency),
        updated_at=_when(node.get("updatedAt")),
        shop_currency=node.get("currencyCode") or None,
    )


# ---- orders from REST-shaped webhooks ----

def _successful_refund_total(transactions: Iterable[JSON], currency: str) -> Money:
    # A refund's money is its successful `refund` transactions (REST has no total field).
    return _sum(
        (
            Money(_decimal(t["amount"]), t.get("currency") or currency)
            for t in transactions
            if t.get("kind") == "refund" and t.get("status") == "success"
        ),
        currency,
    )


def order_from_webhook(payload: JSON) -> Order:
    """An `orders/*` webhook body (REST Order resource) as a domain Order."""
    currency = payload.get("presentment_currency") or payload["currency"]
    taxes_included = bool(payload.get("taxes_included"))
    fulfillments = [f for f in payload.get("fulfillments") or [] if f.get("status") == "success"]
    fulfilled: dict[str, int] = {}
    for fulfillment in fulfillments:
        for item in fulfillment.get("line_items") or []:
            line_id = _rest_id(item)
            fulfilled[line_id] = fulfilled.get(line_id, 0) + int(item.get("quantity") or 0)
    refunds = payload.get("refunds") or []
    refunded: dict[str, int] = {}
    for refund in refunds:
        for item in refund.get("refund_line_items") or []:
            nested = item.get("line_item") or {}
            line_id = _rest_id(nested) if nested else numeric_id(item["line_item_id"])
            refunded[line_id] = refunded.get(line_id, 0) + int(item["quantity"])

    lines = []
    for item in payload.get("line_items") or []:
        line_id = _rest_id(item)
        lines.append(OrderLine(
            platform_line_id=line_id,
            title=item["title"],
            quantity=int(item["quantity"]),
            unit_price=_rest_money(item.get("price_set"), currency)
            if item.get("price_set") else Money(_decimal(item["price"]), currency),
            discount=_sum((_rest_money(d["amount_set"], currency) for d in item.get("discount_allocations") or []), currency),
            tax=_sum((_rest_money(t["price_set"], currency) for t in item.get("tax_lines") or []), currency),
            sku=item.get("sku") or "",
            product_id=_optional_id(item.get("product_id")),
            variant_id=_optional_id(item.get("variant_id")),
            variant_title=item.get("variant_title") or "",
            fulfilled_quantity=fulfilled.get(line_id, 0),
            refunded_quantity=refunded.get(line_id, 0),
            taxes_included=taxes_included,
        ))
    shipping = tuple(
        ShippingLine(
            title=s["title"],
            price=_rest_money(s.get("discounted_price_set"), currency)
            if s.get("discounted_price_set") else Money(_decimal(s.get("discounted_price") or s["price"]), currency),
            tax=_sum((_rest_money(t["price_set"], currency) for t in s.get("tax_lines") or []), currency),
        )
        for s in payload.get("shipping_lines") or []
        if not s.get("is_removed")
    )
    customer = payload.get("customer") or {}
    address = payload.get("shipping_address") or payload.get("billing_address") or {}
    email = payload.get("email") or payload.get("contact_email") or customer.get("email") or ""
    customer_id = customer.get("admin_graphql_api_id") or customer.get("id")
    return Order(
        platform=PLATFORM,
        platform_order_id=_rest_id(payload),
        name=payload["name"],
        currency=currency,
        customer=Customer(
            platform_customer_id=_optional_id(customer_id),
            email=email,
            first_name=customer.get("first_name") or "",
            last_name=customer.get("last_name") or "",
            postal_code=address.get("zip") or "",
            locale=language_of(str(payload.get("customer_locale") or "")),
        ),
        placed_at=_required_when(payload.get("processed_at") or payload.get("created_at")),
        lines=tuple(lines),
        fulfilled_at=_latest(_when(f.get("created_at")) for f in fulfillments),
        delivered_at=_latest(
            _when(f.get("updated_at")) for f in fulfillments if f.get("shipment_status") == "delivered"
        ),
        cancelled_at=_when(payload.get("cancelled_at")),
        shipping_lines=shipping,
        tags=_tags(payload.get("tags")),
        financial_status=str(payload.get("financial_status") or "").lower(),
        refunded=_sum((_successful_refund_total(r.get("transactions") or [], currency) for r in refunds), currency),
        updated_at=_when(payload.get("updated_at")),
        shop_currency=payload.get("currency") or None,
    )


# ---- other webhook topics ----

def _presentment_currency(obj: object) -> str | None:
    """The first presentment currency code found anywhere in a REST payload."""
    if isinstance(obj, Mapping):
        money = obj.get("presentment_money")
        if isinstance(money, Mapping) and money.get("currency_code"):
            return str(money["currency_code"])
        children: Iterable[object] = obj.values()
    elif isinstance(obj, list):
        children = obj
    else:
        return None
    for child in children:
        found = _presentment_currency(child)
        if found:
            return found
    return None


def refund_from_webhook(payload: JSON) -> RefundRecorded:
    transactions = payload.get("transactions") or []
    currency = next((t["currency"] for t in transactions if t.get("currency")), None)
    currency = currency or _presentment_currency(payload)
    if not currency:
        raise ValueError("refund without any currency")
    return RefundRecorded(
        platform_order_id=numeric_id(payload["order_id"]),
        platform_refund_id=_rest_id(payload),
        amount=_successful_refund_total(transactions, currency),
        note=payload.get("note") or "",
    )


def _return_line(line_item_id: object, quantity: int | str, reason: object, customer_note: object,
                 reason_note: object) -> tuple[str, int, str, str]:
    """One line of a PlatformReturnRequested, the same whichever shape it came in.

    The reason is the return reason definition's handle when there is one, and the note
    the shopper's own words, else the reason note.
    """
    return numeric_id(line_item_id), int(quantity), str(reason or ""), str(customer_note or reason_note or "")


def _return_requested(order_id: str, return_id: str,
                      lines: Iterable[tuple[str, int, str, str]]) -> PlatformReturnRequested:
    return PlatformReturnRequested(platform_order_id=order_id, platform_return_id=return_id, lines=tuple(lines))


def return_requested_from_webhook(payload: JSON) -> PlatformReturnRequested:
    order = payload.get("order") or {}
    order_id = _rest_id(order) if order else numeric_id(payload["order_id"])
    lines = []
    for item in payload.get("return_line_items") or []:
        line_item = (item.get("fulfillment_line_item") or {}).get("line_item") or {}
        definition = item.get("return_reason_definition") or {}
        lines.append(_return_line(
            line_item.get("admin_graphql_api_id") or line_item["id"], item["quantity"],
            definition.get("handle") or item.get("return_reason"),
            item.get("customer_note"), item.get("return_reason_note"),
        ))
    return _return_requested(order_id, _rest_id(payload), lines)


# Shopify's ReturnStatus as the status the returns/* webhook of that change reports.
RETURN_STATUS_BY_STATE = {
    "OPEN": RETURN_STATUS_TOPICS["returns/approve"],
    "DECLINED": RETURN_STATUS_TOPICS["returns/decline"],
    "CANCELED": RETURN_STATUS_TOPICS["returns/cancel"],
    "CLOSED": RETURN_STATUS_TOPICS["returns/close"],
}


def _went_through_request(node: JSON) -> bool:
    """A return the shopper asked for (returns/request fired), not one created as OPEN."""
    return node.get("status") == "REQUESTED" or bool(node.get("requestApprovedAt")) or bool(node.get("decline"))


def return_events_from_graphql(platform_order_id: str, node: JSON) -> list[PlatformEvent]:
    """A GraphQL `Return` (queries.RECONCILE_RETURN_FIELDS) as the events its webhooks would have given.

    A return the shopper requested gives PlatformReturnRequested (what returns/request
    says), then, once it moved on, the status its returns/* webhook reports (approve,
    decline, cancel, close). A return created as OPEN (by us, or by the merchant in the
    admin) never had a returns/request: only its status, as its webhooks would.
    """
    return_id = numeric_id(node["id"])
    events: list[PlatformEvent] = []
    if _went_through_request(node):
        lines = []
        for item in _nodes(node.get("returnLineItems")):
            fulfilled = item.get("fulfillmentLineItem")
            if not fulfilled:
                continue  # an unverified line (no fulfillment): the webhook carries none either
            definition = item.get("returnReasonDefinition") or {}
            lines.append(_return_line(fulfilled["lineItem"]["id"], item["quantity"], definition.get("handle"),
                                      item.get("customerNote"), item.get("returnReasonNote")))
        events.append(_return_requested(platform_order_id, return_id, lines))
    status = RETURN_STATUS_BY_STATE.get(str(node.get("status") or ""))
    if status is not None:
        events.append(PlatformReturnStatusChanged(return_id, status))
    return events


def parse_event(topic: str, payload: JSON) -> list[PlatformEvent]:
    """One verified webhook body as port events; raises BadWebhook when the shape is wrong."""
    try:
        return _parse(topic, payload)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadWebhook(f"{topic}: body is not the JSON this topic needs ({exc!r})") from exc


def _parse(topic: str, payload: JSON) -> list[PlatformEvent]:
    if not isinstance(payload, Mapping):
        raise TypeError("body is not a JSON object")
    if topic in ORDER_TOPICS:
        return [OrderChanged(order_from_webhook(payload))]
    if topic == "orders/delete":
        return [OrderDeleted(_rest_id(payload))]
    if topic == "orders/edited":
        # The edit payload lists what changed, not the order: read the order again.
        return [OrderRefreshRequested(numeric_id(payload["order_edit"]["order_id"]))]
    if topic == "refunds/create":
        return [refund_from_webhook(payload)]
    if topic == "returns/request":
        return [return_requested_from_webhook(payload)]
    if topic in RETURN_STATUS_TOPICS:
        return [PlatformReturnStatusChanged(_rest_id(payload), RETURN_STATUS_TOPICS[topic])]
    if topic == "app/uninstalled":
        return [AppUninstalled()]
    if topic == "customers/data_request":
        customer = payload["customer"]
        orders = payload.get("orders_requested") or []
        if not isinstance(orders, list):
            raise TypeError("orders_requested is not a list")
        return [CustomerDataRequested(
            customer_email=str(customer.get("email") or ""),
            request_id=str(payload["data_request"]["id"]),
            platform_customer_id=_optional_id(customer.get("id")) or "",
            platform_order_ids=tuple(numeric_id(o) for o in orders),
        )]
    if topic == "customers/redact":
        customer = payload["customer"]
        if not isinstance(customer, Mapping):
            raise TypeError("customer is not an object")
        orders = payload.get("orders_to_redact") or []
        if not isinstance(orders, list):
            raise TypeError("orders_to_redact is not a list")
        return [CustomerRedactRequested(
            customer_email=str(customer.get("email") or ""),
            platform_customer_id=_optional_id(customer.get("id")) or "",
            platform_order_ids=tuple(numeric_id(o) for o in orders),
        )]
    if topic == "shop/redact":
        return [ShopRedactRequested()]
    return [Ignored(topic)]
