"""The outbox and the webhook delivery log: durable records of work to do after a commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector.persistence.tables import OutboxRow, WebhookDeliveryRow


@dataclass(frozen=True)
class OutboxItem:
    id: int
    shop_id: int
    task: str
    subject_id: int
    status: str
    attempts: int
    last_error: str


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(row.id, row.shop_id, row.task, row.subject_id, row.status, row.attempts, row.last_error)


class OutboxRepository:
    """Scoped to one shop, or (shop_id None) the relay's view across shops."""

    def __init__(self, session: Session, shop_id: int | None) -> None:
        self._session = session
        self._shop_id = shop_id

    def add(self, task: str, subject_id: int, now: datetime) -> OutboxItem:
        if self._shop_id is None:
            raise RuntimeError("outbox rows are written within one shop")
        row = OutboxRow(shop_id=self._shop_id, task=task, subject_id=subject_id, status="pending",
                        available_at=now, created_at=now)
        self._session.add(row)
        self._session.flush()
        return _item(row)

    def get(self, outbox_id: int) -> OutboxItem | None:
        query = select(OutboxRow).where(OutboxRow.id == outbox_id)
        if self._shop_id is not None:
            query = query.where(OutboxRow.shop_id == self._shop_id)
        row = self._session.scalar(query)
        return _item(row) if row else None

    def pending(self, now: datetime, limit: int = 100) -> list[OutboxItem]:
        query = select(OutboxRow).where(OutboxRow.status == "pending", OutboxRow.available_at <= now)
        if self._shop_id is not None:
            query = query.where(OutboxRow.shop_id == self._shop_id)
        return [_item(r) for r in self._session.scalars(query.order_by(OutboxRow.id).limit(limit))]

    def failed(self, limit: int = 200) -> list[OutboxItem]:
        query = select(OutboxRow).where(OutboxRow.status == "failed")
        if self._shop_id is not None:
            query = query.where(OutboxRow.shop_id == self._shop_id)
        return [_item(r) for r in self._session.scalars(query.order_by(OutboxRow.id.desc()).limit(limit))]

    def claim(self, outbox_id: int, now: datetime, lease: timedelta) -> bool:
        """Hold the row for one worker for `lease`; another claim fails until it expires.

        A worker that dies mid-push lets the lease lapse, and the sweep hands the row on.
        """
        result = self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == outbox_id, OutboxRow.status == "pending", OutboxRow.available_at <= now)
            .values(available_at=now + lease, attempts=OutboxRow.attempts + 1)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def done(self, outbox_id: int, now: datetime) -> None:
        self._session.execute(
            update(OutboxRow).where(OutboxRow.id == outbox_id).values(status="done", processed_at=now, last_error="")
        )

    def retry_later(self, outbox_id: int, error: str, at: datetime) -> None:
        self._session.execute(
            update(OutboxRow).where(OutboxRow.id == outbox_id).values(available_at=at, last_error=error[:2000])
        )

    def fail(self, outbox_id: int, error: str) -> None:
        self._session.execute(
            update(OutboxRow).where(OutboxRow.id == outbox_id).values(status="failed", last_error=error[:2000])
        )

    def requeue(self, outbox_id: int, now: datetime) -> bool:
        query = update(OutboxRow).where(OutboxRow.id == outbox_id, OutboxRow.status == "failed")
        if self._shop_id is not None:
            query = query.where(OutboxRow.shop_id == self._shop_id)
        result = self._session.execute(query.values(status="pending", available_at=now, attempts=0))
        return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Delivery:
    id: int
    platform: str
    shop_id: int
    topic: str
    dedupe_key: str
    body: bytes
    status: str
    attempts: int
    received_at: datetime
    triggered_at: datetime | None
    error: str


def _delivery(row: WebhookDeliveryRow) -> Delivery:
    return Delivery(row.id, row.platform, row.shop_id, row.topic, row.dedupe_key, row.body, row.status,
                    row.attempts, row.received_at, row.triggered_at, row.error)


class DeliveryRepository:
    """Webhook deliveries. The (platform, shop, key) uniqueness rule is what de-duplicates."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def record(
        self, *, platform: str, shop_id: int, topic: str, dedupe_key: str, body: bytes,
        received_at: datetime, triggered_at: datetime | None,
    ) -> int | None:
        """Insert the delivery; None when the same key was already recorded (a repeat)."""
        row = WebhookDeliveryRow(
            platform=platform, shop_id=shop_id, topic=topic, dedupe_key=dedupe_key, body=body,
            received_at=received_at, triggered_at=triggered_at, status="received",
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
                self._session.flush()
        except IntegrityError:
            return None
        return row.id

    def get(self, delivery_id: int) -> Delivery | None:
        row = self._session.get(WebhookDeliveryRow, delivery_id)
        return _delivery(row) if row else None

    def waiting(self, limit: int = 500, after_id: int = 0) -> list[Delivery]:
        rows = self._session.scalars(
            select(WebhookDeliveryRow).where(WebhookDeliveryRow.status == "received", WebhookDeliveryRow.id > after_id)
            .order_by(WebhookDeliveryRow.id).limit(limit)
        )
        return [_delivery(r) for r in rows]

    def failed(self, limit: int = 200) -> list[Delivery]:
        rows = self._session.scalars(
            select(WebhookDeliveryRow).where(WebhookDeliveryRow.status == "failed")
            .order_by(WebhookDeliveryRow.id.desc()).limit(limit)
        )
        return [_delivery(r) for r in rows]

    def mark(self, delivery_id: int, status: str, now: datetime, error: str = "") -> None:
        self._session.execute(
            update(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery_id).values(
                status=status, processed_at=now, error=error[:2000],
                attempts=WebhookDeliveryRow.attempts + 1,
            )
        )

    def requeue(self, delivery_id: int) -> bool:
        result = self._session.execute(
            update(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery_id,
                                             WebhookDeliveryRow.status == "failed")
            .values(status="received", error="")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
