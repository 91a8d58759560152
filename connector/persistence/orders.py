"""Orders of one shop in the common model; an older version never overwrites a newer one."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, Table, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from connector.domain.money import Money
from connector.domain.orders import Customer, Order, OrderLine, ShippingLine
from connector.domain.orders import normalise_order_name as normalise_order_name
from connector.domain.shops import Shop
from connector.persistence import rollups
from connector.persistence.tables import (
    OrderLineRow,
    OrderRow,
    ReturnRow,
)
from connector.ports.storage import CustomerSummary as CustomerSummary


def _money(value: Decimal | None, currency: str) -> Money:
    return Money(value if value is not None else Decimal(0), currency)


def order_from_row(row: OrderRow, platform: str) -> Order:
    cur = row.currency
    lines = tuple(
        OrderLine(
            platform_line_id=ln.platform_line_id, title=ln.title, quantity=ln.quantity,
            unit_price=_money(ln.unit_price, cur), discount=_money(ln.discount, cur),
            tax=_money(ln.tax, cur), sku=ln.sku, product_id=ln.product_id,
            variant_id=ln.variant_id, variant_title=ln.variant_title,
            product_type=ln.product_type, product_tags=tuple(ln.product_tags or ()),
            fulfilled_quantity=ln.fulfilled_quantity, refunded_quantity=ln.refunded_quantity,
            final_sale=ln.final_sale, taxes_included=ln.taxes_included,
            tax_by_rate=tuple((str(rate), Money(Decimal(amount), cur)) for rate, amount in ln.tax_by_rate or ()),
            image_url=ln.image_url or "",
        )
        for ln in row.lines
    )
    return Order(
        platform=platform, platform_order_id=row.platform_order_id, name=row.name,
        currency=cur,
        customer=Customer(
            platform_customer_id=row.customer_platform_id, email=row.customer_email,
            first_name=row.customer_first_name, last_name=row.customer_last_name,
            postal_code=row.customer_postal_code, locale=row.customer_locale or "",
        ),
        placed_at=row.placed_at, lines=lines, fulfilled_at=row.fulfilled_at,
        delivered_at=row.delivered_at, cancelled_at=row.cancelled_at,
        shipping_lines=tuple(
            ShippingLine(s["title"], Money(Decimal(s["price"]), cur), Money(Decimal(s["tax"]), cur),
                         str(s.get("id") or ""),
                         tuple((str(rate), Money(Decimal(amount), cur)) for rate, amount in s.get("rates") or ()))
            for s in row.shipping or ()
        ),
        tags=tuple(row.tags or ()), financial_status=row.financial_status,
        refunded=Money(row.refunded, cur) if row.refunded is not None else None,
        updated_at=row.platform_updated_at, shop_currency=row.shop_currency,
    )


def order_values(order: Order) -> dict[str, Any]:
    """The columns of an order's row (not its keys), as `save` and `save_new` write them."""
    return {
        "name": order.name, "currency": order.currency, "shop_currency": order.shop_currency,
        "customer_platform_id": order.customer.platform_customer_id,
        "customer_email": order.customer.email.strip().lower(),
        "customer_locale": order.customer.locale[:16],
        "customer_first_name": order.customer.first_name, "customer_last_name": order.customer.last_name,
        "customer_postal_code": order.customer.postal_code, "placed_at": order.placed_at,
        "fulfilled_at": order.fulfilled_at, "delivered_at": order.delivered_at,
        "cancelled_at": order.cancelled_at, "platform_updated_at": order.updated_at,
        "financial_status": order.financial_status, "tags": list(order.tags),
        "shipping": [
            {"title": s.title, "price": str(s.price.amount), "tax": str(s.tax.amount), "id": s.platform_line_id,
             "rates": [[rate, str(amount.amount)] for rate, amount in s.tax_by_rate]}
            for s in order.shipping_lines
        ],
        "refunded": order.refunded.amount if order.refunded is not None else None,
        "total_paid": order.total_paid.amount,
    }


def line_values(line: OrderLine, position: int) -> dict[str, Any]:
    """The columns of an order line's row (not its keys)."""
    return {
        "position": position, "title": line.title, "variant_title": line.variant_title, "sku": line.sku,
        "product_id": line.product_id, "variant_id": line.variant_id, "product_type": line.product_type,
        "product_tags": list(line.product_tags), "quantity": line.quantity,
        "fulfilled_quantity": line.fulfilled_quantity, "refunded_quantity": line.refunded_quantity,
        "unit_price": line.unit_price.amount, "discount": line.discount.amount, "tax": line.tax.amount,
        "tax_by_rate": [[rate, str(m.amount)] for rate, m in line.tax_by_rate],
        "final_sale": line.final_sale, "taxes_included": line.taxes_included,
        "image_url": line.image_url[:1000] if line.image_url.startswith("https://") else "",
    }


