"""Sign-ins of the app's own for merchants outside the Shopify admin."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.persistence.tables import (
    MerchantUserRow,
)
from connector.ports.storage import MerchantUser as MerchantUser

# MerchantUser crosses to the use cases: it is defined with the storage ports.



class MerchantUserRepository:
    """The app's own sign-ins of one shop (WooCommerce and manual shops)."""

    def __init__(self, session: Session, shop_id: int) -> None:
        self._session = session
        self._shop_id = shop_id

    @staticmethod
    def _user(row: MerchantUserRow) -> MerchantUser:
        return MerchantUser(row.id, row.shop_id, row.email, row.password_hash, row.created_at)

    def by_email(self, email: str) -> MerchantUser | None:
        row = self._session.scalar(select(MerchantUserRow).where(
            MerchantUserRow.shop_id == self._shop_id, MerchantUserRow.email == email.strip().lower()))
        return self._user(row) if row else None

    def get(self, user_id: int) -> MerchantUser | None:
        row = self._session.scalar(select(MerchantUserRow).where(
            MerchantUserRow.shop_id == self._shop_id, MerchantUserRow.id == user_id))
        return self._user(row) if row else None

    def all(self) -> list[MerchantUser]:
        rows = self._session.scalars(select(MerchantUserRow).where(
            MerchantUserRow.shop_id == self._shop_id).order_by(MerchantUserRow.id))
        return [self._user(r) for r in rows]

    def save(self, email: str, password_hash: str, now: datetime) -> MerchantUser:
        """Add the user, or set a new password for the one with this email."""
        row = self._session.scalar(select(MerchantUserRow).where(
            MerchantUserRow.shop_id == self._shop_id, MerchantUserRow.email == email.strip().lower()))
        if row is None:
            row = MerchantUserRow(shop_id=self._shop_id, email=email.strip().lower(), created_at=now)
            self._session.add(row)
        row.password_hash = password_hash
        self._session.flush()
        return self._user(row)
