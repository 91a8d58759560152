"""return_events_since: Shopify's returns of recently updated orders as the events their webhooks give."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connector.ports import PlatformReturnRequested, PlatformReturnStatusChanged
from platforms.shopify import queries
from platforms.shopify.gateway import ShopifyGateway
from platforms.shopify.mapping import parse_event, return_events_from_graphql
from tests.unit.shopify.conftest import FakeShopify, load_fixture

SINCE = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)


def line(line_item: str, quantity: int = 1, note: str = "", customer_note: str | None = None,
         handle: str | None = "size-too-small") -> dict[str, Any]:
    return {
        "id": f"gid://shopify/ReturnLineItem/{line_item}1", "quantity": quantity, "returnReasonNote": note,
        "customerNote": customer_note,
        "returnReasonDefinition": {"handle": handle} if handle else None,
        "fulfillmentLineItem": {"lineItem": {"id": f"gid://shopify/LineItem/{line_item}"}},
    }


def a_return(return_id: str, status: str, *lines: dict[str, Any], approved: bool = False,
             declined: bool = False, more_lines: bool = False) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/Return/{return_id}", "name": f"#1001-R{return_id}", "status": status,
        "requestApprovedAt": "2026-06-15T09:00:00Z" if approved else None,
        "decline": {"reason": "FINAL_SALE"} if declined else None,
        "returnLineItems": {"pageInfo": {"hasNextPage": more_lines}, "nodes": list(lines)},
    }


def orders_page(orders: list[tuple[str, list[dict[str, Any]]]], next_cursor: str | None = None,
                more_returns: str | None = None) -> dict[str, Any]:
    return {
        "pageInfo": {"hasNextPage": next_cursor is not None, "endCursor": next_cursor},
        "nodes": [{"id": f"gid://shopify/Order/{order_id}",
                   "returns": {"pageInfo": {"hasNextPage": more_returns is not None, "endCursor": more_returns},
                               "nodes": returns}}
                  for order_id, returns in orders],
    }


@pytest.fixture
def gateway(client: Any) -> ShopifyGateway:
    return ShopifyGateway(client)


def test_each_shopify_status_gives_the_event_of_its_webhook(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("orders", orders_page([
        ("1001", [a_return("1", "REQUESTED", line("11", 2, customer_note="Trop petit")),
                  a_return("2", "OPEN", line("12"), approved=True),
                  a_return("3", "OPEN", line("13", note="R-7KQ2MX size_too_small"))]),
        ("1002", [a_return("4", "DECLINED", line("21"), declined=True),
                  a_return("5", "CANCELED", line("22")),
                  a_return("6", "CLOSED", line("23"))]),
    ]))
    events = gateway.return_events_since(SINCE)
    assert events == [
        PlatformReturnRequested("1001", "1", (("11", 2, "size-too-small", "Trop petit"),)),
        PlatformReturnRequested("1001", "2", (("12", 1, "size-too-small", ""),)),
        PlatformReturnStatusChanged("2", "approved"),
        # Created as OPEN (ours, mirrored; or the merchant's): no returns/request ever fired.
        PlatformReturnStatusChanged("3", "approved"),
        PlatformReturnRequested("1002", "4", (("21", 1, "size-too-small", ""),)),
        PlatformReturnStatusChanged("4", "rejected"),
        PlatformReturnStatusChanged("5", "cancelled"),
        PlatformReturnStatusChanged("6", "closed"),
    ]
    (call,) = shopify.calls_to("orders")
    assert call.query == queries.RETURNS_SINCE
    assert call.variables["query"] == "updated_at:>='2026-06-15T08:00:00+00:00'"


def test_pages_of_orders_of_returns_and_of_lines_are_all_read(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on(
        "orders",
        orders_page([("1001", [a_return("1", "REQUESTED", line("11"), more_lines=True)])], next_cursor="c1",
                    more_returns="r1"),
        orders_page([("1002", [a_return("3", "CLOSED")])]),
    )
    shopify.on("order", {"id": "gid://shopify/Order/1001", "returns": {
        "pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": [a_return("2", "DECLINED", declined=True)]}})
    shopify.on("return", {"id": "gid://shopify/Return/1", "returnLineItems": {"nodes": [line("11"), line("12", 3)]}})
    events = gateway.return_events_since(SINCE)
    assert events == [
        PlatformReturnRequested("1001", "1", (("11", 1, "size-too-small", ""), ("12", 3, "size-too-small", ""))),
        PlatformReturnRequested("1001", "2", ()),
        PlatformReturnStatusChanged("2", "rejected"),
        PlatformReturnStatusChanged("3", "closed"),
    ]
    assert [c.variables["after"] for c in shopify.calls_to("orders")] == [None, "c1"]
    assert shopify.calls_to("order")[0].variables == {"id": "gid://shopify/Order/1001", "after": "r1"}
    assert shopify.calls_to("return")[0].variables == {"id": "gid://shopify/Return/1", "after": None}


def test_no_orders_changed_gives_no_events(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("orders", orders_page([]))
    assert gateway.return_events_since(SINCE) == []


def test_an_unverified_line_without_a_fulfillment_is_left_out() -> None:
    unverified = {"id": "gid://shopify/UnverifiedReturnLineItem/9", "quantity": 1, "returnReasonNote": "",
                  "customerNote": None, "returnReasonDefinition": None}
    (event,) = return_events_from_graphql("1001", a_return("1", "REQUESTED", line("11"), unverified))
    assert isinstance(event, PlatformReturnRequested)
    assert event.lines == (("11", 1, "size-too-small", ""),)


def test_the_graphql_and_webhook_paths_give_the_same_events() -> None:
    body = load_fixture("webhooks/returns__request.json")
    body["return_line_items"] = [{
        "quantity": 2, "customer_note": "Trop petit", "return_reason_note": "",
        "return_reason_definition": {"handle": "size-too-small"},
        "fulfillment_line_item": {"line_item": {"id": 11, "admin_graphql_api_id": "gid://shopify/LineItem/11"}},
    }]
    from_webhook = parse_event("returns/request", body)
    node = a_return(str(body["id"]), "REQUESTED", line("11", 2, customer_note="Trop petit"))
    assert return_events_from_graphql("4783296544821", node) == from_webhook
    approved = parse_event("returns/approve", load_fixture("webhooks/returns__approve.json"))
    node = a_return(str(body["id"]), "OPEN")
    assert return_events_from_graphql("4783296544821", node)[-1:] == approved
