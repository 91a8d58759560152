"""Merchants' own webhook endpoints and the log of what was sent to them. Imports SQLAlchemy and the tables.

Endpoint secrets are sealed like platform credentials: they sign what we send, so whoever
reads the database must not be able to forge deliveries to the merchant.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.types import JSON

from connector.persistence.crypto import CredentialBox
from connector.persistence.tables import Base, UTCDateTime
from connector.ports.storage import DeliveryRecord as DeliveryRecord
from connector.ports.storage import Endpoint as Endpoint
from connector.ports.storage import OutgoingDelivery as OutgoingDelivery

if TYPE_CHECKING:
    pass


class MerchantWebhookEndpointRow(Base):
    """A URL of the merchant's that wants some of our events. Deleted ones stay for their log."""

    __tablename__ = "merchant_webhook_endpoints"
    __table_args__ = (Index("ix_merchant_webhook_endpoints_shop", "shop_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(Text)  # sealed
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class MerchantWebhookDeliveryRow(Base):
    """One event for one endpoint: the exact body signed and sent, and how sending went."""

    __tablename__ = "merchant_webhook_deliveries"
    __table_args__ = (Index("ix_merchant_webhook_deliveries_endpoint", "endpoint_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    # Named by hand: the conventional name would pass PostgreSQL's 63-character limit.
    endpoint_id: Mapped[int] = mapped_column(ForeignKey(
        "merchant_webhook_endpoints.id", ondelete="CASCADE", name="fk_merchant_webhook_deliveries_endpoint"))
    event_id: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_response: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


def _endpoint(row: MerchantWebhookEndpointRow) -> Endpoint:
    return Endpoint(id=row.id, url=row.url, events=tuple(row.events or ()), description=row.description,
                    created_at=row.created_at)


def _record(row: MerchantWebhookDeliveryRow) -> DeliveryRecord:
    return DeliveryRecord(
        id=row.id, endpoint_id=row.endpoint_id, event_id=row.event_id, event=row.event, status=row.status,
        attempts=row.attempts, next_attempt_at=row.next_attempt_at, last_status_code=row.last_status_code,
        last_response=row.last_response, last_error=row.last_error, created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


class MerchantWebhookRepository:
    """Endpoints and deliveries of one shop: no query here can reach another shop's rows."""

    def __init__(self, session: Session, box: CredentialBox, shop_id: int) -> None:
        self._session = session
        self._box = box
        self._shop_id = shop_id

    def _endpoint_row(self, endpoint_id: int) -> MerchantWebhookEndpointRow | None:
        return self._session.scalar(select(MerchantWebhookEndpointRow).where(
            MerchantWebhookEndpointRow.shop_id == self._shop_id, MerchantWebhookEndpointRow.id == endpoint_id,
            MerchantWebhookEndpointRow.deleted_at.is_(None)))

    def _delivery_row(self, delivery_id: int) -> MerchantWebhookDeliveryRow | None:
        return self._session.scalar(select(MerchantWebhookDeliveryRow).where(
            MerchantWebhookDeliveryRow.shop_id == self._shop_id, MerchantWebhookDeliveryRow.id == delivery_id))

    def add_endpoint(self, *, url: str, secret: str, events: tuple[str, ...], description: str,
                     now: datetime) -> Endpoint:
        row = MerchantWebhookEndpointRow(shop_id=self._shop_id, url=url, secret=self._box.seal(secret),
                                         events=list(events), description=description, created_at=now)
        self._session.add(row)
        self._session.flush()
        return _endpoint(row)

    def endpoints(self) -> list[Endpoint]:
        rows = self._session.scalars(select(MerchantWebhookEndpointRow).where(
            MerchantWebhookEndpointRow.shop_id == self._shop_id, MerchantWebhookEndpointRow.deleted_at.is_(None),
        ).order_by(MerchantWebhookEndpointRow.id))
        return [_endpoint(r) for r in rows]

    def endpoint(self, endpoint_id: int) -> Endpoint | None:
        row = self._endpoint_row(endpoint_id)
        return _endpoint(row) if row else None

    def delete_endpoint(self, endpoint_id: int, now: datetime) -> bool:
        row = self._endpoint_row(endpoint_id)
        if row is None:
            return False
        row.deleted_at = now
        # Nothing more goes to a URL the merchant removed; the log says why.
        for delivery in self._session.scalars(select(MerchantWebhookDeliveryRow).where(
                MerchantWebhookDeliveryRow.endpoint_id == row.id, MerchantWebhookDeliveryRow.status == "pending")):
            delivery.status = "cancelled"
            delivery.next_attempt_at = None
            delivery.last_error = "endpoint deleted"
        self._session.flush()
        return True

    def add_delivery(self, *, endpoint_id: int, event: str, event_id: str, body: str, now: datetime) -> int:
        row = MerchantWebhookDeliveryRow(shop_id=self._shop_id, endpoint_id=endpoint_id, event=event,
                                         event_id=event_id, body=body, status="pending", attempts=0,
                                         next_attempt_at=now, created_at=now)
        self._session.add(row)
        self._session.flush()
        return row.id

    def deliveries(self, endpoint_id: int, *, before_id: int | None, limit: int) -> list[DeliveryRecord]:
        """Newest first; `before_id` continues a page (keyset, so new deliveries never shift pages)."""
        query = select(MerchantWebhookDeliveryRow).where(
            MerchantWebhookDeliveryRow.shop_id == self._shop_id,
            MerchantWebhookDeliveryRow.endpoint_id == endpoint_id)
        if before_id is not None:
            query = query.where(MerchantWebhookDeliveryRow.id < before_id)
        rows = self._session.scalars(query.order_by(MerchantWebhookDeliveryRow.id.desc()).limit(limit))
        return [_record(r) for r in rows]

    def outgoing(self, delivery_id: int) -> OutgoingDelivery | None:
        """What the sender needs, secret opened; None when the delivery or its endpoint is gone."""
        row = self._delivery_row(delivery_id)
        if row is None:
            return None
        endpoint = self._session.get(MerchantWebhookEndpointRow, row.endpoint_id)
        if endpoint is None:
            return None
        return OutgoingDelivery(
            id=row.id, endpoint_id=row.endpoint_id, url=endpoint.url, secret=self._box.open(endpoint.secret),
            endpoint_deleted=endpoint.deleted_at is not None, event=row.event, event_id=row.event_id,
            body=row.body, status=row.status, attempts=row.attempts,
        )

    def record_attempt(self, delivery_id: int, *, status: str, status_code: int | None, response: str,
                       error: str, now: datetime, next_attempt_at: datetime | None) -> None:
        row = self._delivery_row(delivery_id)
        if row is None:
            return
        row.attempts += 1
        row.status = status
        row.last_status_code = status_code
        row.last_response = response[:2000]
        row.last_error = error[:2000]
        row.next_attempt_at = next_attempt_at
        if status == "delivered":
            row.delivered_at = now
        self._session.flush()
