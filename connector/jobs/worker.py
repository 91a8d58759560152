"""`returns-connector worker`: an RQ worker on every queue, beside the relay thread."""

from __future__ import annotations

import threading

from rq import Worker
from rq.serializers import JSONSerializer

from connector.bootstrap import Services
from connector.jobs.queues import QUEUE_NAMES, RedisJobQueue
from connector.jobs.relay import run_relay


def run_worker(svc: Services, *, burst: bool = False, relay: bool = True) -> bool:
    queue = svc.queue
    if not isinstance(queue, RedisJobQueue):
        raise RuntimeError("the RQ worker needs REDIS_URL")
    stop = threading.Event()
    thread = None
    if relay:
        thread = threading.Thread(target=run_relay, args=(svc, stop), name="relay", daemon=True)
        thread.start()
    try:
        worker = Worker([queue.queue(name) for name in QUEUE_NAMES], connection=queue.connection,
                        serializer=JSONSerializer)
        return bool(worker.work(burst=burst, with_scheduler=True))
    finally:
        stop.set()
