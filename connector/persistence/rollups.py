"""The dashboard's rollups, kept exact on every write: daily sums the analytics read instead
of scanning months of order lines and return items.

Three tables (connector/persistence/tables.py):

- analytics_daily (shop, UTC day, currency): orders, lines, units and value sold; returns,
  items, units and value returned -- what `rate_by_period` shows.
- sales_daily (shop, day, product key, variant key, currency): lines, units, value sold.
- returns_daily (shop, day, product key, variant key, currency, title, variant title):
  items, units, value returned -- what `rate_by_product` and `rising_products` show.

The figures follow the definitions of connector/persistence/analytics.py: orders placed
that day and not cancelled; returns opened that day, neither cancelled nor rejected; a
returned item counts when its line is still in the order (the dashboard's inner join),
valued at unit price - discount / quantity of that line.

How they stay exact: every write that can change a figure goes through the repositories,
which take the order's row lock (all the figures of an order and of its returns hang on
it), read the order's (or the return's) contribution with the very aggregate queries the
backfill uses, make the change, read it again, and add the difference with
`INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x`. Rows whose counts fall to zero
are deleted, so the tables are always what `backfill` would build from scratch. An update
that changes nothing writes nothing; an older order version is not written at all.

The same module keeps the copies of the order line on return items (`line_*`), which
the admin list's product filter reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Select,
    Table,
    and_,
    bindparam,
    cast,
    delete,
    func,
    literal_column,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from connector.persistence.tables import (
    ROLLUP_AMOUNT,
    DailyTotalsRow,
    OrderLineRow,
    OrderRow,
    ReturnItemRow,
    ReturnRow,
    ReturnsDailyRow,
    SalesDailyRow,
)

LIVE_EXCLUDED = ("cancelled", "rejected")  # requests that never became a return (as analytics.py)

TOTALS: Table = DailyTotalsRow.__table__  # type: ignore[assignment]
SALES: Table = SalesDailyRow.__table__  # type: ignore[assignment]
RETURNED: Table = ReturnsDailyRow.__table__  # type: ignore[assignment]
TOTAL_KEYS = ("shop_id", "day", "currency")
TOTAL_VALUES = ("orders", "sold_lines", "units_sold", "value_sold",
                "returns", "returned_items", "units_returned", "value_returned")
TOTAL_COUNTS = ("orders", "sold_lines", "returns", "returned_items")
SALES_KEYS = ("shop_id", "day", "product_key", "variant_key", "currency")
SALES_VALUES = ("lines", "units_sold", "value_sold")
RETURNED_KEYS = ("shop_id", "day", "product_key", "variant_key", "currency", "title", "variant_title")
RETURNED_VALUES = ("items", "units_returned", "value_returned")

Key = tuple[Any, ...]
Figures = dict[Key, tuple[Any, ...]]


# ------------------------------------------------------------------ the aggregates

def utc_day(dialect: str, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, as a DATE."""
    if dialect == "postgresql":
        return cast(func.timezone(literal_column("'UTC'"), column), Date)
    return type_coerce(func.date(column), Date)  # SQLite keeps UTC text: its first 10 characters


def product_key() -> ColumnElement[Any]:
    return func.coalesce(OrderLineRow.product_id, OrderLineRow.sku, OrderLineRow.title)


def variant_key() -> ColumnElement[Any]:
    return func.coalesce(OrderLineRow.variant_id, literal_column("''"))


def _amount(value: ColumnElement[Any]) -> ColumnElement[Any]:
    return type_coerce(func.coalesce(func.sum(value), 0), ROLLUP_AMOUNT)


def _count(value: Any = None) -> ColumnElement[Any]:
    return func.count() if value is None else func.coalesce(func.sum(value), 0)


def orders_select(dialect: str, *where: ColumnElement[bool]) -> Any:  # a Select
    day = utc_day(dialect, OrderRow.placed_at)
    return (select(OrderRow.shop_id, day.label("day"), OrderRow.currency, func.count().label("orders"))
            .where(OrderRow.cancelled_at.is_(None), *where).group_by(OrderRow.shop_id, day, OrderRow.currency))


