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

from connector.domain.money import Money
from connector.ports import PlatformError
from platforms.shopify import queries
from platforms.shopify.client import AdminClient
from platforms.shopify.mapping import gid, numeric_id

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


def _return_from(node: Mapping[str, Any]) -> ShopifyReturn:
    lines = []
    for item in (node.get("returnLineItems") or {}).get("nodes") or []:
        line_item = ((item.get("fulfillmentLineItem") or {}).get("lineItem") or {}).get("id")
        lines.append((numeric_id(item["id"]), numeric_id(line_item) if line_item else "", int(item["quantity"])))
    reverse = []
    for order in (node.get("reverseFulfillmentOrders") or {}).get("nodes") or []:
        for item in (order.get("lineItems") or {}).get("nodes") or []:
            line_item = ((item.get("fulfillmentLineItem") or {}).get("lineItem") or {}).get("id")
            reverse.append((numeric_id(item["id"]), numeric_id(line_item) if line_item else "", int(item["totalQuantity"])))
    return ShopifyReturn(
        id=numeric_id(node["id"]),
        name=str(node.get("name") or ""),
        status=str(node.get("status") or "").lower(),
        lines=tuple(lines),
        reverse_lines=tuple(reverse),
    )


class ShopifyReturns:
    """Shopify returns of one shop."""

    def __init__(self, client: AdminClient) -> None:
        self.client = client

    def returnable(self, order_id: str) -> dict[str, list[tuple[str, int]]]:
        """Order line id -> [(fulfillment line item id, returnable quantity)]."""
        data = self.client.execute(queries.RETURNABLE_FULFILLMENTS, {"orderId": gid("Order", order_id)})
        result: dict[str, list[tuple[str, int]]] = {}
        for fulfillment in (data.get("returnableFulfillments") or {}).get("nodes") or []:
            for item in (fulfillment.get("returnableFulfillmentLineItems") or {}).get("nodes") or []:
                fli = item["fulfillmentLineItem"]
                result.setdefault(numeric_id(fli["lineItem"]["id"]), []).append((numeric_id(fli["id"]), int(item["quantity"])))
        return result

    def create_return(
        self, order_id: str, lines: Sequence[ReturnLine], requested_at: datetime | None = None
    ) -> ShopifyReturn:
        """Open an already-approved return in Shopify (returnCreate) for our approved request."""
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
        if requested_at is not None:
            return_input["requestedAt"] = requested_at.astimezone(UTC).isoformat()
        payload = self.client.mutate(queries.RETURN_CREATE, {"returnInput": return_input}, "returnCreate")
        return _return_from(payload["return"])

    def fetch(self, return_id: str) -> ShopifyReturn | None:
        node = self.client.execute(queries.RETURN_BY_ID, {"id": gid("Return", return_id)}).get("return")
        return _return_from(node) if node else None

    def approve(self, return_id: str, *, notify: bool = False) -> ShopifyReturn:
        payload = self.client.mutate(
            queries.RETURN_APPROVE_REQUEST,
            {"input": {"id": gid("Return", return_id), "notifyCustomer": notify}},
            "returnApproveRequest",
        )
        return _return_from(payload["return"])

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
        note: str = "",
        notify: bool = False,
    ) -> str:
        """Confirm returned lines ((return line item id, quantity)) and optionally refund.

        `refunds` are (parent CAPTURE/SALE transaction id, amount): Shopify recommends
        refunding returns here rather than with a bare refundCreate.
        """
        process_input: dict[str, Any] = {
            "returnId": gid("Return", return_id),
            "returnLineItems": [{"id": gid("ReturnLineItem", li), "quantity": q} for li, q in lines],
            "notifyCustomer": notify,
        }
        if note:
            process_input["note"] = note
        if refunds:
            process_input["financialTransfer"] = {"issueRefund": {"orderTransactions": [
                {"parentId": gid("OrderTransaction", parent),
                 "transactionAmount": {"amount": str(money.amount), "currencyCode": money.currency}}
                for parent, money in refunds
            ]}}
        payload = self.client.mutate(queries.RETURN_PROCESS, {"input": process_input}, "returnProcess")
        return str(payload["return"]["status"]).lower()

    def close(self, return_id: str) -> str:
        payload = self.client.mutate(queries.RETURN_CLOSE, {"id": gid("Return", return_id)}, "returnClose")
        return str(payload["return"]["status"]).lower()

    def cancel(self, return_id: str, *, notify: bool = False) -> str:
        payload = self.client.mutate(
            queries.RETURN_CANCEL, {"id": gid("Return", return_id), "notifyCustomer": notify}, "returnCancel"
        )
        return str(payload["return"]["status"]).lower()
