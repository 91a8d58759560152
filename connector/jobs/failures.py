"""Failed work, for the admin and the CLI: deliveries, outbox rows and RQ's failed jobs."""

from __future__ import annotations

from dataclasses import dataclass

from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from connector.bootstrap import Services
from connector.jobs.queues import QUEUE_NAMES, RedisJobQueue


@dataclass(frozen=True)
class Failure:
    kind: str  # delivery, outbox, rq
    id: str
    shop_id: int | None
    what: str
    error: str


def list_failures(svc: Services, shop_id: int | None = None) -> list[Failure]:
    rows: list[Failure] = []
    with svc.uow() as uow:
        for d in uow.deliveries.failed():
            if shop_id is None or d.shop_id == shop_id:
                rows.append(Failure("delivery", str(d.id), d.shop_id, f"{d.platform} {d.topic}", d.error))
        for o in uow.all_outbox.failed():
            if shop_id is None or o.shop_id == shop_id:
                rows.append(Failure("outbox", str(o.id), o.shop_id, f"{o.task} #{o.subject_id}", o.last_error))
    if shop_id is None and isinstance(svc.queue, RedisJobQueue):
        for name in QUEUE_NAMES:
            registry = FailedJobRegistry(queue=svc.queue.queue(name))
            for job_id in registry.get_job_ids():
                job = Job.fetch(job_id, connection=svc.queue.connection, serializer=JSONSerializer)
                rows.append(Failure("rq", job_id, None, f"{name}: {job.func_name}{tuple(job.args)}",
                                    (job.exc_info or "").strip().splitlines()[-1:][0] if job.exc_info else ""))
    return rows


def retry_failure(svc: Services, kind: str, failure_id: str, shop_id: int | None = None) -> bool:
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
            if done:
                shop = uow.shops.get(item.shop_id)
                if shop is not None and item.task == "push_resolution":
                    uow.scope(shop).resolutions.retry(item.subject_id)
        uow.commit()
    return done
