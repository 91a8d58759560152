"""The webhook intake's port: the lean store the request path records deliveries in.

The fast path and the intake use case reach it as `services.intake`, typed by this port:
the edge never names the storage that implements it (persistence.queue_tables).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from connector.ports.platforms import ShopConnection


class IntakeShop(Protocol):
    """What the intake needs of a shop: its id and its decrypted webhook credentials."""

    @property
    def id(self) -> int: ...

    @property
    def connection(self) -> ShopConnection: ...


class WebhookIntake(Protocol):
    def shop(self, platform: str, domain: str, *, fresh: bool = False) -> IntakeShop | None:
        """The shop of a webhook, cached; `fresh` reads it again (a secret just rotated)."""

    def forget(self, platform: str, domain: str) -> None:
        """Drop the cached shop (removed, uninstalled, credentials changed)."""

    def record(self, *, platform: str, shop_id: int, topic: str, dedupe_key: str, body: bytes,
               received_at: datetime, triggered_at: datetime | None, status: str = ...,
               queued_at: datetime | None = ...) -> int | None:
        """The new delivery's id, committed; None for a repeat. LookupError: the shop is gone."""
