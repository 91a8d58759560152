"""Store-credit ledger per shop and customer over the credit_ledger table: +credit, -debit, one row per movement.

For platforms without a native wallet (WooCommerce core) the app is the wallet: the balance
is the sum of the customer's movements, and each movement's reference is unique, so a
repeated webhook or a retried push never moves money twice. Imports SQLAlchemy, the
tables and the domain.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector.domain.money import Money
from connector.persistence.tables import CreditLedgerRow
from connector.ports.storage import CreditMovement as CreditMovement

_REFERENCE_LENGTH = 100  # the column's size


class CreditLedgerRepository:
    """One shop's ledger. References are unique across the whole table, so they are stored
    prefixed with the shop id: two shops may use the same order ids."""

    def __init__(self, session: Session, shop_id: int) -> None:
        self._session = session
        self._shop_id = shop_id

    def _stored(self, reference: str) -> str:
        scoped = f"{self._shop_id}:{reference}"
        if len(scoped) <= _REFERENCE_LENGTH:
            return scoped
        # Long references (a long coupon code) keep their start for people, and a hash for uniqueness.
        digest = hashlib.sha256(scoped.encode("utf-8")).hexdigest()[:32]
        return f"{scoped[:_REFERENCE_LENGTH - 33]}#{digest}"

    def _movement(self, row: CreditLedgerRow) -> CreditMovement:
        prefix = f"{self._shop_id}:"
        reference = row.reference[len(prefix):] if row.reference.startswith(prefix) else row.reference
        return CreditMovement(row.id, row.customer_email, Money(row.amount, row.currency), row.reason,
                              reference, row.created_at)

    def has(self, reference: str) -> bool:
        return self._session.scalar(
            select(CreditLedgerRow.id).where(CreditLedgerRow.reference == self._stored(reference))
        ) is not None

    def record(self, *, customer_email: str, amount: Money, reason: str, reference: str,
               now: datetime) -> CreditMovement | None:
        """Write one movement; None if a movement with this reference already exists (nothing written)."""
        if amount.is_zero():
            raise ValueError("a credit movement of zero moves nothing")
        if self.has(reference):
            return None
        row = CreditLedgerRow(
            shop_id=self._shop_id, customer_email=customer_email.strip().lower(), currency=amount.currency,
            amount=amount.amount, reason=reason[:255], reference=self._stored(reference), created_at=now,
        )
        try:
            # A savepoint: a concurrent writer of the same reference loses only this insert.
            with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            return None
        return self._movement(row)

    def balance(self, customer_email: str, currency: str) -> Money:
        found = self._session.scalar(
            select(func.sum(CreditLedgerRow.amount)).where(
                CreditLedgerRow.shop_id == self._shop_id,
                CreditLedgerRow.customer_email == customer_email.strip().lower(),
                CreditLedgerRow.currency == currency,
            )
        )
        return Money(Decimal(found or 0), currency)

    def movements(self, customer_email: str, currency: str | None = None) -> list[CreditMovement]:
        """The customer's movements, oldest first."""
        query = select(CreditLedgerRow).where(
            CreditLedgerRow.shop_id == self._shop_id,
            CreditLedgerRow.customer_email == customer_email.strip().lower(),
        )
        if currency is not None:
            query = query.where(CreditLedgerRow.currency == currency)
        return [self._movement(r) for r in self._session.scalars(query.order_by(CreditLedgerRow.id))]
