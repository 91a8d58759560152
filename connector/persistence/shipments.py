"""Repositories of return labels: the shop's carrier account (credentials sealed) and its shipments.

Imports SQLAlchemy, the persistence package and the domain.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector.domain.money import Money
from connector.domain.shipping import Label, LabelMode, ParcelSize, ParcelStep, PostalAddress, TrackingEvent
from connector.persistence.crypto import CredentialBox
from connector.persistence.shipping_tables import CarrierAccountRow, ShipmentEventRow, ShipmentRow
from connector.persistence.tables import ReturnRow
from connector.ports.carriers import CarrierAccount
from connector.ports.storage import CarrierSettings as CarrierSettings
from connector.ports.storage import StoredEvent as StoredEvent
from connector.ports.storage import StoredShipment as StoredShipment

ADDRESS_FIELDS = ("name", "company", "line1", "line2", "postal_code", "city", "country_code", "email", "phone")


def address_from(data: dict[str, Any]) -> PostalAddress | None:
    if not data:
        return None
    return PostalAddress(**{name: str(data.get(name, "")) for name in ADDRESS_FIELDS})


def parcel_from(data: dict[str, Any]) -> ParcelSize:
    try:
        return ParcelSize(weight_kg=Decimal(str(data.get("weight_kg", "1"))),
                          length_cm=Decimal(str(data.get("length_cm", "30"))),
                          width_cm=Decimal(str(data.get("width_cm", "20"))),
                          height_cm=Decimal(str(data.get("height_cm", "10"))))
    except (ValueError, ArithmeticError):
        return ParcelSize(weight_kg=Decimal("1"))


class CarrierAccountRepository:
    def __init__(self, session: Session, box: CredentialBox, shop_id: int) -> None:
        self._session = session
        self._box = box
        self._shop_id = shop_id

    def _row(self) -> CarrierAccountRow | None:
        return self._session.scalar(select(CarrierAccountRow).where(CarrierAccountRow.shop_id == self._shop_id))

    def get(self) -> CarrierSettings | None:
        row = self._row()
        if row is None:
            return None
        creds: dict[str, str] = json.loads(self._box.open(row.credentials)) if row.credentials else {}
        return CarrierSettings(
            carrier=row.carrier, account=CarrierAccount(row.carrier, creds, row.test_mode),
            label_mode=LabelMode(row.label_mode), auto_receive=row.auto_receive,
            label_price=Money.of(row.label_price, row.currency) if row.label_price is not None else None,
            return_address=address_from(row.return_address), parcel=parcel_from(row.parcel),
            secrets_set=frozenset(name for name, value in creds.items() if value))

    def save(self, *, carrier: str, credentials: dict[str, str], test_mode: bool, label_mode: LabelMode,
             auto_receive: bool, label_price: Decimal | None, currency: str, return_address: PostalAddress,
             parcel: ParcelSize, now: datetime) -> None:
        """Store the choice; a credential left empty keeps the one stored for the same carrier."""
        row = self._row()
        if row is None:
            row = CarrierAccountRow(shop_id=self._shop_id, created_at=now)
            self._session.add(row)
            old: dict[str, str] = {}
        else:
            old = json.loads(self._box.open(row.credentials)) if row.credentials and row.carrier == carrier else {}
        merged = {name: value or old.get(name, "") for name, value in credentials.items()}
        row.carrier = carrier
        row.credentials = self._box.seal(json.dumps(merged)) if any(merged.values()) else ""
        row.test_mode, row.label_mode, row.auto_receive = test_mode, label_mode.value, auto_receive
        row.label_price, row.currency = label_price, currency
        row.return_address = {name: getattr(return_address, name) for name in ADDRESS_FIELDS}
        row.parcel = {"weight_kg": str(parcel.weight_kg), "length_cm": str(parcel.length_cm),
                      "width_cm": str(parcel.width_cm), "height_cm": str(parcel.height_cm)}
        row.updated_at = now
        self._session.flush()


class ShipmentRepository:
    """Shipments of one shop. At most one per return (a unique key, not a check in code)."""

    def __init__(self, session: Session, shop_id: int) -> None:
        self._session = session
        self._shop_id = shop_id

    def _stored(self, row: ShipmentRow, with_events: bool = False) -> StoredShipment:
        events: tuple[StoredEvent, ...] = ()
        if with_events:
            events = tuple(StoredEvent(e.occurred_at, e.code, e.description, e.location, ParcelStep(e.step))
                           for e in self._session.scalars(select(ShipmentEventRow).where(
                               ShipmentEventRow.shipment_id == row.id).order_by(ShipmentEventRow.occurred_at)))
        return StoredShipment(
            id=row.id, return_id=row.return_id, reference=row.reference, carrier=row.carrier, status=row.status,
            step=ParcelStep(row.step), tracking_number=row.tracking_number, tracking_url=row.tracking_url,
            price=Money.of(row.price, row.currency) if row.price is not None else None, specimen=row.specimen,
            has_label=row.label_pdf is not None, last_error=row.last_error, bought_at=row.bought_at,
            sender=address_from(row.sender or {}), events=events)

    def _row(self, shipment_id: int) -> ShipmentRow | None:
        return self._session.scalar(select(ShipmentRow).where(
            ShipmentRow.id == shipment_id, ShipmentRow.shop_id == self._shop_id).execution_options(
            populate_existing=True))

    def add(self, return_id: int, reference: str, carrier: str, currency: str, now: datetime,
            status: str = "address") -> int | None:
        """The return's shipment; None when it already has one (the caller queues nothing more)."""
        row = ShipmentRow(shop_id=self._shop_id, return_id=return_id, reference=reference, carrier=carrier,
                          currency=currency, status=status, step=ParcelStep.LABEL_CREATED.value, sender={},
                          created_at=now, updated_at=now)
        try:
            with self._session.begin_nested():
                self._session.add(row)
                self._session.flush()
        except IntegrityError:
            return None
        return row.id

    def get(self, shipment_id: int) -> StoredShipment | None:
        row = self._row(shipment_id)
        return self._stored(row, with_events=True) if row else None

    def for_return(self, return_id: int) -> StoredShipment | None:
        row = self._session.scalar(select(ShipmentRow).where(
            ShipmentRow.return_id == return_id, ShipmentRow.shop_id == self._shop_id))
        return self._stored(row, with_events=True) if row else None

    def label_pdf(self, return_id: int) -> bytes | None:
        return self._session.scalar(select(ShipmentRow.label_pdf).where(
            ShipmentRow.return_id == return_id, ShipmentRow.shop_id == self._shop_id))

    def set_sender(self, shipment_id: int, sender: PostalAddress, now: datetime) -> bool:
        """The shopper's address, once, while no label is asked for yet; False otherwise."""
        result = self._session.execute(update(ShipmentRow).where(
            ShipmentRow.id == shipment_id, ShipmentRow.shop_id == self._shop_id, ShipmentRow.status == "address")
            .values(sender={name: getattr(sender, name) for name in ADDRESS_FIELDS}, status="pending", updated_at=now))
        return int(getattr(result, "rowcount", 0)) > 0

    def set_status(self, shipment_id: int, status: str, now: datetime, error: str = "") -> None:
        self._session.execute(update(ShipmentRow).where(
            ShipmentRow.id == shipment_id, ShipmentRow.shop_id == self._shop_id)
            .values(status=status, last_error=error[:2000], updated_at=now))

    def record_label(self, shipment_id: int, label: Label, price: Money | None, now: datetime,
                     next_poll_at: datetime) -> None:
        self._session.execute(update(ShipmentRow).where(
            ShipmentRow.id == shipment_id, ShipmentRow.shop_id == self._shop_id).values(
            status="bought", tracking_number=label.tracking_number, tracking_url=label.tracking_url,
            price=price.amount if price else None, currency=price.currency if price else ShipmentRow.currency,
            specimen=label.specimen, label_pdf=label.pdf, last_error="", bought_at=now, next_poll_at=next_poll_at,
            updated_at=now))

    def record_tracking_number(self, shipment_id: int, tracking_number: str, now: datetime,
                               next_poll_at: datetime) -> None:
        """The merchant found the label in the carrier's account: follow it without buying again."""
        self._session.execute(update(ShipmentRow).where(
            ShipmentRow.id == shipment_id, ShipmentRow.shop_id == self._shop_id).values(
            status="bought", tracking_number=tracking_number, last_error="", bought_at=now,
            next_poll_at=next_poll_at, updated_at=now))

    def due_for_tracking(self, now: datetime, limit: int = 50) -> list[StoredShipment]:
        rows = self._session.scalars(select(ShipmentRow).where(
            ShipmentRow.shop_id == self._shop_id, ShipmentRow.status == "bought",
            ShipmentRow.tracking_number != "",
            ShipmentRow.step.in_((ParcelStep.LABEL_CREATED.value, ParcelStep.IN_TRANSIT.value)),
            ShipmentRow.next_poll_at <= now).order_by(ShipmentRow.next_poll_at).limit(limit))
        return [self._stored(row) for row in rows]

    def record_events(self, shipment_id: int, events: list[TrackingEvent], step: ParcelStep,
                      now: datetime, next_poll_at: datetime) -> list[TrackingEvent]:
        """Store the events not seen before; returns those new ones."""
        known = {(when, code) for when, code in self._session.execute(
            select(ShipmentEventRow.occurred_at, ShipmentEventRow.code).where(
                ShipmentEventRow.shipment_id == shipment_id))}
        fresh = [e for e in events if (e.occurred_at, e.code[:32]) not in known]
        for event in fresh:
            self._session.add(ShipmentEventRow(shipment_id=shipment_id, occurred_at=event.occurred_at,
                                               code=event.code[:32], description=event.description[:500],
                                               location=event.location[:200], step=event.step.value))
        self._session.execute(update(ShipmentRow).where(
            ShipmentRow.id == shipment_id, ShipmentRow.shop_id == self._shop_id)
            .values(step=step.value, next_poll_at=next_poll_at, updated_at=now))
        self._session.flush()
        return fresh

    def free_return_labels(self, start: datetime, end: datetime, currency: str) -> tuple[int, Decimal]:
        """Real labels (never specimens) of free returns opened in the period: how many, what they cost."""
        count, total = self._session.execute(
            select(func.count(), func.sum(ShipmentRow.price)).select_from(ShipmentRow)
            .join(ReturnRow, ReturnRow.id == ShipmentRow.return_id)
            .where(ShipmentRow.shop_id == self._shop_id, ShipmentRow.specimen.is_(False),
                   ShipmentRow.price.is_not(None), ShipmentRow.currency == currency,
                   ReturnRow.free_return.is_(True), ReturnRow.created_at >= start, ReturnRow.created_at < end,
                   ReturnRow.status.notin_(("cancelled", "rejected")))).one()
        return int(count or 0), Decimal(total or 0)
