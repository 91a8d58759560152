"""Resolutions of one shop's returns and their push status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.domain.money import Money
from connector.domain.returns import (
    ResolutionKind,
)
from connector.domain.shops import Shop
from connector.persistence.tables import (
    OrderRow,
    ResolutionRow,
    ReturnRow,
)
from connector.ports.storage import StoredResolution as StoredResolution


def resolution_from_row(row: ResolutionRow) -> StoredResolution:
    cur = row.currency
    return StoredResolution(
        id=row.id, return_id=row.return_id, kind=ResolutionKind(row.kind),
        amount=Money(row.amount, cur), tax=Money(row.tax, cur), bonus=Money(row.bonus, cur),
        restocking_fee=Money(row.restocking_fee, cur), shipping_fee=Money(row.shipping_fee, cur),
        lines=list(row.lines or ()), exchange_variant_id=row.exchange_variant_id,
        idempotency_key=row.idempotency_key, push_status=row.push_status,
        platform_reference=row.platform_reference, code=row.code, attempts=row.attempts,
        last_error=row.last_error, created_at=row.created_at, pushed_at=row.pushed_at,
        coupon_percent=Decimal(row.coupon_percent) if row.coupon_percent is not None else None,
    )


class ResolutionRepository:
    def __init__(self, session: Session, shop: Shop) -> None:
        self._session = session
        self._shop = shop

    def _row(self, resolution_id: int) -> ResolutionRow | None:
        return self._session.scalar(select(ResolutionRow).where(
            ResolutionRow.shop_id == self._shop.id, ResolutionRow.id == resolution_id))

    def get(self, resolution_id: int) -> StoredResolution | None:
        row = self._row(resolution_id)
        return resolution_from_row(row) if row else None

    def for_return(self, return_id: int) -> list[StoredResolution]:
        rows = self._session.scalars(select(ResolutionRow).where(
            ResolutionRow.shop_id == self._shop.id, ResolutionRow.return_id == return_id
        ).order_by(ResolutionRow.id))
        return [resolution_from_row(r) for r in rows]

    def add(
        self, *, return_id: int, kind: ResolutionKind, amount: Money, tax: Money, bonus: Money,
        restocking_fee: Money, shipping_fee: Money, lines: Sequence[dict[str, Any]],
        exchange_variant_id: str | None, idempotency_key: str, now: datetime, push_status: str = "pending",
        coupon_percent: Decimal | None = None,
    ) -> StoredResolution:
        row = ResolutionRow(
            shop_id=self._shop.id, return_id=return_id, kind=kind.value, currency=amount.currency,
            amount=amount.amount, tax=tax.amount, bonus=bonus.amount,
            restocking_fee=restocking_fee.amount, shipping_fee=shipping_fee.amount,
            lines=list(lines), exchange_variant_id=exchange_variant_id,
            idempotency_key=idempotency_key, push_status=push_status, created_at=now,
            coupon_percent=coupon_percent,
        )
        self._session.add(row)
        self._session.flush()
        return resolution_from_row(row)

    def mark_pushed(self, resolution_id: int, *, platform_reference: str, code: str, now: datetime) -> None:
        row = self._row(resolution_id)
        if row is None:
            raise LookupError(f"no resolution {resolution_id} in this shop")
        row.push_status = "pushed"
        row.platform_reference = platform_reference
        row.code = code
        row.pushed_at = now
        row.last_error = ""

    def mark_failed(self, resolution_id: int, error: str, *, final: bool) -> None:
        row = self._row(resolution_id)
        if row is None:
            return
        row.attempts += 1
        row.last_error = error[:2000]
        row.push_status = "failed" if final else "pending"

    def mark_done_by_merchant(self, resolution_id: int, note: str, now: datetime) -> None:
        row = self._row(resolution_id)
        if row is None:
            raise LookupError(f"no resolution {resolution_id} in this shop")
        row.push_status = "done_by_merchant"
        row.platform_reference = note or "manual"
        row.pushed_at = now

    def retry(self, resolution_id: int) -> None:
        row = self._row(resolution_id)
        if row is not None and row.push_status == "failed":
            row.push_status = "pending"

    def refunded_total_for_order(self, order_pk_platform_id: str) -> dict[str, Decimal]:
        order_pk = select(OrderRow.id).where(
            OrderRow.shop_id == self._shop.id, OrderRow.platform_order_id == order_pk_platform_id
        ).scalar_subquery()
        rows = self._session.execute(
            select(ResolutionRow.currency, func.sum(ResolutionRow.amount))
            .join(ReturnRow, ReturnRow.id == ResolutionRow.return_id)
            .where(ResolutionRow.shop_id == self._shop.id, ReturnRow.order_id == order_pk)
            .group_by(ResolutionRow.currency)
        )
        return {cur: Decimal(total or 0) for cur, total in rows}
