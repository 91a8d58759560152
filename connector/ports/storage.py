"""Storage ports: the unit of work, a shop's scope, and the repositories the use cases call.

Each repository Protocol holds only the methods connector/workflow calls; the value types
that cross the boundary (what the repositories hand back) are defined here, and
connector.persistence builds them. A use case opens `svc.uow()`, reads and writes through
these ports, and commits once; tests give it tests/fake_storage.FakeUnitOfWork instead of a
database. Imports the domain, and the other ports, only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from connector.domain.money import Money
from connector.domain.orders import Order
from connector.domain.resolutions import Resolution
from connector.domain.returns import ReturnRequest
from connector.domain.shipping import Label, LabelMode, ParcelSize, ParcelStep, PostalAddress, TrackingEvent
from connector.domain.shops import Shop
from connector.ports.carriers import CarrierAccount
from connector.ports.platforms import CustomerToRedact, ShopConnection
from connector.ports.queries import (
    FreeReturnCost,
    PeriodRate,
    ProductRate,
    Range,
    ReasonCount,
    RefundDelay,
    ResolutionShare,
    ReturnListFilter,
    RisingProduct,
    Satisfaction,
    SerialReturner,
)

# ---- value types that cross the boundary ----


@dataclass(frozen=True)
class ReturnSummary:
    """One line of the admin's returns list: enough to scan, without the timeline."""

    id: int
    reference: str
    status: str
    channel: str
    customer_email: str
    order_name: str
    created_at: datetime
    updated_at: datetime
    units: int
    reasons: tuple[str, ...]
    resolutions: tuple[str, ...]
    free_return: bool
    products: tuple[str, ...] = ()  # titles of the returned lines
    amount: Decimal | None = None  # what the customer paid for the returned units (before tax and fees)
    currency: str = ""


@dataclass(frozen=True)
class StoredEmail:
    id: int
    shop_id: int
    return_id: int | None
    to: str
    subject: str
    body: str
    status: str
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class Endpoint:
    """A merchant's own webhook endpoint (its secret is never read back)."""

    id: int
    url: str
    events: tuple[str, ...]
    description: str
    created_at: datetime


@dataclass(frozen=True)
class DeliveryRecord:
    """One line of an endpoint's delivery log."""

    id: int
    endpoint_id: int
    event_id: str
    event: str
    status: str  # pending, delivered, failed, cancelled
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_response: str
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class OutgoingDelivery:
    """A delivery as the sender needs it: where, the opened secret, the exact body."""

    id: int
    endpoint_id: int
    url: str
    secret: str
    endpoint_deleted: bool
    event: str
    event_id: str
    body: str
    status: str
    attempts: int


@dataclass(frozen=True)
class CarrierSettings:
    """What the merchant chose: the carrier, its account, and what a return gets."""

    carrier: str
    account: CarrierAccount
    label_mode: LabelMode
    auto_receive: bool
    label_price: Money | None
    return_address: PostalAddress | None
    parcel: ParcelSize
    secrets_set: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StoredEvent:
    occurred_at: datetime
    code: str
    description: str
    location: str
    step: ParcelStep


