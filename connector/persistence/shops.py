"""Shops: the one table read across tenants, since it is where a tenant is found."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connector.domain.shops import Shop
from connector.persistence.crypto import CredentialBox
from connector.persistence.tables import (
    ShopRow,
)
from connector.ports import ShopConnection


def shop_from_row(row: ShopRow) -> Shop:
    return Shop(
        id=row.id, platform=row.platform, domain=row.domain, slug=row.slug, name=row.name,
        locale=row.locale, currency=row.currency, installed_at=row.installed_at,
        uninstalled_at=row.uninstalled_at, contact_email=row.contact_email,
        return_address=row.return_address, policy=dict(row.policy or {}),
        options=dict(row.options or {}),
    )


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60] or "shop"


class ShopRepository:
    """Shops are the one table read across tenants: it is where a tenant is found."""

    def __init__(self, session: Session, box: CredentialBox) -> None:
        self._session = session
        self._box = box

    def _row(self, shop_id: int) -> ShopRow | None:
        return self._session.get(ShopRow, shop_id)

    def get(self, shop_id: int) -> Shop | None:
        row = self._row(shop_id)
        return shop_from_row(row) if row else None

    def by_domain(self, platform: str, domain: str) -> Shop | None:
        row = self._session.scalar(
            select(ShopRow).where(ShopRow.platform == platform, ShopRow.domain == domain)
        )
        return shop_from_row(row) if row else None

    def by_slug(self, slug: str) -> Shop | None:
        row = self._session.scalar(select(ShopRow).where(ShopRow.slug == slug))
        return shop_from_row(row) if row else None

    def by_reference(self, key: str) -> Shop | None:
        """A shop named on the command line: its id, slug or domain."""
        if key.isdigit():
            found = self.get(int(key))
            if found:
                return found
        row = self._session.scalar(
            select(ShopRow).where(or_(ShopRow.slug == key, ShopRow.domain == key)).order_by(ShopRow.id)
        )
        return shop_from_row(row) if row else None

    def all(self) -> list[Shop]:
        return [shop_from_row(r) for r in self._session.scalars(select(ShopRow).order_by(ShopRow.id))]

    def _unique_slug(self, wanted: str) -> str:
        base = slugify(wanted)
        slug, n = base, 1
        while self._session.scalar(select(ShopRow.id).where(ShopRow.slug == slug)) is not None:
            n += 1
            slug = f"{base}-{n}"
        return slug

    def connect(
        self,
        *,
        platform: str,
        domain: str,
        now: datetime,
        name: str = "",
        credentials: dict[str, str] | None = None,
        webhook_secret: str = "",
        locale: str = "fr",
        currency: str = "EUR",
        policy: dict[str, Any] | None = None,
        slug: str | None = None,
    ) -> Shop:
        """Create the shop, or reconnect it (new credentials, uninstall cleared)."""
        row = self._session.scalar(
            select(ShopRow).where(ShopRow.platform == platform, ShopRow.domain == domain)
        )
        if row is None:
            row = ShopRow(
                platform=platform, domain=domain,
                slug=self._unique_slug(slug or name or domain.split(".")[0].split("//")[-1]),
                name=name or domain, locale=locale, currency=currency, installed_at=now,
                policy=policy or {}, options={},
            )
            self._session.add(row)
        row.uninstalled_at = None
        if credentials is not None:
            row.credentials = self._box.seal(json.dumps(credentials))
        if webhook_secret:
            row.webhook_secret = self._box.seal(webhook_secret)
        if name:
            row.name = name
        self._session.flush()
        return shop_from_row(row)

    def connection(self, shop_id: int) -> ShopConnection:
        """The decrypted credentials an adapter needs; raises LookupError for an unknown shop."""
        row = self._row(shop_id)
        if row is None:
            raise LookupError(f"no shop {shop_id}")
        creds: dict[str, str] = json.loads(self._box.open(row.credentials)) if row.credentials else {}
        return ShopConnection(
            shop_id=row.id, platform=row.platform, domain=row.domain,
            access_token=creds.get("access_token", ""),
            consumer_key=creds.get("consumer_key", ""),
            consumer_secret=creds.get("consumer_secret", ""),
            webhook_secret=self._box.open(row.webhook_secret),
            currency=row.currency,
            options={k: str(v) for k, v in (row.options or {}).items()},
        )

    def update(self, shop_id: int, **fields: Any) -> Shop:
        row = self._row(shop_id)
        if row is None:
            raise LookupError(f"no shop {shop_id}")
        allowed = {"name", "locale", "currency", "policy", "options", "contact_email",
                   "return_address", "last_synced_at"}
        for key, value in fields.items():
            if key not in allowed:
                raise KeyError(f"shop field {key} cannot be updated here")
            setattr(row, key, value)
        self._session.flush()
        return shop_from_row(row)

    def uninstall(self, shop_id: int, now: datetime) -> None:
        """Stop all pushes and drop the token; the shop's returns stay for the merchant."""
        row = self._row(shop_id)
        if row is None:
            return
        row.uninstalled_at = now
        row.credentials = ""
        self._session.flush()

    def last_synced_at(self, shop_id: int) -> datetime | None:
        row = self._row(shop_id)
        return row.last_synced_at if row else None
