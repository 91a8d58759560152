"""`returns-connector worker`: an RQ worker on every queue, beside the relay thread."""

from __future__ import annotations

import threading

from rq import SimpleWorker, Worker
from rq.serializers import JSONSerializer

from connector.bootstrap import Services
from connector.jobs.queues import QUEUE_NAMES, RedisJobQueue
from connector.jobs.relay import run_relay


def run_worker(svc: Services, *, burst: bool = False, relay: bool = True, fork: bool = True,
               scheduler: bool = True) -> bool:
    """Work the queues (webhooks first: intake must never wait behind a slow sync).

    `fork=False` runs jobs in this process and `scheduler=False` leaves delayed retries
    to another worker: both for tests on fakeredis, whose data a forked child would not
    share back and which runs no Lua (the scheduler's locks are Lua scripts).
    """
    queue = svc.queue
    if not isinstance(queue, RedisJobQueue):
        raise RuntimeError("the RQ worker needs REDIS_URL")
    stop = threading.Event()
    if relay:
        threading.Thread(target=run_relay, args=(svc, stop), name="relay", daemon=True).start()
    try:
        worker_class = Worker if fork else SimpleWorker
        worker = worker_class([queue.queue(name) for name in QUEUE_NAMES], connection=queue.connection,
                              serializer=JSONSerializer)
        # The scheduler is what runs RQ's delayed retries (backoff with jitter).
        return bool(worker.work(burst=burst, with_scheduler=scheduler))
    finally:
        stop.set()
