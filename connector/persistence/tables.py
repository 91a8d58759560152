"""SQLAlchemy 2 tables of the app. Imports SQLAlchemy only: no domain logic lives here."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Named constraints so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

AMOUNT = Numeric(20, 4, asdecimal=True)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database: use aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ShopRow(Base):
    __tablename__ = "shops"
    __table_args__ = (UniqueConstraint("platform", "domain", name="uq_shops_platform_domain"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    domain: Mapped[str] = mapped_column(String(255))
    # The short name in portal URLs: /portal/<slug>/
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    credentials: Mapped[str] = mapped_column(Text, default="")  # sealed JSON
    webhook_secret: Mapped[str] = mapped_column(Text, default="")  # sealed
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    contact_email: Mapped[str] = mapped_column(String(255), default="")
    return_address: Mapped[str] = mapped_column(Text, default="")
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "platform_order_id", name="uq_orders_shop_platform_order"),
        Index("ix_orders_shop_name", "shop_id", "name"),
        Index("ix_orders_shop_email", "shop_id", "customer_email"),
        Index("ix_orders_shop_placed", "shop_id", "placed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    platform_order_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    shop_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    customer_platform_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    customer_email: Mapped[str] = mapped_column(String(255))
    customer_first_name: Mapped[str] = mapped_column(String(255), default="")
    customer_last_name: Mapped[str] = mapped_column(String(255), default="")
    customer_postal_code: Mapped[str] = mapped_column(String(32), default="")
    customer_locale: Mapped[str] = mapped_column(String(16), default="")
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    platform_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    financial_status: Mapped[str] = mapped_column(String(32), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    shipping: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    refunded: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    total_paid: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal(0))

    lines: Mapped[list[OrderLineRow]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLineRow.position"
    )


class OrderLineRow(Base):
    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "platform_line_id", name="uq_order_lines_order_line"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    platform_line_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    variant_title: Mapped[str] = mapped_column(String(255), default="")
    sku: Mapped[str] = mapped_column(String(255), default="")
    product_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    variant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    product_type: Mapped[str] = mapped_column(String(255), default="")
    product_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    quantity: Mapped[int] = mapped_column(Integer)
    fulfilled_quantity: Mapped[int] = mapped_column(Integer, default=0)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    unit_price: Mapped[Decimal] = mapped_column(AMOUNT)
    discount: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal(0))
    tax: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal(0))
    tax_by_rate: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    image_url: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    final_sale: Mapped[bool] = mapped_column(Boolean, default=False)
    taxes_included: Mapped[bool] = mapped_column(Boolean, default=False)

    order: Mapped[OrderRow] = relationship(back_populates="lines")


class ReturnRow(Base):
    __tablename__ = "return_requests"
    __table_args__ = (
        Index("ix_returns_shop_status_created", "shop_id", "status", "created_at"),
        Index("ix_returns_shop_email", "shop_id", "customer_email"),
        Index("ix_returns_shop_created", "shop_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    customer_email: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    merchant_message: Mapped[str] = mapped_column(Text, default="")
    platform_return_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    return_shipping_fee: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal(0))
    free_return: Mapped[bool] = mapped_column(Boolean, default=False)
    decision: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    satisfaction: Mapped[int | None] = mapped_column(Integer, nullable=True)
    satisfaction_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    items: Mapped[list[ReturnItemRow]] = relationship(
        back_populates="return_request", cascade="all, delete-orphan", order_by="ReturnItemRow.id"
    )
    events: Mapped[list[TimelineEventRow]] = relationship(
        cascade="all, delete-orphan", order_by="TimelineEventRow.id"
    )
    order: Mapped[OrderRow] = relationship()


class ReturnItemRow(Base):
    __tablename__ = "return_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("return_requests.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(64))
    resolution: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    exchange_variant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # What the shopper saw when choosing ("M", "Bleu / L"): shown on every page and email afterwards.
    exchange_variant_title: Mapped[str] = mapped_column(String(255), default="", server_default="")
    condition: Mapped[str | None] = mapped_column(String(16), nullable=True)
    accepted_quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rejected_quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    restock: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    # Copies of the matching line of the return's order (None when the order has no such
    # line), kept by the repositories (rollups.refresh_item_lines): the admin list's product
    # filter reads them instead of joining every returned item to order_lines.
    line_product_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    line_variant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    line_sku: Mapped[str | None] = mapped_column(String(255), nullable=True)
    line_title: Mapped[str | None] = mapped_column(String(500), nullable=True)

    return_request: Mapped[ReturnRow] = relationship(back_populates="items")


class TimelineEventRow(Base):
    __tablename__ = "timeline_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("return_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text, default="")
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    private: Mapped[bool] = mapped_column(Boolean, default=False)


class ResolutionRow(Base):
    __tablename__ = "resolutions"
    __table_args__ = (Index("ix_resolutions_shop_status", "shop_id", "push_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    return_id: Mapped[int] = mapped_column(ForeignKey("return_requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    tax: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal(0))
    bonus: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal(0))
    restocking_fee: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal(0))
    shipping_fee: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal(0))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    exchange_variant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A coupon worth a percentage off the next order (then `amount` is zero), else None.
    coupon_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), nullable=True)
    # Unique: the same resolution can never be written, nor pushed, twice.
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    push_status: Mapped[str] = mapped_column(String(20), default="pending")
    platform_reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    code: Mapped[str] = mapped_column(String(64), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OutboxRow(Base):
    """Work to do after a commit, written in the same transaction as its cause."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_available", "status", "available_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    task: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the relay may hand the row to the queue (again): a hand-off pushes it forward.
    available_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A worker running the row holds it until then; one killed mid-push lets it lapse.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class WebhookDeliveryRow(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("platform", "shop_id", "dedupe_key", name="uq_webhook_deliveries_key"),
        Index("ix_webhook_deliveries_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(100))
    dedupe_key: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    triggered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="received")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the relay last handed it to the queue; a lost job is handed on again later.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class MerchantUserRow(Base):
    """A sign-in of the app's own, for merchants outside the Shopify admin."""

    __tablename__ = "merchant_users"
    __table_args__ = (UniqueConstraint("shop_id", "email", name="uq_merchant_users_shop_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CreditLedgerRow(Base):
    """Store credit the app keeps for platforms without a native wallet (WooCommerce)."""

    __tablename__ = "credit_ledger"
    __table_args__ = (Index("ix_credit_ledger_shop_email", "shop_id", "customer_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_email: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(AMOUNT)  # positive credit, negative debit
    reason: Mapped[str] = mapped_column(String(255))
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EmailRow(Base):
    """Every email the app sends, kept so the merchant sees what the shopper was told."""

    __tablename__ = "emails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    return_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# ------------------------------------------------------------------ dashboard rollups
# Sums by UTC day of what the dashboard counts (see connector/persistence/analytics.py for
# the definitions and connector/persistence/rollups.py for how they are kept exact). Every
# column but the keys is additive; a row whose counts fall to zero is deleted, so the
# tables always equal an aggregate from scratch. Money is an unbounded NUMERIC: sums of
# per-unit values (price - discount / quantity) stay exact on PostgreSQL.

ROLLUP_AMOUNT = Numeric(asdecimal=True)


class DailyTotalsRow(Base):
    """Per shop, UTC day and currency: orders and returns counted, units and value sold and returned."""

    __tablename__ = "analytics_daily"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer, default=0)  # placed that day, not cancelled
    sold_lines: Mapped[int] = mapped_column(Integer, default=0)
    units_sold: Mapped[int] = mapped_column(Integer, default=0)
    value_sold: Mapped[Decimal] = mapped_column(ROLLUP_AMOUNT, default=Decimal(0))
    returns: Mapped[int] = mapped_column(Integer, default=0)  # opened that day, not cancelled/rejected
    returned_items: Mapped[int] = mapped_column(Integer, default=0)  # items matching a line of their order
    units_returned: Mapped[int] = mapped_column(Integer, default=0)
    value_returned: Mapped[Decimal] = mapped_column(ROLLUP_AMOUNT, default=Decimal(0))


class SalesDailyRow(Base):
    """Lines sold per product key (product id, else SKU, else title) and variant, per UTC day."""

    __tablename__ = "sales_daily"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    product_key: Mapped[str] = mapped_column(String(500), primary_key=True)
    variant_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # '' without a variant
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    lines: Mapped[int] = mapped_column(Integer, default=0)
    units_sold: Mapped[int] = mapped_column(Integer, default=0)
    value_sold: Mapped[Decimal] = mapped_column(ROLLUP_AMOUNT, default=Decimal(0))


class ReturnsDailyRow(Base):
    """Items returned per product key, variant and line titles, per UTC day the return was opened."""

    __tablename__ = "returns_daily"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    product_key: Mapped[str] = mapped_column(String(500), primary_key=True)
    variant_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    # The titles are keys so that the dashboard's max(title) stays exact when lines change.
    title: Mapped[str] = mapped_column(String(500), primary_key=True)
    variant_title: Mapped[str] = mapped_column(String(255), primary_key=True)
    items: Mapped[int] = mapped_column(Integer, default=0)
    units_returned: Mapped[int] = mapped_column(Integer, default=0)
    value_returned: Mapped[Decimal] = mapped_column(ROLLUP_AMOUNT, default=Decimal(0))