def sales_select(dialect: str, *where: ColumnElement[bool]) -> Any:  # a Select
    day = utc_day(dialect, OrderRow.placed_at)
    keys = (OrderRow.shop_id, day, product_key(), variant_key(), OrderRow.currency)
    return (
        select(OrderRow.shop_id, day.label("day"), product_key().label("product_key"),
               variant_key().label("variant_key"), OrderRow.currency, func.count().label("lines"),
               _count(OrderLineRow.quantity).label("units_sold"),
               _amount(OrderLineRow.quantity * OrderLineRow.unit_price - OrderLineRow.discount).label("value_sold"))
        .select_from(OrderRow).join(OrderLineRow, OrderLineRow.order_id == OrderRow.id)
        .where(OrderRow.cancelled_at.is_(None), *where).group_by(*keys)
    )


def returns_select(dialect: str, *where: ColumnElement[bool]) -> Any:  # a Select
    day = utc_day(dialect, ReturnRow.created_at)
    return (select(ReturnRow.shop_id, day.label("day"), ReturnRow.currency, func.count().label("returns"))
            .where(ReturnRow.status.notin_(LIVE_EXCLUDED), *where)
            .group_by(ReturnRow.shop_id, day, ReturnRow.currency))


def returned_select(dialect: str, *where: ColumnElement[bool]) -> Any:  # a Select
    day = utc_day(dialect, ReturnRow.created_at)
    per_unit = OrderLineRow.unit_price - OrderLineRow.discount / func.nullif(OrderLineRow.quantity, 0)
    keys = (ReturnRow.shop_id, day, product_key(), variant_key(), ReturnRow.currency,
            OrderLineRow.title, OrderLineRow.variant_title)
    return (
        select(ReturnRow.shop_id, day.label("day"), product_key().label("product_key"),
               variant_key().label("variant_key"), ReturnRow.currency, OrderLineRow.title,
               OrderLineRow.variant_title, func.count().label("items"),
               _count(ReturnItemRow.quantity).label("units_returned"),
               _amount(ReturnItemRow.quantity * per_unit).label("value_returned"))
        .select_from(ReturnRow)
        .join(ReturnItemRow, ReturnItemRow.return_id == ReturnRow.id)
        .join(OrderLineRow, and_(OrderLineRow.order_id == ReturnRow.order_id,
                                 OrderLineRow.platform_line_id == ReturnItemRow.order_line_id))
        .where(ReturnRow.status.notin_(LIVE_EXCLUDED), *where).group_by(*keys)
    )


# ------------------------------------------------------------------ contributions

def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


@dataclass
class Contribution:
    """What some orders and returns add to each rollup row: key -> additive values."""

    totals: Figures = field(default_factory=dict)
    sales: Figures = field(default_factory=dict)
    returned: Figures = field(default_factory=dict)

    def minus(self, other: Contribution) -> Contribution:
        return Contribution(_subtract(self.totals, other.totals), _subtract(self.sales, other.sales),
                            _subtract(self.returned, other.returned))

    def negated(self) -> Contribution:
        return Contribution().minus(self)

    def is_empty(self) -> bool:
        return not (self.totals or self.sales or self.returned)


def _subtract(a: Figures, b: Figures) -> Figures:
    out: Figures = {}
    for key in set(a) | set(b):
        left, right = a.get(key), b.get(key)
        if left is None:
            assert right is not None
            values = tuple(-v for v in right)
        elif right is None:
            values = left
        else:
            values = tuple(x - y for x, y in zip(left, right, strict=True))
        if any(values):
            out[key] = values
    return out


def _add_totals(totals: Figures, key: Key, **values: Any) -> None:
    current = list(totals.get(key) or (0, 0, 0, Decimal(0), 0, 0, 0, Decimal(0)))
    for name, value in values.items():
        current[TOTAL_VALUES.index(name)] += value
    totals[key] = tuple(current)


