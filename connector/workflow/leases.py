"""Short leases on outbox rows, renewed by a heartbeat while the job that holds one runs.

A worker claims a row for LEASE (30 s) and a thread renews the claim every LEASE/3 while
the job runs, however long the platform takes. A worker that dies (kill -9, a lost
machine) stops renewing: its row is free again within LEASE, and the relay hands it to
another worker, whose platform call adopts what the dead one created (by marker).
Imports the ports at run time; the services for type checking only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connector.ports.services import Services

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
# A row handed to the queue but not claimed yet is handed on again after this (a job lost
# with Redis); longer than the lease, so a backlog does not fill the queue with repeats.
HAND_OFF_WAIT = timedelta(minutes=2)


def lease(svc: Services) -> timedelta:
    """The outbox lease; RETURNS_PUSH_LEASE_SECONDS changes it (tests that kill a worker)."""
    raw = svc.settings.extra.get("RETURNS_PUSH_LEASE_SECONDS", "")
    try:
        return timedelta(seconds=float(raw)) if raw else LEASE
    except ValueError:
        return LEASE


@contextmanager
def heartbeat(svc: Services, outbox_id: int, attempt: int) -> Iterator[None]:
    """Renew this worker's claim on the row (attempt `attempt`) until the block ends.

    Renewal is conditional on the claim being ours: once another worker took the row
    over (our lease lapsed while the database was away), the heartbeat stops.
    """
    length = lease(svc)
    stop = threading.Event()

    def beat() -> None:
        complained = False
        while not stop.wait(length.total_seconds() / 3):
            try:
                with svc.uow() as uow:
                    held = uow.all_outbox.renew(outbox_id, attempt, svc.clock.now(), length)
                    uow.commit()
            except Exception as exc:  # the database is away: try again at the next beat
                if not complained:
                    log.warning("lease of outbox row %s not renewed: %s", outbox_id, exc)
                    complained = True
                continue
            if not held:
                return

    thread = threading.Thread(target=beat, name=f"lease-{outbox_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
