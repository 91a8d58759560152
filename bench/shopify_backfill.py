"""Benchmark: a Shopify order backfill against a local stand-in that enforces Shopify's cost bucket.

The stand-in (an HTTP server on 127.0.0.1, in this process) answers the Admin GraphQL
calls a backfill makes (ordersCount, the orders pages) and meters them the way Shopify
does: a bucket of `--bucket` points (1,000) refilled at `--restore` points per second
(100); a call whose requested cost does not fit is answered THROTTLED with no data.
The whole app runs the backfill: `connector.workflow.sync.sync_shop_orders` with the
Shopify adapter from its entry point, into a fresh SQLite database.

Figures printed: orders stored, pages, points spent, THROTTLED answers, elapsed time,
and the share of the restore rate kept, i.e. (points spent - the initial bucket) /
elapsed / restore rate. Goal: at least 90 %, and no failed job.

    .venv/bin/python bench/shopify_backfill.py [--orders 5000] [--cost-per-order 1]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connector.bootstrap import build_services  # noqa: E402
from connector.config import Settings  # noqa: E402
from connector.jobs.queues import InlineJobQueue  # noqa: E402
from connector.persistence.migrate import upgrade  # noqa: E402
from connector.workflow.sync import sync_shop_orders  # noqa: E402

SHOP = "bench-shop.myshopify.com"
FIXTURE = ROOT / "tests" / "fixtures" / "shopify" / "order_multicurrency_graphql.json"


class Bucket:
    """Shopify's leaky bucket for one shop."""

    def __init__(self, maximum: float, restore: float) -> None:
        self.maximum = maximum
        self.restore = restore
        self.available = maximum
        self.updated = time.monotonic()
        self.spent = 0.0
        self.throttled = 0
        self.lock = threading.Lock()

    def take(self, cost: float) -> tuple[bool, dict[str, float]]:
        with self.lock:
            now = time.monotonic()
            self.available = min(self.maximum, self.available + (now - self.updated) * self.restore)
            self.updated = now
            ok = cost <= self.available
            if ok:
                self.available -= cost
                self.spent += cost
            else:
                self.throttled += 1
            return ok, {"maximumAvailable": self.maximum, "currentlyAvailable": round(self.available, 3),
                        "restoreRate": self.restore}


class StandIn:
    """The orders of one shop, served by page with Shopify's cursor and cost answers."""

    def __init__(self, orders: int, cost_per_order: float, bucket: Bucket) -> None:
        template = json.loads(FIXTURE.read_text())
        start = datetime(2025, 1, 1, tzinfo=UTC)
        self.nodes = []
        for n in range(1, orders + 1):
            node = copy.deepcopy(template)
            node["id"] = f"gid://shopify/Order/{n}"
            node["name"] = f"#{1000 + n}"
            node["updatedAt"] = (start + timedelta(minutes=n)).isoformat().replace("+00:00", "Z")
            self.nodes.append(node)
        self.cost_per_order = cost_per_order
        self.bucket = bucket
        self.pages = 0

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        query = str(body.get("query", ""))
        variables = body.get("variables") or {}
        if "ordersCount" in query:
            cost = 1.0
            data: dict[str, Any] = {"ordersCount": {"count": len(self.nodes), "precision": "EXACT"}}
        elif "OrdersPage" in query:
            first = int(variables["first"])
            # Shopify's requested cost of a connection: 2 + first x what each node costs.
            cost = 2 + first * self.cost_per_order
            start = int(variables["after"] or 0)
            page = self.nodes[start:start + first]
            end = start + len(page)
            data = {"orders": {"nodes": page, "pageInfo": {"hasNextPage": end < len(self.nodes), "endCursor": str(end)}}}
        else:
            return {"errors": [{"message": "the stand-in does not answer this document"}]}
        ok, status = self.bucket.take(cost)
        extensions = {"cost": {"requestedQueryCost": cost, "actualQueryCost": cost if ok else None,
                               "throttleStatus": status}}
        if not ok:
            return {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}], "extensions": extensions}
        if "OrdersPage" in query:
            self.pages += 1
        return {"data": data, "extensions": extensions}


def serve(stand_in: StandIn) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            answer = json.dumps(stand_in.answer(body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--cost-per-order", type=float, default=1.0,
                        help="points each order node costs (a page of 10 costs 2 + 10 x this)")
    parser.add_argument("--bucket", type=float, default=1000.0)
    parser.add_argument("--restore", type=float, default=100.0)
    args = parser.parse_args()

    bucket = Bucket(args.bucket, args.restore)
    stand_in = StandIn(args.orders, args.cost_per_order, bucket)
    server = serve(stand_in)
    port = server.server_address[1]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env({
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "INSTANCE_PATH": tmp, "SECRET_KEY": "bench",
            "TOKEN_ENCRYPTION_KEY": "Yb3VxH8sY0mG2lq0M9-1cXoJc4kzqfW5cZ2y7zY3m0A=",
            "SHOPIFY_API_KEY": "bench", "SHOPIFY_API_SECRET": "bench-secret",
            "SHOPIFY_ADMIN_URL": f"http://127.0.0.1:{port}/{{shop}}/admin/api/{{version}}",
        })
        svc = build_services(settings, queue=InlineJobQueue(eager=True))
        upgrade(svc.engine)
        with svc.uow() as uow:
            shop = uow.shops.connect(platform="shopify", domain=SHOP, now=datetime.now(UTC),
                                     credentials={"access_token": "shpat_bench"})
            uow.commit()
        started = time.monotonic()
        failed = ""
        try:
            stored = sync_shop_orders(svc, shop.id, None, None)
        except Exception as exc:  # the figure we care about: a throttled backfill must not fail
            stored, failed = 0, f"{type(exc).__name__}: {exc}"
        elapsed = time.monotonic() - started
        with svc.uow() as uow:
            in_db = uow.scope(shop).orders.count()
        svc.engine.dispose()
    server.shutdown()

    spent = bucket.spent
    kept = (spent - args.bucket) / elapsed / args.restore if elapsed > 0 else 0.0
    ideal = max(0.0, (spent - args.bucket) / args.restore)
    print(f"orders stored            {in_db} of {args.orders} (sync returned {stored})")
    print(f"pages                    {stand_in.pages} (10 orders each, {2 + 10 * args.cost_per_order:g} points)")
    print(f"points spent             {spent:,.0f} (bucket {args.bucket:g}, restore {args.restore:g}/s)")
    print(f"THROTTLED answers        {bucket.throttled}")
    print(f"elapsed                  {elapsed:.1f} s (ideal at the restore rate: {ideal:.1f} s)")
    print(f"restore rate kept        {kept:.1%}")
    print(f"failed job               {failed or 'none'}")
    ok = not failed and in_db == args.orders and kept >= 0.9
    print("RESULT", "PASS" if ok else "FAIL", "(goal: >= 90 % of the restore rate, no failed job)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
