"""Failed work, for the admin and the CLI: deliveries, outbox rows and RQ's failed jobs.

The database rows are the record that matters (a delivery or push parked as failed);
RQ's failed-job registry shows jobs that crashed outright. Imports RQ and the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from connector.bootstrap import Services
from connector.jobs.queues import QUEUE_NAMES, RedisJobQueue
from connector.persistence.unit_of_work import UnitOfWork
from connector.workflow.push import STUCK_AFTER


@dataclass(frozen=True)
class Failure:
    kind: str  # delivery, outbox, rq
    id: str
    shop_id: int | None
    what: str
    error: str
    # A push not failed but still pending after STUCK_AFTER: since when, and its next try.
    pending_since: datetime | None = None
    next_try: datetime | None = None


def list_failures(svc: Services, shop_id: int | None = None) -> list[Failure]:
    """Everything that gave up, newest first per kind; one shop's only when `shop_id` is given."""
    rows: list[Failure] = []
    with svc.uow() as uow:
        for d in uow.deliveries.failed():
            if shop_id is None or d.shop_id == shop_id:
                rows.append(Failure("delivery", str(d.id), d.shop_id, f"{d.platform} {d.topic}", d.error))
        for o in uow.all_outbox.failed():
            if shop_id is None or o.shop_id == shop_id:
                rows.append(Failure("outbox", str(o.id), o.shop_id, f"{o.task} #{o.subject_id}", o.last_error))
        now = svc.clock.now()
        for s in uow.all_outbox.stale("push_resolution", now - STUCK_AFTER):
            if shop_id is None or s.shop_id == shop_id:
                next_try = s.locked_until if s.running(now) else s.available_at
                rows.append(Failure("outbox", str(s.id), s.shop_id, f"{s.task} #{s.subject_id}", s.last_error,
                                    pending_since=s.created_at, next_try=next_try))
    if shop_id is None and isinstance(svc.queue, RedisJobQueue):
        for name in QUEUE_NAMES:
            registry = FailedJobRegistry(queue=svc.queue.queue(name))
            for job_id in registry.get_job_ids():
                try:
                    job = Job.fetch(job_id, connection=svc.queue.connection, serializer=JSONSerializer)
                except NoSuchJobError:
                    continue  # expired between the listing and the fetch
                rows.append(Failure("rq", job_id, None, f"{name}: {job.func_name}{tuple(job.args)}",
                                    _last_line(job.exc_info)))
    return rows


def _last_line(text: str | None) -> str:
    """The exception line of a traceback: what an admin reads first."""
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""


def retry_failure(svc: Services, kind: str, failure_id: str, shop_id: int | None = None) -> bool:
    """Put one failure back to work; False when there is no such failure (in this shop).

    A delivery or outbox row goes back to pending and the relay hands it on within a
    second; an RQ job is requeued as it was.
    """
    if kind == "rq":
        if not isinstance(svc.queue, RedisJobQueue):
            return False
        for name in QUEUE_NAMES:
            registry = FailedJobRegistry(queue=svc.queue.queue(name))
            if failure_id in registry.get_job_ids():
                registry.requeue(failure_id)
                return True
        return False
    if not failure_id.isdigit():
        return False
    with svc.uow() as uow:
        if kind == "delivery":
            delivery = uow.deliveries.get(int(failure_id))
            if delivery is None or (shop_id is not None and delivery.shop_id != shop_id):
                return False
            done = uow.deliveries.requeue(int(failure_id))
        else:
            item = uow.all_outbox.get(int(failure_id))
            if item is None or (shop_id is not None and item.shop_id != shop_id):
                return False
            done = uow.all_outbox.requeue(int(failure_id), svc.clock.now())
            if not done and item.status == "pending":
                # A push still pending (shown after 15 minutes): try it now rather than at its next try.
                return _hurry(svc, uow, int(failure_id))
            if done:
                shop = uow.shops.get(item.shop_id)
                if shop is not None and item.task == "push_resolution":
                    uow.scope(shop).resolutions.retry(item.subject_id)
        uow.commit()
    return done


def _hurry(svc: Services, uow: UnitOfWork, outbox_id: int) -> bool:
    now = svc.clock.now()
    done = uow.all_outbox.hurry(outbox_id, now)
    uow.commit()
    return done
