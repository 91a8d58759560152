"""Return requests of one shop: stored, listed, searched, counted for the policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from connector.domain.money import Money
from connector.domain.orders import normalise_order_name
from connector.domain.returns import (
    Channel,
    Condition,
    Inspection,
    ResolutionKind,
    ReturnItem,
    ReturnRequest,
    ReturnStatus,
    TimelineEvent,
)
from connector.domain.shops import Shop
from connector.persistence import rollups
from connector.persistence.tables import (
    OrderLineRow,
    OrderRow,
    ReturnItemRow,
    ReturnRow,
    TimelineEventRow,
)
from connector.ports.queries import RETURN_SORT_KEYS
from connector.ports.queries import ReturnListFilter as ReturnListFilter
from connector.ports.storage import ReturnSummary as ReturnSummary


def _item_from_row(row: ReturnItemRow) -> ReturnItem:
    item = ReturnItem(
        order_line_id=row.order_line_id, quantity=row.quantity, reason=row.reason,
        resolution=ResolutionKind(row.resolution), comment=row.comment,
        photos=list(row.photos or ()), exchange_variant_id=row.exchange_variant_id,
        exchange_variant_title=row.exchange_variant_title or "",
    )
    if row.condition is not None:
        item.inspection = Inspection(
            condition=Condition(row.condition), accepted_quantity=row.accepted_quantity or 0,
            rejected_quantity=row.rejected_quantity or 0, restock=bool(row.restock),
            rejection_reason=row.rejection_reason,
        )
    return item


def _event_from_row(row: TimelineEventRow) -> TimelineEvent:
    return TimelineEvent(
        at=row.at, kind=row.kind, actor=row.actor, message=row.message,
        from_status=ReturnStatus(row.from_status) if row.from_status else None,
        to_status=ReturnStatus(row.to_status) if row.to_status else None,
        private=row.private,
    )


def return_from_row(row: ReturnRow) -> ReturnRequest:
    ret = ReturnRequest(
        shop_id=row.shop_id, order_id=row.order.platform_order_id,
        customer_email=row.customer_email, items=[_item_from_row(i) for i in row.items],
        channel=Channel(row.channel), reference=row.reference, tracking_token=row.tracking_token,
        status=ReturnStatus(row.status), locale=row.locale, tracking_number=row.tracking_number,
        merchant_message=row.merchant_message, timeline=[_event_from_row(e) for e in row.events],
        id=row.id,
    )
    return ret


# Read models of the merchant admin's list pages (added for the admin).

# The sorts the admin offers: a fixed list, so no column name ever comes from a request.
RETURN_SORTS: dict[str, Any] = {
    "-created": (ReturnRow.created_at.desc(), ReturnRow.id.desc()),
    "created": (ReturnRow.created_at.asc(), ReturnRow.id.asc()),
    "-updated": (ReturnRow.updated_at.desc(), ReturnRow.id.desc()),
    "updated": (ReturnRow.updated_at.asc(), ReturnRow.id.asc()),
    "status": (ReturnRow.status.asc(), ReturnRow.created_at.desc(), ReturnRow.id.desc()),
    "reference": (ReturnRow.reference.asc(),),
    "customer": (ReturnRow.customer_email.asc(), ReturnRow.created_at.desc(), ReturnRow.id.desc()),
}
assert tuple(RETURN_SORTS) == RETURN_SORT_KEYS, "the sorts the edges offer are the ones storage knows"


def _summaries(session: Session, rows: Sequence[Any]) -> list[ReturnSummary]:
    ids = [r.id for r in rows]
    items: dict[int, list[tuple[int, str, str]]] = {}
    titles: dict[int, list[str]] = {}
    paid: dict[int, Decimal] = {}
    if ids:
        # The same value as the dashboard's "value returned" (analytics._returned_value), in SQL.
        value = ReturnItemRow.quantity * (
            OrderLineRow.unit_price - OrderLineRow.discount / func.nullif(OrderLineRow.quantity, 0))
        for return_id, quantity, reason, resolution, title, item_value in session.execute(
            select(ReturnItemRow.return_id, ReturnItemRow.quantity, ReturnItemRow.reason,
                   ReturnItemRow.resolution, ReturnItemRow.line_title, value)
            .join(ReturnRow, ReturnRow.id == ReturnItemRow.return_id)
            .outerjoin(OrderLineRow, and_(OrderLineRow.order_id == ReturnRow.order_id,
                                          OrderLineRow.platform_line_id == ReturnItemRow.order_line_id))
            .where(ReturnItemRow.return_id.in_(ids))
        ):
            items.setdefault(return_id, []).append((quantity, reason, resolution))
            titles.setdefault(return_id, []).append(title or "")
            if item_value is not None:
                paid[return_id] = paid.get(return_id, Decimal(0)) + Decimal(str(item_value))
    return [
        ReturnSummary(
            id=r.id, reference=r.reference, status=r.status, channel=r.channel,
            customer_email=r.customer_email, order_name=r.order_name, created_at=r.created_at,
            updated_at=r.updated_at, units=sum(q for q, _, _ in items.get(r.id, [])),
            reasons=tuple(dict.fromkeys(reason for _, reason, _ in items.get(r.id, []))),
            resolutions=tuple(dict.fromkeys(res for _, _, res in items.get(r.id, []))),
            free_return=r.free_return,
            products=tuple(dict.fromkeys(t for t in titles.get(r.id, []) if t)),
            amount=paid.get(r.id), currency=r.currency,
        )
        for r in rows
    ]


def _summaries_select(shop_id: int) -> Any:  # a Select of the summary columns
    return (
        select(ReturnRow.id, ReturnRow.reference, ReturnRow.status, ReturnRow.channel,
               ReturnRow.customer_email, ReturnRow.created_at, ReturnRow.updated_at,
               ReturnRow.free_return, ReturnRow.currency, OrderRow.name.label("order_name"))
        .join(OrderRow, OrderRow.id == ReturnRow.order_id)
        .where(ReturnRow.shop_id == shop_id)
    )


class ReturnRepository:
    def __init__(self, session: Session, shop: Shop) -> None:
        self._session = session
        self._shop = shop

    def _query(self) -> Select[ReturnRow]:
        return select(ReturnRow).where(ReturnRow.shop_id == self._shop.id).options(
            selectinload(ReturnRow.items), selectinload(ReturnRow.events), selectinload(ReturnRow.order)
        )

    def _row_by_id(self, return_id: int) -> ReturnRow | None:
        return self._session.scalar(self._query().where(ReturnRow.id == return_id))

    def get(self, return_id: int) -> ReturnRequest | None:
        row = self._row_by_id(return_id)
        return return_from_row(row) if row else None

    def get_by_reference(self, reference: str, *, for_update: bool = False) -> ReturnRequest | None:
        """One return; `for_update` locks it first (see `lock`), for a use case that changes it."""
        if for_update:
            found = self._session.scalar(select(ReturnRow.id).where(
                ReturnRow.shop_id == self._shop.id, ReturnRow.reference == reference.strip().upper()))
            if found is None or not self.lock(found):
                return None
        row = self._session.scalar(self._query().where(ReturnRow.reference == reference.strip().upper())
                                   .execution_options(populate_existing=for_update))
        return return_from_row(row) if row else None

    def lock(self, return_id: int) -> bool:
        """Hold the return until commit, taking the locks in the one order every writer uses:
        its order's row, then the return's row. A merchant's action and a job on the same
        return then wait for each other instead of crossing (a deadlock). False if not here."""
        order_id = self._session.scalar(select(ReturnRow.order_id).where(
            ReturnRow.shop_id == self._shop.id, ReturnRow.id == return_id))
        if order_id is None:
            return False
        rollups.lock_order(self._session, order_id)
        self._session.execute(select(ReturnRow.id).where(ReturnRow.id == return_id).with_for_update())
        return True

    def get_by_tracking_token(self, token: str) -> ReturnRequest | None:
        row = self._session.scalar(self._query().where(ReturnRow.tracking_token == token))
        return return_from_row(row) if row else None

    def get_by_platform_return_id(self, platform_return_id: str) -> ReturnRequest | None:
        row = self._session.scalar(self._query().where(ReturnRow.platform_return_id == platform_return_id))
        return return_from_row(row) if row else None

    def add(
        self, ret: ReturnRequest, *, now: datetime, currency: str,
        return_shipping_fee: Money | None = None, free_return: bool = False,
        decision: dict[str, Any] | None = None, platform_return_id: str | None = None,
    ) -> ReturnRequest:
        order_pk = self._session.scalar(
            select(OrderRow.id).where(
                OrderRow.shop_id == self._shop.id, OrderRow.platform_order_id == ret.order_id
            )
        )
        if order_pk is None:
            raise LookupError(f"order {ret.order_id} is not in this shop")
        rollups.lock_order(self._session, order_pk)
        row = ReturnRow(
            shop_id=self._shop.id, order_id=order_pk, reference=ret.reference,
            tracking_token=ret.tracking_token, status=ret.status.value, channel=ret.channel.value,
            customer_email=ret.customer_email.strip().lower(), locale=ret.locale,
            tracking_number=ret.tracking_number, merchant_message=ret.merchant_message,
            currency=currency,
            return_shipping_fee=return_shipping_fee.amount if return_shipping_fee else Decimal(0),
            free_return=free_return, decision=decision or {}, platform_return_id=platform_return_id,
            created_at=now, updated_at=now,
        )
        row.items = [
            ReturnItemRow(
                order_line_id=i.order_line_id, quantity=i.quantity, reason=i.reason,
                resolution=i.resolution.value, comment=i.comment, photos=list(i.photos),
                exchange_variant_id=i.exchange_variant_id, exchange_variant_title=i.exchange_variant_title[:255],
            )
            for i in ret.items
        ]
        row.events = [self._event_row(e) for e in ret.timeline]
        self._session.add(row)
        self._session.flush()
        rollups.refresh_item_lines(self._session, return_id=row.id)
        rollups.apply(self._session, rollups.measure(self._session, return_id=row.id))
        ret.id = row.id
        return ret

    @staticmethod
    def _event_row(event: TimelineEvent) -> TimelineEventRow:
        return TimelineEventRow(
            at=event.at, kind=event.kind, actor=event.actor, message=event.message,
            from_status=event.from_status.value if event.from_status else None,
            to_status=event.to_status.value if event.to_status else None, private=event.private,
        )

    def save(self, ret: ReturnRequest, now: datetime) -> None:
        """Write back what the workflow changed: status, fields, inspections, new events."""
        if ret.id is None:
            raise ValueError("save() needs a return that was added")
        row = self._row_by_id(ret.id)
        if row is None:
            raise LookupError(f"return {ret.reference} is not in this shop")
        rollups.lock_order(self._session, row.order_id)
        before = rollups.measure(self._session, return_id=row.id)
        row.status = ret.status.value
        row.tracking_number = ret.tracking_number
        row.merchant_message = ret.merchant_message
        row.updated_at = now
        by_line = {i.order_line_id: i for i in ret.items}
        for item_row in row.items:
            inspection = by_line[item_row.order_line_id].inspection
            if inspection is not None:
                item_row.condition = inspection.condition.value
                item_row.accepted_quantity = inspection.accepted_quantity
                item_row.rejected_quantity = inspection.rejected_quantity
                item_row.restock = inspection.restock
                item_row.rejection_reason = inspection.rejection_reason
        # The timeline only grows: append the events not stored yet.
        for event in ret.timeline[len(row.events):]:
            row.events.append(self._event_row(event))
        self._session.flush()
        rollups.apply(self._session, rollups.measure(self._session, return_id=row.id).minus(before))

    def set_platform_return_id(self, return_id: int, platform_return_id: str) -> None:
        self.lock(return_id)  # the order's row first, as every writer of a return
        row = self._row_by_id(return_id)
        if row is not None:
            row.platform_return_id = platform_return_id

    def set_satisfaction(self, return_id: int, score: int, comment: str) -> None:
        self.lock(return_id)
        row = self._row_by_id(return_id)
        if row is not None:
            row.satisfaction = score
            row.satisfaction_comment = comment

    def row_details(self, return_id: int) -> dict[str, Any] | None:
        """Figures kept beside the domain object: fees, decision, satisfaction, dates."""
        row = self._session.scalar(select(ReturnRow).where(
            ReturnRow.shop_id == self._shop.id, ReturnRow.id == return_id))
        if row is None:
            return None
        return {
            "currency": row.currency, "return_shipping_fee": Money(row.return_shipping_fee, row.currency),
            "free_return": row.free_return, "decision": row.decision, "satisfaction": row.satisfaction,
            "created_at": row.created_at, "updated_at": row.updated_at,
            "platform_return_id": row.platform_return_id, "order_name": row.order.name,
        }

    def search(
        self, flt: ReturnListFilter, *, limit: int = 50, offset: int = 0, newest_first: bool = True,
    ) -> tuple[list[ReturnRequest], int]:
        query = self._filtered(flt)
        count = self._session.scalar(select(func.count()).select_from(query.subquery())) or 0
        order = ReturnRow.created_at.desc() if newest_first else ReturnRow.created_at.asc()
        rows = self._session.scalars(
            query.options(selectinload(ReturnRow.items), selectinload(ReturnRow.events),
                          selectinload(ReturnRow.order))
            .order_by(order, ReturnRow.id.desc()).limit(limit).offset(offset)
        )
        return [return_from_row(r) for r in rows], count

    def search_after(
        self, flt: ReturnListFilter, *, after_created_at: datetime | None, after_id: int | None, limit: int,
    ) -> list[tuple[ReturnRequest, datetime, datetime]]:
        """Newest first, strictly after (created_at, id): keyset pages that neither skip nor repeat.

        Added for the API's cursor pagination; returns each return with its created and updated times.
        """
        query = self._filtered(flt)
        if after_created_at is not None and after_id is not None:
            query = query.where(or_(
                ReturnRow.created_at < after_created_at,
                (ReturnRow.created_at == after_created_at) & (ReturnRow.id < after_id),
            ))
        rows = self._session.scalars(
            query.options(selectinload(ReturnRow.items), selectinload(ReturnRow.events),
                          selectinload(ReturnRow.order))
            .order_by(ReturnRow.created_at.desc(), ReturnRow.id.desc()).limit(limit)
        )
        return [(return_from_row(r), r.created_at, r.updated_at) for r in rows]

    def _filtered(self, flt: ReturnListFilter) -> Select[ReturnRow]:
        query = select(ReturnRow).where(ReturnRow.shop_id == self._shop.id)
        if flt.status:
            query = query.where(ReturnRow.status == flt.status)
        if flt.customer:
            query = query.where(ReturnRow.customer_email == flt.customer.strip().lower())
        if flt.created_from:
            query = query.where(ReturnRow.created_at >= flt.created_from)
        if flt.created_to:
            query = query.where(ReturnRow.created_at < flt.created_to)
        if flt.reason or flt.resolution or flt.product:
            items = select(ReturnItemRow.return_id)
            if flt.reason:
                items = items.where(ReturnItemRow.reason == flt.reason)
            if flt.resolution:
                items = items.where(ReturnItemRow.resolution == flt.resolution)
            if flt.product:
                items = items.join(OrderLineRow, (OrderLineRow.platform_line_id == ReturnItemRow.order_line_id)).where(
                    or_(OrderLineRow.product_id == flt.product, OrderLineRow.sku == flt.product,
                        OrderLineRow.title.ilike(f"%{flt.product}%"))
                )
            query = query.where(ReturnRow.id.in_(items))
        if flt.search:
            term = flt.search.strip()
            orders = select(OrderRow.id).where(
                OrderRow.shop_id == self._shop.id,
                func.upper(OrderRow.name).in_([normalise_order_name(term), f"#{normalise_order_name(term)}"]),
            )
            query = query.where(or_(
                ReturnRow.reference == term.upper(),
                ReturnRow.customer_email == term.lower(),
                ReturnRow.order_id.in_(orders),
            ))
        return query

    def count_for_customer(self, email: str, since: datetime | None = None, before: datetime | None = None) -> int:
        """The customer's returns the policy counts (cancelled ones are not), optionally in [since, before)."""
        query = select(func.count()).select_from(ReturnRow).where(
            ReturnRow.shop_id == self._shop.id, ReturnRow.customer_email == email.strip().lower(),
            ReturnRow.status.notin_([ReturnStatus.CANCELLED.value]),
        )
        if since is not None:
            query = query.where(ReturnRow.created_at >= since)
        if before is not None:
            query = query.where(ReturnRow.created_at < before)
        return self._session.scalar(query) or 0

    def free_returns_since(self, email: str, since: datetime) -> int:
        return self._session.scalar(
            select(func.count()).select_from(ReturnRow).where(
                ReturnRow.shop_id == self._shop.id, ReturnRow.customer_email == email.strip().lower(),
                ReturnRow.free_return.is_(True), ReturnRow.created_at >= since,
                ReturnRow.status.notin_([ReturnStatus.CANCELLED.value, ReturnStatus.REJECTED.value]),
            )
        ) or 0

    def quantities_in_returns(self, platform_order_id: str, exclude_return_id: int | None = None) -> dict[str, int]:
        """Per order line, the quantity already asked back in live returns of this order."""
        order_pk = select(OrderRow.id).where(
            OrderRow.shop_id == self._shop.id, OrderRow.platform_order_id == platform_order_id
        ).scalar_subquery()
        query = (
            select(ReturnItemRow.order_line_id, func.sum(ReturnItemRow.quantity))
            .join(ReturnRow, ReturnRow.id == ReturnItemRow.return_id)
            .where(
                ReturnRow.shop_id == self._shop.id, ReturnRow.order_id == order_pk,
                ReturnRow.status.notin_([ReturnStatus.CANCELLED.value, ReturnStatus.REJECTED.value]),
            )
            .group_by(ReturnItemRow.order_line_id)
        )
        if exclude_return_id is not None:
            query = query.where(ReturnRow.id != exclude_return_id)
        return {line: int(qty or 0) for line, qty in self._session.execute(query)}

    def for_order(self, platform_order_id: str) -> list[ReturnRequest]:
        rows = self._session.scalars(
            self._query().join(OrderRow, OrderRow.id == ReturnRow.order_id)
            .where(OrderRow.platform_order_id == platform_order_id).order_by(ReturnRow.id)
        )
        return [return_from_row(r) for r in rows]

    def redact_customer(self, email: str) -> int:
        rows = list(self._session.scalars(
            select(ReturnRow).where(ReturnRow.shop_id == self._shop.id,
                                    ReturnRow.customer_email == email.strip().lower())
            .options(selectinload(ReturnRow.items))
        ))
        for row in rows:
            row.customer_email = f"redacted-{row.id}@invalid"
            row.satisfaction_comment = ""
            for item in row.items:
                item.comment = ""
                item.photos = []
        return len(rows)

    # -- added for the merchant admin --

    def admin_summaries(
        self, flt: ReturnListFilter, *, sort: str = "-created", limit: int = 50, offset: int = 0,
    ) -> tuple[list[ReturnSummary], int]:
        """The admin's page of returns and the total matching, sorted by one of RETURN_SORTS.

        The product filter matches a line of the return's own order (product id, SKU or a
        part of the title): platform line ids are only unique within an order.
        """
        base = self._filtered(replace(flt, product=None, search=None))
        if flt.search and flt.search.strip():
            # Three exact lookups, one per index (reference, customer email, order name), then
            # the ids: an OR of them, or the shared filter's upper(name), scans the whole shop.
            term = flt.search.strip()
            name = normalise_order_name(term)
            mine = ReturnRow.shop_id == self._shop.id
            orders = select(OrderRow.id).where(OrderRow.shop_id == self._shop.id,
                                               OrderRow.name.in_([name, f"#{name}", term]))
            found = set(self._session.scalars(select(ReturnRow.id).where(mine, ReturnRow.reference == term.upper())))
            found |= set(self._session.scalars(select(ReturnRow.id).where(
                mine, ReturnRow.customer_email == term.lower())))
            found |= set(self._session.scalars(select(ReturnRow.id).where(mine, ReturnRow.order_id.in_(orders))))
            base = base.where(ReturnRow.id.in_(sorted(found) or [-1]))
        if flt.product:
            # The items' copies of their order line (kept by the repositories, see rollups.py):
            # a scan of the shop's return items, without joining each one to order_lines.
            term = flt.product.strip()
            # No join to the returns: the outer query keeps this shop's only.
            lines = select(ReturnItemRow.return_id).where(
                or_(ReturnItemRow.line_product_id == term, ReturnItemRow.line_variant_id == term,
                    ReturnItemRow.line_sku == term, ReturnItemRow.line_title.ilike(f"%{term}%")))
            base = base.where(ReturnRow.id.in_(lines))
        count = self._session.scalar(
            select(func.count()).select_from(base.with_only_columns(ReturnRow.id).subquery())) or 0
        # The filters on the page's own query (not `id IN (filtered ids)`): PostgreSQL then walks
        # the (shop, status, created) index in the sort's order and stops after the page.
        query = _summaries_select(self._shop.id)
        if base.whereclause is not None:
            query = query.where(base.whereclause)
        rows = self._session.execute(
            query.order_by(*RETURN_SORTS.get(sort, RETURN_SORTS["-created"])).limit(limit).offset(offset)
        ).all()
        return _summaries(self._session, rows), count

    def customer_summaries(self, email: str, limit: int = 50) -> list[ReturnSummary]:
        """A customer's returns in this shop, newest first (the 'earlier returns' of a return page)."""
        rows = self._session.execute(
            _summaries_select(self._shop.id).where(ReturnRow.customer_email == email.strip().lower())
            .order_by(ReturnRow.created_at.desc(), ReturnRow.id.desc()).limit(limit)
        ).all()
        return _summaries(self._session, rows)

    def id_for_reference(self, reference: str) -> int | None:
        return self._session.scalar(select(ReturnRow.id).where(
            ReturnRow.shop_id == self._shop.id, ReturnRow.reference == reference.strip().upper()))
