"""The Shopify platform adapter (entry point `shopify`): webhooks in, a gateway per shop out. Imports ports and this package.

Configuration comes as a plain mapping (connector.config reads the environment):
SHOPIFY_API_KEY, SHOPIFY_API_SECRET, SHOPIFY_PREVIOUS_API_SECRET (during a secret
rotation), SHOPIFY_SCOPES, SHOPIFY_API_VERSION, SHOPIFY_ADMIN_URL, SHOPIFY_OAUTH_URL (default
https://{shop}/admin/oauth, for a stand-in), SHOPIFY_BULK_THRESHOLD (orders above which a
backfill is a bulk export), APP_URL. The composition root hands over its Redis connection
(`use_shared_redis`) to make the GraphQL cost limiter shared by all workers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector.ports import (
    BadWebhook,
    ConnectOutcome,
    PlatformEvent,
    ReturnMirror,
    ShopConnection,
    StoreIdentity,
    WebhookEnvelope,
)
from connector.ports.platforms import (
    EmbeddedSession,
    InvalidProxyRequest,
    InvalidSessionToken,
    StorefrontProxyRequest,
)
from platforms.shopify import connect as connecting
from platforms.shopify import oauth, shapes
from platforms.shopify.client import DEFAULT_ADMIN_URL, DEFAULT_API_VERSION, AdminClient
from platforms.shopify.gateway import BULK_THRESHOLD, ShopifyGateway
from platforms.shopify.identity import read_identity
from platforms.shopify.install import ShopifyInstallFlow
from platforms.shopify.mapping import parse_event
from platforms.shopify.mirror import ShopifyMirror
from platforms.shopify.oauth import DEFAULT_OAUTH_URL, AccessToken
from platforms.shopify.returns import ShopifyReturns
from platforms.shopify.signatures import (
    InvalidSignature,
    is_valid_shop_domain,
    session_token_user,
    verify_app_proxy,
    verify_session_token,
    verify_webhook,
)
from platforms.shopify.throttle import CostLimiter, InProcessLimiter, RedisLimiter

# Where the app proxy shows the portal on the storefront (the README: prefix apps, subpath returns).
DEFAULT_PROXY_PATH = "/apps/returns"

__all__ = ["AccessToken", "InvalidSignature", "ShopifyAdapter", "ShopifyConfig", "create_adapter"]


@dataclass(frozen=True)
class ShopifyConfig:
    api_key: str
    api_secret: str
    previous_api_secret: str = ""
    scopes: str = ""
    api_version: str = DEFAULT_API_VERSION
    admin_url: str = DEFAULT_ADMIN_URL
    app_url: str = "http://127.0.0.1:5000"
    oauth_url: str = DEFAULT_OAUTH_URL
    bulk_threshold: int = BULK_THRESHOLD

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.api_secret, self.previous_api_secret) if s)

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> ShopifyConfig:
        return cls(
            api_key=settings.get("SHOPIFY_API_KEY", ""),
            api_secret=settings.get("SHOPIFY_API_SECRET", ""),
            previous_api_secret=settings.get("SHOPIFY_PREVIOUS_API_SECRET", ""),
            scopes=settings.get("SHOPIFY_SCOPES", ""),
            api_version=settings.get("SHOPIFY_API_VERSION") or DEFAULT_API_VERSION,
            admin_url=settings.get("SHOPIFY_ADMIN_URL") or DEFAULT_ADMIN_URL,
            app_url=settings.get("APP_URL") or "http://127.0.0.1:5000",
            oauth_url=settings.get("SHOPIFY_OAUTH_URL") or DEFAULT_OAUTH_URL,
            bulk_threshold=_positive_int(settings.get("SHOPIFY_BULK_THRESHOLD"), BULK_THRESHOLD),
        )


def _positive_int(raw: str | None, default: int) -> int:
    if not raw:
        return default
    value = int(raw)  # a typo stops the start (load_adapters) rather than being ignored
    if value < 1:
        raise ValueError(f"SHOPIFY_BULK_THRESHOLD must be a positive number of orders, not {raw!r}")
    return value


def _header(headers: Mapping[str, str], name: str) -> str:
    # Header names are case-insensitive; WSGI mappings and plain dicts differ in casing.
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value.strip()
    return ""


def _parse_time(raw: str) -> datetime | None:
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None  # a freshness hint only: an odd value must not refuse the delivery
    return moment if moment.tzinfo else None


class ShopifyAdapter:
    """connector.ports.PlatformAdapter, ConnectablePlatform and MirroringPlatform for Shopify."""

    name = "shopify"

    def __init__(self, config: ShopifyConfig, limiter: CostLimiter | None = None) -> None:
        self.config = config
        # One limiter per process (or per Redis) for every shop's client, so that two
        # jobs for the same shop share its bucket.
        self.limiter: CostLimiter = limiter or InProcessLimiter()

    def use_shared_redis(self, connection: object) -> None:
        """Share the cost bucket of each shop with every worker through this Redis connection."""
        self.limiter = RedisLimiter(connection)

    def envelope(self, headers: Mapping[str, str], body: bytes) -> WebhookEnvelope:
        shop = _header(headers, "X-Shopify-Shop-Domain")
        topic = _header(headers, "X-Shopify-Topic")
        dedupe = _header(headers, "X-Shopify-Event-Id") or _header(headers, "X-Shopify-Webhook-Id")
        if not shop or not topic or not dedupe:
            raise BadWebhook("missing X-Shopify-Shop-Domain, X-Shopify-Topic or X-Shopify-Event-Id/Webhook-Id")
        if not is_valid_shop_domain(shop):
            raise BadWebhook(f"not a myshopify.com shop: {shop!r}")
        return WebhookEnvelope(
            shop_domain=shop.lower(),
            topic=topic,
            dedupe_key=dedupe,
            triggered_at=_parse_time(_header(headers, "X-Shopify-Triggered-At")),
        )

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, shop: ShopConnection) -> bool:
        # Webhooks are signed with the app's client secret (not a per-shop secret);
        # the previous one is accepted while a rotation is under way.
        secrets = self.config.secrets or ((shop.webhook_secret,) if shop.webhook_secret else ())
        if not secrets:
            return False
        return verify_webhook(body, _header(headers, "X-Shopify-Hmac-Sha256"), secrets)

    def body_problem(self, topic: str, payload: Mapping[str, Any]) -> str:
        """Why a verified body cannot be the topic's (checked at intake: a 400, nothing recorded)."""
        return shapes.body_problem(topic, payload)

    def parse_webhook(self, topic: str, body: bytes) -> list[PlatformEvent]:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadWebhook(f"{topic}: body is not JSON") from exc
        return parse_event(topic, payload)

    def gateway(self, shop: ShopConnection) -> ShopifyGateway:
        return ShopifyGateway(self._client(shop), options=shop.options, bulk_threshold=self.config.bulk_threshold)

    def store_identity(self, shop: ShopConnection) -> StoreIdentity:
        """The shop's name, currency, primary language and address (connector.ports.IdentifiedPlatform)."""
        return read_identity(self._client(shop))

    def returns(self, shop: ShopConnection) -> ShopifyReturns:
        """The shop's Shopify returns, for workflow steps that mirror ours there."""
        return ShopifyReturns(self._client(shop))

    # ---- connecting (ports.ConnectablePlatform) ----

    def normalise_domain(self, text: str) -> str:
        return connecting.normalise_domain(text)

    def credentials_from(self, fields: Mapping[str, str]) -> tuple[str, dict[str, str]]:
        """A shop and a custom app's Admin API token (ports.ConnectsWithKeys): domain, access_token."""
        token = fields.get("access_token", "").strip()
        if not token:
            raise ValueError("the Admin API access token is empty")
        return connecting.normalise_domain(fields.get("domain", "")), {"access_token": token}

    def connect(self, shop: ShopConnection, app_url: str) -> ConnectOutcome:
        """Read the shop with its token, check the scopes, subscribe the webhooks."""
        scopes = [s.strip() for s in self.config.scopes.split(",") if s.strip()]
        return connecting.connect(self._client(shop), app_url or self.config.app_url, scopes)

    # ---- Shopify returns (ports.MirroringPlatform) ----

    def mirror_return(self, shop: ShopConnection, change: ReturnMirror) -> str | None:
        return ShopifyMirror(self.returns(shop)).apply(change)

    # ---- OAuth install (ports.OffersConnectFlow) and embedded token exchange (ports.EmbeddedSessions) ----

    @property
    def install_enabled(self) -> bool:
        """Public install needs the app's client id and secret; a custom app's token does not."""
        return bool(self.config.api_key and self.config.api_secret)

    @property
    def connect_flow(self) -> ShopifyInstallFlow:
        return ShopifyInstallFlow(self)

    def embedded_enabled(self) -> bool:
        return self.install_enabled

    def session_of_token(self, token: str, now: datetime) -> EmbeddedSession:
        """The shop of an App Bridge session token, and its admin user as the actor ("shopify:<user id>")."""
        try:
            domain = self.shop_of_id_token(token, now)
        except (InvalidSignature, ValueError) as exc:
            raise InvalidSessionToken(str(exc)) from exc
        return EmbeddedSession(domain, f"shopify:{session_token_user(token)}")

    def invalid_session_headers(self) -> Mapping[str, str]:
        # App Bridge reads it on a 401: it fetches a fresh session token and retries once.
        return {"X-Shopify-Retry-Invalid-Session-Request": "1"}

    def exchange_session_token(self, token: str, now: datetime) -> tuple[str, dict[str, str]]:
        try:
            exchanged = self.exchange_id_token(token, now)
        except InvalidSignature as exc:
            raise InvalidSessionToken(str(exc)) from exc
        return exchanged.shop, {"access_token": exchanged.access_token}

    # ---- the app proxy: the portal on the storefront, /apps/returns (ports.ServesStorefrontProxy) ----

    def storefront_proxy_enabled(self) -> bool:
        return bool(self.config.secrets)

    def verify_proxy_request(self, query: str, now: datetime) -> StorefrontProxyRequest:
        """Check the proxy's signature (current or previous secret, 90 s); the path prefix made safe for links."""
        try:
            proxied = verify_app_proxy(query, self.config.secrets, now)
        except (InvalidSignature, ValueError) as exc:
            raise InvalidProxyRequest(str(exc)) from exc
        prefix = proxied.path_prefix
        if not prefix.startswith("/") or prefix.startswith("//"):
            prefix = DEFAULT_PROXY_PATH  # links must stay on the storefront, never another host
        return StorefrontProxyRequest(proxied.shop, proxied.logged_in_customer_id, prefix)

    def authorize_url(self, shop: str, redirect_uri: str, state: str) -> str:
        """Where the merchant grants the app its scopes (an offline token: no per-user grant)."""
        return oauth.authorize_url(
            shop, self.config.api_key, self.config.scopes, redirect_uri, state, oauth_url=self.config.oauth_url
        )

    def finish_install(self, query: str | Sequence[tuple[str, str]], expected_state: str, now: datetime) -> AccessToken:
        """Check the callback (HMAC, 90 s, state) and trade its code for the offline token.

        Raises InvalidSignature for a forged or stale callback, PlatformError when Shopify
        refuses the code.
        """
        callback = oauth.verify_callback(
            query, api_secrets=self.config.secrets, expected_state=expected_state, now=now
        )
        return oauth.exchange_code(
            callback.shop, callback.code, self.config.api_key, self.config.api_secret, oauth_url=self.config.oauth_url
        )

    def shop_of_id_token(self, id_token: str, now: datetime) -> str:
        """The shop an App Bridge ID token is for; raises InvalidSignature."""
        return verify_session_token(id_token, self.config.api_key, self.config.secrets, now)

    def exchange_id_token(self, id_token: str, now: datetime) -> AccessToken:
        """Trade an App Bridge ID token for the shop's offline access token (token exchange)."""
        return oauth.exchange_session_token(
            id_token, self.config.api_key, self.config.secrets, now=now, oauth_url=self.config.oauth_url
        )

    def _client(self, shop: ShopConnection) -> AdminClient:
        return AdminClient(
            shop.domain,
            shop.access_token,
            admin_url=self.config.admin_url,
            api_version=self.config.api_version,
            limiter=self.limiter,
        )


def create_adapter(settings: Mapping[str, str]) -> ShopifyAdapter:
    """Entry point `returns_connector.platforms: shopify`.

    The limiter is per process until the composition root calls `use_shared_redis`
    with the app's own Redis connection (any URL it accepts, fakeredis:// included).
    """
    return ShopifyAdapter(ShopifyConfig.from_settings(settings))