def measure(connection: Connection | Session, *, order_id: int | None = None,
            return_id: int | None = None, with_returns: bool = True,
            order_ids: Sequence[int] | None = None) -> Contribution:
    """All that one order (with its returns), some orders, or one return add to the rollups, read now.

    `with_returns=False` skips the two queries on returns: for orders just inserted,
    which cannot have any yet (a burst of new orders is the common case).
    """
    dialect = connection.get_bind().dialect.name if isinstance(connection, Session) else connection.dialect.name
    if order_ids is not None:
        orders_where: list[ColumnElement[bool]] = [OrderRow.id.in_(order_ids)]
        returns_where: list[ColumnElement[bool]] = [ReturnRow.order_id.in_(order_ids)]
    elif order_id is not None:
        orders_where = [OrderRow.id == order_id]
        returns_where = [ReturnRow.order_id == order_id]
    elif return_id is not None:
        orders_where = []
        returns_where = [ReturnRow.id == return_id]
    else:
        orders_where = returns_where = []
    found = Contribution()
    if order_id is not None or order_ids is not None or return_id is None:
        for shop_id, day, currency, orders in connection.execute(orders_select(dialect, *orders_where)):
            _add_totals(found.totals, (shop_id, day, currency), orders=orders)
        for shop_id, day, product, variant, currency, lines, units, value in connection.execute(
                sales_select(dialect, *orders_where)):
            found.sales[(shop_id, day, product, variant, currency)] = (lines, int(units), _dec(value))
            _add_totals(found.totals, (shop_id, day, currency), sold_lines=lines, units_sold=int(units),
                        value_sold=_dec(value))
    if not with_returns:
        return found
    for shop_id, day, currency, returns in connection.execute(returns_select(dialect, *returns_where)):
        _add_totals(found.totals, (shop_id, day, currency), returns=returns)
    for shop_id, day, product, variant, currency, title, variant_title, items, units, value in connection.execute(
            returned_select(dialect, *returns_where)):
        found.returned[(shop_id, day, product, variant, currency, title, variant_title)] = (
            items, int(units), _dec(value))
        _add_totals(found.totals, (shop_id, day, currency), returned_items=items, units_returned=int(units),
                    value_returned=_dec(value))
    return found


def stored(connection: Connection | Session, shop_id: int | None = None) -> Contribution:
    """The rollup tables as they are (for checks: they must equal `measure()` of everything)."""
    out = Contribution()
    for table, keys, values, target in ((TOTALS, TOTAL_KEYS, TOTAL_VALUES, out.totals),
                                        (SALES, SALES_KEYS, SALES_VALUES, out.sales),
                                        (RETURNED, RETURNED_KEYS, RETURNED_VALUES, out.returned)):
        query = select(*(table.c[k] for k in keys), *(table.c[v] for v in values))
        if shop_id is not None:
            query = query.where(table.c.shop_id == shop_id)
        for row in connection.execute(query):
            target[tuple(row[: len(keys)])] = tuple(
                _dec(v) if name.startswith("value") else int(v) for name, v in zip(values, row[len(keys):],
                                                                                     strict=True))
    return out


# ------------------------------------------------------------------ writing

def _upsert(connection: Connection | Session, table: Any, keys: tuple[str, ...], values: tuple[str, ...],
            rows: Mapping[Key, tuple[Any, ...]], counts: tuple[str, ...]) -> None:
    if not rows:
        return
    dialect = connection.get_bind().dialect.name if isinstance(connection, Session) else connection.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    params = [dict(zip(keys + values, key + delta, strict=True)) for key, delta in sorted(rows.items())]
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={v: table.c[v] + stmt.excluded[v] for v in values},
    )
    connection.execute(stmt, params)
    if all(delta[values.index(c)] > 0 for delta in rows.values() for c in counts):
        return  # every count grew (a new order, say): no row can be at zero
    # A row nothing adds to any more goes: the table stays what a backfill would build.
    gone = delete(table).where(*(table.c[k] == bindparam(k) for k in keys), *(table.c[c] == 0 for c in counts))
    connection.execute(gone, [dict(zip(keys, key, strict=True)) for key in sorted(rows)])


