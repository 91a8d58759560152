"""Resolutions of one shop's returns and their push status, as the domain's Resolution."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.domain.money import Money
from connector.domain.resolutions import PushStatus, Resolution, ResolutionLine
from connector.domain.returns import (
    ResolutionKind,
)
from connector.domain.shops import Shop
from connector.persistence.tables import (
    OrderRow,
    ResolutionRow,
    ReturnRow,
)


def line_from_json(raw: Mapping[str, Any], currency: str) -> ResolutionLine:
    """A stored line; one written before fees were kept on the lines has no "fee" (None)."""
    return ResolutionLine(
        line_id=str(raw["line_id"]), quantity=int(raw["quantity"]),
        amount=Money.of(raw["amount"], currency), tax=Money.of(raw["tax"], currency),
        tax_by_rate=tuple((str(rate), Money.of(amount, currency)) for rate, amount in raw.get("tax_by_rate", [])),
        fee=Money.of(raw.get("fee") or "0", currency) if "fee" in raw else None,
        shipping=bool(raw.get("shipping", False)), restock=bool(raw.get("restock", False)),
        exchange_variant_id=raw.get("exchange_variant_id"),
    )


def _raw_line(line: ResolutionLine) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "line_id": line.line_id, "quantity": line.quantity, "amount": str(line.amount.amount),
        "tax": str(line.tax.amount), "shipping": line.shipping, "restock": line.restock,
        "exchange_variant_id": line.exchange_variant_id,
        "tax_by_rate": [[rate, str(amount.amount)] for rate, amount in line.tax_by_rate],
    }
    if line.fee is not None:
        raw["fee"] = str(line.fee.amount)
    return raw


def resolution_from_row(row: ResolutionRow) -> Resolution:
    cur = row.currency
    return Resolution(
        id=row.id, return_id=row.return_id, kind=ResolutionKind(row.kind),
        amount=Money(row.amount, cur), tax=Money(row.tax, cur), bonus=Money(row.bonus, cur),
        restocking_fee=Money(row.restocking_fee, cur), return_shipping_fee=Money(row.shipping_fee, cur),
        lines=tuple(line_from_json(raw, cur) for raw in row.lines or ()), exchange_variant_id=row.exchange_variant_id,
        idempotency_key=row.idempotency_key, push_status=PushStatus(row.push_status),
        platform_reference=row.platform_reference, code=row.code, attempts=row.attempts,
        last_error=row.last_error, created_at=row.created_at, pushed_at=row.pushed_at,
        coupon_percent=Decimal(row.coupon_percent) if row.coupon_percent is not None else None,
    )


def _write_state(row: ResolutionRow, resolution: Resolution) -> None:
    """What a transition changes (connector.domain.resolutions.Resolution's mark_* methods)."""
    row.push_status = resolution.push_status.value
    row.platform_reference = resolution.platform_reference
    row.code = resolution.code
    row.pushed_at = resolution.pushed_at
    row.attempts = resolution.attempts
    row.last_error = resolution.last_error


class ResolutionRepository:
    def __init__(self, session: Session, shop: Shop) -> None:
        self._session = session
        self._shop = shop

    def _row(self, resolution_id: int) -> ResolutionRow | None:
        return self._session.scalar(select(ResolutionRow).where(
            ResolutionRow.shop_id == self._shop.id, ResolutionRow.id == resolution_id))

    def get(self, resolution_id: int) -> Resolution | None:
        row = self._row(resolution_id)
        return resolution_from_row(row) if row else None

    def for_return(self, return_id: int) -> list[Resolution]:
        rows = self._session.scalars(select(ResolutionRow).where(
            ResolutionRow.shop_id == self._shop.id, ResolutionRow.return_id == return_id
        ).order_by(ResolutionRow.id))
        return [resolution_from_row(r) for r in rows]

    def add(self, resolution: Resolution, *, return_id: int, now: datetime) -> Resolution:
        """Record a new resolution of return `return_id`; returns it as stored (with its id)."""
        row = ResolutionRow(
            shop_id=self._shop.id, return_id=return_id, kind=resolution.kind.value,
            currency=resolution.amount.currency, amount=resolution.amount.amount, tax=resolution.tax.amount,
            bonus=resolution.bonus.amount, restocking_fee=resolution.restocking_fee.amount,
            shipping_fee=resolution.return_shipping_fee.amount, lines=[_raw_line(ln) for ln in resolution.lines],
            exchange_variant_id=resolution.exchange_variant_id, idempotency_key=resolution.idempotency_key,
            push_status=resolution.push_status.value, created_at=now, coupon_percent=resolution.coupon_percent,
        )
        self._session.add(row)
        self._session.flush()
        return resolution_from_row(row)

    def save(self, resolution: Resolution) -> None:
        """Write a stored resolution's state after a transition."""
        row = self._row(resolution.id)
        if row is None:
            raise LookupError(f"no resolution {resolution.id} in this shop")
        _write_state(row, resolution)

    def _transition(self, resolution_id: int, change: Callable[[Resolution], None]) -> bool:
        row = self._row(resolution_id)
        if row is None:
            return False
        resolution = resolution_from_row(row)
        change(resolution)
        _write_state(row, resolution)
        return True

    def mark_pushed(self, resolution_id: int, *, platform_reference: str, code: str, now: datetime) -> None:
        if not self._transition(resolution_id, lambda r: r.mark_pushed(platform_reference, code=code, at=now)):
            raise LookupError(f"no resolution {resolution_id} in this shop")

    def mark_failed(self, resolution_id: int, error: str, *, final: bool) -> None:
        """A failed push; a late failure never undoes a settlement (pushed, or done by hand meanwhile)."""
        def fail(resolution: Resolution) -> None:
            if not resolution.settled:
                resolution.mark_failed(error, final=final)

        self._transition(resolution_id, fail)

    def mark_done_by_merchant(self, resolution_id: int, note: str, now: datetime) -> None:
        if not self._transition(resolution_id, lambda r: r.mark_done_by_merchant(note or "manual", at=now)):
            raise LookupError(f"no resolution {resolution_id} in this shop")

    def retry(self, resolution_id: int) -> None:
        self._transition(resolution_id, lambda r: r.retry())

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
