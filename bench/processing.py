"""Processing benchmark: a burst of signed order webhooks drained by one worker of the Procfile stack.

Starts what production runs (the Procfile's `release`, `web` under gunicorn, and later one
`worker`) on the PostgreSQL of DATABASE_URL (its public schema is emptied first) and a
redis-server of its own on a free port, through tests/system/stack.py. Then:

1. sends a burst of N signed Shopify `orders/create` webhooks (distinct orders) with no
   worker running, so they wait recorded in PostgreSQL as a flash sale leaves them;
2. starts one worker and times the drain: deliveries processed per second (from the
   worker's start to the last delivery processed) and the p50/p99 delivery-to-processed
   latency within the burst (processed_at minus the worker's start or the receipt,
   whichever is later);
3. with the worker idle, sends deliveries at a steady --rate for --steady seconds and
   gives p50/p99 delivery-to-processed latency (processed_at - received_at);
4. with the worker idle, resolves --pushes WooCommerce returns one after another against a
   refunds stand-in and gives p50/p95 push latency (the resolve's commit to the refund
   reaching the platform).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/rc_bench .venv/bin/python bench/processing.py
    .venv/bin/python bench/processing.py --help      # --deliveries, --senders, --rate, --pushes, ...

Not a test: the figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.system.stack import Stack, is_postgres, shopify_order  # noqa: E402
from tests.system.standin import WooRefundsStandIn  # noqa: E402

SHOP = "bench-shop.myshopify.com"


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def sale_order(n: int) -> dict[str, Any]:
    """Shopify's documented orders/create body as order n of a flash sale: paid, not cancelled (the
    documented example is a voided order, which the dashboard rollups leave out), placed on one of
    three days, so every order adds to the rollups as a real sale does."""
    body = shopify_order(n)
    placed = f"2026-11-{27 + n % 3}T10:00:00+00:00"
    body.update(cancelled_at=None, cancel_reason=None, financial_status="paid", created_at=placed,
                processed_at=placed, updated_at=placed)
    return body


def rollups_check(stack: Stack) -> None:
    """The rollups the worker kept, against the orders stored: they must agree exactly."""
    kept = stack.sql("SELECT coalesce(sum(orders), 0), coalesce(sum(sold_lines), 0) FROM analytics_daily")[0]
    actual = stack.sql("SELECT count(DISTINCT o.id), count(l.id) FROM orders o JOIN order_lines l "
                       "ON l.order_id = o.id WHERE o.cancelled_at IS NULL")[0]
    verdict = "exact" if tuple(kept) == tuple(actual) else "WRONG"
    print(f"rollups: {kept[0]} orders, {kept[1]} lines counted; stored orders say {actual[0]}, {actual[1]}: {verdict}")


def _send_burst(stack: Stack, first: int, count: int, senders: int) -> float:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=senders) as pool:
        codes = list(pool.map(lambda n: stack.send_shopify(SHOP, "orders/create", sale_order(n)).status_code,
                              range(first, first + count)))
    bad = [c for c in codes if c != 200]
    if bad:
        raise SystemExit(f"{len(bad)} deliveries not accepted: {sorted(set(bad))}")
    return time.monotonic() - started


def _processed(stack: Stack) -> int:
    return int(stack.sql("SELECT count(*) FROM webhook_deliveries WHERE status = 'processed'")[0][0])


def burst(stack: Stack, count: int, senders: int, timeout: float) -> None:
    took = _send_burst(stack, 0, count, senders)
    print(f"burst: {count} signed orders/create webhooks accepted in {took:.1f} s ({count / took:.0f}/s), "
          "no worker running")
    started_at = datetime.now(UTC)
    started = time.monotonic()
    stack.start_worker()
    deadline = started + timeout
    while _processed(stack) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {_processed(stack)} of {count} processed after {timeout:.0f} s")
        time.sleep(0.2)
    drained = time.monotonic() - started
    last = stack.sql("SELECT max(processed_at) FROM webhook_deliveries")[0][0]
    busy = (last - started_at).total_seconds()
    rows = stack.sql("SELECT received_at, processed_at FROM webhook_deliveries WHERE status = 'processed'")
    waits = [(done - max(received, started_at)).total_seconds() for received, done in rows]
    print(f"drain: one worker processed {count} deliveries in {busy:.1f} s from its start "
          f"(process start and imports included): {count / busy:.0f} deliveries/s "
          f"(seen done by the poller after {drained:.1f} s)")
    print(f"drain latency (from the worker's start or the receipt): p50 {_quantile(waits, 0.5):.1f} s, "
          f"p99 {_quantile(waits, 0.99):.1f} s")
    rollups_check(stack)


def steady(stack: Stack, first: int, rate: float, seconds: float) -> None:
    count = int(rate * seconds)
    since = datetime.now(UTC)
    for i in range(count):
        at = time.monotonic()
        code = stack.send_shopify(SHOP, "orders/create", sale_order(first + i)).status_code
        if code != 200:
            raise SystemExit(f"delivery answered {code}")
        time.sleep(max(0.0, 1 / rate - (time.monotonic() - at)))
    deadline = time.monotonic() + 60
    query = "SELECT count(*) FROM webhook_deliveries WHERE status = 'processed' AND received_at >= %(since)s"
    while stack.sql(query, since=since)[0][0] < count and time.monotonic() < deadline:
        time.sleep(0.2)
    rows = stack.sql("SELECT received_at, processed_at FROM webhook_deliveries "
                     "WHERE received_at >= %(since)s AND processed_at IS NOT NULL", since=since)
    latency = [(done - received).total_seconds() * 1000 for received, done in rows]
    print(f"steady {rate:.0f}/s for {seconds:.0f} s, idle worker: {len(latency)}/{count} processed, "
          f"delivery-to-processed p50 {_quantile(latency, 0.5):.0f} ms, p99 {_quantile(latency, 0.99):.0f} ms")


def pushes(stack: Stack, count: int) -> None:
    from connector.domain.returns import Channel, Condition, Inspection, ResolutionKind
    from connector.workflow import returns as flow
    from tests import builders

    svc = stack.services()
    with WooRefundsStandIn() as store:
        arrivals = store.arrivals
        shop = stack.woocommerce_shop(store.url, "bench-secret")
        latencies: list[float] = []
        for n in range(count):
            order_id = str(900 + n)
            order = builders.order(order_id, platform="woocommerce", now=datetime.now(UTC),
                                   lines=(builders.line("11"), builders.line("12", price="25.00")))
            with svc.uow() as uow:
                uow.scope(shop).orders.save(order)
                uow.commit()
            reference = flow.open_return_request(
                svc, shop.id, order_id, [flow.WantedItem("11", 1, "size_too_small", ResolutionKind.REFUND)],
                channel=Channel.PORTAL).ret.reference
            flow.approve(svc, shop.id, reference, "merchant")
            flow.receive(svc, shop.id, reference, "merchant")
            flow.inspect(svc, shop.id, reference, "merchant",
                         {"11": Inspection(Condition.AS_NEW, 1, 0, restock=True)})
            resolved = time.monotonic()
            flow.resolve(svc, shop.id, reference, "merchant")
            deadline = resolved + 30
            while order_id not in arrivals and time.monotonic() < deadline:
                time.sleep(0.005)
            if order_id not in arrivals:
                raise SystemExit(f"the refund of {reference} never reached the stand-in")
            latencies.append(arrivals[order_id] - resolved)
            time.sleep(0.5)  # the worker idle again
    print(f"push latency, idle worker, {count} WooCommerce refunds: resolve -> platform call "
          f"p50 {_quantile(latencies, 0.5) * 1000:.0f} ms, p95 {_quantile(latencies, 0.95) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=10_000, help="burst size (default 10000)")
    parser.add_argument("--senders", type=int, default=8, help="concurrent senders of the burst")
    parser.add_argument("--timeout", type=float, default=600, help="longest drain waited for, in seconds")
    parser.add_argument("--rate", type=float, default=20, help="steady deliveries per second")
    parser.add_argument("--steady", type=float, default=10, help="seconds of steady deliveries")
    parser.add_argument("--pushes", type=int, default=20, help="returns resolved for the push latency")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()
    if not is_postgres(args.database_url):
        raise SystemExit("set DATABASE_URL (or --database-url) to a PostgreSQL database this run may empty")
    os.environ["DATABASE_URL"] = args.database_url
    with tempfile.TemporaryDirectory(prefix="rc-processing-") as tmp:
        stack = Stack.start(Path(tmp), worker=False)
        try:
            stack.shopify_shop(SHOP)
            print(f"stack: {stack.base_url}, redis port {stack.redis_port}, machine load "
                  f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            burst(stack, args.deliveries, args.senders, args.timeout)
            steady(stack, args.deliveries, args.rate, args.steady)
            pushes(stack, args.pushes)
            print(f"machine load afterwards {os.getloadavg()[0]:.1f}")
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
