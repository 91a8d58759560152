"""The one outbox consumer: every kind of outgoing work (push, mirror, merchant webhook, email, label) runs here.

A kind supplies its handler and its limits; this module does the rest, the same way for
all of them:

1. claim the row with a short lease (connector.workflow.leases) and commit the claim, so
   it stands even if this worker dies from here on;
2. `prepare` reads what the call needs inside that transaction (or ends the row at once:
   nothing to do, or nothing can be done);
3. the shop's Retry-After hold, when the kind respects platform holds: a short one is
   slept through, a longer one gives the row back without counting an attempt;
4. `call` talks to the outside world outside any transaction, while a heartbeat renews
   the lease; it raises `Failed` for a failure it understands;
5. `record` writes the result in the transaction that marks the row done;
6. a failure: `failed` does the kind's bookkeeping and the row is retried after the
   kind's backoff (never before a Retry-After), or given up after the kind's last
   attempt (the failed jobs list shows it to the merchant).

Imports the domain and ports at run time; the services for type checking only.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from connector.domain.shops import Shop
from connector.workflow.leases import heartbeat, lease

if TYPE_CHECKING:
    from connector.ports.services import Services
    from connector.ports.storage import UnitOfWork

log = logging.getLogger(__name__)

W = TypeVar("W")
R = TypeVar("R")

# A Retry-After hold up to this long is slept through in the job; a longer one gives the row back.
SLEEP_THROUGH = 5.0


@dataclass(frozen=True)
class Limits:
    """How often a kind is tried and how long it waits between tries.

    The wait after attempt n is `first` doubled n-1 times, at most `longest`.
    """

    max_attempts: int
    first: timedelta
    longest: timedelta
    # The shop's platform Retry-After holds apply (calls to the platform of the shop).
    platform_holds: bool = False

    def backoff(self, attempts: int) -> timedelta:
        wait: timedelta = self.first * 2 ** max(0, attempts - 1)
        return min(self.longest, wait)


class Failed(Exception):
    """A failure the handler's call understood: retried after the backoff when `retryable`.

    `retry_after` (seconds) is what the other side asked for (HTTP 429); `detail` is for
    the kind's own bookkeeping in `failed`.
    """

    def __init__(self, error: str, *, retryable: bool = True, retry_after: float | None = None,
                 detail: Any = None) -> None:
        super().__init__(error)
        self.error = error
        self.retryable = retryable
        self.retry_after = retry_after
        self.detail = detail


@dataclass(frozen=True)
class Finish:
    """What `prepare` answers when there is nothing to call: the row ends now.

    `error` empty: the row is done (`result` is usually "skipped"); else it is failed with it.
    """

    result: str
    error: str = ""


class Handler(Protocol[W, R]):
    """One kind's own part. W is what `prepare` hands to `call`, R what `call` returns."""

    def prepare(self, svc: Services, uow: UnitOfWork, shop: Shop, subject_id: int) -> W | Finish:
        """In the claim's transaction (committed after it): read what the call needs."""
        ...

    def call(self, svc: Services, shop: Shop, work: W) -> R:
        """Outside any transaction, under the heartbeat; raises Failed."""
        ...

    def record(self, svc: Services, uow: UnitOfWork, shop: Shop, work: W, result: R) -> str:
        """In the transaction that marks the row done; returns the outcome (pushed, sent...)."""
        ...

    def failed(self, svc: Services, uow: UnitOfWork, shop: Shop, work: W, failure: Failed, final: bool,
               next_try: datetime | None) -> str | None:
        """The kind's bookkeeping of a failure, in the transaction that reschedules or fails the row.

        Returns an outcome instead of "retry"/"failed", or None.
        """
        ...


@dataclass(frozen=True)
class OutboxKind(Generic[W, R]):
    """A kind of outgoing work: the outbox task name, the queue its jobs go to, its handler and limits."""

    task: str
    queue: str
    handler: Handler[W, R]
    limits: Limits


