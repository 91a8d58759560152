"""The Shopify stand-in's shop: orders, fulfillments, refunds, returns, credit, gift cards, discounts.

Objects are plain dicts named as the Admin GraphQL schema names their fields (plus
`__typename`), so the stand-in's executor answers any document with them. Mutations
change them the way Shopify documents (PLATFORMS.md B1-B2) and say which webhooks
follow. Test support: standard library only.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

JSON = dict[str, Any]
TRANSACTION_GATEWAY = "shopify_payments"


class UserError(Exception):
    """A mutation refused the way Shopify refuses: a userErrors entry, nothing changed."""

    def __init__(self, message: str, field_path: Iterable[str] = (), code: str = "INVALID") -> None:
        super().__init__(message)
        self.entry = {"field": list(field_path), "message": message, "code": code}


def money(amount: Decimal | str, currency: str) -> JSON:
    return {"amount": str(Decimal(str(amount)).quantize(Decimal("0.01"))), "currencyCode": currency}


def bag(amount: Decimal | str, currency: str, shop_currency: str | None = None, rate: Decimal = Decimal(1)) -> JSON:
    """A MoneyBag: presentment money, and the shop's money at `rate`."""
    shop_amount = Decimal(str(amount)) * rate
    return {"presentmentMoney": money(amount, currency), "shopMoney": money(shop_amount, shop_currency or currency)}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def numeric(gid: str) -> int:
    return int(str(gid).rsplit("/", 1)[-1])


@dataclass
class Webhook:
    """A delivery owed to the app: topic and REST-shaped body."""

    topic: str
    body: JSON


