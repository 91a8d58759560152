"""Stored API tokens: only their SHA-256 hash is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.persistence.tables import ApiTokenRow


class ApiTokenRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, shop_id: int, token_hash: str, label: str, now: datetime) -> int:
        row = ApiTokenRow(shop_id=shop_id, token_hash=token_hash, label=label, created_at=now)
        self._session.add(row)
        self._session.flush()
        return row.id

    def revoke(self, shop_id: int, token_id: int, now: datetime) -> bool:
        row = self._session.scalar(select(ApiTokenRow).where(ApiTokenRow.id == token_id,
                                                             ApiTokenRow.shop_id == shop_id))
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = now
        return True

    def revoke_all(self, shop_id: int, now: datetime) -> int:
        """Revoke every live token of the shop (the app was uninstalled); returns how many."""
        rows = list(self._session.scalars(select(ApiTokenRow).where(
            ApiTokenRow.shop_id == shop_id, ApiTokenRow.revoked_at.is_(None))))
        for row in rows:
            row.revoked_at = now
        return len(rows)

    def shop_for(self, token_hash: str) -> int | None:
        row = self._session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash))
        if row is None or row.revoked_at is not None:
            return None
        return row.shop_id

    def list(self, shop_id: int) -> list[tuple[int, str, datetime, datetime | None]]:
        rows = self._session.scalars(select(ApiTokenRow).where(ApiTokenRow.shop_id == shop_id).order_by(ApiTokenRow.id))
        return [(r.id, r.label, r.created_at, r.revoked_at) for r in rows]