def apply(connection: Connection | Session, change: Contribution) -> None:
    """Add a difference of contributions to the rollup tables (in the caller's transaction)."""
    _upsert(connection, TOTALS, TOTAL_KEYS, TOTAL_VALUES, change.totals, TOTAL_COUNTS)
    _upsert(connection, SALES, SALES_KEYS, SALES_VALUES, change.sales, ("lines",))
    _upsert(connection, RETURNED, RETURNED_KEYS, RETURNED_VALUES, change.returned, ("items",))


def lock_order(session: Session, order_id: int) -> None:
    """Hold the order's row until commit: every figure of an order and its returns hangs on it,
    so two writers never both read the same 'before' (FOR UPDATE; SQLite has one writer anyway)."""
    session.execute(select(OrderRow.id).where(OrderRow.id == order_id).with_for_update())


# ------------------------------------------------------------------ line copies on return items

def refresh_item_lines(connection: Connection | Session, *, order_id: int | None = None,
                       return_id: int | None = None) -> None:
    """Copy the matching order line's product id, variant id, SKU and title onto return items
    (None when the order has no such line) -- of one order's returns, one return, or all."""
    items: Table = ReturnItemRow.__table__  # type: ignore[assignment]
    scope: list[ColumnElement[bool]] = []
    if order_id is not None:
        scope.append(items.c.return_id.in_(select(ReturnRow.id).where(ReturnRow.order_id == order_id)))
    if return_id is not None:
        scope.append(items.c.return_id == return_id)
    if scope:  # a line may have left the order: clear first (a backfill starts from NULLs)
        connection.execute(update(items).where(*scope).values(
            line_product_id=None, line_variant_id=None, line_sku=None, line_title=None))
    returns: Table = ReturnRow.__table__  # type: ignore[assignment]
    lines: Table = OrderLineRow.__table__  # type: ignore[assignment]
    connection.execute(
        update(items).where(
            *scope, returns.c.id == items.c.return_id, lines.c.order_id == returns.c.order_id,
            lines.c.platform_line_id == items.c.order_line_id,
        ).values(line_product_id=lines.c.product_id, line_variant_id=lines.c.variant_id,
                 line_sku=lines.c.sku, line_title=lines.c.title))


# ------------------------------------------------------------------ backfill

def backfill(connection: Connection) -> None:
    """(Re)build the rollups from the orders and returns with INSERT ... SELECT ... GROUP BY,
    and the line copies on return items: used by migration 0003 and the benchmark's loader."""
    dialect = connection.dialect.name
    for table in (TOTALS, SALES, RETURNED):
        connection.execute(delete(table))
    connection.execute(SALES.insert().from_select(SALES_KEYS + SALES_VALUES, sales_select(dialect)))
    connection.execute(RETURNED.insert().from_select(RETURNED_KEYS + RETURNED_VALUES, returned_select(dialect)))
    orders = orders_select(dialect).subquery()
    returns = returns_select(dialect).subquery()

    def part(table: Any, **given: Any) -> Select[Any]:
        values = [given.get(v, literal_column("0")).label(v) for v in TOTAL_VALUES]
        return select(table.c.shop_id, table.c.day, table.c.currency, *values)

    every = union_all(
        part(orders, orders=orders.c.orders),
        part(SALES, sold_lines=func.sum(SALES.c["lines"]), units_sold=func.sum(SALES.c.units_sold),
             value_sold=func.sum(SALES.c.value_sold)).group_by(SALES.c.shop_id, SALES.c.day, SALES.c.currency),
        part(returns, returns=returns.c.returns),
        part(RETURNED, returned_items=func.sum(RETURNED.c["items"]),
             units_returned=func.sum(RETURNED.c.units_returned), value_returned=func.sum(RETURNED.c.value_returned))
        .group_by(RETURNED.c.shop_id, RETURNED.c.day, RETURNED.c.currency),
    ).subquery()
    connection.execute(TOTALS.insert().from_select(
        TOTAL_KEYS + TOTAL_VALUES,
        select(every.c.shop_id, every.c.day, every.c.currency, *(func.sum(every.c[v]) for v in TOTAL_VALUES))
        .group_by(every.c.shop_id, every.c.day, every.c.currency)))
    refresh_item_lines(connection)
