"""Who is calling: the shop of the bearer token, and how often it may call (per-token rate limit)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from flask import current_app, g, request

from connector.web.api.errors import ApiError, unauthorized
from connector.web.context import services
from connector.workflow.api_tokens import hash_token, shop_for_token

DEFAULT_PER_MINUTE = 600


class RateLimiter:
    """A fixed one-minute window per token, in this process.

    Several web processes each count on their own, so the shared limit is at most this times
    the number of processes; good enough to stop a runaway client, which is what it is for.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def hit(self, key: str) -> tuple[bool, int, int]:
        """(allowed, remaining, seconds until the window resets) for one more request."""
        now = self._clock()
        window = int(now // 60)
        with self._lock:
            if len(self._windows) > 10_000:
                # Old windows of tokens no longer calling: drop them rather than grow forever.
                self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
            start, count = self._windows.get(key, (window, 0))
            if start != window:
                start, count = window, 0
            count += 1
            self._windows[key] = (start, count)
        reset = max(1, math.ceil((window + 1) * 60 - now))
        return count <= self.per_minute, max(0, self.per_minute - count), reset


def limiter() -> RateLimiter:
    found: RateLimiter | None = current_app.extensions.get("returns_api_limiter")
    if found is None:
        raw = services().settings.extra.get("RETURNS_API_RATE_LIMIT", "")
        found = RateLimiter(int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_PER_MINUTE)
        current_app.extensions["returns_api_limiter"] = found
    return found


def authenticate() -> int:
    """The shop id of a live bearer token, or 401; then 429 when the token called too often."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("send the shop's API token as `Authorization: Bearer <token>`")
    if not token.isascii() or len(token) > 200:
        raise unauthorized("this token is unknown or revoked")
    shop_id = shop_for_token(services(), token)
    if shop_id is None:
        raise unauthorized("this token is unknown or revoked")
    allowed, remaining, reset = limiter().hit(hash_token(token))
    g.api_rate = (limiter().per_minute, remaining, reset)
    if not allowed:
        raise ApiError(429, "rate_limited", f"more than {limiter().per_minute} requests in a minute; retry in {reset} s",
                       headers={"Retry-After": str(reset)})
    return shop_id
