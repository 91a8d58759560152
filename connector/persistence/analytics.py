"""Dashboard figures: SQL aggregates over one shop's orders and returns, in a date range.

Every query is scoped by `shop_id` first and bounded by a date range, so PostgreSQL
walks the (shop_id, placed_at) and (shop_id, created_at) indexes and aggregates in
the database; only grouped rows come back. Definitions (also shown on the dashboard):

- sold: units and value of the lines of orders placed in the range (cancelled orders
  excluded); value = quantity x unit price - line discount, in the shop's currency.
- returned: units and value of items in return requests opened in the range, except
  cancelled and rejected ones; value per unit = unit price - discount / quantity.
- return rate = returned / sold over the same range.

The heavy figures (return rate by period, by product or variant, rising products) read
the daily rollups of connector/persistence/rollups.py when the range is whole UTC days
(the dashboard's always are): a few hundred to a few thousand small rows instead of
months of order lines. Any other range, or `rollups=False`, aggregates the rows as
before; the tests hold both to the same figures.

Imports SQLAlchemy and the tables; answers plain dataclasses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Integer, and_, case, cast, func, literal, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from connector.persistence.tables import (
    DailyTotalsRow,
    OrderLineRow,
    OrderRow,
    ResolutionRow,
    ReturnItemRow,
    ReturnRow,
    ReturnsDailyRow,
    SalesDailyRow,
)
from connector.ports.queries import GRAINS as GRAINS
from connector.ports.queries import FreeReturnCost as FreeReturnCost
from connector.ports.queries import PeriodRate as PeriodRate
from connector.ports.queries import ProductRate as ProductRate
from connector.ports.queries import Range as Range
from connector.ports.queries import ReasonCount as ReasonCount
from connector.ports.queries import RefundDelay as RefundDelay
from connector.ports.queries import ResolutionShare as ResolutionShare
from connector.ports.queries import RisingProduct as RisingProduct
from connector.ports.queries import Satisfaction as Satisfaction
from connector.ports.queries import SerialReturner as SerialReturner

if TYPE_CHECKING:
    from connector.persistence.unit_of_work import UnitOfWork

LIVE_EXCLUDED = ("cancelled", "rejected")  # requests that never became a return
ZERO = Decimal(0)




# ------------------------------------------------------------------ helpers

def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _bucket(session: Session, column: Any, grain: str) -> ColumnElement[Any]:
    """The first day of the column's day, ISO week (Monday) or month; `_day` turns it into YYYY-MM-DD."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}")
    if _dialect(session) == "postgresql":
        # Grouped on the timestamp itself: formatting it in SQL made PostgreSQL sort strings.
        return func.date_trunc(grain, func.timezone("UTC", column))
    if grain == "day":
        return func.strftime("%Y-%m-%d", column)
    if grain == "month":
        return func.strftime("%Y-%m-01", column)
    return func.date(column, "weekday 0", "-6 days")  # SQLite: the Monday on or before