@dataclass(frozen=True)
class StoredShipment:
    id: int
    return_id: int
    reference: str
    carrier: str
    status: str
    step: ParcelStep
    tracking_number: str
    tracking_url: str
    price: Money | None
    specimen: bool
    has_label: bool
    last_error: str
    bought_at: datetime | None
    sender: PostalAddress | None = None
    events: tuple[StoredEvent, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class OutboxItem:
    id: int
    shop_id: int
    task: str
    subject_id: int
    status: str
    attempts: int
    last_error: str


@dataclass(frozen=True)
class OutboxState:
    """Where a pending row stands: since when it waits, who holds it, when it is tried next."""

    id: int
    shop_id: int
    task: str
    subject_id: int
    attempts: int
    created_at: datetime
    available_at: datetime
    locked_until: datetime | None
    last_error: str

    def running(self, now: datetime) -> bool:
        """A worker holds it (its lease is renewed while the job runs)."""
        return self.locked_until is not None and self.locked_until > now


@dataclass(frozen=True)
class Delivery:
    """A platform webhook as recorded by the intake, waiting to be processed."""

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


@dataclass(frozen=True)
class KnownShop:
    """What the webhook edge needs of a shop: its id and decrypted webhook credentials."""

    id: int
    connection: ShopConnection


@dataclass(frozen=True)
class CreditMovement:
    id: int
    customer_email: str
    amount: Money  # positive credit, negative debit
    reason: str
    reference: str  # as the caller named it (without the shop scoping)
    created_at: datetime


@dataclass
class Erased:
    """What one erasure touched, counted (logged as is: it holds no personal data)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, count: int) -> None:
        if count:
            self.counts[what] = self.counts.get(what, 0) + count


# ---- repositories across shops ----


class ShopRepository(Protocol):
    def get(self, shop_id: int) -> Shop | None: ...

    def by_domain(self, platform: str, domain: str) -> Shop | None: ...

    def connect(
        self, *, platform: str, domain: str, now: datetime, name: str = "",
        credentials: dict[str, str] | None = None, webhook_secret: str = "", locale: str = "fr",
        currency: str = "EUR", policy: dict[str, Any] | None = None, slug: str | None = None,
    ) -> Shop: ...

    def connection(self, shop_id: int) -> ShopConnection: ...

    def update(self, shop_id: int, **fields: Any) -> Shop: ...

    def uninstall(self, shop_id: int, now: datetime) -> None: ...

    def last_synced_at(self, shop_id: int) -> datetime | None: ...

    def by_slug(self, slug: str) -> Shop | None: ...

    def all(self) -> list[Shop]: ...


class ApiTokenRepository(Protocol):
    def add(self, shop_id: int, token_hash: str, label: str, now: datetime) -> int: ...

    def revoke(self, shop_id: int, token_id: int, now: datetime) -> bool: ...

    def revoke_all(self, shop_id: int, now: datetime) -> int: ...

    def shop_for(self, token_hash: str) -> int | None: ...


class DeliveryRepository(Protocol):
    """The log of platform webhooks received, as the processing job reads and marks it."""

    def get(self, delivery_id: int) -> Delivery | None: ...

    def claim(self, delivery_id: int) -> bool: ...

    def claim_many(self, delivery_ids: list[int]) -> list[Delivery]: ...

    def mark(self, delivery_id: int, status: str, now: datetime, error: str = "") -> None: ...

    def mark_many(self, delivery_ids: list[int], status: str, now: datetime) -> None: ...

    def note_failure(self, delivery_id: int, error: str, now: datetime, *, final: bool,
                     counted: bool = False) -> int: ...

    def purge_bodies(self, received_before: datetime) -> int: ...


class OutboxRepository(Protocol):
    """Work to do after a commit. Within a scope, one shop's rows; `uow.all_outbox`, every shop's."""

    def add(self, task: str, subject_id: int, now: datetime) -> OutboxItem: ...

    def get(self, outbox_id: int) -> OutboxItem | None: ...

    def state_of(self, task: str, subject_ids: list[int]) -> dict[int, OutboxState]: ...

    def stale(self, task: str, older_than: datetime, limit: int = 200) -> list[OutboxState]: ...

    def claim(self, outbox_id: int, now: datetime, lease: timedelta) -> bool: ...

    def renew(self, outbox_id: int, attempt: int, now: datetime, lease: timedelta) -> bool: ...

    def done(self, outbox_id: int, now: datetime) -> None: ...

    def retry_later(self, outbox_id: int, error: str, at: datetime) -> None: ...

    def defer(self, outbox_id: int, at: datetime, why: str) -> None: ...

    def fail(self, outbox_id: int, error: str) -> None: ...

    def stop_pending(self, tasks: tuple[str, ...], error: str) -> list[OutboxItem]: ...


# ---- repositories of one shop ----


class OrderRepository(Protocol):
    def get(self, platform_order_id: str) -> Order | None: ...

    def save(self, order: Order) -> bool: ...

    def save_many(self, orders: Sequence[Order]) -> None: ...

    def delete(self, platform_order_id: str) -> None: ...

    def count_for_customer(self, email: str) -> int: ...

    def find_by_name(self, name: str) -> Order | None: ...

    def customers(self, search: str = "", limit: int = 50, offset: int = 0) -> tuple[list[CustomerSummary], int]: ...


class ReturnRepository(Protocol):
    def get(self, return_id: int) -> ReturnRequest | None: ...

    def get_by_reference(self, reference: str, *, for_update: bool = False) -> ReturnRequest | None: ...

    def lock(self, return_id: int) -> bool: ...

    def get_by_tracking_token(self, token: str) -> ReturnRequest | None: ...

    def get_by_platform_return_id(self, platform_return_id: str) -> ReturnRequest | None: ...

    def add(
        self, ret: ReturnRequest, *, now: datetime, currency: str,
        return_shipping_fee: Money | None = None, free_return: bool = False,
        decision: dict[str, Any] | None = None, platform_return_id: str | None = None,
    ) -> ReturnRequest: ...

    def save(self, ret: ReturnRequest, now: datetime) -> None: ...

    def set_platform_return_id(self, return_id: int, platform_return_id: str) -> None: ...

    def set_satisfaction(self, return_id: int, score: int, comment: str) -> None: ...

    def row_details(self, return_id: int) -> dict[str, Any] | None: ...

    def count_for_customer(self, email: str, since: datetime | None = None, before: datetime | None = None) -> int: ...

    def free_returns_since(self, email: str, since: datetime) -> int: ...

    def quantities_in_returns(self, platform_order_id: str, exclude_return_id: int | None = None) -> dict[str, int]: ...

    def for_order(self, platform_order_id: str) -> list[ReturnRequest]: ...

    def customer_summaries(self, email: str, limit: int = 50) -> list[ReturnSummary]: ...

    def admin_summaries(
        self, flt: ReturnListFilter, *, sort: str = "-created", limit: int = 50, offset: int = 0,
    ) -> tuple[list[ReturnSummary], int]: ...

    def search_after(
        self, flt: ReturnListFilter, *, after_created_at: datetime | None, after_id: int | None, limit: int,
    ) -> list[tuple[ReturnRequest, datetime, datetime]]: ...

    def id_for_reference(self, reference: str) -> int | None: ...


class ResolutionRepository(Protocol):
    """The resolutions of the shop's returns, as the domain's `Resolution` (its transitions are the domain's)."""

    def get(self, resolution_id: int) -> Resolution | None: ...

    def for_return(self, return_id: int) -> list[Resolution]: ...

    def add(self, resolution: Resolution, *, return_id: int, now: datetime) -> Resolution: ...

    def save(self, resolution: Resolution) -> None: ...

    def mark_pushed(self, resolution_id: int, *, platform_reference: str, code: str, now: datetime) -> None: ...

    def mark_failed(self, resolution_id: int, error: str, *, final: bool) -> None: ...

    def mark_done_by_merchant(self, resolution_id: int, note: str, now: datetime) -> None: ...

    def retry(self, resolution_id: int) -> None: ...


class EmailRepository(Protocol):
    def add(self, *, to: str, subject: str, body: str, return_id: int | None, now: datetime) -> StoredEmail: ...

    def get(self, email_id: int) -> StoredEmail | None: ...

    def mark(self, email_id: int, status: str, now: datetime) -> None: ...

    def recent(self, limit: int = 100, return_id: int | None = None) -> list[StoredEmail]: ...


class CreditLedgerRepository(Protocol):
    def has(self, reference: str) -> bool: ...

    def record(self, *, customer_email: str, amount: Money, reason: str, reference: str,
               now: datetime) -> CreditMovement | None: ...

    def balance(self, customer_email: str, currency: str) -> Money: ...

    def movements(self, customer_email: str, currency: str | None = None) -> list[CreditMovement]: ...


class MerchantWebhookRepository(Protocol):
    def add_endpoint(self, *, url: str, secret: str, events: tuple[str, ...], description: str,
                     now: datetime) -> Endpoint: ...

    def endpoints(self) -> list[Endpoint]: ...

    def endpoint(self, endpoint_id: int) -> Endpoint | None: ...

    def delete_endpoint(self, endpoint_id: int, now: datetime) -> bool: ...

    def add_delivery(self, *, endpoint_id: int, event: str, event_id: str, body: str, now: datetime) -> int: ...

    def deliveries(self, endpoint_id: int, *, before_id: int | None, limit: int) -> list[DeliveryRecord]: ...

    def outgoing(self, delivery_id: int) -> OutgoingDelivery | None: ...

    def record_attempt(self, delivery_id: int, *, status: str, status_code: int | None, response: str,
                       error: str, now: datetime, next_attempt_at: datetime | None) -> None: ...


class CarrierAccountRepository(Protocol):
    def get(self) -> CarrierSettings | None: ...

    def save(self, *, carrier: str, credentials: dict[str, str], test_mode: bool, label_mode: LabelMode,
             auto_receive: bool, label_price: Decimal | None, currency: str, return_address: PostalAddress,
             parcel: ParcelSize, now: datetime) -> None: ...


class ShipmentRepository(Protocol):
    def add(self, return_id: int, reference: str, carrier: str, currency: str, now: datetime,
            status: str = "address") -> int | None: ...

    def get(self, shipment_id: int) -> StoredShipment | None: ...

    def for_return(self, return_id: int) -> StoredShipment | None: ...

    def set_sender(self, shipment_id: int, sender: PostalAddress, now: datetime) -> bool: ...

    def set_status(self, shipment_id: int, status: str, now: datetime, error: str = "") -> None: ...

    def record_label(self, shipment_id: int, label: Label, price: Money | None, now: datetime,
                     next_poll_at: datetime) -> None: ...

    def record_tracking_number(self, shipment_id: int, tracking_number: str, now: datetime,
                               next_poll_at: datetime) -> None: ...

    def due_for_tracking(self, now: datetime, limit: int = 50) -> list[StoredShipment]: ...

    def record_events(self, shipment_id: int, events: list[TrackingEvent], step: ParcelStep,
                      now: datetime, next_poll_at: datetime) -> list[TrackingEvent]: ...

    def label_pdf(self, return_id: int) -> bytes | None: ...

    def free_return_labels(self, start: datetime, end: datetime, currency: str) -> tuple[int, Decimal]: ...


class PrivacyRepository(Protocol):
    def redact_customer(self, who: CustomerToRedact) -> Erased: ...

    def erase_shop(self) -> Erased: ...


class DataRequestRepository(Protocol):
    def customer_data(self, who: CustomerToRedact) -> dict[str, Any]: ...

    def save_export(self, request_id: str, data: Mapping[str, Any]) -> str: ...

    def exports(self) -> list[tuple[str, datetime]]: ...

    def export_path(self, name: str) -> Path | None: ...


# ---- the scope and the unit of work ----


class ShopScope(Protocol):
    """Everything one shop may read or change. Built only from a Shop found by the caller."""

    @property
    def shop(self) -> Shop: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def returns(self) -> ReturnRepository: ...

    @property
    def resolutions(self) -> ResolutionRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def emails(self) -> EmailRepository: ...

    @property
    def credit_ledger(self) -> CreditLedgerRepository: ...

    @property
    def merchant_webhooks(self) -> MerchantWebhookRepository: ...

    @property
    def carrier_account(self) -> CarrierAccountRepository: ...

    @property
    def shipments(self) -> ShipmentRepository: ...

    @property
    def privacy(self) -> PrivacyRepository: ...

    @property
    def data_requests(self) -> DataRequestRepository: ...


class MerchantUserRepository(Protocol):
    def by_email(self, email: str) -> MerchantUser | None: ...

    def get(self, user_id: int) -> MerchantUser | None: ...

    def all(self) -> list[MerchantUser]: ...

    def save(self, email: str, password_hash: str, now: datetime) -> MerchantUser: ...


class ShopAnalytics(Protocol):
    """The dashboard's figures for one shop over a date range (persistence.analytics: SQL aggregates)."""

    def rate_by_period(self, period: Range, grain: str) -> list[PeriodRate]: ...

    def came_back_by_period(self, period: Range, grain: str) -> dict[str, tuple[int, Decimal]]: ...

    def rate_by_product(self, period: Range, *, by_variant: bool = False, limit: int = 50) -> list[ProductRate]: ...

    def rising_products(self, period: Range, *, min_sold: int = 5, limit: int = 10) -> list[RisingProduct]: ...

    def reasons(self, period: Range) -> list[ReasonCount]: ...

    def resolution_mix(self, period: Range) -> list[ResolutionShare]: ...

    def refund_delay(self, period: Range) -> RefundDelay: ...

    def free_return_cost(self, period: Range, label_price: Decimal) -> FreeReturnCost: ...

    def serial_returners(self, period: Range, *, min_returns: int = 2, limit: int = 20) -> list[SerialReturner]: ...

    def satisfaction(self, period: Range, *, comments: int = 10) -> Satisfaction: ...


class UnitOfWork(Protocol):
    """One transaction. Used as `with svc.uow() as uow: ... uow.commit()`: what is not
    committed when the block ends is undone; StorageConflict when it crossed another one."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    @property
    def shops(self) -> ShopRepository: ...

    @property
    def api_tokens(self) -> ApiTokenRepository: ...

    @property
    def deliveries(self) -> DeliveryRepository: ...

    @property
    def all_outbox(self) -> OutboxRepository:
        """The outbox across shops, for the relay and the sweep only (they dispatch by id)."""
        ...

    def scope(self, shop: Shop) -> ShopScope: ...

    def merchant_users(self, shop_id: int) -> MerchantUserRepository:
        """The shop's own sign-ins (WooCommerce and manual shops)."""
        ...

    def analytics(self, shop: Shop) -> ShopAnalytics:
        """The shop's dashboard figures, read in this transaction."""
        ...

    def savepoint(self) -> AbstractContextManager[object]:
        """A nested transaction: an exception inside the block undoes only what the block did."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class WebhookIntake(Protocol):
    """The webhook request path's store: cached shops and one lean insert per delivery."""

    def shop(self, platform: str, domain: str, *, fresh: bool = False) -> KnownShop | None: ...

    def forget(self, platform: str, domain: str) -> None: ...

    def record(
        self, *, platform: str, shop_id: int, topic: str, dedupe_key: str, body: bytes,
        received_at: datetime, triggered_at: datetime | None, status: str = "received",
        queued_at: datetime | None = None,
    ) -> int | None:
        """Insert and commit the delivery; None for a repeat; LookupError when the shop is gone."""
        ...


@dataclass(frozen=True)
class CustomerSummary:
    """One customer of the shop as the customers list shows them."""

    email: str
    first_name: str
    last_name: str
    orders: int
    last_order_at: datetime
    returns: int


@dataclass(frozen=True)
class MerchantUser:
    id: int
    shop_id: int
    email: str
    password_hash: str
    created_at: datetime
