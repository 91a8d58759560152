"""Platform ports: what the use cases need from a shop platform (Shopify, WooCommerce, manual).

Plain dataclasses cross these boundaries; platform JSON never does. Imports the domain only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

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


# ---- optional capabilities: an adapter offers any of these on top of PlatformAdapter ----
#
# Each is a runtime_checkable Protocol: the registry records at registration which ones an
# adapter offers (connector.ports.registry), and the use cases ask with isinstance, never
# with getattr on a name. An adapter without one gets the documented default behaviour.

TopicHandler = Callable[[bytes], list[PlatformEvent]]


@runtime_checkable
class RoutesTopics(Protocol):
    """An adapter with its own table from topic to handler.

    Every topic it handles is named: any other is recorded and acknowledged as ignored
    without a job. Without it, every topic goes through `parse_webhook`.
    """

    @property
    def webhook_handlers(self) -> Mapping[str, TopicHandler]: ...


@runtime_checkable
class SendsCreationPings(Protocol):
    """A platform that sends an unsigned ping when a webhook is created (WooCommerce): answered 200."""

    def is_creation_ping(self, headers: Mapping[str, str], body: bytes) -> bool: ...


@runtime_checkable
class ChecksBodyShapes(Protocol):
    """An adapter that can tell, before anything is recorded, why a verified body cannot be the topic's."""

    def body_problem(self, topic: str, payload: Mapping[str, Any]) -> str:
        """Empty when the body fits the topic; else the reason (answered 400)."""
        ...


@runtime_checkable
class RequestsReturnsInOrders(Protocol):
    """A platform where a change of an order asks for a return (a WooCommerce return status)."""

    def return_requests_in(self, order: Order, options: Mapping[str, Any]) -> list[PlatformReturnRequested]: ...


@runtime_checkable
class DeclaresResolutionMode(Protocol):
    """An adapter that says whether resolutions are pushed (True) or carried out by the merchant (False).

    Without it, resolutions are pushed to the platform.
    """

    automatic_resolutions: bool


def resolves_automatically(adapter: object) -> bool:
    """Whether the app pushes this adapter's resolutions itself (the default) or leaves them to the merchant."""
    return bool(adapter.automatic_resolutions) if isinstance(adapter, DeclaresResolutionMode) else True


class RetryAfterHolds(Protocol):
    """The app's Retry-After holds per platform and shop (connector.jobs.ratelimit builds it)."""

    def hold(self, key: str, seconds: float) -> None: ...

    def wait_time(self, key: str) -> float: ...


@runtime_checkable
class UsesRetryAfterHolds(Protocol):
    """An adapter given the app's shared Retry-After holds at start (platforms may not import connector.jobs)."""

    retry_after_limiter: RetryAfterHolds


@runtime_checkable
class UsesSharedRedis(Protocol):
    """An adapter given the app's Redis connection at start (the Shopify cost bucket shared by workers)."""

    def use_shared_redis(self, connection: object) -> None: ...


# ---- optional capabilities of a shop's gateway (asked of the gateway, per shop) ----

@runtime_checkable
class ListsVariants(Protocol):
    """A gateway that lists the variants a shopper may exchange for."""

    def variants_of(self, product_id: str) -> list[ProductVariant]: ...


@runtime_checkable
class ReadsReturnEvents(Protocol):
    """A gateway whose platform has returns of its own, read again since a moment (reconciliation)."""

    def return_events_since(self, since: datetime) -> list[PlatformEvent]: ...


# ---- platform jobs: what a platform wants run on a schedule, for each of its shops ----

@dataclass(frozen=True)
class ReactivatedWebhook:
    """A webhook the platform had turned off, turned back on by a check."""

    webhook_id: str
    topic: str
    previous_status: str


@dataclass(frozen=True)
class CheckFinding:
    """What a scheduled check found and repaired; the core re-reads and tells the merchant."""

    reactivated_webhooks: tuple[ReactivatedWebhook, ...] = ()
    # Re-read the orders changed since the last sync (deliveries were lost meanwhile).
    resync: bool = False
    # The platform as the merchant knows it, for the message ("WooCommerce").
    platform_title: str = ""


@dataclass(frozen=True)
class ScheduledCheck:
    """A check the scheduler runs for every active shop of the platform, once per `every`."""

    name: str
    every: timedelta
    run: Callable[[ShopConnection], CheckFinding]


@runtime_checkable
class SchedulesChecks(Protocol):
    """An adapter with periodic checks of its own (WooCommerce: webhooks it disabled)."""

    def scheduled_checks(self) -> Sequence[ScheduledCheck]: ...


# ---- platform web flows: connecting a shop from the merchant's browser ----

# A request's query string (or form) as pairs, repeated names kept (signatures cover them all).
Query = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class FlowContext:
    """What a connect flow may know of the app: its public URL, its signing key, the time."""

    app_url: str
    secret_key: str
    now: datetime


@dataclass(frozen=True)
class FlowRedirect:
    """Send the browser to `url`; `bind` is kept in a signed cookie for this browser's next steps."""

    url: str
    bind: str = ""


@dataclass(frozen=True)
class FlowConnect:
    """Store this shop with these credentials (the core checks them with `connect` and subscribes webhooks)."""

    domain: str
    credentials: Mapping[str, str]


@dataclass(frozen=True)
class FlowRefused:
    """Stop here: `status` is the HTTP answer, `code` a stable word, `title` and `message` for the merchant."""

    status: int
    code: str
    title: str
    message: str