@dataclass
class ShopState:
    """One shop's data."""

    domain: str
    access_token: str
    currency: str = "EUR"
    name: str = "Stand-in shop"
    scopes: tuple[str, ...] = (
        "read_orders", "write_orders", "read_returns", "write_returns", "read_customers", "write_customers",
        "read_products", "read_discounts", "write_discounts", "read_gift_cards", "write_gift_cards",
        "write_store_credit_account_transactions",
    )
    objects: dict[str, JSON] = field(default_factory=dict)  # by gid
    orders: list[JSON] = field(default_factory=list)
    subscriptions: dict[str, str] = field(default_factory=dict)  # topic -> uri
    location: JSON = field(default_factory=lambda: {"__typename": "Location", "id": "gid://shopify/Location/1"})
    now: datetime = field(default_factory=lambda: datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    # Variants added to a product besides those ordered: gid -> (line of the product, title, price, tax rate)
    variants: dict[str, tuple[JSON, str, Decimal, Decimal]] = field(default_factory=dict)
    # Units on hand per variant id, as inventoryQuantity gives them (None: stock not tracked).
    stock: dict[str, int | None] = field(default_factory=dict)

    # ---- building ----

    def new_id(self, kind: str) -> str:
        return f"gid://shopify/{kind}/{next(self._ids)}"

    def keep(self, kind: str, node: JSON) -> JSON:
        node.setdefault("__typename", kind)
        node.setdefault("id", self.new_id(kind))
        self.objects[node["id"]] = node
        return node

    def tick(self) -> str:
        """A later updatedAt for each change (Shopify's sort key for a backfill)."""
        self.now += timedelta(seconds=1)
        return iso(self.now)

    def add_order(
        self, number: int, email: str, lines: Iterable[tuple[str, int, str]], *, currency: str | None = None,
        fulfillments: int = 1, refunds: int = 0, customer_id: int | None = None, tags: Iterable[str] = (),
    ) -> JSON:
        """An order paid in full, its lines shipped over `fulfillments` fulfillments, with `refunds` refunds of one unit."""
        currency = currency or self.currency
        placed = self.tick()
        customer = None
        if customer_id is not None:
            customer = self.objects.get(f"gid://shopify/Customer/{customer_id}") or self.keep("Customer", {
                "id": f"gid://shopify/Customer/{customer_id}", "firstName": "Claire", "lastName": "Martin",
                "defaultEmailAddress": {"emailAddress": email}, "metafields": {},
            })
        order: JSON = self.keep("Order", {
            "name": f"#{number}", "email": email, "processedAt": placed, "createdAt": placed, "updatedAt": placed,
            "cancelledAt": None, "currencyCode": self.currency, "presentmentCurrencyCode": currency,
            "taxesIncluded": True, "tags": list(tags), "displayFinancialStatus": "PAID", "customer": customer,
            "shippingAddress": {"zip": "75011"}, "billingAddress": {"zip": "75011"},
            "lineItems": [], "shippingLines": [], "fulfillments": [], "refunds": [], "returns": [],
            "transactions": [],
        })
        total = Decimal(0)
        for title, quantity, price in lines:
            line = self.keep("LineItem", {
                "title": title, "quantity": quantity, "sku": title.upper().replace(" ", "-")[:20],
                # Shopify's CDN address of the variant's picture (LineItem.image).
                "image": {"__typename": "Image",
                          "url": f"https://cdn.shopify.com/s/files/1/0000/0001/files/{title.lower().replace(' ', '-')}.jpg"},
                "variantTitle": "M", "variant": {"__typename": "ProductVariant", "id": self.new_id("ProductVariant")},
                "product": {"__typename": "Product", "id": self.new_id("Product"), "productType": "Robe",
                            "tags": []},
                "originalUnitPriceSet": bag(price, currency, self.currency),
                "discountAllocations": [], "taxLines": [],
            })
            order["lineItems"].append(line)
            total += Decimal(price) * quantity
        shipping = Decimal("4.90")
        order["shippingLines"].append(self.keep("ShippingLine", {
            "title": "Colissimo", "discountedPriceSet": bag(shipping, currency, self.currency), "taxLines": []}))
        total += shipping
        order["transactions"].append(self.keep("OrderTransaction", {
            "kind": "SALE", "status": "SUCCESS", "gateway": TRANSACTION_GATEWAY,
            "amountSet": bag(total, currency, self.currency), "parentTransaction": None}))
        if fulfillments:
            self._ship(order, fulfillments)
        for _ in range(refunds):
            self._refund_one_unit(order)
        self.orders.append(order)
        return order

    def _ship(self, order: JSON, count: int) -> None:
        shipments: list[list[JSON]] = [[] for _ in range(min(count, len(order["lineItems"])) or 1)]
        for index, line in enumerate(order["lineItems"]):
            shipments[index % len(shipments)].append(line)
        for lines in shipments:
            fulfillment = self.keep("Fulfillment", {
                "status": "SUCCESS", "createdAt": self.tick(), "deliveredAt": self.tick(),
                "location": self.location, "fulfillmentLineItems": [],
            })
            for line in lines:
                fulfillment["fulfillmentLineItems"].append(self.keep("FulfillmentLineItem", {
                    "quantity": line["quantity"], "lineItem": line}))
            order["fulfillments"].append(fulfillment)

    def _refund_one_unit(self, order: JSON) -> None:
        line = order["lineItems"][len(order["refunds"]) % len(order["lineItems"])]
        unit = Decimal(line["originalUnitPriceSet"]["presentmentMoney"]["amount"])
        self.make_refund(order, [(line, 1)], unit, note="Refunded by hand")

    def add_variant(self, line: JSON, title: str, price: str, tax_rate: str = "0", stock: int | None = 10) -> str:
        """Another variant of a line's product (a size, a colour) at its own price before tax, with its stock."""
        variant = self.new_id("ProductVariant")
        self.variants[variant] = (line, title, Decimal(price), Decimal(tax_rate))
        self.stock[variant] = stock
        return variant

    def exchange_line_item(self, order: JSON, variant: str, quantity: int) -> JSON:
        """The new line item Shopify makes for an exchange, priced and taxed like the variant sells."""
        currency = order["presentmentCurrencyCode"]
        if variant in self.variants:
            line, title, price, rate = self.variants[variant]
        else:
            line = next(li for li in order["lineItems"] if li["variant"]["id"] == variant)
            title, price = line["variantTitle"], Decimal(line["originalUnitPriceSet"]["presentmentMoney"]["amount"])
            taxed = sum((Decimal(t["priceSet"]["presentmentMoney"]["amount"]) for t in line["taxLines"]), Decimal(0))
            rate = Decimal(0) if not taxed else Decimal(str(line["taxLines"][0]["rate"]))
        tax = (price * quantity * rate).quantize(Decimal("0.01"))
        return self.keep("LineItem", {
            "title": line["title"], "quantity": quantity, "sku": line["sku"], "variantTitle": title,
            "image": line.get("image"),
            "variant": {"__typename": "ProductVariant", "id": variant}, "product": line["product"],
            "originalUnitPriceSet": bag(price, currency, self.currency), "discountAllocations": [],
            "taxLines": [{"__typename": "TaxLine", "title": "Tax", "rate": float(rate),
                          "ratePercentage": float(rate * 100), "priceSet": bag(tax, currency, self.currency)}]
            if tax else [],
        })

    # ---- reading ----

    def order(self, gid: str) -> JSON | None:
        node = self.objects.get(gid)
        return node if node and node["__typename"] == "Order" else None

    def search(self, query: str | None) -> list[JSON]:
        """Orders matching Shopify's search syntax for the terms the adapter uses."""
        found = list(self.orders)
        for term in (query or "").split():
            key, _, value = term.partition(":")
            value = value.strip("'\"")
            if key == "updated_at" and value.startswith(">="):
                since = datetime.fromisoformat(value[2:].strip("'\"").replace("Z", "+00:00"))
                found = [o for o in found if datetime.fromisoformat(o["updatedAt"].replace("Z", "+00:00")) >= since]
            elif key == "name":
                found = [o for o in found if o["name"] == value]
            elif key == "email":
                found = [o for o in found if o["email"].lower() == value.lower()]
        return found

    def returnable(self, order: JSON) -> list[JSON]:
        """ReturnableFulfillment nodes: fulfilled units not in a live return yet."""
        taken: dict[str, int] = {}
        for ret in order["returns"]:
            if ret["status"] in ("DECLINED", "CANCELED"):
                continue
            for item in ret["returnLineItems"]:
                fli = item["fulfillmentLineItem"]["id"]
                taken[fli] = taken.get(fli, 0) + item["quantity"]
        result = []
        for fulfillment in order["fulfillments"]:
            if fulfillment["status"] != "SUCCESS":
                continue
            lines = [{"__typename": "ReturnableFulfillmentLineItem", "fulfillmentLineItem": fli,
                      "quantity": fli["quantity"] - taken.get(fli["id"], 0)}
                     for fli in fulfillment["fulfillmentLineItems"]]
            lines = [line for line in lines if line["quantity"] > 0]
            if lines:
                result.append({"__typename": "ReturnableFulfillment",
                               "id": f"gid://shopify/ReturnableFulfillment/{numeric(fulfillment['id'])}",
                               "fulfillment": fulfillment, "returnableFulfillmentLineItems": lines})
        return result

    # ---- changing ----

    def make_refund(self, order: JSON, lines: Iterable[tuple[JSON, int]], amount: Decimal, note: str,
                    parent: JSON | None = None, *, payments: Iterable[tuple[JSON, Decimal]] | None = None,
                    shipping: Decimal | None = None) -> JSON:
        """A refund as Shopify records it: the money is its transactions (one per payment refunded,
        `totalRefundedSet` their sum); the lines and the shipping are priced by Shopify from the order."""
        currency = order["presentmentCurrencyCode"]
        if payments is None:
            parent = parent or next(t for t in order["transactions"] if t["kind"] in ("SALE", "CAPTURE"))
            payments = [(parent, amount)]
        transactions = [self.keep("OrderTransaction", {
            "kind": "REFUND", "status": "SUCCESS", "gateway": paid["gateway"],
            "amountSet": bag(part, currency, order["currencyCode"]), "parentTransaction": paid,
        }) for paid, part in payments]
        money_back = sum((Decimal(t["amountSet"]["presentmentMoney"]["amount"]) for t in transactions), Decimal(0))
        refund = self.keep("Refund", {
            "note": note, "createdAt": self.tick(), "totalRefundedSet": bag(money_back, currency, order["currencyCode"]),
            "refundLineItems": [self._refund_line(order, line, q) for line, q in lines],
            "refundShippingLines": [self._refund_shipping(order, shipping)] if shipping else [],
            "transactions": transactions, "order": order,
        })
        order["transactions"].extend(transactions)
        order["refunds"].append(refund)
        order["updatedAt"] = self.tick()
        return refund

    def _refund_line(self, order: JSON, line: JSON, quantity: int) -> JSON:
        """Shopify prices a refunded line from the order: its share of the discounted price and tax,
        the last units taking what is left so a line refunded in steps gives back exactly its total."""
        currency = order["presentmentCurrencyCode"]
        before = sum(item["quantity"] for refund in order["refunds"] for item in refund["refundLineItems"]
                     if item["lineItem"] is line)
        price = Decimal(line["originalUnitPriceSet"]["presentmentMoney"]["amount"]) * line["quantity"] - sum(
            (Decimal(d["allocatedAmountSet"]["presentmentMoney"]["amount"]) for d in line["discountAllocations"]),
            Decimal(0))
        tax = sum((Decimal(t["priceSet"]["presentmentMoney"]["amount"]) for t in line["taxLines"]), Decimal(0))

        def share(whole: Decimal) -> Decimal:
            cents = int(whole * 100)
            return Decimal(cents * (before + quantity) // line["quantity"] - cents * before // line["quantity"]) / 100

        subtotal = share(price)
        return self.keep("RefundLineItem", {
            "quantity": quantity, "lineItem": line, "restockType": "RETURN", "restocked": True,
            "subtotalSet": bag(subtotal, currency, order["currencyCode"]),
            "priceSet": bag(Decimal(line["originalUnitPriceSet"]["presentmentMoney"]["amount"]), currency,
                            order["currencyCode"]),
            "totalTaxSet": bag(share(tax), currency, order["currencyCode"]),
        })

    def refundable_shipping(self, order: JSON) -> Decimal:
        """The order's shipping (before tax) not refunded yet."""
        charged = sum((Decimal(s["discountedPriceSet"]["presentmentMoney"]["amount"]) for s in order["shippingLines"]),
                      Decimal(0))
        refunded = sum((Decimal(r["subtotalAmountSet"]["presentmentMoney"]["amount"])
                        for refund in order["refunds"] for r in refund.get("refundShippingLines") or []), Decimal(0))
        return charged - refunded

    def _refund_shipping(self, order: JSON, amount: Decimal) -> JSON:
        """The shipping refunded before tax, and Shopify's share of the shipping's tax for it."""
        currency = order["presentmentCurrencyCode"]
        line = order["shippingLines"][0]
        price = Decimal(line["discountedPriceSet"]["presentmentMoney"]["amount"])
        tax = sum((Decimal(t["priceSet"]["presentmentMoney"]["amount"]) for t in line["taxLines"]), Decimal(0))
        share = (tax * amount / price).quantize(Decimal("0.01")) if price else Decimal(0)
        return self.keep("RefundShippingLine", {
            "shippingLine": line, "subtotalAmountSet": bag(amount, currency, order["currencyCode"]),
            "taxAmountSet": bag(share, currency, order["currencyCode"]),
        })


def refund_webhook(refund: JSON) -> JSON:
    """The REST body of refunds/create for a refund."""
    order = refund["order"]
    amount = refund["totalRefundedSet"]["presentmentMoney"]
    return {
        "id": numeric(refund["id"]), "admin_graphql_api_id": refund["id"], "order_id": numeric(order["id"]),
        "note": refund["note"], "created_at": refund["createdAt"],
        "refund_line_items": [{"id": numeric(item["id"]), "quantity": item["quantity"],
                               "line_item_id": numeric(item["lineItem"]["id"])} for item in refund["refundLineItems"]],
        "transactions": [{"kind": "refund", "status": "success", "amount": amount["amount"],
                          "currency": amount["currencyCode"]}],
    }


def return_webhook(ret: Mapping[str, Any]) -> JSON:
    """The REST body of returns/* for a return."""
    order = ret["order"]
    return {
        "id": numeric(ret["id"]), "admin_graphql_api_id": ret["id"], "status": str(ret["status"]).lower(),
        "name": ret["name"], "order": {"id": numeric(order["id"]), "admin_graphql_api_id": order["id"]},
        "total_return_line_items": len(ret["returnLineItems"]),
        "return_line_items": [{
            "id": numeric(item["id"]), "quantity": item["quantity"], "return_reason": "other",
            "return_reason_note": item["returnReasonNote"], "customer_note": item["customerNote"],
            "fulfillment_line_item": {"id": numeric(item["fulfillmentLineItem"]["id"]), "line_item": {
                "id": numeric(item["fulfillmentLineItem"]["lineItem"]["id"]),
                "admin_graphql_api_id": item["fulfillmentLineItem"]["lineItem"]["id"]}},
        } for item in ret["returnLineItems"]],
    }
