"""Platform ports: what the use cases need from a shop platform (Shopify, WooCommerce, manual).

Plain dataclasses cross these boundaries; platform JSON never does. Imports the domain only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from connector.domain.money import Money
from connector.domain.orders import Order
from connector.domain.returns import ResolutionKind


class PlatformError(Exception):
    """A platform call failed; `retryable` says whether trying again later may help."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class BadWebhook(Exception):
    """A webhook body or header set that is not what the topic needs (answered 400)."""


@dataclass(frozen=True)
class ShopConnection:
    """What an adapter needs to talk to one shop. Secrets are already decrypted."""

    shop_id: int
    platform: str
    domain: str
    access_token: str = ""
    consumer_key: str = ""
    consumer_secret: str = ""
    webhook_secret: str = ""
    currency: str = "EUR"
    # Adapter settings the merchant chose (e.g. WooCommerce gateway refunds on or off).
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookEnvelope:
    """What the webhook edge learns from headers before any processing."""

    shop_domain: str
    topic: str
    dedupe_key: str
    triggered_at: datetime | None = None


# ---- events a platform webhook turns into (the adapter's parse result) ----

@dataclass(frozen=True)
class OrderChanged:
    order: Order


@dataclass(frozen=True)
class OrderDeleted:
    platform_order_id: str


@dataclass(frozen=True)
class RefundRecorded:
    """A refund exists at the platform (made by hand or by us): never repeat it."""

    platform_order_id: str
    platform_refund_id: str
    amount: Money
    note: str = ""


@dataclass(frozen=True)
class PlatformReturnRequested:
    """A return asked for through the platform's own returns (e.g. Shopify self-serve)."""

    platform_order_id: str
    platform_return_id: str
    lines: tuple[tuple[str, int, str, str], ...]  # (order line id, quantity, reason, note)


@dataclass(frozen=True)
class PlatformReturnStatusChanged:
    platform_return_id: str
    status: str  # approved, rejected, cancelled, closed


@dataclass(frozen=True)
class OrderRefreshRequested:
    """Something changed on an order that the delivery does not describe: read it again."""

    platform_order_id: str


@dataclass(frozen=True)
class StoreCreditSpent:
    """An order paid part of its total with a store-credit coupon the app issued.

    For platforms without a native wallet (WooCommerce): the app's ledger is debited and
    the remainder re-issued, so no credit is lost.
    """

    platform_order_id: str
    customer_email: str
    code: str
    amount: Money


@dataclass(frozen=True)
class StoreCreditReleased:
    """An order that spent one of the app's store-credit coupons was cancelled or fully refunded.

    What it took from the ledger goes back to the customer (once), as the spending did.
    """

    platform_order_id: str
    customer_email: str
    code: str


@dataclass(frozen=True)
class AppUninstalled:
    pass


@dataclass(frozen=True)
class CustomerDataRequested:
    customer_email: str
    request_id: str
    platform_customer_id: str = ""
    platform_order_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerRedactRequested:
    customer_email: str
    # Any of these finds the customer too: the platform's customer id, the orders it names.
    platform_customer_id: str = ""
    platform_order_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerToRedact:
    """Who to erase: any of the three finds the customer's orders, returns and messages."""

    email: str = ""
    platform_customer_id: str = ""
    platform_order_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShopRedactRequested:
    pass


@dataclass(frozen=True)
class Ignored:
    """A topic the app records and acknowledges but does nothing with."""

    topic: str


PlatformEvent = (
    OrderChanged | OrderDeleted | OrderRefreshRequested | RefundRecorded | StoreCreditSpent | StoreCreditReleased
    | PlatformReturnRequested
    | PlatformReturnStatusChanged | AppUninstalled | CustomerDataRequested
    | CustomerRedactRequested | ShopRedactRequested | Ignored
)


# ---- pushing a resolution back to the shop ----

@dataclass(frozen=True)
class PushLine:
    """One line of a refund as the platform records it; amount + tax is what goes back for it.

    `fee` is what was kept from the line (already deducted from `amount`, then the tax).
    """

    platform_line_id: str
    quantity: int
    amount: Money  # before tax, fees deducted
    tax: Money
    restock: bool
    tax_by_rate: tuple[tuple[str, Money], ...] = ()
    fee: Money | None = None
    shipping: bool = False  # the order's own shipping: platform_line_id is its shipping line (may be "")

    @property
    def total(self) -> Money:
        return self.amount + self.tax


