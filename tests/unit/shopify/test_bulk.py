"""Backfills above 25,000 orders go through a bulk export, rebuilt from its JSONL into the same orders."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses

from connector.ports import PlatformError
from platforms.shopify.bulk import rebuild_orders
from platforms.shopify.client import AdminClient
from platforms.shopify.gateway import ShopifyGateway
from platforms.shopify.mapping import order_from_graphql
from tests.unit.shopify.conftest import FakeShopify, FakeTime, load_fixture

DOWNLOAD = "https://storage.googleapis.com/shopify-tiers-assets-prod-us-east1/bulk-export.jsonl"


def as_jsonl(node: dict[str, Any], *, parent_is_order: bool = False) -> list[str]:
    """An order node written the way a grouped bulk export writes it: the order, then its children."""
    order = {k: v for k, v in node.items() if k not in ("lineItems", "shippingLines")}
    order["fulfillments"] = [{k: v for k, v in f.items() if k != "fulfillmentLineItems"} | {"id": f"gid://shopify/Fulfillment/{i}"}
                             for i, f in enumerate(node["fulfillments"], start=1)]
    order["refunds"] = [{k: v for k, v in r.items() if k != "refundLineItems"} for r in node["refunds"]]
    lines = [json.dumps(order)]
    for item in node["lineItems"]["nodes"]:
        lines.append(json.dumps({**item, "__parentId": node["id"]}))
    for n, shipping in enumerate(node["shippingLines"]["nodes"], start=1):
        lines.append(json.dumps({**shipping, "id": f"gid://shopify/ShippingLine/{n}", "__parentId": node["id"]}))
    for i, fulfillment in enumerate(node["fulfillments"], start=1):
        for m, item in enumerate(fulfillment["fulfillmentLineItems"]["nodes"], start=1):
            parent = node["id"] if parent_is_order else f"gid://shopify/Fulfillment/{i}"
            lines.append(json.dumps({**item, "id": f"gid://shopify/FulfillmentLineItem/{i}{m}", "__parentId": parent}))
    for refund in node["refunds"]:
        for m, item in enumerate(refund["refundLineItems"]["nodes"], start=1):
            lines.append(json.dumps({**item, "id": f"gid://shopify/RefundLineItem/{m}", "__parentId": refund["id"]}))
    return lines


@pytest.mark.parametrize("parent_is_order", [False, True])
def test_a_bulk_line_set_rebuilds_the_same_order_as_graphql(parent_is_order: bool) -> None:
    node = load_fixture("order_multicurrency_graphql.json")
    [rebuilt] = list(rebuild_orders(as_jsonl(node, parent_is_order=parent_is_order)))
    assert order_from_graphql(rebuilt) == order_from_graphql(node)


def test_children_of_an_order_not_grouped_are_refused() -> None:
    node = load_fixture("order_multicurrency_graphql.json")
    other = {**node, "id": "gid://shopify/Order/2"}
    lines = as_jsonl(node)
    with pytest.raises(ValueError, match="not grouped"):
        list(rebuild_orders([lines[0], json.dumps({"id": "gid://shopify/Order/2"}), lines[1], *as_jsonl(other)]))


@pytest.fixture
def gateway(client: AdminClient, fake_time: FakeTime) -> ShopifyGateway:
    return ShopifyGateway(client, bulk_threshold=2, bulk_poll_seconds=3.0, sleep=fake_time.sleep)


def test_a_shop_over_the_threshold_is_backfilled_by_a_bulk_export(
    shopify: FakeShopify, gateway: ShopifyGateway, fake_time: FakeTime,
) -> None:
    node = load_fixture("order_multicurrency_graphql.json")
    body = "\n".join(as_jsonl(node) + as_jsonl({**node, "id": "gid://shopify/Order/2"})
                     + as_jsonl({**node, "id": "gid://shopify/Order/3"})) + "\n"
    shopify.on("ordersCount", {"count": 3, "precision": "EXACT"})
    shopify.on("bulkOperationRunQuery", {"bulkOperation": {"id": "gid://shopify/BulkOperation/1", "status": "CREATED"},
                                         "userErrors": []})
    running = {"id": "gid://shopify/BulkOperation/1", "status": "RUNNING", "errorCode": None, "objectCount": "10",
               "rootObjectCount": "1", "url": None, "partialDataUrl": None}
    shopify.on("bulkOperation", running, {**running, "status": "COMPLETED", "url": DOWNLOAD})
    shopify.rsps.add(responses.GET, DOWNLOAD, body=body)
    seen: list[tuple[int, int | None]] = []
    orders = list(gateway.orders_since(None, lambda done, total: seen.append((done, total))))
    assert [o.platform_order_id for o in orders] == ["820982911946154508", "2", "3"]
    assert seen[0] == (0, 3)
    assert seen[-1] == (3, 3)
    assert fake_time.slept == [3.0]  # polled once while RUNNING
    assert shopify.calls_to("orders") == []


def test_a_failed_bulk_export_fails_the_sync_so_it_is_run_again(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("ordersCount", {"count": 30_000, "precision": "EXACT"})
    shopify.on("bulkOperationRunQuery", {"bulkOperation": {"id": "gid://shopify/BulkOperation/1", "status": "CREATED"},
                                         "userErrors": []})
    shopify.on("bulkOperation", {"id": "gid://shopify/BulkOperation/1", "status": "FAILED", "errorCode": "TIMEOUT",
                                 "objectCount": "0", "rootObjectCount": "0", "url": None, "partialDataUrl": None})
    with pytest.raises(PlatformError, match="TIMEOUT") as failed:
        list(gateway.orders_since(None))
    assert failed.value.retryable


def test_a_shop_under_the_threshold_is_read_page_by_page(shopify: FakeShopify, gateway: ShopifyGateway) -> None:
    shopify.on("ordersCount", {"count": 1, "precision": "EXACT"})
    shopify.on("orders", {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []})
    assert list(gateway.orders_since(None)) == []
    assert shopify.calls_to("bulkOperationRunQuery") == []
