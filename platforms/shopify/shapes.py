"""What each Shopify webhook topic's body must hold, checked at intake in microseconds. Stdlib only.

The full mapping (platforms.shopify.mapping) runs later in a job; this catches a body that
cannot be the topic's (`{}` as orders/create) while the request is still open, so the
answer is the contract's 400 and nothing is recorded. Only the keys the mapping cannot do
without are checked, with their JSON types: the intake stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platforms.shopify.mapping import ORDER_TOPICS, RETURN_STATUS_TOPICS

ID = "id"  # a JSON number or string, never a boolean
OBJECT = "object"
LIST = "list"
TEXT = "text"

Rule = tuple[tuple[str, ...], str]

_ORDER: tuple[Rule, ...] = ((("id",), ID), (("name",), TEXT), (("currency",), TEXT), (("line_items",), LIST))
SHAPES: dict[str, tuple[Rule, ...]] = {
    **{topic: _ORDER for topic in ORDER_TOPICS},
    "orders/delete": ((("id",), ID),),
    "orders/edited": ((("order_edit",), OBJECT), (("order_edit", "order_id"), ID)),
    "refunds/create": ((("id",), ID), (("order_id",), ID)),
    "returns/request": ((("id",), ID), (("order",), OBJECT), (("order", "id"), ID),
                        (("return_line_items",), LIST)),
    **{topic: ((("id",), ID),) for topic in RETURN_STATUS_TOPICS},
    "customers/data_request": ((("customer",), OBJECT), (("data_request",), OBJECT), (("data_request", "id"), ID)),
    "customers/redact": ((("customer",), OBJECT),),
    "shop/redact": ((("shop_domain",), TEXT),),
}
# Keys that may be missing, but when present must have this type.
OPTIONAL: dict[str, tuple[Rule, ...]] = {
    "customers/redact": ((("orders_to_redact",), LIST),),
    "customers/data_request": ((("orders_requested",), LIST),),
}


def _fits(value: Any, kind: str) -> bool:
    if kind == ID:
        return isinstance(value, (int, str)) and not isinstance(value, bool) and value != ""
    if kind == OBJECT:
        return isinstance(value, Mapping)
    if kind == LIST:
        return isinstance(value, list)
    return isinstance(value, str)


def _at(payload: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = payload
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def body_problem(topic: str, payload: Mapping[str, Any]) -> str:
    """Why the body cannot be the topic's, in a sentence; empty when it can (or the topic is not ours)."""
    for path, kind in SHAPES.get(topic, ()):
        if not _fits(_at(payload, path), kind):
            return f"{topic}: the body needs {'.'.join(path)} ({kind})"
    for path, kind in OPTIONAL.get(topic, ()):
        value = _at(payload, path)
        if value is not None and not _fits(value, kind):
            return f"{topic}: {'.'.join(path)} must be a {kind}"
    return ""
