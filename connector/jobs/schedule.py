"""Periodic work: reconciliation of connected shops and the checks each platform schedules.

Platforms do not guarantee webhook delivery (WooCommerce never retries, and disables a
webhook after a few failures), so each connected shop is re-read on a schedule. With
Redis, a `SET NX EX` key per period makes one worker among many enqueue each run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connector.bootstrap import Services
from connector.jobs.queues import RedisJobQueue
from connector.ports.platforms import SchedulesChecks
from connector.workflow import labels, sync, webhooks
from connector.workflow import platform_checks as platform_checks_job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    task: Callable[..., Any]  # a use case taking the services (and the shop's id, per shop)
    queue: str
    # Which shops it applies to, by platform; None: every active shop with an integration.
    platforms: frozenset[str] | None = None
    # Instead: every active shop (manual ones too) with a carrier account for return labels.
    with_carrier: bool = False
    # A platform's own check (SchedulesChecks): the task is given the shop and this check's name.
    check: str = ""


SCHEDULE = (
    # Re-reads what changed since the last run minus ten minutes: nothing falls between runs.
    Periodic("reconcile", timedelta(hours=1), sync.reconcile_shop, "sync"),
    # Looks for parcels due a tracking poll; each carrier's own wait between polls is kept per parcel.
    Periodic("carrier-tracking", timedelta(minutes=1), labels.track_shipments, "sync",
             with_carrier=True),
)

# Work over every shop at once, not per shop.
GLOBAL_SCHEDULE = (
    # Raw webhook bodies are kept only as long as needed (WEBHOOK_BODY_RETENTION_DAYS).
    Periodic("purge-webhook-bodies", timedelta(hours=6), webhooks.purge_webhook_bodies, "sync"),
)

def _claim(svc: Services, key: str, now: datetime, every: timedelta) -> bool:
    """True for the one process that should run `key` in this period."""
    if isinstance(svc.queue, RedisJobQueue):
        period = int(now.timestamp() // every.total_seconds())
        return bool(svc.queue.connection.set(f"rc:schedule:{key}:{period}", "1", nx=True,
                                             ex=int(every.total_seconds()) * 2))
    # Without Redis this process is the only one: the services keep the last runs.
    last = svc.schedule_runs.get(key)
    if last is not None and now - last < every:
        return False
    svc.schedule_runs[key] = now
    return True


def platform_checks(svc: Services) -> tuple[Periodic, ...]:
    """The checks the installed platforms schedule, each for the shops of its platform only."""
    return tuple(
        Periodic(check.name, check.every, platform_checks_job.run_platform_check, "sync", frozenset({name}), check=check.name)
        for name, adapter in sorted(svc.adapters.items()) if isinstance(adapter, SchedulesChecks)
        for check in adapter.scheduled_checks()
    )


def run_due(svc: Services, now: datetime | None = None,
            is_wanted: Callable[[Periodic], bool] = lambda _p: True) -> list[str]:
    """Enqueue every periodic job that is due; returns what was enqueued (for logs and tests)."""
    now = now or svc.clock.now()
    with svc.uow() as uow:
        every = [s for s in uow.shops.all() if s.active]
        shops = [s for s in every if s.platform != "manual"]
        carrier_shops = [s for s in every if uow.scope(s).carrier_account.get() is not None]
    enqueued: list[str] = []
    if _claim(svc, "stuck-pushes", now, timedelta(minutes=1)):
        from connector.workflow.push import warn_stuck_pushes

        enqueued += [f"stuck-push:{r}" for r in warn_stuck_pushes(svc)]
    for periodic in (*SCHEDULE, *platform_checks(svc)):
        if not is_wanted(periodic):
            continue
        for shop in carrier_shops if periodic.with_carrier else shops:
            if periodic.platforms is not None and shop.platform not in periodic.platforms:
                continue
            key = f"{periodic.name}:{shop.id}"
            if not _claim(svc, key, now, periodic.every):
                continue
            args = (shop.id, periodic.check) if periodic.check else (shop.id,)
            svc.queue.enqueue(periodic.task, *args, queue=periodic.queue,
                              job_id=f"{periodic.name}-{shop.id}-{int(now.timestamp())}")
            enqueued.append(key)
    for periodic in GLOBAL_SCHEDULE:
        if is_wanted(periodic) and _claim(svc, periodic.name, now, periodic.every):
            svc.queue.enqueue(periodic.task, queue=periodic.queue,
                              job_id=f"{periodic.name}-{int(now.timestamp())}")
            enqueued.append(periodic.name)
    return enqueued
