"""Shopify bulk export JSONL back into order nodes (the shape of queries.ORDER_FIELDS). Standard library only.

A bulk export writes every object on its own line; an object of a nested connection
carries `__parentId`, the id of the object it belongs to. With `groupObjects: true` an
order's children follow it, so orders are rebuilt one at a time, streaming: memory
stays flat however many orders the shop has.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

JSON = dict[str, Any]


def _kind(node: JSON) -> str:
    """'gid://shopify/LineItem/1' -> 'LineItem'."""
    identifier = str(node.get("id") or "")
    parts = identifier.split("/")
    return parts[3] if identifier.startswith("gid://") and len(parts) > 4 else ""


def _new_order(node: JSON) -> JSON:
    order = dict(node)
    order["lineItems"] = {"nodes": []}
    order["shippingLines"] = {"nodes": []}
    order["fulfillments"] = [dict(f, fulfillmentLineItems={"nodes": []}) for f in node.get("fulfillments") or []]
    order["refunds"] = [dict(r, refundLineItems={"nodes": []}) for r in node.get("refunds") or []]
    return order


def _holder(items: list[JSON], parent: object, prefer_success: bool = False) -> JSON | None:
    """The fulfillment or refund a nested line belongs to.

    When `__parentId` names the order rather than the fulfillment or refund (a list field
    sits between them), any of them will do: the mapping only sums quantities, over
    successful fulfillments and over all refunds.
    """
    exact = next((i for i in items if i.get("id") == parent), None)
    if exact is not None:
        return exact
    if prefer_success:
        return next((i for i in items if i.get("status") == "SUCCESS"), items[0] if items else None)
    return items[0] if items else None


def _attach(order: JSON, child: JSON) -> None:
    parent = child.pop("__parentId", None)
    kind = _kind(child)
    if kind == "LineItem":
        order["lineItems"]["nodes"].append(child)
    elif kind == "ShippingLine":
        order["shippingLines"]["nodes"].append(child)
    elif kind == "FulfillmentLineItem":
        holder = _holder(order["fulfillments"], parent, prefer_success=True)
        if holder is not None:
            holder["fulfillmentLineItems"]["nodes"].append(child)
    elif kind == "RefundLineItem" or any(r.get("id") == parent for r in order["refunds"]):
        # RefundLineItem ids are nullable: a line without one is known by its parent.
        holder = _holder(order["refunds"], parent)
        if holder is not None:
            holder["refundLineItems"]["nodes"].append(child)


def rebuild_orders(lines: Iterable[bytes | str]) -> Iterator[JSON]:
    """Order nodes, each with its children put back, in the order of the file."""
    current: JSON | None = None
    ids: set[str] = set()
    for raw in lines:
        if not raw or not raw.strip():
            continue
        node = json.loads(raw)
        parent = node.get("__parentId")
        if parent is None:
            if current is not None:
                yield current
            current = _new_order(node)
            ids = {str(node["id"])} | {str(f.get("id")) for f in current["fulfillments"]} \
                | {str(r.get("id")) for r in current["refunds"]}
            continue
        if current is None or parent not in ids:
            raise ValueError(f"bulk export line for {parent} does not follow its order: the export is not grouped")
        _attach(current, node)
    if current is not None:
        yield current