def _day_bucket(session: Session, column: Any, grain: str) -> ColumnElement[Any]:
    """As `_bucket`, for a DATE column of the rollups (already a UTC day)."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}")
    if _dialect(session) == "postgresql":
        return func.date_trunc(grain, cast(column, DateTime()))
    if grain == "day":
        return func.strftime("%Y-%m-%d", column)
    if grain == "month":
        return func.strftime("%Y-%m-01", column)
    return func.date(column, "weekday 0", "-6 days")


def _whole_days(period: Range) -> tuple[date, date] | None:
    """The range as UTC days [first, end) when it starts and ends at UTC midnight (the
    dashboard's ranges do): the rollups hold whole days. Otherwise None: scan the rows."""
    bounds = []
    for moment in (period.start, period.end):
        utc = moment.astimezone(UTC) if moment.tzinfo else moment
        if (utc.hour, utc.minute, utc.second, utc.microsecond) != (0, 0, 0, 0):
            return None
        bounds.append(utc.date())
    return bounds[0], bounds[1]


def _day(value: Any) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else str(value)[:10]


def _line_value() -> ColumnElement[Any]:
    return OrderLineRow.quantity * OrderLineRow.unit_price - OrderLineRow.discount


def _returned_value() -> ColumnElement[Any]:
    per_unit = OrderLineRow.unit_price - OrderLineRow.discount / func.nullif(OrderLineRow.quantity, 0)
    return ReturnItemRow.quantity * per_unit


def _in_currency(currency: str, value: Any, currency_column: Any) -> ColumnElement[Any]:
    # Orders in another currency count in units only: their money does not add up with ours.
    return case((currency_column == currency, value), else_=literal(0))


def _sold_lines(shop_id: int, period: Range) -> Any:
    return (
        select()
        .select_from(OrderRow)
        .join(OrderLineRow, OrderLineRow.order_id == OrderRow.id)
        .where(OrderRow.shop_id == shop_id, OrderRow.placed_at >= period.start, OrderRow.placed_at < period.end,
               OrderRow.cancelled_at.is_(None))
    )


def _returned_items(shop_id: int, period: Range) -> Any:
    return (
        select()
        .select_from(ReturnRow)
        .join(ReturnItemRow, ReturnItemRow.return_id == ReturnRow.id)
        .join(OrderLineRow, and_(OrderLineRow.order_id == ReturnRow.order_id,
                                 OrderLineRow.platform_line_id == ReturnItemRow.order_line_id))
        .where(ReturnRow.shop_id == shop_id, ReturnRow.created_at >= period.start,
               ReturnRow.created_at < period.end, ReturnRow.status.notin_(LIVE_EXCLUDED))
    )


def _dec(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


# ------------------------------------------------------------------ the figures

class ShopAnalytics:
    """The dashboard's queries for one shop. Build it with `for_shop(uow, shop_id, currency)`."""

    def __init__(self, session: Session, shop_id: int, currency: str, *, rollups: bool = True) -> None:
        self._session = session
        self._shop_id = shop_id
        self._currency = currency
        self._rollups = rollups  # False: always aggregate the rows (the tests compare both)
        if _dialect(session) == "postgresql":
            # Aggregates over months of order lines sort and hash more than the 4 MB default;
            # LOCAL: only for this read-only transaction, which the unit of work rolls back.
            session.execute(text("SET LOCAL work_mem = '64MB'"))

    def _days(self, period: Range) -> tuple[date, date] | None:
        return _whole_days(period) if self._rollups else None

    def rate_by_period(self, period: Range, grain: str) -> list[PeriodRate]:
        days = self._days(period)
        if days is not None:
            return self._rate_by_period_rollup(days, grain)
        s = self._session
        sold_bucket = _bucket(s, OrderRow.placed_at, grain)
        orders = {_day(k): v for k, v in s.execute(
            select(sold_bucket, func.count()).where(
                OrderRow.shop_id == self._shop_id, OrderRow.placed_at >= period.start,
                OrderRow.placed_at < period.end, OrderRow.cancelled_at.is_(None)).group_by(sold_bucket))}
        sold = {_day(row[0]): (int(row[1] or 0), _dec(row[2])) for row in s.execute(
            _sold_lines(self._shop_id, period).add_columns(
                sold_bucket, func.sum(OrderLineRow.quantity),
                func.sum(_in_currency(self._currency, _line_value(), OrderRow.currency)))
            .group_by(sold_bucket))}
        ret_bucket = _bucket(s, ReturnRow.created_at, grain)
        returns = {_day(k): v for k, v in s.execute(
            select(ret_bucket, func.count()).where(
                ReturnRow.shop_id == self._shop_id, ReturnRow.created_at >= period.start,
                ReturnRow.created_at < period.end, ReturnRow.status.notin_(LIVE_EXCLUDED)).group_by(ret_bucket))}
        returned = {_day(row[0]): (int(row[1] or 0), _dec(row[2])) for row in s.execute(
            _returned_items(self._shop_id, period).add_columns(
                ret_bucket, func.sum(ReturnItemRow.quantity),
                func.sum(_in_currency(self._currency, _returned_value(), ReturnRow.currency)))
            .group_by(ret_bucket))}
        periods = sorted(set(orders) | set(sold) | set(returns) | set(returned))
        return [PeriodRate(
            period=str(p), orders=int(orders.get(p, 0)), units_sold=sold.get(p, (0, ZERO))[0],
            value_sold=sold.get(p, (0, ZERO))[1], returns=int(returns.get(p, 0)),
            units_returned=returned.get(p, (0, ZERO))[0], value_returned=returned.get(p, (0, ZERO))[1],
        ) for p in periods]

    def came_back_by_period(self, period: Range, grain: str) -> dict[str, tuple[int, Decimal]]:
        """Per period of the order's date: units (and value) of the orders placed then that came back,
        whenever their return was opened. Over the units sold in that period it is a rate that can
        never pass 100 %, unlike returns opened in a week over sales of that week."""
        s = self._session
        bucket = _bucket(s, OrderRow.placed_at, grain)
        rows = s.execute(
            select(bucket, func.sum(ReturnItemRow.quantity),
                   func.sum(_in_currency(self._currency, _returned_value(), OrderRow.currency)))
            .select_from(ReturnRow)
            .join(ReturnItemRow, ReturnItemRow.return_id == ReturnRow.id)
            .join(OrderRow, OrderRow.id == ReturnRow.order_id)
            .join(OrderLineRow, and_(OrderLineRow.order_id == ReturnRow.order_id,
                                     OrderLineRow.platform_line_id == ReturnItemRow.order_line_id))
            .where(ReturnRow.shop_id == self._shop_id, ReturnRow.status.notin_(LIVE_EXCLUDED),
                   OrderRow.placed_at >= period.start, OrderRow.placed_at < period.end,
                   OrderRow.cancelled_at.is_(None))
            .group_by(bucket))
        return {_day(r[0]): (int(r[1] or 0), _dec(r[2])) for r in rows}

    def _rate_by_period_rollup(self, days: tuple[date, date], grain: str) -> list[PeriodRate]:
        t = DailyTotalsRow
        bucket = _day_bucket(self._session, t.day, grain)
        rows = self._session.execute(
            select(bucket, func.sum(t.orders), func.sum(t.units_sold),
                   func.sum(_in_currency(self._currency, t.value_sold, t.currency)),
                   func.sum(t.returns), func.sum(t.units_returned),
                   func.sum(_in_currency(self._currency, t.value_returned, t.currency)))
            .where(t.shop_id == self._shop_id, t.day >= days[0], t.day < days[1])
            .group_by(bucket).order_by(bucket))
        return [PeriodRate(
            period=_day(r[0]), orders=int(r[1] or 0), units_sold=int(r[2] or 0), value_sold=_dec(r[3]),
            returns=int(r[4] or 0), units_returned=int(r[5] or 0), value_returned=_dec(r[6]),
        ) for r in rows]

    def rate_by_product(self, period: Range, *, by_variant: bool = False, limit: int = 50) -> list[ProductRate]:
        """Products (or variants) that were returned in the range, most units returned first."""
        days = self._days(period)
        if days is not None:
            return self._rate_by_product_rollup(days, by_variant, limit)
        keys: list[Any] = [func.coalesce(OrderLineRow.product_id, OrderLineRow.sku, OrderLineRow.title)]
        if by_variant:
            keys.append(func.coalesce(OrderLineRow.variant_id, literal("")))
        returned_rows = self._session.execute(
            _returned_items(self._shop_id, period).add_columns(
                *keys, func.max(OrderLineRow.title), func.max(OrderLineRow.variant_title),
                func.sum(ReturnItemRow.quantity),
                func.sum(_in_currency(self._currency, _returned_value(), ReturnRow.currency)))
            .group_by(*keys).order_by(func.sum(ReturnItemRow.quantity).desc(), *keys).limit(limit)).all()
        if not returned_rows:
            return []
        width = len(keys)
        wanted = [tuple(r[:width]) for r in returned_rows]
        product_key = keys[0]
        sold_query = _sold_lines(self._shop_id, period).add_columns(
            *keys, func.sum(OrderLineRow.quantity),
            func.sum(_in_currency(self._currency, _line_value(), OrderRow.currency)),
        ).where(product_key.in_({w[0] for w in wanted})).group_by(*keys)
        sold = {tuple(r[:width]): (int(r[width] or 0), _dec(r[width + 1]))
                for r in self._session.execute(sold_query)}
        return [ProductRate(
            product_id=str(r[0]), variant_id=str(r[1]) if by_variant else "",
            title=str(r[width] or ""), variant_title=str(r[width + 1] or "") if by_variant else "",
            units_sold=sold.get(tuple(r[:width]), (0, ZERO))[0], value_sold=sold.get(tuple(r[:width]), (0, ZERO))[1],
            units_returned=int(r[width + 2] or 0), value_returned=_dec(r[width + 3]),
        ) for r in returned_rows]

    def _rate_by_product_rollup(self, days: tuple[date, date], by_variant: bool, limit: int) -> list[ProductRate]:
        r, t = ReturnsDailyRow, SalesDailyRow
        keys: list[Any] = [r.product_key, r.variant_key] if by_variant else [r.product_key]
        returned_rows = self._session.execute(
            select(*keys, func.max(r.title), func.max(r.variant_title), func.sum(r.units_returned),
                   func.sum(_in_currency(self._currency, r.value_returned, r.currency)))
            .where(r.shop_id == self._shop_id, r.day >= days[0], r.day < days[1])
            .group_by(*keys).order_by(func.sum(r.units_returned).desc(), *keys).limit(limit)).all()
        if not returned_rows:
            return []
        width = len(keys)
        sold_keys: list[Any] = [t.product_key, t.variant_key] if by_variant else [t.product_key]
        sold = {tuple(row[:width]): (int(row[width] or 0), _dec(row[width + 1])) for row in self._session.execute(
            select(*sold_keys, func.sum(t.units_sold), func.sum(_in_currency(self._currency, t.value_sold, t.currency)))
            .where(t.shop_id == self._shop_id, t.day >= days[0], t.day < days[1],
                   t.product_key.in_({row[0] for row in returned_rows}))
            .group_by(*sold_keys))}
        return [ProductRate(
            product_id=str(row[0]), variant_id=str(row[1]) if by_variant else "",
            title=str(row[width] or ""), variant_title=str(row[width + 1] or "") if by_variant else "",
            units_sold=sold.get(tuple(row[:width]), (0, ZERO))[0],
            value_sold=sold.get(tuple(row[:width]), (0, ZERO))[1],
            units_returned=int(row[width + 2] or 0), value_returned=_dec(row[width + 3]),
        ) for row in returned_rows]

    def rising_products(self, period: Range, *, min_sold: int = 5, limit: int = 10) -> list[RisingProduct]:
        """Products whose unit return rate rose from the previous range of the same length."""
        now = {p.product_id: p for p in self.rate_by_product(period, limit=200) if p.units_sold >= min_sold}
        before = {p.product_id: p for p in self.rate_by_product(period.previous(), limit=500)}
        rising = []
        for product_id, current in now.items():
            current_rate = current.unit_rate or ZERO
            earlier = before.get(product_id)
            previous_rate = (earlier.unit_rate if earlier else None) or ZERO
            if current_rate > previous_rate:
                rising.append(RisingProduct(current, previous_rate, current_rate))
        rising.sort(key=lambda r: (r.rise, r.product.units_returned), reverse=True)
        return rising[:limit]

    def reasons(self, period: Range) -> list[ReasonCount]:
        rows = self._session.execute(
            select(ReturnItemRow.reason, func.count(func.distinct(ReturnRow.id)), func.sum(ReturnItemRow.quantity))
            .join(ReturnRow, ReturnRow.id == ReturnItemRow.return_id)
            .where(ReturnRow.shop_id == self._shop_id, ReturnRow.created_at >= period.start,
                   ReturnRow.created_at < period.end, ReturnRow.status.notin_(LIVE_EXCLUDED))
            .group_by(ReturnItemRow.reason).order_by(func.sum(ReturnItemRow.quantity).desc()))
        return [ReasonCount(str(r[0]), int(r[1]), int(r[2] or 0)) for r in rows]

    def resolution_mix(self, period: Range) -> list[ResolutionShare]:
        """What the returns became, in the shop's currency: refunds lose the sale, the rest keep it."""
        rows = self._session.execute(
            select(ResolutionRow.kind, func.count(), func.sum(ResolutionRow.amount), func.sum(ResolutionRow.bonus))
            .where(ResolutionRow.shop_id == self._shop_id, ResolutionRow.created_at >= period.start,
                   ResolutionRow.created_at < period.end, ResolutionRow.currency == self._currency)
            .group_by(ResolutionRow.kind).order_by(func.sum(ResolutionRow.amount).desc()))
        return [ResolutionShare(str(r[0]), int(r[1]), _dec(r[2]), _dec(r[3])) for r in rows]

    def refund_delay(self, period: Range) -> RefundDelay:
        """Days from the request to the refund being done, for refunds done in the range."""
        done = and_(ResolutionRow.shop_id == self._shop_id, ResolutionRow.kind == "refund",
                    ResolutionRow.push_status.in_(("pushed", "done_by_merchant")),
                    ResolutionRow.pushed_at >= period.start, ResolutionRow.pushed_at < period.end)
        joined = select().select_from(ResolutionRow).join(ReturnRow, ReturnRow.id == ResolutionRow.return_id).where(done)
        if _dialect(self._session) == "postgresql":
            seconds = func.extract("epoch", ResolutionRow.pushed_at - ReturnRow.created_at)
            row = self._session.execute(joined.add_columns(
                func.count(), func.avg(seconds),
                func.percentile_cont(0.5).within_group(seconds), func.percentile_cont(0.9).within_group(seconds),
            )).one()
            count, values = int(row[0]), [row[1], row[2], row[3]]
        else:
            durations = sorted(
                (pushed - created).total_seconds() for pushed, created in self._session.execute(
                    joined.add_columns(ResolutionRow.pushed_at, ReturnRow.created_at)))
            count = len(durations)
            values = [sum(durations) / count, _percentile(durations, 0.5), _percentile(durations, 0.9)] \
                if durations else [None, None, None]
        days = [None if v is None else (Decimal(str(v)) / 86400).quantize(Decimal("0.1")) for v in values]
        return RefundDelay(count, days[0], days[1], days[2])

    def free_return_cost(self, period: Range, label_price: Decimal) -> FreeReturnCost:
        free = self._session.scalar(
            select(func.count()).select_from(ReturnRow).where(
                ReturnRow.shop_id == self._shop_id, ReturnRow.created_at >= period.start,
                ReturnRow.created_at < period.end, ReturnRow.free_return.is_(True),
                ReturnRow.status.notin_(LIVE_EXCLUDED))) or 0
        recovered = self._session.scalar(
            select(func.sum(ResolutionRow.shipping_fee + ResolutionRow.restocking_fee)).where(
                ResolutionRow.shop_id == self._shop_id, ResolutionRow.created_at >= period.start,
                ResolutionRow.created_at < period.end, ResolutionRow.currency == self._currency))
        return FreeReturnCost(int(free), label_price, _dec(recovered))

    def serial_returners(self, period: Range, *, min_returns: int = 2, limit: int = 20) -> list[SerialReturner]:
        rows = self._session.execute(
            select(ReturnRow.customer_email, func.count(),
                   func.sum(cast(ReturnRow.free_return, Integer)))
            .where(ReturnRow.shop_id == self._shop_id, ReturnRow.created_at >= period.start,
                   ReturnRow.created_at < period.end, ReturnRow.status.notin_(("cancelled",)))
            .group_by(ReturnRow.customer_email).having(func.count() >= min_returns)
            .order_by(func.count().desc(), ReturnRow.customer_email).limit(limit)).all()
        emails = [str(r[0]) for r in rows]
        if not emails:
            return []
        orders = dict(self._session.execute(
            select(OrderRow.customer_email, func.count()).where(
                OrderRow.shop_id == self._shop_id, OrderRow.customer_email.in_(emails))
            .group_by(OrderRow.customer_email)).all())
        units = dict(self._session.execute(
            select(ReturnRow.customer_email, func.sum(ReturnItemRow.quantity))
            .join(ReturnItemRow, ReturnItemRow.return_id == ReturnRow.id)
            .where(ReturnRow.shop_id == self._shop_id, ReturnRow.customer_email.in_(emails),
                   ReturnRow.created_at >= period.start, ReturnRow.created_at < period.end,
                   ReturnRow.status.notin_(("cancelled",)))
            .group_by(ReturnRow.customer_email)).all())
        return [SerialReturner(str(r[0]), int(r[1]), int(r[2] or 0), int(orders.get(r[0], 0)),
                               int(units.get(r[0], 0) or 0)) for r in rows]

    def satisfaction(self, period: Range, *, comments: int = 10) -> Satisfaction:
        where = and_(ReturnRow.shop_id == self._shop_id, ReturnRow.created_at >= period.start,
                     ReturnRow.created_at < period.end, ReturnRow.satisfaction.is_not(None))
        by_score = {int(score): int(count) for score, count in self._session.execute(
            select(ReturnRow.satisfaction, func.count()).where(where).group_by(ReturnRow.satisfaction))
            if score is not None}
        answers = sum(by_score.values())
        average = (Decimal(sum(s * n for s, n in by_score.items())) / answers).quantize(Decimal("0.1")) \
            if answers else None
        recent = [(r[0], int(r[1] or 0), str(r[2]), str(r[3])) for r in self._session.execute(
            select(ReturnRow.updated_at, ReturnRow.satisfaction, ReturnRow.satisfaction_comment, ReturnRow.reference)
            .where(where, ReturnRow.satisfaction_comment != "")
            .order_by(ReturnRow.updated_at.desc()).limit(comments))]
        return Satisfaction(answers, average, by_score, recent)


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def for_shop(uow: UnitOfWork, shop_id: int, currency: str, *, rollups: bool = True) -> ShopAnalytics:
    """The analytics of one shop inside the caller's unit of work (reads only)."""
    return ShopAnalytics(uow.session, shop_id, currency, rollups=rollups)
