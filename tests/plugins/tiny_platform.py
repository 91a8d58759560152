"""A tiny second platform, written against the ports only: how a new platform plugs in.

"Tiny" shops post their orders as JSON webhooks signed with the shop's webhook secret
(HMAC-SHA256, hex, in X-Tiny-Signature) and take refunds through a ledger the adapter keeps
in memory (a stand-in for the platform's API). It implements PlatformAdapter (the required
contract) and one optional capability, DeclaresResolutionMode; everything else falls back
on the documented defaults. A real package would name `create_adapter` in its pyproject:

    [project.entry-points."returns_connector.platforms"]
    tiny = "tiny_platform:create_adapter"

The tests register it with connector.ports.registry.register_platform, the function the
entry point loader (connector.bootstrap.load_adapters) calls for every installed platform.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from connector.domain.money import Money
from connector.domain.orders import Customer, Order, OrderLine
from connector.ports.platforms import (
    BadWebhook,
    Ignored,
    OrderChanged,
    PlatformError,
    PlatformEvent,
    Progress,
    PushResult,
    ResolutionPush,
    ShopConnection,
    WebhookEnvelope,
)


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


def order_from_json(data: Mapping[str, Any]) -> Order:
    """The platform's order JSON in the common model (the only place its shape is known)."""
    try:
        currency = str(data["currency"])
        return Order(
            platform="tiny", platform_order_id=str(data["id"]), name=str(data["name"]), currency=currency,
            customer=Customer(None, str(data["email"])),
            placed_at=datetime.fromisoformat(str(data["placed_at"])),
            delivered_at=datetime.fromisoformat(str(data["delivered_at"])) if data.get("delivered_at") else None,
            lines=tuple(
                OrderLine(platform_line_id=str(line["id"]), title=str(line["title"]), quantity=int(line["quantity"]),
                          unit_price=Money(Decimal(str(line["price"])), currency), discount=Money.zero(currency),
                          tax=Money.zero(currency), fulfilled_quantity=int(line["quantity"]))
                for line in data["lines"]
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadWebhook(f"not a tiny order: {exc}") from exc


@dataclass
class TinyLedger:
    """What the platform holds: orders and the refunds made, by the reference written on them."""

    orders: dict[str, Order] = field(default_factory=dict)
    refunds: dict[str, ResolutionPush] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class TinyGateway:
    def __init__(self, ledger: TinyLedger) -> None:
        self.ledger = ledger

    def fetch_order(self, platform_order_id: str) -> Order | None:
        return self.ledger.orders.get(platform_order_id)

    def find_order(self, name: str, email: str) -> Order | None:
        return next((o for o in self.ledger.orders.values()
                     if o.name == name and o.customer.email.lower() == email.lower()), None)

    def orders_since(self, since: datetime | None, progress: Progress | None = None) -> Iterator[Order]:
        return iter(list(self.ledger.orders.values()))

    def push(self, push: ResolutionPush) -> PushResult:
        with self.ledger.lock:
            # The reference makes a retry adopt the refund already made instead of paying twice.
            if push.reference in self.ledger.refunds:
                return PushResult(platform_reference=f"tiny-refund-{push.reference}", adopted=True)
            if push.platform_order_id not in self.ledger.orders:
                raise PlatformError(f"no tiny order {push.platform_order_id}")
            self.ledger.refunds[push.reference] = push
            return PushResult(platform_reference=f"tiny-refund-{push.reference}", adopted=False)


class TinyAdapter:
    name = "tiny"
    # ports.DeclaresResolutionMode: resolutions are pushed by the app (the default, said out loud).
    automatic_resolutions = True

    def __init__(self) -> None:
        self.ledger = TinyLedger()

    def envelope(self, headers: Mapping[str, str], body: bytes) -> WebhookEnvelope:
        shop, topic, event = (_header(headers, f"X-Tiny-{n}") for n in ("Shop", "Topic", "Event"))
        if not shop or not topic or not event:
            raise BadWebhook("a tiny webhook needs X-Tiny-Shop, X-Tiny-Topic and X-Tiny-Event")
        return WebhookEnvelope(shop_domain=shop, topic=topic, dedupe_key=event)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, shop: ShopConnection) -> bool:
        given = _header(headers, "X-Tiny-Signature")
        return bool(shop.webhook_secret and given) and hmac.compare_digest(given, sign(body, shop.webhook_secret))

    def parse_webhook(self, topic: str, body: bytes) -> list[PlatformEvent]:
        if topic != "order":
            return [Ignored(topic)]
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise BadWebhook("a tiny webhook body is JSON") from exc
        order = order_from_json(data)
        self.ledger.orders[order.platform_order_id] = order
        return [OrderChanged(order)]

    def gateway(self, shop: ShopConnection) -> TinyGateway:
        return TinyGateway(self.ledger)


def create_adapter(settings: Mapping[str, str]) -> TinyAdapter:
    """The entry point: the app's adapter settings in, the adapter out."""
    return TinyAdapter()


class HalfAdapter:
    """A platform that forgot part of the contract: no signature check, no gateway."""

    name = "half"

    def envelope(self, headers: Mapping[str, str], body: bytes) -> WebhookEnvelope:
        raise BadWebhook("half")

    def parse_webhook(self, topic: str, body: bytes) -> list[PlatformEvent]:
        return []


def create_half_adapter(settings: Mapping[str, str]) -> HalfAdapter:
    return HalfAdapter()
