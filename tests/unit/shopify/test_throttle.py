"""The cost-bucket limiter waits before a call until the shop's bucket holds its cost."""

from __future__ import annotations

from collections.abc import Callable

import fakeredis
import pytest

from platforms.shopify.throttle import CostLimiter, InProcessLimiter, RedisLimiter, ThrottleStatus


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def in_process(t: FakeTime) -> InProcessLimiter:
    return InProcessLimiter(sleep=t.sleep, clock=t.clock)


def shared(t: FakeTime, server: fakeredis.FakeServer | None = None) -> RedisLimiter:
    return RedisLimiter(fakeredis.FakeRedis(server=server or fakeredis.FakeServer()), sleep=t.sleep, clock=t.clock)


MakeLimiter = Callable[[FakeTime], CostLimiter]


@pytest.fixture(params=["in_process", "redis"])
def make(request: pytest.FixtureRequest) -> MakeLimiter:
    return in_process if request.param == "in_process" else shared


def test_a_shop_never_seen_is_not_held_back(make: MakeLimiter) -> None:
    t = FakeTime()
    limiter: CostLimiter = make(t)
    assert limiter.acquire("a.myshopify.com", 1000) == 0.0
    assert t.slept == []


def test_a_call_waits_until_the_bucket_has_refilled_enough(make: MakeLimiter) -> None:
    t = FakeTime()
    limiter: CostLimiter = make(t)
    limiter.update("a.myshopify.com", ThrottleStatus(2000, 50, 100))
    assert limiter.acquire("a.myshopify.com", 250) == pytest.approx(2.0)
    assert t.slept == [pytest.approx(2.0)]


def test_a_call_that_fits_goes_at_once(make: MakeLimiter) -> None:
    t = FakeTime()
    limiter: CostLimiter = make(t)
    limiter.update("a.myshopify.com", ThrottleStatus(2000, 1500, 100))
    assert limiter.acquire("a.myshopify.com", 250) == 0.0


def test_the_bucket_refills_with_time_between_calls(make: MakeLimiter) -> None:
    t = FakeTime()
    limiter: CostLimiter = make(t)
    limiter.update("a.myshopify.com", ThrottleStatus(2000, 0, 100))
    t.now += 3
    assert limiter.acquire("a.myshopify.com", 250) == pytest.approx(0.0)
    assert limiter.acquire("a.myshopify.com", 100) == pytest.approx(0.5)


def test_reservations_queue_callers_instead_of_letting_them_all_through(make: MakeLimiter) -> None:
    t = FakeTime()
    limiter: CostLimiter = make(t)
    limiter.update("a.myshopify.com", ThrottleStatus(1000, 100, 50))
    waits = [limiter.acquire("a.myshopify.com", 100) for _ in range(3)]
    assert waits == [pytest.approx(0.0), pytest.approx(2.0), pytest.approx(2.0)]


def test_shops_have_separate_buckets(make: MakeLimiter) -> None:
    t = FakeTime()
    limiter: CostLimiter = make(t)
    limiter.update("a.myshopify.com", ThrottleStatus(1000, 0, 50))
    assert limiter.acquire("b.myshopify.com", 500) == 0.0


def test_a_query_dearer_than_the_bucket_waits_only_for_a_full_bucket(make: MakeLimiter) -> None:
    t = FakeTime()
    limiter: CostLimiter = make(t)
    limiter.update("a.myshopify.com", ThrottleStatus(1000, 0, 100))
    assert limiter.acquire("a.myshopify.com", 5000) == pytest.approx(10.0)


def test_workers_sharing_redis_share_one_bucket() -> None:
    t = FakeTime()
    server = fakeredis.FakeServer()
    worker_a, worker_b = shared(t, server), shared(t, server)
    worker_a.update("a.myshopify.com", ThrottleStatus(1000, 100, 50))
    assert worker_a.acquire("a.myshopify.com", 100) == 0.0
    assert worker_b.acquire("a.myshopify.com", 100) == pytest.approx(2.0)