# CustomerSummary crosses to the use cases: it is defined with the storage ports.



class OrderRepository:
    def __init__(self, session: Session, shop: Shop) -> None:
        self._session = session
        self._shop = shop

    def _query(self) -> Select[OrderRow]:
        return (
            select(OrderRow).where(OrderRow.shop_id == self._shop.id)
            .options(selectinload(OrderRow.lines))
        )

    def _row(self, platform_order_id: str) -> OrderRow | None:
        return self._session.scalar(self._query().where(OrderRow.platform_order_id == platform_order_id))

    def get(self, platform_order_id: str) -> Order | None:
        row = self._row(platform_order_id)
        return order_from_row(row, self._shop.platform) if row else None

    def pk(self, platform_order_id: str) -> int | None:
        return self._session.scalar(
            select(OrderRow.id).where(
                OrderRow.shop_id == self._shop.id, OrderRow.platform_order_id == platform_order_id
            )
        )

    def find_by_name(self, name: str) -> Order | None:
        wanted = normalise_order_name(name)
        row = self._session.scalar(
            self._query().where(func.upper(OrderRow.name).in_([wanted, f"#{wanted}"])).order_by(OrderRow.id)
        )
        return order_from_row(row, self._shop.platform) if row else None

    def count(self) -> int:
        return self._session.scalar(
            select(func.count()).select_from(OrderRow).where(OrderRow.shop_id == self._shop.id)
        ) or 0

    def save(self, order: Order) -> bool:
        """Insert or update an order. An older version never overwrites a newer one.

        Returns False when the stored order is newer and nothing was written.
        """
        # Locked (PostgreSQL) and read fresh: the dashboard rollups add what this save changes.
        row = self._session.scalar(
            self._query().where(OrderRow.platform_order_id == order.platform_order_id)
            .with_for_update(of=OrderRow).execution_options(populate_existing=True)
        )
        before, existed = rollups.Contribution(), row is not None
        if row is None:
            row = OrderRow(shop_id=self._shop.id, platform_order_id=order.platform_order_id)
            self._session.add(row)
        elif (
            order.updated_at is not None
            and row.platform_updated_at is not None
            and order.updated_at < row.platform_updated_at
        ):
            return False
        else:
            before = rollups.measure(self._session, order_id=row.id)
        for name, value in order_values(order).items():
            setattr(row, name, value)
        existing = {ln.platform_line_id: ln for ln in row.lines}
        kept: list[OrderLineRow] = []
        for position, line in enumerate(order.lines):
            line_row = existing.get(line.platform_line_id) or OrderLineRow(platform_line_id=line.platform_line_id)
            for name, value in line_values(line, position).items():
                if name == "image_url" and not value and line_row.image_url:
                    continue  # a source without pictures (Shopify's REST webhooks) keeps the one already read
                setattr(line_row, name, value)
            kept.append(line_row)
        row.lines = kept
        self._session.flush()
        if existed:  # its returns' items keep a copy of their line (the list's product filter)
            rollups.refresh_item_lines(self._session, order_id=row.id)
        # A new order has no returns yet: its rollups need only the order's own figures.
        rollups.apply(self._session, rollups.measure(self._session, order_id=row.id, with_returns=existed)
                      .minus(before))
        return True

    def save_many(self, orders: Sequence[Order]) -> None:
        """Save a batch of orders (distinct platform ids) as `save` would one by one, in a few
        round trips for the lot rather than ~7 per order: a burst of new orders is the common case.

        The orders already stored (and any another writer inserts meanwhile) go through `save`,
        which weighs versions and measures returns; the new ones are inserted with one multi-row
        INSERT ... ON CONFLICT DO NOTHING, their lines with one more, and their rollups measured
        together with the backfill's aggregate queries and added in one upsert per table.
        """
        if not orders:
            return
        wanted = {order.platform_order_id: order for order in orders}
        assert len(wanted) == len(orders), "one version of an order per call"
        # Locked (PostgreSQL) like `save` does: these go through it below.
        stored = set(self._session.scalars(
            select(OrderRow.platform_order_id).where(
                OrderRow.shop_id == self._shop.id, OrderRow.platform_order_id.in_(sorted(wanted)))
            .with_for_update()))
        # In one order of ids, so two workers inserting the same orders wait rather than deadlock.
        fresh = sorted((order for order in orders if order.platform_order_id not in stored),
                       key=lambda order: order.platform_order_id)
        ids: dict[str, int] = {}
        if fresh:
            orders_table: Table = OrderRow.__table__  # type: ignore[assignment]
            lines_table: Table = OrderLineRow.__table__  # type: ignore[assignment]
            dialect = self._session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            # An order another writer inserted since the SELECT is skipped here and saved below.
            inserted = self._session.execute(
                insert(orders_table).on_conflict_do_nothing(index_elements=["shop_id", "platform_order_id"])
                .returning(orders_table.c.id, orders_table.c.platform_order_id),
                [{"shop_id": self._shop.id, "platform_order_id": order.platform_order_id, **order_values(order)}
                 for order in fresh])
            ids = {platform_order_id: order_id for order_id, platform_order_id in inserted}
            lines = [{"order_id": ids[order.platform_order_id], "platform_line_id": line.platform_line_id,
                      **line_values(line, position)}
                     for order in fresh if order.platform_order_id in ids
                     for position, line in enumerate(order.lines)]
            if lines:
                self._session.execute(lines_table.insert(), lines)
            if ids:  # new orders have no returns: their own figures only
                rollups.apply(self._session, rollups.measure(
                    self._session, order_ids=sorted(ids.values()), with_returns=False))
        for order in orders:
            if order.platform_order_id not in ids:
                self.save(order)

    def delete(self, platform_order_id: str) -> None:
        row = self._row(platform_order_id)
        if row is not None:
            rollups.lock_order(self._session, row.id)
        if row is not None and not self._session.scalar(
            select(ReturnRow.id).where(ReturnRow.order_id == row.id).limit(1)
        ):
            # An order with returns is kept: its returns must stay readable.
            rollups.apply(self._session, rollups.measure(self._session, order_id=row.id).negated())
            self._session.delete(row)

    def by_customer(self, email: str) -> list[Order]:
        rows = self._session.scalars(
            self._query().where(OrderRow.customer_email == email.strip().lower()).order_by(OrderRow.placed_at)
        )
        return [order_from_row(r, self._shop.platform) for r in rows]

    def by_customer_all(self) -> list[Order]:
        rows = self._session.scalars(self._query().order_by(OrderRow.id))
        return [order_from_row(r, self._shop.platform) for r in rows]

    def redact_customer(self, email: str) -> int:
        """Erase a customer's personal data, keeping anonymised figures."""
        rows = list(self._session.scalars(
            select(OrderRow).where(OrderRow.shop_id == self._shop.id, OrderRow.customer_email == email.strip().lower())
        ))
        for row in rows:
            row.customer_email = f"redacted-{row.id}@invalid"
            row.customer_first_name = ""
            row.customer_last_name = ""
            row.customer_postal_code = ""
            row.customer_platform_id = None
        return len(rows)

    # -- added for the merchant admin --

    def customers(self, search: str = "", limit: int = 50, offset: int = 0) -> tuple[list[CustomerSummary], int]:
        """The shop's customers (one per email), most recent order first, with their orders and returns.

        `search` matches the email, first or last name (case-insensitive, anywhere in them).
        """
        where = [OrderRow.shop_id == self._shop.id]
        term = search.strip().lower()
        if term:
            pattern = f"%{term.replace('%', '').replace('_', '')}%"
            where.append(or_(OrderRow.customer_email.like(pattern),
                             func.lower(OrderRow.customer_first_name).like(pattern),
                             func.lower(OrderRow.customer_last_name).like(pattern)))
        total = self._session.scalar(
            select(func.count(func.distinct(OrderRow.customer_email))).where(*where)) or 0
        returns = (select(ReturnRow.customer_email, func.count().label("returns"))
                   .where(ReturnRow.shop_id == self._shop.id, ReturnRow.status.notin_(("cancelled",)))
                   .group_by(ReturnRow.customer_email).subquery())
        rows = self._session.execute(
            select(OrderRow.customer_email, func.max(OrderRow.customer_first_name),
                   func.max(OrderRow.customer_last_name), func.count(), func.max(OrderRow.placed_at),
                   func.coalesce(func.max(returns.c.returns), 0))
            .outerjoin(returns, returns.c.customer_email == OrderRow.customer_email)
            .where(*where).group_by(OrderRow.customer_email)
            .order_by(func.max(OrderRow.placed_at).desc(), OrderRow.customer_email).limit(limit).offset(offset))
        return [CustomerSummary(email, first or "", last or "", int(orders), last_order, int(returned))
                for email, first, last, orders, last_order, returned in rows], int(total)

    def count_for_customer(self, email: str) -> int:
        return self._session.scalar(
            select(func.count()).select_from(OrderRow).where(
                OrderRow.shop_id == self._shop.id, OrderRow.customer_email == email.strip().lower())
        ) or 0
