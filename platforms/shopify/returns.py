"""Shopify's own returns (request, approve, decline, dispose, process, close, cancel) for the workflow. Imports domain, ports, client, queries, mapping.

Mirroring our returns in Shopify keeps the merchant's Shopify admin and reports right
(a return is a Sale in reports only once processed). Ids in and out are numeric
strings like everywhere in the adapter; order lines are mapped to the fulfillment
line items Shopify wants here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from connector.domain.money import Money, total
from connector.domain.orders import OrderLine
from connector.ports import PlatformError
from platforms.shopify import queries
from platforms.shopify.client import AdminClient
from platforms.shopify.mapping import gid, numeric_id
from platforms.shopify.orders import rest_of_connection

DeclineReason = Literal["FINAL_SALE", "OTHER", "RETURN_PERIOD_ENDED"]
Disposition = Literal["RESTOCKED", "NOT_RESTOCKED", "PROCESSING_REQUIRED", "MISSING"]


@dataclass(frozen=True)
class ReturnLine:
    """A line to return: the order line, how many, and the shopper's words."""

    order_line_id: str
    quantity: int
    note: str = ""


@dataclass(frozen=True)
class ShopifyReturn:
    id: str
    name: str
    status: str  # requested, open, declined, closed, canceled
    # (return line item id, order line id, quantity)
    lines: tuple[tuple[str, str, int], ...] = ()
    # (reverse fulfillment order line item id, order line id, quantity): what dispose takes
    reverse_lines: tuple[tuple[str, str, int], ...] = ()
    # Parallel to `lines`: the notes written on each line (our reference lives there)
    # and how many units of it returnProcess already confirmed.
    notes: tuple[str, ...] = ()
    processed: tuple[int, ...] = ()
    # Parallel to `reverse_lines`: units already disposed (restocked, not restocked, missing).
    disposed: tuple[int, ...] = ()
    # (exchange line item id, variant id, quantity, processed quantity)
    exchange_lines: tuple[tuple[str, str, int, int], ...] = ()

    def carries(self, reference: str) -> bool:
        """Whether one of its lines carries our return reference (so it is ours to adopt)."""
        return any(reference in note for note in self.notes)


def _line_item_id(item: Mapping[str, Any]) -> str:
    line_item = ((item.get("fulfillmentLineItem") or {}).get("lineItem") or {}).get("id")
    return numeric_id(line_item) if line_item else ""


def _return_from(node: Mapping[str, Any]) -> ShopifyReturn:
    lines, notes, processed = [], [], []
    for item in (node.get("returnLineItems") or {}).get("nodes") or []:
        lines.append((numeric_id(item["id"]), _line_item_id(item), int(item["quantity"])))
        notes.append(" ".join(str(item.get(k) or "") for k in ("returnReasonNote", "customerNote")).strip())
        processed.append(int(item.get("processedQuantity") or 0))
    reverse, disposed = [], []
    for order in (node.get("reverseFulfillmentOrders") or {}).get("nodes") or []:
        for item in (order.get("lineItems") or {}).get("nodes") or []:
            reverse.append((numeric_id(item["id"]), _line_item_id(item), int(item["totalQuantity"])))
            disposed.append(sum(int(d.get("quantity") or 0) for d in item.get("dispositions") or []))
    exchanges = [
        (numeric_id(item["id"]), numeric_id(item["variantId"]) if item.get("variantId") else "",
         int(item["quantity"]), int(item.get("processedQuantity") or 0))
        for item in (node.get("exchangeLineItems") or {}).get("nodes") or []
    ]
    return ShopifyReturn(
        id=numeric_id(node["id"]),
        name=str(node.get("name") or ""),
        status=str(node.get("status") or "").lower(),
        lines=tuple(lines),
        reverse_lines=tuple(reverse),
        notes=tuple(notes),
        processed=tuple(processed),
        disposed=tuple(disposed),
        exchange_lines=tuple(exchanges),
    )


