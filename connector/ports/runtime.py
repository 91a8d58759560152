"""Ports of the running app: the clock, the job queue, Retry-After holds, and what storage says when transactions cross."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol


class StorageConflict(Exception):
    """Two transactions crossed (a deadlock, a serialization failure) and this one was undone.

    Nothing was written: running the whole use case again is safe, and is what callers do.
    """


class Clock(Protocol):
    def now(self) -> datetime: ...


class JobQueue(Protocol):
    """Where work goes after a commit: RQ on Redis, or a thread in the web process.

    `job` is a module-level use case taking the services first, then `args` (plain ids):
    whoever runs it (the worker, the inline thread) calls `job(services, *args)`.
    """

    mode: str

    def enqueue(self, job: Callable[..., Any], *args: int | str, queue: str, job_id: str | None = None) -> None: ...

    def healthy(self) -> bool: ...


class RetryAfterLimiter(Protocol):
    """Retry-After holds per platform and shop, shared by every worker (connector.jobs.ratelimit)."""

    def hold(self, key: str, seconds: float) -> None:
        """Nobody calls `key` for `seconds` (a longer hold already in place is kept)."""
        ...

    def wait_time(self, key: str) -> float:
        """Seconds left before `key` may be called again; 0 when free."""
        ...