@dataclass(frozen=True)
class ResolutionPush:
    """One resolution to carry out at the platform, exactly once.

    `reference` (the return reference plus the resolution id) is written on what the
    platform creates, so a retry can find and adopt it instead of creating a second one.
    """

    reference: str
    idempotency_key: str
    kind: ResolutionKind
    amount: Money
    platform_order_id: str
    customer_email: str
    customer_platform_id: str | None
    lines: tuple[PushLine, ...] = ()
    exchange_variant_id: str | None = None
    coupon_code: str = ""
    expires_at: datetime | None = None
    note: str = ""
    # A coupon worth this percentage off the next order (then `amount` is zero), not an amount.
    coupon_percent: Decimal | None = None


@dataclass(frozen=True)
class StoreIdentity:
    """Who the shop is, as its platform says: read at connect and on every reconciliation.

    Empty fields are what the platform does not say; `locale` is "fr", "en" or "".
    """

    name: str = ""
    currency: str = ""
    locale: str = ""
    address: str = ""  # one line per part, for the return address
    contact_email: str = ""


@runtime_checkable
class IdentifiedPlatform(Protocol):
    """An adapter that can read a shop's own settings (name, currency, language, address)."""

    def store_identity(self, shop: ShopConnection) -> StoreIdentity: ...


@dataclass(frozen=True)
class ProductVariant:
    """A variant a shopper may exchange for (another size or colour of the same product)."""

    platform_variant_id: str
    title: str
    available: bool = True
    stock: int | None = None  # units on hand when the platform says; None: not tracked
    image_url: str = ""  # https, when the platform or the catalogue has a picture


@dataclass(frozen=True)
class PushResult:
    platform_reference: str
    adopted: bool  # True when an existing one carrying the reference was found
    code: str = ""  # a coupon or gift card code the shopper must be told
    # An exchange for a dearer item: what the shopper pays before it ships, and where.
    payment_due: Money | None = None
    payment_url: str = ""


Progress = Callable[[int, int | None], None]


@runtime_checkable
class PlatformGateway(Protocol):
    """One shop's platform, as the workflow needs it."""

    def fetch_order(self, platform_order_id: str) -> Order | None: ...

    def find_order(self, name: str, email: str) -> Order | None: ...

    def orders_since(self, since: datetime | None, progress: Progress | None = None) -> Iterator[Order]: ...

    def push(self, push: ResolutionPush) -> PushResult: ...


@runtime_checkable
class PlatformAdapter(Protocol):
    """A shop platform, registered under the `returns_connector.platforms` entry point group."""

    name: str

    def envelope(self, headers: Mapping[str, str], body: bytes) -> WebhookEnvelope:
        """Read shop, topic and de-duplication key from a delivery; raises BadWebhook."""
        ...

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, shop: ShopConnection
    ) -> bool:
        """Check the signature over the raw body, in constant time."""
        ...

    def parse_webhook(self, topic: str, body: bytes) -> list[PlatformEvent]:
        """Translate a verified delivery into events; raises BadWebhook."""
        ...

    def gateway(self, shop: ShopConnection) -> PlatformGateway: ...


@dataclass(frozen=True)
class ConnectOutcome:
    """What an adapter found when a shop was connected: usable or not, and why."""

    ok: bool
    message: str
    name: str = ""
    currency: str = ""
    locale: str = ""
    # Adapter settings to remember for this shop (e.g. WooCommerce query-string auth).
    options: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@runtime_checkable
class ConnectablePlatform(Protocol):
    """An adapter that checks credentials with a real call and subscribes to webhooks."""

    def normalise_domain(self, text: str) -> str:
        """The shop's key as this platform names it; ValueError with a clear message if not one."""
        ...

    def connect(self, shop: ShopConnection, app_url: str) -> ConnectOutcome: ...


@dataclass(frozen=True)
class MirroredLine:
    """One returned line as the platform's own return needs it."""

    platform_line_id: str
    quantity: int
    reason: str
    note: str = ""
    restock: bool = False
    accepted_quantity: int | None = None
    exchange_variant_id: str | None = None


@dataclass(frozen=True)
class ReturnMirror:
    """A change of one of our returns, to mirror in the platform's own returns (Shopify).

    `action`: open (approved in the app), approve/decline (one the shopper asked through the
    platform), inspect (dispositions), close, cancel. `reference` is written on what is created.
    """

    action: str
    reference: str
    platform_order_id: str
    platform_return_id: str | None
    lines: tuple[MirroredLine, ...] = ()
    message: str = ""


@runtime_checkable
class MirroringPlatform(Protocol):
    """An adapter whose platform has returns of its own, kept in step with ours."""

    def mirror_return(self, shop: ShopConnection, change: ReturnMirror) -> str | None:
        """Apply the change idempotently; returns the platform's return id when known."""
        ...
