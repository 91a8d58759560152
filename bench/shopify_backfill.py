"""Benchmark: a Shopify order backfill against our stand-in, which enforces Shopify's real cost rules.

The stand-in (tests/standins/shopify.py, an HTTP server on 127.0.0.1 in this process)
checks every document against the real Admin schema 2026-10, prices it with Shopify's
rules (tests/shopify_cost.py), refuses a query above 1,000 requested points
(MAX_COST_EXCEEDED), and meters the shop's leaky bucket: `--bucket` points (1,000 on
standard plans) refilled at `--restore` points a second (100 standard, 200 Advanced,
1,000 Plus); a query whose requested cost is not available is answered THROTTLED, and
each answer takes its actual cost (the nodes returned). The shop holds `--orders`
orders of 1-4 lines; one order in `--large-every` has `--large-lines` lines over 3
fulfillments (more than any single query may hold: read by follow-up queries).
The whole app runs the backfill (`connector.workflow.sync.sync_shop_orders` with the
Shopify adapter from its entry point) into a fresh SQLite database, page by page
(SHOPIFY_BULK_THRESHOLD set above the order count: this measures the cursor path).

Printed: orders and lines stored against the shop's, requests and the largest requested
cost, points spent, THROTTLED and MAX_COST_EXCEEDED answers, elapsed time, and the share
of the restore rate used: (points spent - the initial bucket) / elapsed / restore rate.
Goal: at least 90 %, no refused query, no failed job, every line stored.

    .venv/bin/python bench/shopify_backfill.py [--orders 5000] [--restore 100] [--bucket 1000]

Needs the test extras (graphql-core) and Shopify's schema at ../shared/shopify/.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connector.bootstrap import build_services  # noqa: E402
from connector.config import Settings  # noqa: E402
from connector.jobs.queues import InlineJobQueue  # noqa: E402
from connector.persistence.migrate import upgrade  # noqa: E402
from connector.workflow.sync import sync_shop_orders  # noqa: E402
from tests.standins.shopify import ShopifyStandIn  # noqa: E402

SHOP = "bench-shop.myshopify.com"
TOKEN = "shpat_bench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--bucket", type=float, default=1000.0, help="maximumAvailable (standard plans: 1,000)")
    parser.add_argument("--restore", type=float, default=100.0, help="restoreRate per second (standard: 100)")
    parser.add_argument("--large-every", type=int, default=100, help="one order in N is large")
    parser.add_argument("--large-lines", type=int, default=200)
    args = parser.parse_args()

    standin = ShopifyStandIn("bench-secret", maximum=args.bucket, restore_rate=args.restore).start()
    shop = standin.add_shop(SHOP, TOKEN)
    for n in range(args.orders):
        large = n % args.large_every == args.large_every // 2
        count = args.large_lines if large else 1 + n % 4
        shop.add_order(1001 + n, f"shopper{n}@example.com",
                       [(f"Article {k}", 1 + k % 2, f"{10 + k % 7}.00") for k in range(count)],
                       fulfillments=3 if large else 1)
    lines_in_shop = sum(len(o["lineItems"]) for o in shop.orders)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env({
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "INSTANCE_PATH": tmp, "SECRET_KEY": "bench",
            "TOKEN_ENCRYPTION_KEY": "Yb3VxH8sY0mG2lq0M9-1cXoJc4kzqfW5cZ2y7zY3m0A=",
            "SHOPIFY_API_KEY": "bench", "SHOPIFY_API_SECRET": "bench-secret",
            "SHOPIFY_ADMIN_URL": standin.admin_url, "SHOPIFY_BULK_THRESHOLD": str(args.orders + 1),
        })
        svc = build_services(settings, queue=InlineJobQueue(eager=True))
        upgrade(svc.engine)
        with svc.uow() as uow:
            stored_shop = uow.shops.connect(platform="shopify", domain=SHOP, now=datetime.now(UTC),
                                            credentials={"access_token": TOKEN})
            uow.commit()
        started = time.monotonic()
        failed = ""
        try:
            synced = sync_shop_orders(svc, stored_shop.id, None, None)
        except Exception as exc:  # the figure we care about: a throttled backfill must not fail
            synced, failed = 0, f"{type(exc).__name__}: {exc}"
        elapsed = time.monotonic() - started
        with svc.engine.connect() as conn:
            from sqlalchemy import text

            in_db = conn.execute(text("SELECT count(*) FROM orders")).scalar_one()
            lines_in_db = conn.execute(text("SELECT count(*) FROM order_lines")).scalar_one()
        svc.engine.dispose()
    standin.stop()

    bucket = standin.buckets[SHOP]
    refused = standin.refused_for(SHOP)
    throttled = sum(1 for r in refused if r[1] == "THROTTLED")
    too_big = sum(1 for r in refused if r[1] == "MAX_COST_EXCEEDED")
    used = (bucket.spent - args.bucket) / elapsed / args.restore if elapsed > 0 else 0.0
    ideal = max(0.0, (bucket.spent - args.bucket) / args.restore)
    print(f"orders stored            {in_db} of {args.orders} (sync returned {synced})")
    print(f"lines stored             {lines_in_db} of {lines_in_shop} "
          f"({args.orders // args.large_every} orders of {args.large_lines} lines)")
    print(f"requests                 {len(standin.requests)}, largest requested cost "
          f"{max((r[2] for r in standin.requests), default=0)} points")
    print(f"points spent (actual)    {bucket.spent:,.0f} (bucket {args.bucket:g}, restore {args.restore:g}/s)")
    print(f"THROTTLED answers        {throttled}")
    print(f"MAX_COST_EXCEEDED        {too_big}")
    print(f"elapsed                  {elapsed:.1f} s (ideal at the restore rate: {ideal:.1f} s)")
    print(f"restore rate used        {used:.1%}")
    print(f"failed job               {failed or 'none'}")
    ok = not failed and in_db == args.orders and lines_in_db == lines_in_shop and used >= 0.9 and not too_big \
        and not throttled
    print("RESULT", "PASS" if ok else "FAIL",
          "(goal: >= 90 % of the restore rate, no refused query, no failed job, every line stored)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
