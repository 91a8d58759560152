"""The Shopify adapter against our running stand-in (HTTP on 127.0.0.1) that enforces Shopify's limits.

The stand-in validates every document against the real Admin schema, refuses any query
above 1,000 requested points (MAX_COST_EXCEEDED), meters each shop's bucket (THROTTLED),
honours @idempotent(key:), keeps state and signs its webhooks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.domain.money import Money
from connector.domain.returns import ResolutionKind
from connector.ports import (
    MirroredLine,
    PlatformError,
    PushLine,
    ResolutionPush,
    ReturnMirror,
    ShopConnection,
)
from platforms.shopify import ShopifyAdapter, ShopifyConfig, queries
from platforms.shopify.client import AdminClient
from platforms.shopify.gateway import ShopifyGateway
from platforms.shopify.mapping import numeric_id
from tests.standins.shopify import ShopifyStandIn
from tests.standins.shopify_state import ShopState

SECRET = "standin-app-secret"
BEFORE = Path(__file__).resolve().parents[1] / "fixtures" / "shopify" / "documents_before_issue12"
_domains = iter(range(1, 10_000))


@pytest.fixture(scope="module")
def standin() -> Iterator[ShopifyStandIn]:
    with ShopifyStandIn(SECRET, webhook_delay=0.0) as running:
        yield running


def new_shop(standin: ShopifyStandIn, *, maximum: float = 1000, restore_rate: float = 100) -> ShopState:
    domain = f"standin-{next(_domains)}.myshopify.com"
    return standin.add_shop(domain, f"shpat_{domain}", maximum=maximum, restore_rate=restore_rate)


def adapter_for(standin: ShopifyStandIn) -> ShopifyAdapter:
    return ShopifyAdapter(ShopifyConfig(api_key="key", api_secret=SECRET, admin_url=standin.admin_url))


def connection(shop: ShopState) -> ShopConnection:
    return ShopConnection(shop_id=1, platform="shopify", domain=shop.domain, access_token=shop.access_token)


def gateway(standin: ShopifyStandIn, shop: ShopState) -> ShopifyGateway:
    return adapter_for(standin).gateway(connection(shop))


def post(standin: ShopifyStandIn, shop: ShopState, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    url = standin.admin_url.format(shop=shop.domain, version="2026-10") + "/graphql.json"
    answer = requests.post(url, json={"query": document, "variables": variables}, timeout=10,
                           headers={"X-Shopify-Access-Token": shop.access_token})
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def lines(count: int, price: str = "10.00") -> list[tuple[str, int, str]]:
    return [(f"Article {n}", 1 + n % 3, price) for n in range(count)]


# ---- the limits themselves ----

def test_a_query_above_1000_points_is_refused_and_nothing_runs(standin: ShopifyStandIn) -> None:
    shop = new_shop(standin)
    order = shop.add_order(1001, "claire@example.com", lines(2))
    before = len(standin.requests)
    answer = post(standin, shop, (BEFORE / "ORDER_BY_ID.graphql").read_text(), {"id": order["id"]})
    assert answer["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert "Query cost is 9629" in answer["errors"][0]["message"]
    assert "data" not in answer
    assert len(standin.requests) == before
    with pytest.raises(PlatformError, match="exceeds the single query max cost") as refused:
        AdminClient(shop.domain, shop.access_token, admin_url=standin.admin_url).execute(
            (BEFORE / "ORDER_BY_ID.graphql").read_text(), {"id": order["id"]})
    assert refused.value.retryable is False


def test_an_empty_bucket_answers_throttled_with_shopifys_cost_extension(standin: ShopifyStandIn) -> None:
    shop = new_shop(standin, maximum=500, restore_rate=1)
    order = shop.add_order(1001, "claire@example.com", lines(2))
    first = post(standin, shop, queries.ORDER_BY_ID, {"id": order["id"]})
    cost = first["extensions"]["cost"]
    assert cost["requestedQueryCost"] == queries.REQUESTED_COSTS["ORDER_BY_ID"]
    assert cost["actualQueryCost"] < cost["requestedQueryCost"]  # only the nodes returned are paid
    assert cost["throttleStatus"]["maximumAvailable"] == 500
    assert cost["throttleStatus"]["restoreRate"] == 1
    # Each answer takes its actual cost; once less than 318 points are left the next is refused.
    answers = [post(standin, shop, queries.ORDER_BY_ID, {"id": order["id"]}) for _ in range(20)]
    refused = [a for a in answers if "errors" in a]
    assert refused, "the bucket ran dry"
    assert refused[0]["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert "data" not in refused[0]
    assert refused[0]["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] < 318
    assert refused[0]["extensions"]["cost"]["actualQueryCost"] is None


def test_every_document_is_checked_against_the_real_schema(standin: ShopifyStandIn) -> None:
    shop = new_shop(standin)
    answer = post(standin, shop, "query { order(id: \"gid://shopify/Order/1\") { id lineCount } }", {})
    assert "lineCount" in answer["errors"][0]["message"]


def test_refund_create_needs_and_honours_its_idempotency_key(standin: ShopifyStandIn) -> None:
    shop = new_shop(standin)
    order = shop.add_order(1001, "claire@example.com", lines(2))
    variables = {"input": {"orderId": order["id"], "note": "Returns: R-1", "transactions": [{
        "orderId": order["id"], "parentId": order["transactions"][0]["id"], "kind": "REFUND",
        "gateway": "shopify_payments", "amount": "10.00"}]}, "idempotencyKey": "key-1"}
    first = post(standin, shop, queries.REFUND_CREATE, variables)
    again = post(standin, shop, queries.REFUND_CREATE, variables)
    assert first["data"]["refundCreate"]["refund"]["id"] == again["data"]["refundCreate"]["refund"]["id"]
    assert len(order["refunds"]) == 1
    without = queries.REFUND_CREATE.replace(" @idempotent(key: $idempotencyKey)", "").replace(
        ", $idempotencyKey: String!", "")
    refused = post(standin, shop, without, {"input": variables["input"]})
    assert "@idempotent" in refused["errors"][0]["message"]
    assert len(order["refunds"]) == 1


# ---- reading whole orders in small queries ----

def test_an_order_with_250_lines_30_fulfillments_and_40_refunds_comes_back_whole(standin: ShopifyStandIn) -> None:
    shop = new_shop(standin, maximum=2000, restore_rate=1000)
    big = shop.add_order(1001, "claire@example.com", lines(250), fulfillments=30, refunds=40)
    start = len(standin.requests)
    order = gateway(standin, shop).fetch_order(numeric_id(big["id"]))
    assert order is not None
    assert len(order.lines) == 250
    assert {line.platform_line_id for line in order.lines} == {numeric_id(li["id"]) for li in big["lineItems"]}
    assert all(line.fulfilled_quantity == line.quantity for line in order.lines)
    assert sum(line.refunded_quantity for line in order.lines) == 40
    assert order.refunded == Money(Decimal("400.00"), "EUR")
    made = standin.requests[start:]
    assert len(made) > 10, "read in several small queries"
    assert max(requested for _d, _f, requested, _a in made) <= 500
    assert standin.refused_for(shop.domain) == []


def test_a_backfill_paces_itself_by_the_throttle_status_and_is_never_refused(standin: ShopifyStandIn) -> None:
    # An "Advanced" plan: 200 points a second. Some orders are far too big for one query.
    shop = new_shop(standin, maximum=1000, restore_rate=400)
    for n in range(24):
        shop.add_order(2000 + n, f"c{n}@example.com", lines(160 if n in (3, 17) else 1 + n % 4),
                       fulfillments=1 + n % 2)
    progress: list[tuple[int, int | None]] = []
    orders = list(gateway(standin, shop).orders_since(None, lambda done, total: progress.append((done, total))))
    assert len(orders) == 24
    assert sorted(len(o.lines) for o in orders)[-2:] == [160, 160]
    assert sum(len(o.lines) for o in orders) == sum(len(o["lineItems"]) for o in shop.orders)
    assert progress[-1] == (24, 24)
    assert standin.refused_for(shop.domain) == [], "no THROTTLED, no MAX_COST_EXCEEDED"
    bucket = standin.buckets[shop.domain]
    assert bucket.spent > bucket.maximum, "the backfill did need the bucket to refill"


# ---- a return mirrored, processed and refunded once ----

def _push(order: dict[str, Any], reference: str, amount: str) -> ResolutionPush:
    line = order["lineItems"][0]
    return ResolutionPush(
        reference=reference, idempotency_key=f"key-{reference}", kind=ResolutionKind.REFUND,
        amount=Money(Decimal(amount), "EUR"), platform_order_id=numeric_id(order["id"]),
        customer_email=order["email"], customer_platform_id=None,
        lines=(PushLine(numeric_id(line["id"]), 1, Money(Decimal(amount), "EUR"), Money.zero("EUR"), restock=True),),
    )


def test_a_return_mirrored_inspected_and_processed_refunds_once_even_when_the_answer_is_lost(
    standin: ShopifyStandIn,
) -> None:
    shop = new_shop(standin, maximum=2000, restore_rate=1000)
    order = shop.add_order(1001, "claire@example.com", lines(40), fulfillments=3)
    adapter = adapter_for(standin)
    line = MirroredLine(numeric_id(order["lineItems"][0]["id"]), 1, "size_too_small")
    mirror = ReturnMirror("open", "R-7KQ2MX", numeric_id(order["id"]), None, (line,))
    return_id = adapter.mirror_return(connection(shop), mirror)
    assert return_id is not None
    inspected = MirroredLine(line.platform_line_id, 1, line.reason, restock=True, accepted_quantity=1)
    adapter.mirror_return(connection(shop), ReturnMirror("inspect", "R-7KQ2MX", mirror.platform_order_id,
                                                         return_id, (inspected,)))
    ret = shop.objects[f"gid://shopify/Return/{return_id}"]
    assert ret["reverseFulfillmentOrders"][0]["lineItems"][0]["dispositions"][0]["type"] == "RESTOCKED"

    # Shopify processes the return, then the connection drops before the answer arrives.
    def lose_the_answer(_domain: str, field: str) -> None:
        if field == "returnProcess":
            standin.after_mutation = None
            raise ConnectionAbortedError("the answer is lost")

    standin.after_mutation = lose_the_answer
    try:
        result = adapter.gateway(connection(shop)).push(_push(order, "R-7KQ2MX-1", "10.00"))
    finally:
        standin.after_mutation = None
    assert len(order["refunds"]) == 1
    assert result.platform_reference == numeric_id(order["refunds"][0]["id"])
    # The job runs again (its commit was lost too): the refund carrying the marker is adopted.
    again = adapter.gateway(connection(shop)).push(_push(order, "R-7KQ2MX-1", "10.00"))
    assert (again.platform_reference, again.adopted) == (result.platform_reference, True)
    assert len(order["refunds"]) == 1


# ---- signed webhooks ----

class _Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def test_webhooks_go_signed_to_the_address_the_app_subscribed(standin: ShopifyStandIn) -> None:
    shop = new_shop(standin)
    receiver = _Receiver()
    try:
        gateway(standin, shop).subscribe_webhooks(receiver.url)
        gateway(standin, shop).subscribe_webhooks(receiver.url)  # a re-install is harmless
        order = shop.add_order(1001, "claire@example.com", lines(2))
        gateway(standin, shop).push(_push(order, "R-AAAA-1", "10.00"))
        deadline = time.monotonic() + 10
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        receiver.server.shutdown()
    headers, body = receiver.received[0]
    assert headers["X-Shopify-Topic"] == "refunds/create"
    assert headers["X-Shopify-Shop-Domain"] == shop.domain
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(headers["X-Shopify-Hmac-Sha256"], expected)
    assert adapter_for(standin).verify_webhook(headers, body, connection(shop))
    assert json.loads(body)["note"].startswith("Returns: R-AAAA-1")


def test_line_pictures_and_exchange_stock_come_from_shopify(standin: ShopifyStandIn) -> None:
    shop = new_shop(standin)
    placed = shop.add_order(1001, "claire@example.com", [("Robe lin", 1, "49.00")])
    line = placed["lineItems"][0]
    small = shop.add_variant(line, "S", "49.00", stock=2)
    shop.add_variant(line, "L", "49.00", stock=None)
    sold_out = shop.add_variant(line, "XL", "49.00", stock=0)
    found = gateway(standin, shop)
    order = found.fetch_order(numeric_id(placed["id"]))
    assert order is not None
    assert order.lines[0].image_url == line["image"]["url"]
    assert order.lines[0].image_url.startswith("https://cdn.shopify.com/")
    variants = {v.title: v for v in found.variants_of(numeric_id(line["product"]["id"]))}
    assert variants["S"].stock == 2
    assert variants["S"].platform_variant_id == numeric_id(small)
    assert variants["L"].stock is None  # not tracked: no figure, still offered
    assert numeric_id(sold_out) not in {v.platform_variant_id for v in variants.values()}  # not for sale
    assert standin.refused_for(shop.domain) == []
