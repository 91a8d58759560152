"""The outbox relay and sweep: hand recorded work to the queue, and hand it on again when lost.

Webhook deliveries are recorded on the request path without touching Redis; the relay
picks them up within a second. Outbox rows (pushes, emails) are claimed with a short
lease that a heartbeat renews while the job runs (connector.workflow.leases), so a worker
that dies lets it lapse within 30 s and the next pass re-enqueues the row.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from connector.bootstrap import Services
from connector.jobs.tasks import process_deliveries
from connector.workflow import labels, merchant_webhooks, mirror, notifications, push
from connector.workflow.leases import HAND_OFF_WAIT
from connector.workflow.webhooks import BATCH_SIZE

log = logging.getLogger(__name__)
J = TypeVar("J", int, str)

# A delivery handed to the queue but still not processed after this is handed on again.
REQUEUE_AFTER = timedelta(minutes=2)
# Every kind of outgoing work: its outbox task, the job that runs a row of it (through the one
# consumer, connector.workflow.outbox) and its queue.
OUTBOX_JOBS: dict[str, tuple[Callable[..., Any], str]] = {
    push.KIND.task: (push.push_resolution, push.KIND.queue),
    notifications.KIND.task: (notifications.send_email, notifications.KIND.queue),
    mirror.KIND.task: (mirror.mirror_return, mirror.KIND.queue),
    merchant_webhooks.KIND.task: (merchant_webhooks.deliver_merchant_webhook, merchant_webhooks.KIND.queue),
    labels.KIND.task: (labels.buy_label, labels.KIND.queue),
}


def relay_once(svc: Services, *, sweep_all: bool = False, batch: int = 500) -> tuple[int, int]:
    """Enqueue waiting deliveries and due outbox rows; returns how many of each were handed on.

    What could not be enqueued (Redis away) is given back at once, so the next pass or
    an `outbox drain` hands it on when Redis returns; nothing is left marked as queued.
    """
    now = svc.clock.now()
    stale = now - (timedelta(0) if sweep_all else REQUEUE_AFTER)
    with svc.uow() as uow:
        ids = uow.deliveries.hand_off(now, stale, batch)
        uow.commit()
    # One job per batch of deliveries (see process_deliveries: one claim and one commit a batch).
    batches = [ids[start:start + BATCH_SIZE] for start in range(0, len(ids), BATCH_SIZE)]
    made_it = _enqueue_all(svc, [
        (process_deliveries, "webhooks", ",".join(map(str, chunk)),
         f"deliveries-{chunk[0]}-{chunk[-1]}-{int(now.timestamp())}") for chunk in batches])
    handed = [i for chunk in batches[:len(made_it)] for i in chunk]
    if len(handed) < len(ids):
        lost = ids[len(handed):]
        with svc.uow() as uow:
            uow.deliveries.give_back(lost)
            uow.commit()
    wait = HAND_OFF_WAIT
    with svc.uow() as uow:
        due = uow.all_outbox.pending(now, limit=batch)
        taken = [item for item in due if uow.all_outbox.hand_off(item.id, now, wait)]
        uow.commit()
    jobs: list[tuple[Callable[..., Any], str, int, str]] = []
    for item in taken:
        known = OUTBOX_JOBS.get(item.task)
        if known is None:
            log.error("outbox row %s has an unknown task %s", item.id, item.task)
            continue
        job, queue = known
        jobs.append((job, queue, item.id, f"outbox-{item.id}-{item.attempts + 1}-{int(now.timestamp())}"))
    pushed = _enqueue_all(svc, jobs)
    if len(pushed) < len(jobs):
        with svc.uow() as uow:
            for _task, _queue, outbox_id, _job_id in jobs:
                if outbox_id not in pushed:
                    uow.all_outbox.release(outbox_id, now)
            uow.commit()
    return len(handed), len(pushed)


def _enqueue_all(svc: Services, jobs: list[tuple[Callable[..., Any], str, J, str]]) -> list[J]:
    """Enqueue until the queue fails; returns the job arguments that made it, in order."""
    done: list[J] = []
    for job, queue, subject_id, job_id in jobs:
        try:
            svc.queue.enqueue(job, subject_id, queue=queue, job_id=job_id)
        except Exception as exc:
            # Redis went away: stop here, the caller gives the rest back for the next pass.
            # Logged by run_relay once per outage, not once per pass.
            log.debug("enqueue of %s %s failed; handed back", job.__qualname__, subject_id, exc_info=True)
            _queue_trouble.append(f"{type(exc).__name__}: {exc}")
            break
        done.append(subject_id)
    return done


def drain(svc: Services, *, sweep_all: bool = True) -> tuple[int, int]:
    """`returns-connector outbox drain`: everything still waiting goes to the queue now."""
    total_d, total_o = 0, 0
    while True:
        d, o = relay_once(svc, sweep_all=sweep_all)
        total_d, total_o = total_d + d, total_o + o
        if d == 0 and o == 0:
            return total_d, total_o
        sweep_all = False  # what was just handed on is not handed on again in this run


# Why the last enqueue failed (the relay reads and clears it after each pass).
_queue_trouble: list[str] = []


class _Outage:
    """Logs once when something goes away and once when it is back, not once per pass."""

    def __init__(self) -> None:
        self.down = ""

    def failed(self, why: str) -> None:
        if self.down != why.split(":")[0]:
            log.warning("relay: %s; it keeps trying and resumes by itself", why)
            self.down = why.split(":")[0]

    def ok(self) -> None:
        if self.down:
            log.warning("relay: back to work (%s is over)", self.down)
            self.down = ""


def _what_failed(exc: Exception) -> str:
    from redis.exceptions import RedisError
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, RedisError):
        return f"Redis unreachable: {type(exc).__name__}: {exc}"
    if isinstance(exc, (OperationalError, InterfaceError)) or (
            isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return f"database unreachable: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    return f"relay pass failed: {type(exc).__name__}: {exc}"


def skipped_by_drain(svc: Services) -> list[str]:
    """What `outbox drain` leaves alone and why, one line a row (the CLI prints them)."""
    now = svc.clock.now()
    with svc.uow() as uow:
        rows = uow.all_outbox.not_due(now)
    lines = []
    for row in rows:
        what = f"outbox {row.id} ({row.task} #{row.subject_id}, shop {row.shop_id})"
        if row.running(now):
            lines.append(f"{what}: a worker is running it (lease until {row.locked_until:%Y-%m-%d %H:%M:%S} UTC, "
                         "renewed while it runs; taken over if that worker dies)")
        elif row.last_error:
            lines.append(f"{what}: next try at {row.available_at:%Y-%m-%d %H:%M:%S} UTC after "
                         f"{row.attempts} attempt(s); last error: {row.last_error[:160]}")
        else:
            lines.append(f"{what}: already in the queue; handed on again at "
                         f"{row.available_at:%Y-%m-%d %H:%M:%S} UTC if no worker takes it")
    return lines


def run_relay(svc: Services, stop: threading.Event, interval: float = 0.5) -> None:
    from connector.jobs.schedule import run_due

    next_schedule = 0.0
    outage = _Outage()
    wait = 1.0
    while not stop.is_set():
        try:
            _queue_trouble.clear()
            relay_once(svc)
            if time.monotonic() >= next_schedule:
                # Periodic reconciliation and health checks ride on the relay's loop.
                run_due(svc)
                next_schedule = time.monotonic() + 60
        except Exception as exc:
            # Redis or the database is away: keep trying, with a capped backoff; nothing
            # recorded is lost meanwhile (the pool's pre-ping replaces dead connections).
            why = _what_failed(exc)
            if why.startswith("relay pass failed"):
                log.exception("relay pass failed; retrying")
            outage.failed(why)
            stop.wait(wait)
            wait = min(10.0, wait * 2)
            continue
        if _queue_trouble:
            outage.failed(f"Redis unreachable: {_queue_trouble[0]}")
        else:
            outage.ok()
            wait = 1.0
        stop.wait(interval)


_relay_thread: threading.Thread | None = None


def start_relay_thread(svc: Services) -> threading.Event:
    global _relay_thread
    stop = threading.Event()
    if _relay_thread is None or not _relay_thread.is_alive():
        _relay_thread = threading.Thread(target=run_relay, args=(svc, stop), name="relay", daemon=True)
        _relay_thread.start()
    return stop


def wait_idle(svc: Services, timeout: float = 10.0) -> None:
    """Tests: relay until nothing is waiting and the inline queue is idle."""
    deadline = time.monotonic() + timeout
    join = getattr(svc.queue, "join", None)
    while time.monotonic() < deadline:
        d, o = relay_once(svc, sweep_all=True)
        if join is not None:
            join()
        if d == 0 and o == 0:
            return
