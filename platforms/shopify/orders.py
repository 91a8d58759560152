"""Shopify orders read whole: the head a query returned, then follow-up queries for what it left out. Imports ports, client, queries.

Shopify prices nested connections multiplied and refuses a query above 1,000 points,
so no single query can hold an order with 250 lines, 30 fulfillments and 40 refunds.
The head of an order (queries.ORDER_HEAD or PAGE_HEAD) holds the first few of each;
this reader pages on through every connection whose pageInfo says there is more, and
re-reads a fulfillment or refund list that came back full (those are plain lists,
without pageInfo). The result has the shape mapping.order_from_graphql reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connector.ports import PlatformError
from platforms.shopify import queries
from platforms.shopify.client import AdminClient

JSON = dict[str, Any]
# Past this many follow-up pages of one connection something is wrong (a cursor that
# does not move): stop rather than spend the shop's bucket forever.
_MAX_PAGES = 1000


def rest_of_connection(
    client: AdminClient, connection: Mapping[str, Any] | None, document: str, owner_id: str, owner: str,
    field: str, *, from_start: bool = False,
) -> list[JSON]:
    """The nodes a connection holds plus every page after it (all of them when `from_start`).

    `document` takes `$id` (the owner) and `$after`, and answers `{owner: {field: connection}}`.
    """
    nodes: list[JSON] = [] if from_start else list((connection or {}).get("nodes") or [])
    info: Mapping[str, Any] = {"hasNextPage": True, "endCursor": None} if from_start \
        else (connection or {}).get("pageInfo") or {}
    pages = 0
    while info.get("hasNextPage"):
        pages += 1
        if pages > _MAX_PAGES or ((pages > 1 or not from_start) and not info.get("endCursor")):
            raise PlatformError(f"Shopify kept paging {field} of {owner_id} without a cursor", retryable=True)
        data = client.execute(document, {"id": owner_id, "after": info.get("endCursor")})
        holder = data.get(owner)
        if not holder:
            raise PlatformError(f"{owner_id} disappeared while its {field} were read", retryable=True)
        page = holder.get(field) or {}
        nodes.extend(page.get("nodes") or [])
        info = page.get("pageInfo") or {}
    return nodes


class OrderReader:
    """Completes order heads with follow-up queries on one shop's client."""

    def __init__(self, client: AdminClient) -> None:
        self.client = client

    def whole(self, head: Mapping[str, Any], sizes: Mapping[str, int]) -> JSON:
        """The order with every line, shipping line, fulfillment and refund, and their lines."""
        order_id = str(head["id"])
        node = dict(head)
        node["lineItems"] = {"nodes": self._rest(
            head.get("lineItems"), queries.ORDER_LINES, order_id, "order", "lineItems")}
        node["shippingLines"] = {"nodes": self._rest(
            head.get("shippingLines"), queries.ORDER_SHIPPING_LINES, order_id, "order", "shippingLines")}
        node["fulfillments"] = self._fulfillments(order_id, head.get("fulfillments") or [], sizes["fulfillments"])
        node["refunds"] = self._refunds(order_id, head.get("refunds") or [], sizes["refunds"])
        return node

    def _rest(
        self, connection: Mapping[str, Any] | None, document: str, owner_id: str, owner: str, field: str,
        *, from_start: bool = False,
    ) -> list[JSON]:
        return rest_of_connection(self.client, connection, document, owner_id, owner, field, from_start=from_start)

    # ---- fulfillments and refunds (plain lists on Order) ----

    def _whole_list(self, order_id: str, head: Sequence[Mapping[str, Any]], size: int,
                    document: str, field: str) -> list[Mapping[str, Any]]:
        """The head's list, or the whole list when the head came back full."""
        if len(head) < size:
            return list(head)
        data = self.client.execute(document, {"id": order_id})
        listed = (data.get("order") or {}).get(field) or []
        known = {str(item.get("id")): item for item in head}
        # Keep the head's entries (they hold lines already); the others are ids to read.
        return [known.get(str(item.get("id")), item) for item in listed]

    def _fulfillments(self, order_id: str, head: Sequence[Mapping[str, Any]], size: int) -> list[JSON]:
        result = []
        for item in self._whole_list(order_id, head, size, queries.ORDER_FULFILLMENTS, "fulfillments"):
            fulfillment = dict(item)
            lines = item.get("fulfillmentLineItems")
            if item.get("status") != "SUCCESS":
                # The mapping counts only successful fulfillments: no need to read the rest.
                fulfillment["fulfillmentLineItems"] = {"nodes": list((lines or {}).get("nodes") or [])}
            else:
                fulfillment["fulfillmentLineItems"] = {"nodes": self._rest(
                    lines, queries.FULFILLMENT_LINES, str(item["id"]), "fulfillment", "fulfillmentLineItems",
                    from_start=lines is None)}
            result.append(fulfillment)
        return result

    def _refunds(self, order_id: str, head: Sequence[Mapping[str, Any]], size: int) -> list[JSON]:
        result = []
        for item in self._whole_list(order_id, head, size, queries.ORDER_REFUND_IDS, "refunds"):
            refund = dict(item)
            lines = item.get("refundLineItems")
            if lines is None:
                # Known only by its id: one query gives its fields and its first lines.
                data = self.client.execute(queries.REFUND_WITH_LINES, {"id": item["id"], "after": None})
                found = data.get("refund")
                if not found:
                    raise PlatformError(f"refund {item['id']} disappeared while it was read", retryable=True)
                refund, lines = dict(found), found.get("refundLineItems")
            refund["refundLineItems"] = {"nodes": self._rest(
                lines, queries.REFUND_WITH_LINES, str(item["id"]), "refund", "refundLineItems")}
            result.append(refund)
        return result