def hold_key(shop: Shop) -> str:
    """One Retry-After hold per platform and shop (connector.jobs.ratelimit.limiter_key's shape)."""
    return f"{shop.platform}:{shop.domain}"


def consume(svc: Services, outbox_id: int, kind: OutboxKind[W, R]) -> str:
    """Run one outbox row of `kind`; returns the handler's outcome, or skipped, deferred, retry, failed.

    Safe to run twice or concurrently: only the worker that wins the claim calls out.
    """
    now = svc.clock.now()
    with svc.uow() as uow:
        item = uow.all_outbox.get(outbox_id)
        if item is None or item.status != "pending" or item.task != kind.task:
            return "skipped"
        if not uow.all_outbox.claim(outbox_id, now, lease(svc)):
            return "skipped"  # another worker holds it
        uow.commit()  # the claim stands even if this worker dies from here on
        shop = uow.shops.get(item.shop_id)
        if shop is None:
            return "skipped"
        prepared = kind.handler.prepare(svc, uow, shop, item.subject_id)
        if isinstance(prepared, Finish):
            scope = uow.scope(shop)
            if prepared.error:
                scope.outbox.fail(outbox_id, prepared.error)
            else:
                scope.outbox.done(outbox_id, now)
            uow.commit()
            return prepared.result
        uow.commit()
    attempt = item.attempts + 1
    with heartbeat(svc, outbox_id, attempt):
        return _call_and_record(svc, kind, shop, outbox_id, attempt, prepared)


def _call_and_record(svc: Services, kind: OutboxKind[W, R], shop: Shop, outbox_id: int, attempt: int,
                     work: W) -> str:
    """The call and its bookkeeping, under the claim of attempt `attempt`."""
    if kind.limits.platform_holds:
        left = svc.limiter.wait_time(hold_key(shop))
        if 0 < left <= SLEEP_THROUGH:
            time.sleep(left)  # a short hold: cheaper to wait here than to go round the outbox
            left = 0.0
        if left > 0:
            # The platform asked every worker to wait (429 Retry-After): give the row back.
            with svc.uow() as uow:
                uow.scope(shop).outbox.defer(outbox_id, svc.clock.now() + timedelta(seconds=left),
                                             "waiting for the platform's Retry-After")
                uow.commit()
            return "deferred"
    try:
        result = kind.handler.call(svc, shop, work)
    except Failed as failure:
        return _record_failure(svc, kind, shop, outbox_id, attempt, work, failure)
    except Exception as exc:  # unknown failure: retried; each kind's call adopts what an earlier try made
        log.exception("%s of outbox row %s failed", kind.task, outbox_id)
        return _record_failure(svc, kind, shop, outbox_id, attempt, work, Failed(f"{type(exc).__name__}: {exc}"))
    with svc.uow() as uow:
        outcome = kind.handler.record(svc, uow, shop, work, result)
        uow.scope(shop).outbox.done(outbox_id, svc.clock.now())
        uow.commit()
    return outcome


def _record_failure(svc: Services, kind: OutboxKind[W, R], shop: Shop, outbox_id: int, attempt: int, work: W,
                    failure: Failed) -> str:
    now = svc.clock.now()
    if failure.retry_after and kind.limits.platform_holds:
        # Every worker keeps quiet for this shop until then, not only this row.
        svc.limiter.hold(hold_key(shop), failure.retry_after)
    final = not failure.retryable or attempt >= kind.limits.max_attempts
    next_try = None
    if not final:
        wait = kind.limits.backoff(attempt)
        if failure.retry_after:
            wait = max(wait, timedelta(seconds=failure.retry_after))
        next_try = now + wait
    with svc.uow() as uow:
        outcome = kind.handler.failed(svc, uow, shop, work, failure, final, next_try)
        scope = uow.scope(shop)
        if next_try is None:
            scope.outbox.fail(outbox_id, failure.error)
        else:
            scope.outbox.retry_later(outbox_id, failure.error, next_try)
        uow.commit()
    return outcome or ("failed" if final else "retry")
