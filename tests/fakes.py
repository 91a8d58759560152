"""A stand-in platform that keeps what was pushed to it, for workflow and pipeline tests.

It behaves like a real shop: creations are counted, and a push carrying a reference that
already exists is adopted, never created twice (the contract every real adapter meets).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from connector.domain.orders import Order
from connector.ports import (
    BadWebhook,
    OrderChanged,
    PlatformError,
    PlatformEvent,
    ProductVariant,
    Progress,
    PushResult,
    ResolutionPush,
    ShopConnection,
    WebhookEnvelope,
)


@dataclass
class FakeShopState:
    orders: dict[str, Order] = field(default_factory=dict)
    created: dict[str, ResolutionPush] = field(default_factory=dict)  # by reference
    creations: int = 0
    fail_next: list[PlatformError] = field(default_factory=list)
    variants: dict[str, list[ProductVariant]] = field(default_factory=dict)  # by product id
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeGateway:
    def __init__(self, state: FakeShopState) -> None:
        self.state = state

    def fetch_order(self, platform_order_id: str) -> Order | None:
        return self.state.orders.get(platform_order_id)

    def find_order(self, name: str, email: str) -> Order | None:
        for order in self.state.orders.values():
            if order.name.lstrip("#") == name.lstrip("#") and order.customer.email == email.lower():
                return order
        return None

    def orders_since(self, since: datetime | None, progress: Progress | None = None) -> Iterator[Order]:
        found = [o for o in self.state.orders.values() if since is None or (o.updated_at or o.placed_at) >= since]
        for n, order in enumerate(found, start=1):
            if progress:
                progress(n, len(found))
            yield order

    def variants_of(self, product_id: str) -> list[ProductVariant]:
        return list(self.state.variants.get(product_id, []))

    def push(self, push: ResolutionPush) -> PushResult:
        with self.state.lock:
            if push.reference in self.state.created:
                return PushResult(platform_reference=f"fake-{push.reference}", adopted=True)
            if self.state.fail_next:
                raise self.state.fail_next.pop(0)
            self.state.created[push.reference] = push
            self.state.creations += 1
            return PushResult(platform_reference=f"fake-{push.reference}", adopted=False, code=push.coupon_code)


class FakePlatform:
    """Webhooks are JSON `{"order_id": ...}` signed with the header X-Fake-Signature = secret."""

    name = "fake"
    automatic_resolutions = True

    def __init__(self) -> None:
        self.state = FakeShopState()

    def envelope(self, headers: Mapping[str, str], body: bytes) -> WebhookEnvelope:
        try:
            return WebhookEnvelope(shop_domain=headers["X-Fake-Shop"], topic=headers["X-Fake-Topic"],
                                   dedupe_key=headers["X-Fake-Event"])
        except KeyError as exc:
            raise BadWebhook(f"missing header {exc}") from exc

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, shop: ShopConnection) -> bool:
        return bool(shop.webhook_secret) and headers.get("X-Fake-Signature") == shop.webhook_secret

    def parse_webhook(self, topic: str, body: bytes) -> list[PlatformEvent]:
        data = json.loads(body)
        order = self.state.orders.get(str(data.get("order_id")))
        if order is None:
            raise BadWebhook("unknown order")
        return [OrderChanged(order)]

    def gateway(self, shop: ShopConnection) -> FakeGateway:
        return FakeGateway(self.state)
