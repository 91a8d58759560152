"""The dashboard rollups equal an aggregate from scratch after any sequence of writes.

Random orders saved, re-saved (lines changed, moved in time, cancelled, older versions),
one by one or several together (a batch of deliveries),
deleted, customers redacted, returns opened and moved through statuses; after each
sequence the three rollup tables must equal `rollups.measure()` of everything, and the
dashboard's figures read from the rollups must equal the ones aggregated from the rows.
Runs on SQLite and, with DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, text

from connector.bootstrap import Services
from connector.domain.money import Money
from connector.domain.orders import Customer, Order, OrderLine
from connector.domain.returns import Channel, ResolutionKind, ReturnItem, ReturnRequest, ReturnStatus
from connector.domain.shops import Shop
from connector.persistence import analytics, rollups
from connector.persistence.analytics import Range
from tests import builders
from tests.conftest import _empty_tables, is_postgres

DAY0 = datetime(2026, 6, 1, tzinfo=UTC)
ORDER_IDS = ["1", "2", "3", "4"]
LINE_IDS = ["L1", "L2", "L3"]

lines_st = st.lists(
    st.tuples(
        st.sampled_from(LINE_IDS),
        st.sampled_from([("P1", "V1"), ("P1", "V2"), ("P2", None), (None, None)]),
        st.sampled_from(["Pull", "Tee"]),
        st.integers(1, 3),
        st.sampled_from(["10.00", "25.50"]),
        st.sampled_from(["0", "1.00"]),
    ),
    min_size=0, max_size=3, unique_by=lambda t: t[0],
)
save_st = st.tuples(st.just("save"), st.sampled_from(ORDER_IDS), st.integers(0, 20), st.integers(0, 23),
                    st.booleans(), st.sampled_from(["EUR", "EUR", "USD"]), lines_st, st.integers(0, 5))
# Saved together, as a batch of webhook deliveries saves its orders (OrderRepository.save_many).
batch_st = st.tuples(st.just("batch"), st.lists(save_st, min_size=1, max_size=4, unique_by=lambda t: t[1]))
delete_st = st.tuples(st.just("delete"), st.sampled_from(ORDER_IDS))
open_st = st.tuples(st.just("open"), st.sampled_from(ORDER_IDS), st.integers(0, 20),
                    st.lists(st.tuples(st.sampled_from([*LINE_IDS, "L9"]), st.integers(1, 2)),
                             min_size=1, max_size=2, unique_by=lambda t: t[0]),
                    st.sampled_from(list(ReturnStatus)))
status_st = st.tuples(st.just("status"), st.integers(0, 9), st.sampled_from(list(ReturnStatus)))
redact_st = st.tuples(st.just("redact"))
operations = st.lists(st.one_of(save_st, save_st, batch_st, delete_st, open_st, open_st, status_st, redact_st),
                      min_size=1, max_size=14)


def _order(op: tuple[Any, ...]) -> Order:
    _, order_id, day, hour, cancelled, currency, lines, version = op
    placed = DAY0 + timedelta(days=day, hours=hour)
    built = tuple(
        OrderLine(platform_line_id=line_id, title=title, quantity=quantity,
                  unit_price=Money(Decimal(price), currency), discount=Money(Decimal(discount), currency),
                  tax=Money(Decimal(0), currency), sku=f"SKU-{title}", product_id=product, variant_id=variant,
                  variant_title=variant or "")
        for line_id, (product, variant), title, quantity, price, discount in lines)
    return Order(platform="manual", platform_order_id=order_id, name=f"#{order_id}", currency=currency,
                 customer=Customer("C1", "claire@example.com", "Claire", "Martin", "75011"),
                 placed_at=placed, lines=built, cancelled_at=placed + timedelta(hours=1) if cancelled else None,
                 updated_at=DAY0 + timedelta(minutes=version))


def _run(services: Services, shop: Shop, ops: list[tuple[Any, ...]]) -> None:
    opened: list[str] = []
    for op in ops:
        with services.uow() as uow:
            scope = uow.scope(shop)
            if op[0] == "save":
                scope.orders.save(_order(op))
            elif op[0] == "batch":
                scope.orders.save_many([_order(save) for save in op[1]])
            elif op[0] == "delete":
                scope.orders.delete(op[1])
            elif op[0] == "redact":
                scope.orders.redact_customer("claire@example.com")
                scope.returns.redact_customer("claire@example.com")
            elif op[0] == "open":
                _, order_id, day, items, status = op
                if scope.orders.pk(order_id) is None:
                    continue
                ret = ReturnRequest(shop_id=shop.id, order_id=order_id, customer_email="claire@example.com",
                                    items=[ReturnItem(line_id, quantity, "size_too_small", ResolutionKind.REFUND)
                                           for line_id, quantity in items],
                                    channel=Channel.PORTAL, status=status)
                scope.returns.add(ret, now=DAY0 + timedelta(days=day, hours=5), currency="EUR")
                opened.append(ret.reference)
            elif op[0] == "status":
                if not opened:
                    continue
                found = scope.returns.get_by_reference(opened[op[1] % len(opened)])
                assert found is not None
                found.status = op[2]
                scope.returns.save(found, DAY0 + timedelta(days=30))
            uow.commit()


def _rounded(figures: rollups.Contribution) -> rollups.Contribution:
    # SQLite keeps money as floating point: compare to a millionth; PostgreSQL exactly.
    if is_postgres():
        return figures

    def fix(values: dict[Any, tuple[Any, ...]]) -> dict[Any, tuple[Any, ...]]:
        return {k: tuple(round(v, 6) if isinstance(v, Decimal) else v for v in vs) for k, vs in values.items()}
    return rollups.Contribution(fix(figures.totals), fix(figures.sales), fix(figures.returned))


def _assert_rollups_exact(services: Services, shop: Shop) -> None:
    with services.engine.connect() as conn:
        assert _rounded(rollups.stored(conn)) == _rounded(rollups.measure(conn))
    ranges = [Range(DAY0, DAY0 + timedelta(days=30)), Range(DAY0 + timedelta(days=3), DAY0 + timedelta(days=10)),
              Range(DAY0 + timedelta(days=10), DAY0 + timedelta(days=20))]
    with services.uow() as uow:
        fast = analytics.for_shop(uow, shop.id, "EUR")
        slow = analytics.for_shop(uow, shop.id, "EUR", rollups=False)
        for period in ranges:
            for grain in analytics.GRAINS:
                assert fast.rate_by_period(period, grain) == slow.rate_by_period(period, grain)
            assert fast.rate_by_product(period) == slow.rate_by_product(period)
            assert fast.rate_by_product(period, by_variant=True) == slow.rate_by_product(period, by_variant=True)
            assert fast.rising_products(period, min_sold=1) == slow.rising_products(period, min_sold=1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_rollups_equal_an_aggregate_from_scratch_after_any_writes(services: Services, ops: list[Any]) -> None:
    _empty_tables(services)
    shop = builders.shop(services)
    _run(services, shop, ops)
    _assert_rollups_exact(services, shop)


def _backfilled(conn: Connection) -> rollups.Contribution:
    rollups.backfill(conn)
    return rollups.stored(conn)


def test_the_backfill_builds_what_the_writes_kept(services: Services) -> None:
    shop = builders.shop(services)
    _run(services, shop, [
        ("save", "1", 1, 10, False, "EUR", [("L1", ("P1", "V1"), "Pull", 3, "10.00", "1.00"),
                                            ("L2", ("P2", None), "Tee", 1, "25.50", "0")], 1),
        ("save", "2", 2, 23, False, "USD", [("L1", (None, None), "Tee", 2, "25.50", "0")], 1),
        ("open", "1", 4, [("L1", 2), ("L9", 1)], ReturnStatus.REQUESTED),
        ("open", "2", 5, [("L1", 1)], ReturnStatus.APPROVED),
        ("save", "1", 1, 10, False, "EUR", [("L1", ("P1", "V2"), "Pull", 3, "10.00", "0")], 2),
        ("status", 1, ReturnStatus.REJECTED),
    ])
    with services.engine.begin() as conn:
        kept = rollups.stored(conn)
        assert kept.totals
        assert kept.sales
        assert kept.returned
        assert _rounded(_backfilled(conn)) == _rounded(kept)
        copies = conn.execute(text("SELECT order_line_id, line_product_id, line_variant_id, line_title "
                                   "FROM return_items ORDER BY id")).all()
    # L9 is in no order: no copy, as the list's join finds no line for it.
    assert [tuple(c) for c in copies] == [("L1", "P1", "V2", "Pull"), ("L9", None, None, None),
                                          ("L1", None, None, "Tee")]
    _assert_rollups_exact(services, shop)