class ShopifyReturns:
    """Shopify returns of one shop."""

    def __init__(self, client: AdminClient) -> None:
        self.client = client

    def returnable(self, order_id: str) -> dict[str, list[tuple[str, int]]]:
        """Order line id -> [(fulfillment line item id, returnable quantity)], every fulfillment and line."""
        result: dict[str, list[tuple[str, int]]] = {}
        after: str | None = None
        while True:
            data = self.client.execute(
                queries.RETURNABLE_FULFILLMENTS, {"orderId": gid("Order", order_id), "after": after}
            )
            page = data.get("returnableFulfillments") or {}
            for fulfillment in page.get("nodes") or []:
                items = rest_of_connection(
                    self.client, fulfillment.get("returnableFulfillmentLineItems"),
                    queries.RETURNABLE_FULFILLMENT_LINES, str(fulfillment["id"]),
                    "returnableFulfillment", "returnableFulfillmentLineItems",
                )
                for item in items:
                    fli = item["fulfillmentLineItem"]
                    result.setdefault(numeric_id(fli["lineItem"]["id"]), []).append(
                        (numeric_id(fli["id"]), int(item["quantity"])))
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return result
            after = str(info["endCursor"])

    def create_return(
        self,
        order_id: str,
        lines: Sequence[ReturnLine],
        requested_at: datetime | None = None,
        exchanges: Sequence[tuple[str, int]] = (),
    ) -> ShopifyReturn:
        """Open an already-approved return in Shopify (returnCreate) for our approved request.

        `exchanges` are (variant id, quantity) to send in place of the returned items.
        """
        returnable = self.returnable(order_id)
        items = []
        for line in lines:
            wanted = line.quantity
            for fli_id, available in returnable.get(line.order_line_id, []):
                take = min(wanted, available)
                if take > 0:
                    items.append({
                        "fulfillmentLineItemId": gid("FulfillmentLineItem", fli_id),
                        "quantity": take,
                        "returnReasonNote": line.note[:255],
                    })
                    wanted -= take
            if wanted > 0:
                raise PlatformError(
                    f"line {line.order_line_id}: only {line.quantity - wanted} of {line.quantity} can be returned",
                    retryable=False,
                )
        return_input: dict[str, Any] = {"orderId": gid("Order", order_id), "returnLineItems": items}
        if exchanges:
            return_input["exchangeLineItems"] = [
                {"variantId": gid("ProductVariant", variant), "quantity": quantity} for variant, quantity in exchanges
            ]
        if requested_at is not None:
            return_input["requestedAt"] = requested_at.astimezone(UTC).isoformat()
        payload = self.client.mutate(queries.RETURN_CREATE, {"returnInput": return_input}, "returnCreate")
        return _return_from(self._whole(payload["return"]))

    def for_order(self, order_id: str) -> tuple[list[ShopifyReturn], str | None]:
        """The order's returns (lines and notes only) and the location it was shipped from."""
        order_gid = gid("Order", order_id)
        order = self.client.execute(queries.ORDER_RETURNS, {"id": order_gid, "after": None}).get("order")
        if not order:
            raise PlatformError(f"order {order_id} not found in Shopify", retryable=False)
        nodes = rest_of_connection(self.client, order.get("returns"), queries.ORDER_RETURNS_PAGE, order_gid,
                                   "order", "returns")
        found = [_return_from(self._whole(node)) for node in nodes]
        location = next(
            (numeric_id(f["location"]["id"]) for f in order.get("fulfillments") or []
             if f.get("location") and f.get("status") == "SUCCESS"),
            None,
        )
        return found, location

    def primary_location(self) -> str | None:
        node = self.client.execute(queries.PRIMARY_LOCATION).get("location")
        return numeric_id(node["id"]) if node else None

    def fetch(self, return_id: str) -> ShopifyReturn | None:
        node = self.client.execute(queries.RETURN_BY_ID, {"id": gid("Return", return_id)}).get("return")
        return _return_from(self._whole(node)) if node else None

    def _whole(self, node: Mapping[str, Any]) -> dict[str, Any]:
        """A return node with every line of each kind: the head holds the first few (cost limit)."""
        return_id = str(node["id"])
        whole = dict(node)
        for field, document in (("returnLineItems", queries.RETURN_LINE_ITEMS),
                                ("exchangeLineItems", queries.RETURN_EXCHANGE_LINES)):
            if field in node:
                whole[field] = {"nodes": rest_of_connection(self.client, node[field], document, return_id,
                                                            "return", field)}
        if "reverseFulfillmentOrders" in node:
            orders = rest_of_connection(self.client, node["reverseFulfillmentOrders"], queries.RETURN_REVERSE_ORDERS,
                                        return_id, "return", "reverseFulfillmentOrders")
            whole["reverseFulfillmentOrders"] = {"nodes": [
                {**order, "lineItems": {"nodes": rest_of_connection(
                    self.client, order.get("lineItems"), queries.REVERSE_ORDER_LINES, str(order["id"]),
                    "reverseFulfillmentOrder", "lineItems")}}
                for order in orders
            ]}
        return whole

    def approve(self, return_id: str, *, notify: bool = False) -> ShopifyReturn:
        payload = self.client.mutate(
            queries.RETURN_APPROVE_REQUEST,
            {"input": {"id": gid("Return", return_id), "notifyCustomer": notify}},
            "returnApproveRequest",
        )
        return _return_from(self._whole(payload["return"]))

    def decline(self, return_id: str, reason: DeclineReason, note: str = "", *, notify: bool = False) -> str:
        payload = self.client.mutate(
            queries.RETURN_DECLINE_REQUEST,
            {"input": {"id": gid("Return", return_id), "declineReason": reason,
                       "declineNote": note[:500], "notifyCustomer": notify}},
            "returnDeclineRequest",
        )
        return str(payload["return"]["status"]).lower()

    def dispose(self, items: Sequence[tuple[str, int, Disposition, str | None]]) -> None:
        """(reverse fulfillment order line item id, quantity, disposition, location id if restocked)."""
        inputs = []
        for item_id, quantity, disposition, location_id in items:
            entry: dict[str, Any] = {
                "reverseFulfillmentOrderLineItemId": gid("ReverseFulfillmentOrderLineItem", item_id),
                "quantity": quantity,
                "dispositionType": disposition,
            }
            if location_id:
                entry["locationId"] = gid("Location", location_id)
            elif disposition == "RESTOCKED":
                raise PlatformError("restocking needs the location to restock at", retryable=False)
            inputs.append(entry)
        self.client.mutate(
            queries.REVERSE_FULFILLMENT_ORDER_DISPOSE, {"dispositionInputs": inputs}, "reverseFulfillmentOrderDispose"
        )

    def process(
        self,
        return_id: str,
        lines: Sequence[tuple[str, int]],
        *,
        refunds: Sequence[tuple[str, Money]] = (),
        store_credit: Money | None = None,
        exchanges: Sequence[tuple[str, int]] = (),
        note: str = "",
        notify: bool = False,
        shipping: Money | None = None,
    ) -> tuple[str, list[tuple[str, str]]]:
        """Confirm returned lines ((return line item id, quantity)) and optionally refund.

        `refunds` are (parent CAPTURE/SALE transaction id, amount): Shopify recommends
        refunding returns here rather than with a bare refundCreate. `store_credit` pays
        back as store credit instead (refundMethods); `exchanges` are (exchange line item
        id, quantity) to confirm, which creates their fulfillment orders.
        Returns the status and the return's refunds as (refund id, note).
        """
        process_input: dict[str, Any] = {
            "returnId": gid("Return", return_id),
            "returnLineItems": [{"id": gid("ReturnLineItem", li), "quantity": q} for li, q in lines],
            "notifyCustomer": notify,
        }
        if exchanges:
            process_input["exchangeLineItems"] = [
                {"id": gid("ExchangeLineItem", li), "quantity": q} for li, q in exchanges
            ]
        if note:
            process_input["note"] = note
        if shipping is not None and not shipping.is_zero():
            # The order's own shipping, before tax, in the presentment currency (Shopify adds its tax).
            process_input["refundShipping"] = {"shippingRefundAmount": {
                "amount": str(shipping.amount), "currencyCode": shipping.currency}}
        if refunds or store_credit is not None:
            issue: dict[str, Any] = {"orderTransactions": [
                {"parentId": gid("OrderTransaction", parent),
                 "transactionAmount": {"amount": str(money.amount), "currencyCode": money.currency}}
                for parent, money in refunds
            ]}
            if store_credit is not None:
                issue["refundMethods"] = [{"storeCreditRefund": {"amount": {
                    "amount": str(store_credit.amount), "currencyCode": store_credit.currency}}}]
            process_input["financialTransfer"] = {"issueRefund": issue}
        try:
            payload = self.client.mutate(queries.RETURN_PROCESS, {"input": process_input}, "returnProcess")
        except PlatformError:
            # returnProcess takes no idempotency key. When its answer was lost (a timeout
            # the client retried, which Shopify then refuses: the lines are processed),
            # the refund carrying our note is the proof it went through: report it
            # instead of failing a push that succeeded.
            if note and (refunds or store_credit is not None):
                status, made = self._refunds(return_id)
                if any(note in made_note for _id, made_note in made):
                    return status, made
            raise
        node = payload["return"]
        made = [(numeric_id(r["id"]), str(r.get("note") or ""))
                for r in ((node.get("refunds") or {}).get("nodes") or [])]
        return str(node["status"]).lower(), made

    def exchange_total(self, return_id: str, exchange_ids: Sequence[str], currency: str) -> Money:
        """What the shopper pays for the new items of these exchange lines, tax included, as Shopify priced them."""
        node = self.client.execute(queries.RETURN_EXCHANGE_PRICES, {"id": gid("Return", return_id)}).get("return")
        if not node:
            raise PlatformError(f"the Shopify return {return_id} disappeared", retryable=True)
        taxes_included = bool((node.get("order") or {}).get("taxesIncluded"))
        wanted = set(exchange_ids)
        items = [
            item for line in rest_of_connection(self.client, node.get("exchangeLineItems"),
                                                queries.RETURN_EXCHANGE_PRICES, str(node["id"]), "return",
                                                "exchangeLineItems")
            if numeric_id(line["id"]) in wanted for item in line.get("lineItems") or []
        ]
        if not items and wanted:
            raise PlatformError(f"Shopify has not priced the exchange of return {return_id} yet", retryable=True)

        def price(bag: Mapping[str, Any]) -> Money:
            money = bag["presentmentMoney"]
            if money["currencyCode"] != currency:
                raise PlatformError(f"the exchange is priced in {money['currencyCode']}, not {currency}",
                                    retryable=False)
            return Money.of(money["amount"], currency)

        return total((OrderLine(
            platform_line_id=numeric_id(item["id"]), title="", quantity=int(item["quantity"]),
            unit_price=price(item["originalUnitPriceSet"]),
            discount=total((price(d["allocatedAmountSet"]) for d in item.get("discountAllocations") or []), currency),
            tax=total((price(t["priceSet"]) for t in item.get("taxLines") or []), currency),
            taxes_included=taxes_included,
        ).paid_total for item in items), currency)

    def refunds(self, return_id: str) -> list[tuple[str, str]]:
        """The refunds made through a return, as (refund id, note)."""
        return self._refunds(return_id)[1]

    def _refunds(self, return_id: str) -> tuple[str, list[tuple[str, str]]]:
        node = self.client.execute(queries.RETURN_REFUNDS, {"id": gid("Return", return_id)}).get("return") or {}
        return str(node.get("status") or "").lower(), [
            (numeric_id(r["id"]), str(r.get("note") or "")) for r in ((node.get("refunds") or {}).get("nodes") or [])]

    def close(self, return_id: str) -> str:
        payload = self.client.mutate(queries.RETURN_CLOSE, {"id": gid("Return", return_id)}, "returnClose")
        return str(payload["return"]["status"]).lower()

    def cancel(self, return_id: str, *, notify: bool = False) -> str:
        payload = self.client.mutate(
            queries.RETURN_CANCEL, {"id": gid("Return", return_id), "notifyCustomer": notify}, "returnCancel"
        )
        return str(payload["return"]["status"]).lower()
