"""Job queues: RQ on Redis when REDIS_URL is set, else a thread in the web process.

Jobs carry plain ids (JSON serialiser, never pickle) and are idempotent: a worker can die
at any moment and the job, or the sweep, runs again.
"""

from __future__ import annotations

import importlib
import logging
import queue as stdlib_queue
import random
import threading
from collections.abc import Callable
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.serializers import JSONSerializer

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


def resolve_task(task: str) -> Callable[..., Any]:
    module_name, _, name = task.rpartition(".")
    if not module_name.startswith("connector.jobs."):
        raise ValueError(f"not a job task: {task}")
    func: Callable[..., Any] = getattr(importlib.import_module(module_name), name)
    return func


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

    def enqueue(self, task: str, *args: int | str, queue: str, job_id: str | None = None) -> None:
        resolve_task(task)  # fail now, in the caller, for a misspelt task
        self._queues[queue].enqueue(
            task, *args, job_id=job_id, job_timeout=JOB_TIMEOUTS[queue],
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

    `eager=True` runs them at once in the caller (tests, CLI one-shots).
    """

    mode = "inline"

    def __init__(self, eager: bool = False) -> None:
        self.eager = eager
        self._jobs: stdlib_queue.Queue[tuple[str, tuple[int | str, ...]]] = stdlib_queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def enqueue(self, task: str, *args: int | str, queue: str, job_id: str | None = None) -> None:
        func = resolve_task(task)
        if self.eager:
            self._call(task, func, args)
            return
        self._jobs.put((task, args))
        self._ensure_thread()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="inline-jobs", daemon=True)
                self._thread.start()

    @staticmethod
    def _call(task: str, func: Callable[..., Any], args: tuple[int | str, ...]) -> None:
        try:
            func(*args)
        except Exception:
            # The job's own records (delivery, outbox row) keep the failure, and the sweep
            # hands it on again later: there is no RQ here to retry it.
            log.exception("inline job %s%r failed", task, args)

    def _run(self) -> None:
        while True:
            task, args = self._jobs.get()
            try:
                self._call(task, resolve_task(task), args)
            finally:
                self._jobs.task_done()

    def join(self) -> None:
        """Wait until every queued job ran (tests, shutdown)."""
        self._jobs.join()

    def healthy(self) -> bool:
        return True
