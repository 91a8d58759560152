"""Benchmark of the admin dashboard queries and the returns list on PostgreSQL (not a test).

Loads 1,000,000 orders (about 2,000,000 lines) and 200,000 returns for one shop into a
database of its own, with COPY, then times each dashboard query and the returns list
with its filters, and prints p50 / p95 / max per query. Target: p95 < 300 ms each.

    .venv/bin/python bench/dashboard.py [--url postgresql://postgres@127.0.0.1:5432/rc_bench_dashboard]
                                        [--orders 1000000] [--returns 200000] [--runs 15] [--keep]

--keep reuses an already loaded database (skips the load when the counts match).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connector.persistence import analytics, rollups  # noqa: E402
from connector.persistence.analytics import Range  # noqa: E402
from connector.persistence.crypto import CredentialBox  # noqa: E402
from connector.persistence.database import make_engine, make_session_factory  # noqa: E402
from connector.persistence.migrate import upgrade  # noqa: E402
from connector.persistence.returns import ReturnListFilter  # noqa: E402
from connector.persistence.unit_of_work import UnitOfWork  # noqa: E402

KEY = "Yb3VxH8sY0mG2lq0M9-1cXoJc4kzqfW5cZ2y7zY3m0A="
END = datetime(2026, 6, 30, tzinfo=UTC)
SPAN_DAYS = 730
REASONS = ["size_too_small", "size_too_large", "not_as_described", "defective", "wrong_item", "changed_mind", "other"]
KINDS = ["refund", "refund", "refund", "store_credit", "exchange", "coupon"]
STATUSES = ["requested"] * 5 + ["approved"] * 8 + ["rejected"] * 3 + ["in_transit"] * 4 + ["received"] * 3 + \
    ["inspected"] * 2 + ["resolved"] * 50 + ["closed"] * 20 + ["cancelled"] * 5


def _admin_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


def create_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def load(url: str, n_orders: int, n_returns: int) -> int:
    rng = random.Random(7)  # the same data every run
    engine = make_engine("postgresql+psycopg://" + url.split("://", 1)[1])
    upgrade(engine)
    with UnitOfWork(make_session_factory(engine), CredentialBox(KEY)) as uow:
        shop = uow.shops.connect(platform="manual", domain="bench.example", name="Bench", now=END, slug="bench")
        uow.commit()
    engine.dispose()
    customers = [f"customer{i}@example.com" for i in range(150_000)]
    products = [(f"P{p}", [f"P{p}-V{v}" for v in range(3)], Decimal(rng.randrange(900, 15000)) / 100)
                for p in range(2000)]
    started = time.perf_counter()
    order_lines: dict[int, list[tuple[str, str, str, int, Decimal]]] = {}
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        chunk = 50_000  # orders, then their lines: one COPY at a time on a connection
        for first in range(1, n_orders + 1, chunk):
            with cur.copy("COPY orders (id, shop_id, platform_order_id, name, currency, customer_email, "
                          "customer_first_name, customer_last_name, customer_postal_code, placed_at, fulfilled_at, "
                          "delivered_at, financial_status, tags, shipping, total_paid) FROM STDIN") as copy:
                for i in range(first, min(first + chunk, n_orders + 1)):
                    # Orders arrive in time order, as in a real shop: ids and dates grow together.
                    placed = END - timedelta(seconds=SPAN_DAYS * 86400 * (n_orders - i) / n_orders
                                             + rng.randrange(60))
                    lines = []
                    total = Decimal(0)
                    for position in range(rng.choice((1, 1, 2, 2, 3))):
                        product_id, variants, price = products[int(rng.paretovariate(1.2)) % len(products)]
                        quantity = rng.choice((1, 1, 1, 2))
                        lines.append((f"L{position + 1}", product_id, rng.choice(variants), quantity, price))
                        total += price * quantity
                    if i % (n_orders // (n_returns * 2) or 1) == 0:  # returns are drawn from these orders
                        order_lines[i] = lines
                    copy.write_row((i, shop.id, str(i), f"#{i}", "EUR", rng.choice(customers), "A", "B", "75011",
                                    placed, placed + timedelta(days=1), placed + timedelta(days=3), "paid", "[]",
                                    "[]", total))
                    _lines_buffer.append((i, lines))
            _flush_lines(cur)
        print(f"orders and lines loaded in {time.perf_counter() - started:.0f} s", flush=True)
        # Returns are requested a few days after delivery: in the time order of their orders.
        order_ids = sorted(rng.sample(sorted(order_lines), n_returns))
        placed_at = dict(cur.execute("SELECT id, placed_at FROM orders WHERE id = ANY(%s)", (order_ids,)).fetchall())
        with cur.copy("COPY return_requests (id, shop_id, order_id, reference, tracking_token, status, channel, "
                      "customer_email, locale, currency, return_shipping_fee, free_return, decision, satisfaction, "
                      "satisfaction_comment, created_at, updated_at, tracking_number, merchant_message) FROM STDIN") as copy:
            returns = []
            for rid, order_id in enumerate(order_ids, start=1):
                created = min(END - timedelta(minutes=1), placed_at[order_id] + timedelta(days=rng.randrange(4, 30)))
                status = rng.choice(STATUSES)
                email = f"customer{rng.randrange(150_000)}@example.com"
                score = rng.choice((None, None, None, 3, 4, 5, 5, 2)) if status in ("resolved", "closed") else None
                returns.append((rid, order_id, status, created))
                copy.write_row((rid, shop.id, order_id, f"R-{rid:08d}", f"tok{rid}", status, "portal", email, "fr",
                                "EUR", Decimal(0), rng.random() < 0.3, "{}", score, "ok" if score else "",
                                created, created, "", ""))
        with cur.copy("COPY return_items (return_id, order_line_id, quantity, reason, resolution, comment, photos, "
                      "rejection_reason) "
                      "FROM STDIN") as copy:
            for rid, order_id, _status, _created in returns:
                for line_id, _p, _v, quantity, _price in order_lines[order_id][: rng.choice((1, 1, 2))]:
                    copy.write_row((rid, line_id, quantity, rng.choice(REASONS), rng.choice(KINDS), "", "[]", ""))
        with cur.copy("COPY resolutions (shop_id, return_id, kind, currency, amount, tax, bonus, restocking_fee, "
                      "shipping_fee, lines, idempotency_key, push_status, attempts, last_error, created_at, pushed_at, code) "
                      "FROM STDIN") as copy:
            for rid, order_id, status, created in returns:
                if status in ("resolved", "closed"):
                    amount = order_lines[order_id][0][4]
                    done = created + timedelta(days=rng.randrange(2, 15), hours=rng.randrange(24))
                    copy.write_row((shop.id, rid, rng.choice(KINDS), "EUR", amount, Decimal(0), Decimal(0),
                                    Decimal(0), Decimal("5.90") if rng.random() < 0.2 else Decimal(0), "[]",
                                    f"bench-{rid}", "pushed", 1, "", done, done, ""))
        print(f"returns loaded in {time.perf_counter() - started:.0f} s", flush=True)
        cur.execute("SELECT setval(pg_get_serial_sequence('orders', 'id'), %s)", (n_orders,))
        cur.execute("SELECT setval(pg_get_serial_sequence('return_requests', 'id'), %s)", (n_returns,))
        conn.commit()
    # COPY bypasses the repositories: fill the dashboard rollups and the items' line copies
    # with the backfill of migration 0003 (INSERT ... SELECT ... GROUP BY).
    engine = make_engine("postgresql+psycopg://" + url.split("://", 1)[1])
    with engine.begin() as connection:
        rollups.backfill(connection)
    engine.dispose()
    print(f"rollups backfilled at {time.perf_counter() - started:.0f} s", flush=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)
    return shop.id


_lines_buffer: list[tuple[int, list[tuple[str, str, str, int, Decimal]]]] = []


def _flush_lines(cur: psycopg.Cursor[object]) -> None:
    with cur.copy("COPY order_lines (order_id, position, platform_line_id, title, variant_title, sku, product_id, "
                  "variant_id, product_type, product_tags, quantity, fulfilled_quantity, refunded_quantity, "
                  "unit_price, discount, tax, tax_by_rate, final_sale, taxes_included) FROM STDIN") as copy:
        for order_id, lines in _lines_buffer:
            for position, (line_id, product_id, variant_id, quantity, price) in enumerate(lines):
                copy.write_row((order_id, position, line_id, f"Product {product_id}", variant_id[-2:], variant_id,
                                product_id, variant_id, "", "[]", quantity, quantity, 0, price, Decimal(0),
                                Decimal(0), "[]", False, False))
    _lines_buffer.clear()


def time_it(runs: int, call: Callable[[], object]) -> tuple[float, float, float]:
    call()  # warm the cache and the plan, as a dashboard that is open all day is
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
    return statistics.median(timings), p95, timings[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/rc_bench_dashboard")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--returns", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="reuse a loaded database")
    args = parser.parse_args()
    shop_id = None
    if args.keep:
        try:
            with psycopg.connect(args.url) as conn:
                found = conn.execute("SELECT (SELECT count(*) FROM orders), (SELECT id FROM shops LIMIT 1)").fetchone()
            if found and found[0] == args.orders:
                shop_id = int(found[1])
        except psycopg.OperationalError:
            pass
    if shop_id is None:
        create_database(args.url)
        shop_id = load(args.url, args.orders, args.returns)
    engine = make_engine("postgresql+psycopg://" + args.url.split("://", 1)[1])
    factory = make_session_factory(engine)
    with UnitOfWork(factory, CredentialBox(KEY)) as uow:
        shop = uow.shops.get(shop_id)
        assert shop is not None
        figures = analytics.for_shop(uow, shop.id, "EUR")
        returns = uow.scope(shop).returns
        d90 = Range(END - timedelta(days=90), END)
        d30 = Range(END - timedelta(days=30), END)
        d365 = Range(END - timedelta(days=365), END)
        some_email = returns.admin_summaries(ReturnListFilter(), limit=1)[0][0].customer_email
        cases: list[tuple[str, Callable[[], object]]] = [
            ("rate by week, 90 days", lambda: figures.rate_by_period(d90, "week")),
            ("rate by day, 30 days", lambda: figures.rate_by_period(d30, "day")),
            ("rate by month, 365 days", lambda: figures.rate_by_period(d365, "month")),
            ("rate by product, 90 days", lambda: figures.rate_by_product(d90, limit=20)),
            ("rate by variant, 90 days", lambda: figures.rate_by_product(d90, by_variant=True, limit=20)),
            ("rising products, 90 vs 90 days", lambda: figures.rising_products(d90)),
            ("reasons, 90 days", lambda: figures.reasons(d90)),
            ("resolution mix, 90 days", lambda: figures.resolution_mix(d90)),
            ("time to refund, 90 days", lambda: figures.refund_delay(d90)),
            ("free returns cost, 90 days", lambda: figures.free_return_cost(d90, Decimal("5.90"))),
            ("serial returners, 90 days", lambda: figures.serial_returners(d90)),
            ("satisfaction, 90 days", lambda: figures.satisfaction(d90)),
            ("list: first page", lambda: returns.admin_summaries(ReturnListFilter(), limit=25)),
            ("list: status=requested", lambda: returns.admin_summaries(ReturnListFilter(status="requested"), limit=25)),
            ("list: reason=defective", lambda: returns.admin_summaries(ReturnListFilter(reason="defective"), limit=25)),
            ("list: resolution=exchange",
             lambda: returns.admin_summaries(ReturnListFilter(resolution="exchange"), limit=25)),
            ("list: customer", lambda: returns.admin_summaries(ReturnListFilter(customer=some_email), limit=25)),
            ("list: product id P7", lambda: returns.admin_summaries(ReturnListFilter(product="P7"), limit=25)),
            ("list: search reference", lambda: returns.admin_summaries(ReturnListFilter(search="R-00012345"), limit=25)),
            ("list: search order #4242", lambda: returns.admin_summaries(ReturnListFilter(search="#4242"), limit=25)),
            ("list: last 30 days, page 20", lambda: returns.admin_summaries(
                ReturnListFilter(created_from=d30.start, created_to=d30.end), limit=25, offset=475)),
            ("list: status + 90 days, oldest first", lambda: returns.admin_summaries(
                ReturnListFilter(status="resolved", created_from=d90.start, created_to=d90.end), sort="created",
                limit=25)),
        ]
        results = []
        print(f"\n{'query':44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  target p95 < 300 ms")
        for name, call in cases:
            p50, p95, worst = time_it(args.runs, call)
            results.append({"query": name, "p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "max_ms": round(worst, 1)})
            print(f"{name:44} {p50:8.1f} {p95:8.1f} {worst:8.1f}  {'ok' if p95 < 300 else 'SLOW'}", flush=True)
    out = Path(__file__).resolve().parent / "dashboard-results.json"
    out.write_text(json.dumps({"orders": args.orders, "returns": args.returns, "runs": args.runs,
                               "results": results}, indent=2))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