@dataclass(frozen=True)
class FlowForm:
    """Show the flow's start form (the platform's `connect.html`) again, with what was given and why it was refused."""

    given: str = ""
    refused: FlowRefused | None = None


FlowStep = FlowRedirect | FlowConnect | FlowRefused | FlowForm


@dataclass(frozen=True)
class FlowLanded:
    """Where the merchant's browser came back after the platform's consent page.

    `token` names this connect in the app's next form (the merchant's sign-in); `domain`
    the shop it was for, once read from the token; `error` why the token is not good.
    """

    declined: bool = False
    domain: str = ""
    token: str = ""
    error: str = ""


@dataclass(frozen=True)
class ConnectFlowRoutes:
    """Where the core web edge mounts a connect flow: /<platform>/<begin>, /<platform>/<complete>, ...

    `complete_method` GET for a browser coming back (Shopify's OAuth callback: a redirect to the
    admin, pages for refusals), POST for the platform's server posting the credentials
    (WooCommerce: answered in JSON, 200 only when kept). `landing`, when set, is where the
    browser comes back after a POST completion (a result page, and the merchant's sign-in at
    /<platform>/account). `bind_max_age`: how long what `begin` bound to the browser holds.
    """

    begin: str
    complete: str
    complete_method: str = "GET"
    landing: str = ""
    bind_max_age: int = 600


@runtime_checkable
class ConnectFlow(Protocol):
    """A platform's way for a merchant to connect a shop from the browser (OAuth install, key generation).

    Framework-free: the core's one web edge (connector.web.connect_flows) turns the steps into
    redirects, signed cookies, pages and JSON answers, and stores the shop through the
    connect_shop use case.
    """

    routes: ConnectFlowRoutes

    def unavailable(self) -> FlowRefused | None:
        """Why this server cannot offer the flow (not configured), or None; every route answers it."""
        ...

    def begin(self, query: Query, ctx: FlowContext) -> FlowStep:
        """From the merchant's request to the platform's consent page (FlowRedirect), the form, or a refusal."""
        ...

    def complete(self, query: Query, body: bytes, bound: str, ctx: FlowContext) -> FlowStep:
        """From the platform's answer (and what `begin` bound to this browser, "" if nothing or stale) to the shop."""
        ...

    def landed(self, query: Query, ctx: FlowContext) -> FlowLanded:
        """The browser back on `routes.landing` (only called when the flow has one)."""
        ...

    def shop_of(self, token: str, ctx: FlowContext) -> str:
        """The shop a landing's `token` names (the merchant's sign-in form posts it back); ValueError if not good."""
        ...


@runtime_checkable
class OffersConnectFlow(Protocol):
    """An adapter with a browser connect flow mounted by the core web edge."""

    @property
    def connect_flow(self) -> ConnectFlow: ...


class InvalidSessionToken(Exception):
    """An embedded admin's session token that is forged, expired or for another app."""


@dataclass(frozen=True)
class EmbeddedSession:
    """Who a verified session token of an embedded admin names."""

    shop_domain: str
    actor: str  # written on the timeline for what this merchant does, e.g. "shopify:<user id>"


@runtime_checkable
class EmbeddedSessions(Protocol):
    """An adapter whose admin embeds the app and hands it a session token (Shopify App Bridge).

    The admin's requests carry the token instead of a cookie; it is verified on every request.
    A first embedded load of a shop without a usable token trades the session token for
    the shop's credentials (token exchange) and connects it.
    """

    def embedded_enabled(self) -> bool: ...

    def session_of_token(self, token: str, now: datetime) -> EmbeddedSession:
        """The shop and the actor of a session token; raises InvalidSessionToken."""
        ...

    def invalid_session_headers(self) -> Mapping[str, str]:
        """Headers of the 401 for a refused token: what makes the platform's admin fetch a fresh one and retry."""
        ...

    def exchange_session_token(self, token: str, now: datetime) -> tuple[str, dict[str, str]]:
        """The shop's domain and the credentials to store; InvalidSessionToken, or PlatformError when refused."""
        ...


@runtime_checkable
class ConnectsWithKeys(Protocol):
    """An adapter a shop connects to with pasted credentials (the CLI and the admin's forms)."""

    def credentials_from(self, fields: Mapping[str, str]) -> tuple[str, dict[str, str]]:
        """The shop's domain and the credentials to store, from what the merchant typed.

        Raises ValueError with a message for the merchant when something is missing or malformed.
        """
        ...


class InvalidProxyRequest(Exception):
    """A storefront proxy request whose signature does not hold (forged, stale, or for another app)."""


@dataclass(frozen=True)
class StorefrontProxyRequest:
    """A shopper's request the platform forwarded from the shop's storefront, once its signature holds."""

    shop_domain: str
    customer_id: str | None  # the platform's id of the logged-in customer, None when nobody is
    # Where the storefront shows the app ("/apps/returns"): the portal's links are built under it.
    # A path starting with one "/": the adapter gives its default for anything else.
    path_prefix: str


@runtime_checkable
class ServesStorefrontProxy(Protocol):
    """A platform that forwards storefront requests to the app (Shopify's app proxy): the portal is served at /proxy."""

    def storefront_proxy_enabled(self) -> bool:
        """Whether this server can verify proxied requests (the platform's secrets are set)."""
        ...

    def verify_proxy_request(self, query: str, now: datetime) -> StorefrontProxyRequest:
        """Check the signature of a proxied request's raw query string; raises InvalidProxyRequest."""
        ...
