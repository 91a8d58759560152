"""Retry-After holds shared by every worker: per platform and shop. Standard library and redis.

When a platform answers HTTP 429 with Retry-After, the whole app (every worker, every
job for that shop) must keep quiet until then, not only the call that was told. A hold
is a key with an expiry: in Redis when the app has one (`SET NX PX` then `PEXPIRE GT`
keeps the longest hold without a script), else in this process.

Adapters receive the limiter by injection (an attribute `retry_after_limiter`, set by
the composition root), since platforms may not import connector.jobs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from connector.ports.runtime import RetryAfterLimiter as RetryAfterLimiter

KEY_PREFIX = "returns-connector:hold:"


def limiter_key(platform: str, shop: str) -> str:
    """One hold per platform and shop: a 429 from one shop never slows another."""
    return f"{platform}:{shop}"


class InProcessLimiter:
    """Holds for a process without Redis (the embedded default)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def hold(self, key: str, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            until = self._clock() + seconds
            self._until[key] = max(until, self._until.get(key, 0.0))

    def wait_time(self, key: str) -> float:
        with self._lock:
            left = self._until.get(key, 0.0) - self._clock()
            if left <= 0:
                self._until.pop(key, None)
                return 0.0
            return left


class RedisLimiter:
    """Holds in Redis, seen by every worker and web process sharing it."""

    def __init__(self, connection: Any) -> None:
        self._redis = connection

    def hold(self, key: str, seconds: float) -> None:
        millis = int(seconds * 1000)
        if millis <= 0:
            return
        name = KEY_PREFIX + key
        if not self._redis.set(name, "1", px=millis, nx=True):
            # Already held: lengthen it only if this hold ends later (Redis >= 7).
            self._redis.pexpire(name, millis, gt=True)

    def wait_time(self, key: str) -> float:
        left = int(self._redis.pttl(KEY_PREFIX + key))
        return left / 1000 if left > 0 else 0.0


def wait_for(limiter: RetryAfterLimiter, key: str, *, at_most: float,
             sleep: Callable[[float], None] = time.sleep) -> float:
    """Sleep through a short hold; returns what is left when the hold is longer than `at_most`.

    A job should not sit in a worker for minutes: a long hold is better given back to
    the outbox (retried after it) than slept through.
    """
    left = limiter.wait_time(key)
    if 0 < left <= at_most:
        sleep(left)
        return 0.0
    return left
