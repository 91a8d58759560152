"""Retry-After holds are shared per platform and shop, and a 429 gives the push back without a second refund."""

from __future__ import annotations

import fakeredis
import pytest

from connector.bootstrap import Services
from connector.domain.returns import Channel, Condition, Inspection, ResolutionKind
from connector.jobs.ratelimit import InProcessLimiter, RedisLimiter, limiter_key
from connector.ports import PlatformError
from connector.workflow import returns as flow
from connector.workflow.push import push_resolution
from tests import builders
from tests.fakes import FakePlatform


class Ticking:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_in_process_hold_keeps_the_longest_and_lapses() -> None:
    clock = Ticking()
    limiter = InProcessLimiter(clock)
    limiter.hold("shopify:a", 10)
    limiter.hold("shopify:a", 2)
    assert limiter.wait_time("shopify:a") == pytest.approx(10)
    assert limiter.wait_time("shopify:b") == 0
    clock.now += 11
    assert limiter.wait_time("shopify:a") == 0


def test_redis_hold_is_seen_by_every_limiter_on_the_same_redis() -> None:
    server = fakeredis.FakeServer()
    one, other = RedisLimiter(fakeredis.FakeRedis(server=server)), RedisLimiter(fakeredis.FakeRedis(server=server))
    one.hold(limiter_key("woocommerce", "https://a.example"), 5)
    one.hold(limiter_key("woocommerce", "https://a.example"), 1)
    assert 4 < other.wait_time(limiter_key("woocommerce", "https://a.example")) <= 5
    assert other.wait_time(limiter_key("woocommerce", "https://b.example")) == 0


def test_push_answered_429_holds_the_shop_and_is_deferred_then_pushed_once(services: Services) -> None:
    fake = FakePlatform()
    services.adapters["fake"] = fake
    shop = builders.shop(services, platform="fake", domain="fake.example")
    builders.stored_order(services, shop)
    error = PlatformError("slow down", retryable=True, status=429)
    error.retry_after = 60  # type: ignore[attr-defined]
    fake.state.fail_next.append(error)
    opened = flow.open_return_request(
        services, shop.id, "1001", [flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)],
        channel=Channel.PORTAL)
    ref = opened.ret.reference
    flow.approve(services, shop.id, ref, "merchant")
    flow.receive(services, shop.id, ref, "merchant")
    flow.inspect(services, shop.id, ref, "merchant", {"L1": Inspection(Condition.AS_NEW, 1, 0, restock=True)})
    flow.resolve(services, shop.id, ref, "merchant")  # the eager queue has no relay: the row waits

    with services.uow() as uow:
        [item] = [o for o in uow.all_outbox.pending(services.clock.now()) if o.task == "push_resolution"]
    assert push_resolution(services, item.id) == "retry"  # the 429
    assert services.limiter.wait_time(limiter_key("fake", "fake.example")) > 50
    services.clock.advance(minutes=5)  # type: ignore[attr-defined]  # the outbox backoff is over
    assert push_resolution(services, item.id) == "deferred"  # the shop's hold is not
    assert fake.state.creations == 0

    services.limiter = InProcessLimiter()  # the hold lapsed
    services.clock.advance(minutes=5)  # type: ignore[attr-defined]
    assert push_resolution(services, item.id) == "pushed"
    assert push_resolution(services, item.id) == "skipped"
    assert fake.state.creations == 1
    with services.uow() as uow:
        stored = uow.all_outbox.get(item.id)
    assert stored is not None
    assert (stored.status, stored.attempts) == ("done", 2)  # the deferral counted no attempt
