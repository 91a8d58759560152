"""Shopify GraphQL cost-bucket limiter per shop, in-process or shared through Redis. Stdlib + redis.

Shopify's Admin GraphQL API meters each shop by a leaky bucket of query cost points
(`extensions.cost.throttleStatus`: maximumAvailable, currentlyAvailable, restoreRate
per second). We mirror it: after each call we store what Shopify says; before a call
we reserve the query's requested cost and, if the bucket would go below zero, sleep
until it has refilled enough. Reserving before sleeping (the bucket may go into debt)
means concurrent callers queue up fairly instead of all waking at once, and we wait
*before* Shopify answers THROTTLED rather than after.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

Sleep = Callable[[float], None]
Clock = Callable[[], float]  # monotonic-like seconds; injected so tests control time


@dataclass(frozen=True)
class ThrottleStatus:
    """Shopify's view of one shop's bucket, as returned after a call."""

    maximum_available: float
    currently_available: float
    restore_rate: float


class CostLimiter(Protocol):
    """Waits before a GraphQL call until the shop's bucket holds its cost."""

    def acquire(self, shop: str, cost: float) -> float:
        """Reserve `cost` points for `shop`, sleeping as needed; returns the seconds slept."""
        ...

    def update(self, shop: str, status: ThrottleStatus) -> None:
        """Record the bucket Shopify reported after a call."""
        ...


@dataclass
class _Bucket:
    available: float
    maximum: float
    restore: float
    updated: float

    def refilled(self, now: float) -> float:
        elapsed = max(0.0, now - self.updated)
        return min(self.maximum, self.available + elapsed * self.restore)


def _reserve(bucket: _Bucket, cost: float, now: float) -> tuple[_Bucket, float]:
    """The bucket after taking `cost` now, and how long to wait until it is paid for."""
    # A query dearer than the whole bucket can never fit; wait for a full bucket and let
    # Shopify answer (MAX_COST_EXCEEDED is not a throttle, so waiting longer is useless).
    cost = min(cost, bucket.maximum)
    after = bucket.refilled(now) - cost
    wait = 0.0 if after >= 0 else -after / bucket.restore if bucket.restore > 0 else 0.0
    return _Bucket(after, bucket.maximum, bucket.restore, now), wait


class InProcessLimiter:
    """One bucket per shop in this process (the web process when no Redis is set)."""

    def __init__(self, sleep: Sleep = time.sleep, clock: Clock = time.monotonic) -> None:
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def acquire(self, shop: str, cost: float) -> float:
        with self._lock:
            bucket = self._buckets.get(shop)
            if bucket is None:
                return 0.0  # nothing known yet: the first answer will teach us the bucket
            self._buckets[shop], wait = _reserve(bucket, cost, self._clock())
        # Sleep outside the lock: other shops, and later callers of this one, go on
        # computing their own (longer) waits meanwhile.
        if wait > 0:
            self._sleep(wait)
        return wait

    def update(self, shop: str, status: ThrottleStatus) -> None:
        with self._lock:
            self._buckets[shop] = _Bucket(
                status.currently_available, status.maximum_available, status.restore_rate, self._clock()
            )


class RedisLimiter:
    """The same bucket shared by every worker through Redis (WATCH/MULTI, no Lua needed).

    The clock must be comparable across processes: the default is wall-clock time.
    """

    def __init__(
        self,
        redis: Any,
        sleep: Sleep = time.sleep,
        clock: Clock = time.time,
        prefix: str = "shopify:cost:",
        ttl_seconds: int = 3600,
    ) -> None:
        self._redis = redis
        self._sleep = sleep
        self._clock = clock
        self._prefix = prefix
        self._ttl = ttl_seconds

    def _key(self, shop: str) -> str:
        return f"{self._prefix}{shop}"

    def acquire(self, shop: str, cost: float) -> float:
        key = self._key(shop)
        result: dict[str, float] = {}

        def reserve(pipe: Any) -> None:
            raw = pipe.hgetall(key)
            result["wait"] = 0.0
            if not raw:
                return
            fields = {k.decode() if isinstance(k, bytes) else k: float(v) for k, v in raw.items()}
            bucket = _Bucket(fields["available"], fields["maximum"], fields["restore"], fields["updated"])
            after, wait = _reserve(bucket, cost, self._clock())
            pipe.multi()
            self._write(pipe, key, after)
            result["wait"] = wait

        # redis-py retries `reserve` whenever another worker changed the key meanwhile.
        self._redis.transaction(reserve, key)
        wait = result["wait"]
        if wait > 0:
            self._sleep(wait)
        return wait

    def update(self, shop: str, status: ThrottleStatus) -> None:
        pipe = self._redis.pipeline()
        self._write(
            pipe,
            self._key(shop),
            _Bucket(status.currently_available, status.maximum_available, status.restore_rate, self._clock()),
        )
        pipe.execute()

    def _write(self, pipe: Any, key: str, bucket: _Bucket) -> None:
        pipe.hset(
            key,
            mapping={
                "available": repr(bucket.available),
                "maximum": repr(bucket.maximum),
                "restore": repr(bucket.restore),
                "updated": repr(bucket.updated),
            },
        )
        pipe.expire(key, self._ttl)
