"""The WooCommerce adapter: webhook envelope, verification, parsing, a gateway per shop. Ports and this package only.

Registered as the `woocommerce` entry point of `returns_connector.platforms`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from connector.domain.orders import Order
from connector.ports import (
    BadWebhook,
    ConnectOutcome,
    PlatformEvent,
    PlatformReturnRequested,
    ShopConnection,
    StoreIdentity,
    WebhookEnvelope,
)
from connector.ports.platforms import CheckFinding, ReactivatedWebhook, ScheduledCheck
from platforms.woocommerce import mapping
from platforms.woocommerce.client import READ_TIMEOUT, WooCommerceClient, WooCommerceError
from platforms.woocommerce.connect_flow import WooCommerceConnectFlow
from platforms.woocommerce.gateway import WooCommerceGateway
from platforms.woocommerce.probe import site_name
from platforms.woocommerce.signatures import (
    SIGNATURE_HEADER,
    get_header,
    is_creation_ping,
    verify_webhook_signature,
)
from platforms.woocommerce.urls import normalise_store_url

__all__ = [
    "CreationPing",
    "WooCommerceAdapter",
    "WooCommerceGateway",
    "create_adapter",
    "is_creation_ping",
    "normalise_store_url",
]

DEFAULT_APP_URL = "http://127.0.0.1:5000"
# The order status (slug, without WooCommerce's "wc-" prefix) that means "the shopper asked
# for a return": set by the merchant, or by a returns plugin. Shop option return_request_status.
DEFAULT_RETURN_REQUEST_STATUS = "return-requested"
# WooCommerce disables a webhook after six failed deliveries and never retries one.
WEBHOOK_HEALTH_EVERY = timedelta(minutes=15)


class CreationPing(BadWebhook):
    """WooCommerce's unsigned `webhook_id=N` ping: answer 200 and do nothing.

    A BadWebhook so an edge that does not know it still has no effect; an edge that
    does answers 200, which WooCommerce requires to keep the webhook.
    """


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadWebhook("the WooCommerce webhook body is not JSON") from exc
    if not isinstance(data, dict):
        raise BadWebhook("the WooCommerce webhook body is not a JSON object")
    return data


def dedupe_key(shop: str, topic: str, body: Mapping[str, Any], delivery_id: str = "") -> str:
    """The same for every delivery of one change, whatever its X-WC-Webhook-Delivery-ID.

    WooCommerce's delivery id is wp_hash(webhook id . time()): two deliveries in the
    same second share it and one change sent to two webhooks gets two. The change
    is named by (shop, topic, resource id, date_modified_gmt); a hash of the body
    without its links tells apart two changes saved within the same second. Bodies
    that carry no date (order.deleted's {id}, action.* topics) fall back on the
    delivery id, so a later delete or refund of the same order is not swallowed.
    """
    modified = body.get("date_modified_gmt") or body.get("date_modified")
    if modified:
        content = {k: v for k, v in body.items() if k != "_links"}
        stamp = f"{modified}|{hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()}"
    else:
        stamp = f"delivery:{delivery_id or hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()}"
    resource = mapping.resource_id(topic, body) if body else ""
    material = "\n".join((shop, topic, resource, stamp))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class WooCommerceAdapter:
    """PlatformAdapter for WooCommerce stores (REST v3, webhooks, key-generation connect)."""

    name = "woocommerce"

    def __init__(self, app_url: str = DEFAULT_APP_URL, *, read_timeout: float | None = None) -> None:
        self.app_url = app_url.rstrip("/")
        self.read_timeout = read_timeout

    def is_creation_ping(self, headers: Mapping[str, str], body: bytes) -> bool:
        return is_creation_ping(headers, body)

    def envelope(self, headers: Mapping[str, str], body: bytes) -> WebhookEnvelope:
        if is_creation_ping(headers, body):
            raise CreationPing("WooCommerce webhook creation ping")
        source = get_header(headers, "X-WC-Webhook-Source")
        topic = (get_header(headers, "X-WC-Webhook-Topic") or "").strip()
        if not source or not topic:
            raise BadWebhook("a WooCommerce webhook needs X-WC-Webhook-Source and X-WC-Webhook-Topic")
        try:
            shop = normalise_store_url(source)
        except ValueError as exc:
            raise BadWebhook(f"X-WC-Webhook-Source is not a store URL: {exc}") from exc
        data = _json_object(body)
        try:
            key = dedupe_key(shop, topic, data, get_header(headers, "X-WC-Webhook-Delivery-ID") or "")
            triggered_at = mapping.parse_gmt(data.get("date_modified_gmt"))
        except mapping.MappingError as exc:
            raise BadWebhook(str(exc)) from exc
        return WebhookEnvelope(shop_domain=shop, topic=topic, dedupe_key=key, triggered_at=triggered_at)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, shop: ShopConnection) -> bool:
        return verify_webhook_signature(body, get_header(headers, SIGNATURE_HEADER), shop.webhook_secret)

    def body_problem(self, topic: str, payload: Mapping[str, Any]) -> str:
        """Why a verified body cannot be the topic's (checked at intake: a 400, nothing recorded)."""
        return mapping.body_problem(topic, payload)

    def parse_webhook(self, topic: str, body: bytes) -> list[PlatformEvent]:
        try:
            return mapping.events_from_webhook(topic, _json_object(body))
        except mapping.MappingError as exc:
            raise BadWebhook(str(exc)) from exc

    def return_requests_in(self, order: Order, options: Mapping[str, Any]) -> list[PlatformReturnRequested]:
        """A return request for review when an order is in the shop's return-request status.

        WooCommerce core has no returns: merchants and plugins move the order to a custom
        status instead. The shop's option names it; the common model already carries the
        status (`financial_status`), so this reads the domain order, not platform JSON.
        Every returnable unit is asked back; the merchant trims the request in review.
        The platform return id is per order, so repeated order.updated deliveries open
        one request only.
        """
        wanted = str(options.get("return_request_status") or DEFAULT_RETURN_REQUEST_STATUS)
        wanted = wanted.strip().lower().removeprefix("wc-")
        if not wanted or order.financial_status.strip().lower().removeprefix("wc-") != wanted:
            return []
        lines = tuple(
            (line.platform_line_id, line.quantity - line.refunded_quantity, "other",
             f"order set to {wanted} in WooCommerce")
            for line in order.lines
            if line.product_type != mapping.FEE_PRODUCT_TYPE and line.quantity - line.refunded_quantity > 0
        )
        if not lines:
            return []
        return [PlatformReturnRequested(order.platform_order_id, f"wc-status-{order.platform_order_id}", lines)]

    def normalise_domain(self, text: str) -> str:
        return normalise_store_url(text)

    @property
    def connect_flow(self) -> WooCommerceConnectFlow:
        """The two-click connect (ports.OffersConnectFlow)."""
        return WooCommerceConnectFlow()

    def credentials_from(self, fields: Mapping[str, str]) -> tuple[str, dict[str, str]]:
        """The store and its REST API keys made by hand (ports.ConnectsWithKeys): url, consumer_key, consumer_secret."""
        key = fields.get("consumer_key", "").strip()
        secret = fields.get("consumer_secret", "").strip()
        if not key.startswith("ck_") or not secret.startswith("cs_"):
            raise ValueError("WooCommerce keys look like ck_… (consumer key) and cs_… (consumer secret): "
                             "make them in WooCommerce > Settings > Advanced > REST API, with Read/Write permission")
        return normalise_store_url(fields.get("url", "")), {"consumer_key": key, "consumer_secret": secret}

    def connect(self, shop: ShopConnection, app_url: str) -> ConnectOutcome:
        """Check the keys with a real call, then create (or update) our order webhooks."""
        gateway = self.gateway(shop)
        diagnosis = gateway.check_connection()
        if not diagnosis.ok:
            return ConnectOutcome(ok=False, message=diagnosis.message)
        options = {"query_string_auth": "yes"} if diagnosis.query_string_auth else {}
        if options:
            # The check found the Authorization header stripped: webhooks go through the same client.
            gateway = self.gateway(replace(shop, options={**shop.options, **options}))
        try:
            changes = gateway.ensure_webhooks(app_url, shop.webhook_secret)
        except WooCommerceError as exc:
            return ConnectOutcome(ok=False, message=f"the keys work but webhooks could not be created: {exc}")
        notes = tuple(f"webhook {c.topic} {c.action}" for c in changes)
        return ConnectOutcome(ok=True, message=diagnosis.message, options=options, notes=notes)

    def client(self, shop: ShopConnection) -> WooCommerceClient:
        return WooCommerceClient(
            shop.domain,
            shop.consumer_key,
            shop.consumer_secret,
            # Saved by the caller after a store proved to strip the Authorization header.
            query_string_auth=shop.options.get("query_string_auth") == "yes",
            read_timeout=self.read_timeout or READ_TIMEOUT,
        )

    def store_identity(self, shop: ShopConnection) -> StoreIdentity:
        """The store's name, currency, language and address (connector.ports.IdentifiedPlatform)."""
        identity = self.gateway(shop).store_identity()
        return replace(identity, name=site_name(shop.domain) or identity.name)

    # ---- scheduled checks (ports.SchedulesChecks) ----

    def scheduled_checks(self) -> tuple[ScheduledCheck, ...]:
        return (ScheduledCheck("webhook-health", WEBHOOK_HEALTH_EVERY, self.webhook_health),)

    def webhook_health(self, shop: ShopConnection) -> CheckFinding:
        """Turn our disabled or paused webhooks back on; orders changed meanwhile must be read again."""
        changes = self.gateway(shop).reactivate_disabled_webhooks()
        return CheckFinding(
            reactivated_webhooks=tuple(ReactivatedWebhook(c.webhook_id, c.topic, c.previous_status) for c in changes),
            resync=bool(changes), platform_title="WooCommerce",
        )

    def gateway(self, shop: ShopConnection) -> WooCommerceGateway:
        return WooCommerceGateway(
            self.client(shop),
            gateway_refunds=shop.options.get("gateway_refunds") == "yes",
            app_url=self.app_url,
            webhook_secret=shop.webhook_secret,
        )


def create_adapter(settings: Mapping[str, str]) -> WooCommerceAdapter:
    """Entry point: `settings` is the app configuration (APP_URL, optional WOOCOMMERCE_READ_TIMEOUT)."""
    timeout = settings.get("WOOCOMMERCE_READ_TIMEOUT")
    return WooCommerceAdapter(
        settings.get("APP_URL") or DEFAULT_APP_URL,
        read_timeout=float(timeout) if timeout else None,
    )
