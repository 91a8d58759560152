"""Emails the app sends, kept per shop so the merchant sees what the shopper was told."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.persistence.tables import EmailRow
from connector.ports.storage import StoredEmail as StoredEmail


def _email(row: EmailRow) -> StoredEmail:
    return StoredEmail(row.id, row.shop_id, row.return_id, row.to, row.subject, row.body, row.status,
                       row.created_at, row.sent_at)


class EmailRepository:
    def __init__(self, session: Session, shop_id: int) -> None:
        self._session = session
        self._shop_id = shop_id

    def add(self, *, to: str, subject: str, body: str, return_id: int | None, now: datetime) -> StoredEmail:
        row = EmailRow(shop_id=self._shop_id, return_id=return_id, to=to, subject=subject, body=body,
                       status="pending", created_at=now)
        self._session.add(row)
        self._session.flush()
        return _email(row)

    def get(self, email_id: int) -> StoredEmail | None:
        row = self._session.scalar(select(EmailRow).where(EmailRow.shop_id == self._shop_id, EmailRow.id == email_id))
        return _email(row) if row else None

    def mark(self, email_id: int, status: str, now: datetime) -> None:
        row = self._session.scalar(select(EmailRow).where(EmailRow.shop_id == self._shop_id, EmailRow.id == email_id))
        if row is not None:
            row.status = status
            row.sent_at = now

    def recent(self, limit: int = 100, return_id: int | None = None) -> list[StoredEmail]:
        query = select(EmailRow).where(EmailRow.shop_id == self._shop_id)
        if return_id is not None:
            query = query.where(EmailRow.return_id == return_id)
        return [_email(r) for r in self._session.scalars(query.order_by(EmailRow.id.desc()).limit(limit))]
