"""Job queues: RQ on Redis when REDIS_URL is set, else a thread in the web process.

A job is a module-level workflow function taking the services first, then plain ids
(JSON serialiser, never pickle). Callers hand the function itself to `enqueue`; RQ is
given its dotted path, and the worker (a composition root) calls it with the services it
built for its process (`bind_services`). Jobs are idempotent: a worker can die at any
moment and the job, or the sweep, runs again.
"""

from __future__ import annotations

import importlib
import logging
import queue as stdlib_queue
import random
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from redis import Redis
from rq import Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

if TYPE_CHECKING:
    from connector.bootstrap import Services

log = logging.getLogger(__name__)

# One queue per kind of work, so a slow platform never holds up webhook intake.
WEBHOOKS, PUSH, NOTIFY, SYNC = "webhooks", "push", "notify", "sync"
QUEUE_NAMES = (WEBHOOKS, PUSH, NOTIFY, SYNC)

JOB_TIMEOUTS = {WEBHOOKS: 60, PUSH: 300, NOTIFY: 60, SYNC: 3600}
MAX_RETRIES = 5


def retry_intervals(max_retries: int = MAX_RETRIES, base: float = 5.0, rng: random.Random | None = None) -> list[int]:
    """Exponential backoff with jitter, so failed jobs of many shops do not retry in step."""
    rng = rng or random.Random()  # noqa: S311 - jitter, not security
    return [max(1, int(base * 2**attempt * rng.uniform(0.5, 1.5))) for attempt in range(max_retries)]


def job_path(job: Callable[..., Any]) -> str:
    """The dotted path RQ stores for `job`; refuses what a worker could not import back."""
    module_name, name = getattr(job, "__module__", ""), getattr(job, "__qualname__", "")
    if not module_name.startswith("connector.") or not name or "." in name or "<" in name:
        raise ValueError(f"not a job: {job!r} (a module-level function of the connector is)")
    if getattr(importlib.import_module(module_name), name, None) is not job:
        raise ValueError(f"not a job: {module_name}.{name} does not name {job!r}")
    return f"{module_name}.{name}"


class ServicesJob(Job):
    """An RQ job called with the services of the worker that runs it, then its own arguments.

    The worker binds its services to a subclass (`bind_services`): nothing is looked up
    in a process global.
    """

    services: ClassVar[Services | None] = None

    def _execute(self) -> Any:
        if self.services is None:
            raise RuntimeError("an RQ job ran without services: start it with connector.jobs.worker")
        return self.func(self.services, *self.args, **self.kwargs)


def bind_services(services: Services) -> type[ServicesJob]:
    """The job class of a worker process: its jobs get these services."""
    return type("BoundServicesJob", (ServicesJob,), {"services": services})


def redis_from_url(url: str) -> Redis:
    """A Redis client; `fakeredis://` gives an in-memory server shared by this process."""
    if url.startswith("fakeredis://"):
        import fakeredis

        return fakeredis.FakeRedis(server=_fake_server())
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


_FAKE_SERVER: Any = None


def _fake_server() -> Any:
    global _FAKE_SERVER
    if _FAKE_SERVER is None:
        import fakeredis

        _FAKE_SERVER = fakeredis.FakeServer()
    return _FAKE_SERVER


class RedisJobQueue:
    mode = "redis"

    def __init__(self, connection: Redis) -> None:
        self.connection = connection
        self._queues = {
            name: Queue(name, connection=connection, serializer=JSONSerializer) for name in QUEUE_NAMES
        }

    def queue(self, name: str) -> Queue:
        return self._queues[name]

    def enqueue(self, job: Callable[..., Any], *args: int | str, queue: str, job_id: str | None = None) -> None:
        self._queues[queue].enqueue(
            job_path(job), *args, job_id=job_id, job_timeout=JOB_TIMEOUTS[queue],
            retry=Retry(max=MAX_RETRIES, interval=retry_intervals()),
            failure_ttl=30 * 24 * 3600, result_ttl=3600,
        )

    def healthy(self) -> bool:
        try:
            return bool(self.connection.ping())
        except Exception:  # any connection trouble means "down" for /healthz
            return False


class InlineJobQueue:
    """The embedded default: jobs run one at a time on a thread of the web process.

    `eager=True` runs them at once in the caller (tests, CLI one-shots). Jobs are called
    with the services given to `attach` (build_services does it).
    """

    mode = "inline"

    def __init__(self, eager: bool = False) -> None:
        self.eager = eager
        self._services: Services | None = None
        self._jobs: stdlib_queue.Queue[tuple[Callable[..., Any], tuple[int | str, ...]]] = stdlib_queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def attach(self, services: Services) -> None:
        """The services the jobs of this queue are called with."""
        self._services = services

    def enqueue(self, job: Callable[..., Any], *args: int | str, queue: str, job_id: str | None = None) -> None:
        if self._services is None:
            raise RuntimeError("an inline queue runs jobs only once it is given services (attach)")
        if self.eager:
            self._call(self._services, job, args)
            return
        self._jobs.put((job, args))
        self._ensure_thread()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="inline-jobs", daemon=True)
                self._thread.start()

    @staticmethod
    def _call(services: Services, job: Callable[..., Any], args: tuple[int | str, ...]) -> None:
        try:
            job(services, *args)
        except Exception:
            # The job's own records (delivery, outbox row) keep the failure, and the sweep
            # hands it on again later: there is no RQ here to retry it.
            log.exception("inline job %s%r failed", getattr(job, "__qualname__", job), args)

    def _run(self) -> None:
        while True:
            job, args = self._jobs.get()
            try:
                if self._services is not None:
                    self._call(self._services, job, args)
            finally:
                self._jobs.task_done()

    def join(self) -> None:
        """Wait until every queued job ran (tests, shutdown)."""
        self._jobs.join()

    def healthy(self) -> bool:
        return True
