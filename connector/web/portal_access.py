"""Who may do what in the portal: lookup rate limits and signed tokens. Stdlib, itsdangerous, redis.

Imports no Flask request state: the views pass in what they read, so this is testable alone.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from itsdangerous import BadSignature, URLSafeTimedSerializer

log = logging.getLogger(__name__)

LOOKUP_LIMIT = 10  # tries per client IP and shop in one window
# Failed tries from every address together, for one shop: past this, a spread-out attack is
# under way and each address gets UNDER_ATTACK_LIMIT tries instead; nobody is refused outright.
SHOP_LOOKUP_LIMIT = 300
UNDER_ATTACK_LIMIT = 3
# Failed tries on one account (an order number, a sign-in email) from every address together.
ACCOUNT_FAILURE_LIMIT = 10
LOOKUP_WINDOW_SECONDS = 15 * 60
TOKEN_MAX_AGE = 2 * 3600  # a shopper fills the form in minutes; a leaked link dies soon


class Counter(Protocol):
    def hit(self, key: str, now: float) -> int:
        """Count one more event for `key` in the window holding `now`; the count so far."""
        ...

    def count(self, key: str, now: float) -> int:
        """The count of `key` in the window holding `now`, without adding to it."""
        ...


class MemoryCounter:
    """Fixed windows in this process: enough for one web process, forgets on restart."""

    def __init__(self, window_seconds: int) -> None:
        self.window = window_seconds
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float) -> int:
        window = int(now // self.window)
        with self._lock:
            # Old windows are dropped as we go, so memory stays bounded by the active keys.
            for stale in [k for k in self._counts if k[1] < window]:
                del self._counts[stale]
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
        return count

    def count(self, key: str, now: float) -> int:
        with self._lock:
            return self._counts.get((key, int(now // self.window)), 0)


class RedisCounter:
    """Fixed windows in Redis, shared by every web process: INCR and EXPIRE in one round trip."""

    def __init__(self, client: Any, window_seconds: int, prefix: str = "rc:portal-lookup") -> None:
        self.client = client
        self.window = window_seconds
        self.prefix = prefix
        self._fallback = MemoryCounter(window_seconds)

    def hit(self, key: str, now: float) -> int:
        window = int(now // self.window)
        name = f"{self.prefix}:{key}:{window}"
        try:
            pipe = self.client.pipeline()
            pipe.incr(name)
            pipe.expire(name, self.window + 60)
            count, _ = pipe.execute()
            return int(count)
        except Exception:  # a Redis outage must not lock every shopper out, nor open the gate
            log.warning("portal rate limit: Redis unavailable, counting in this process", exc_info=True)
            return self._fallback.hit(key, now)

    def count(self, key: str, now: float) -> int:
        try:
            value = self.client.get(f"{self.prefix}:{key}:{int(now // self.window)}")
            return int(value or 0)
        except Exception:  # the same fallback as hit()
            return self._fallback.count(key, now)


def account_key(account: str) -> str:
    """An account as a counter key: hashed, so no email or order number sits in Redis."""
    return hashlib.sha256(account.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:24]


class LookupLimiter:
    """Tries per (shop, client IP) and failures per shop and per account, in fixed windows.

    Built so that one client never locks out another: a client's refused tries count against
    its own budget only; the shop-wide count holds failed tries, not refused ones, and when it
    passes its cap every client's budget shrinks rather than reaching zero.
    """

    def __init__(self, counter: Counter, per_ip: int = LOOKUP_LIMIT, per_shop: int = SHOP_LOOKUP_LIMIT,
                 under_attack: int = UNDER_ATTACK_LIMIT, per_account: int = ACCOUNT_FAILURE_LIMIT) -> None:
        self.counter = counter
        self.per_ip = per_ip
        self.per_shop = per_shop
        self.under_attack = under_attack
        self.per_account = per_account

    def allow(self, shop_id: int, client_ip: str, now: float, scope: str = "lookup") -> bool:
        """One more try from this client. `scope` keeps budgets apart (lookups, sign-ins)."""
        by_ip = self.counter.hit(f"{shop_id}:{scope}:ip:{client_ip}", now)
        budget = self.per_ip
        if self.counter.count(f"{shop_id}:{scope}:failed", now) >= self.per_shop:
            budget = min(self.per_ip, self.under_attack)
        return by_ip <= budget

    def failed(self, shop_id: int, now: float, scope: str = "lookup", account: str = "") -> None:
        """A try that was let through and failed (wrong pair, wrong password)."""
        self.counter.hit(f"{shop_id}:{scope}:failed", now)
        if account:
            self.counter.hit(f"{shop_id}:{scope}:account:{account_key(account)}", now)

    def account_locked(self, shop_id: int, account: str, now: float, scope: str = "lookup") -> bool:
        """Whether the account had too many failed tries in this window, from anywhere."""
        return self.counter.count(f"{shop_id}:{scope}:account:{account_key(account)}", now) >= self.per_account

    def hit_account(self, shop_id: int, account: str, now: float, scope: str) -> int:
        """Count one use of the account (a sign-in link sent); the count in this window."""
        return self.counter.hit(f"{shop_id}:{scope}:account:{account_key(account)}", now)

    @property
    def retry_after(self) -> int:
        return int(getattr(self.counter, "window", LOOKUP_WINDOW_SECONDS))


def limiter_for(redis_url: str | None, redis_factory: Callable[[str], Any] | None = None,
                per_account: int = ACCOUNT_FAILURE_LIMIT) -> LookupLimiter:
    if redis_url:
        if redis_factory is None:
            raise ValueError("a Redis URL needs a factory to connect with (services.connect_redis)")
        return LookupLimiter(RedisCounter(redis_factory(redis_url), LOOKUP_WINDOW_SECONDS), per_account=per_account)
    return LookupLimiter(MemoryCounter(LOOKUP_WINDOW_SECONDS), per_account=per_account)


class Tokens:
    """Signed, time-limited tokens: the found order, the request under review, proxy forms."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="returns-connector.portal")

    def dump(self, kind: str, payload: dict[str, Any]) -> str:
        return str(self._serializer.dumps({"k": kind, **payload}))

    def load(self, kind: str, token: str, max_age: int = TOKEN_MAX_AGE) -> dict[str, Any] | None:
        """The payload, or None for a token that is forged, expired or of another kind."""
        if not token:
            return None
        try:
            data = self._serializer.loads(token, max_age=max_age)
        except BadSignature:  # SignatureExpired is a BadSignature
            return None
        if not isinstance(data, dict) or data.get("k") != kind:
            return None
        return data
