"""Tables of return labels: a shop's carrier account, one shipment per return, the carrier's events.

Imports SQLAlchemy and the app's declarative base; loaded with the persistence package.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.persistence.tables import AMOUNT, Base, UTCDateTime


class CarrierAccountRow(Base):
    __tablename__ = "carrier_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), unique=True)
    carrier: Mapped[str] = mapped_column(String(32))
    credentials: Mapped[str] = mapped_column(Text, default="")  # sealed JSON, like the platform tokens
    test_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    label_mode: Mapped[str] = mapped_column(String(16), default="shopper_ships")
    auto_receive: Mapped[bool] = mapped_column(Boolean, default=False)
    # The contract rate of one label, for carriers whose answer carries no price (Colissimo).
    label_price: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    return_address: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    parcel: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ShipmentRow(Base):
    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("shop_id", "reference", name="uq_shipments_shop_reference"),
        Index("ix_shipments_shop_step", "shop_id", "status", "step"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    # One label per return: the unique key is what makes a second purchase impossible to record.
    return_id: Mapped[int] = mapped_column(ForeignKey("return_requests.id", ondelete="CASCADE"), unique=True)
    reference: Mapped[str] = mapped_column(String(40))
    carrier: Mapped[str] = mapped_column(String(32))
    # address (waiting for the shopper's) -> pending -> buying -> bought;
    # check (an answer may be lost: the merchant looks); failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    sender: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the shopper's address
    step: Mapped[str] = mapped_column(String(16), default="label_created")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    tracking_url: Mapped[str] = mapped_column(String(500), default="")
    price: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    specimen: Mapped[bool] = mapped_column(Boolean, default=False)
    label_pdf: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    bought_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ShipmentEventRow(Base):
    __tablename__ = "shipment_events"
    __table_args__ = (UniqueConstraint("shipment_id", "occurred_at", "code", name="uq_shipment_events_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    code: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(500), default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    step: Mapped[str] = mapped_column(String(16))
