"""Services for use-case tests without a database: the storage ports in memory, our own fakes for the rest.

`FakeServices` is a connector.ports.services.Services; a test builds one with `fake_services()`,
puts a shop and its orders in through `svc.uow()`, runs a use case, and reads the result back
the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.config import Settings
from connector.ports.carriers import CarrierAdapter
from connector.ports.operations import FailedWork
from connector.ports.platforms import PlatformAdapter
from tests.fake_storage import FakeDatabase, FakeIntake, FakeUnitOfWork

if TYPE_CHECKING:
    from connector.ports.services import Services


class SteppingClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 6, 15, 10, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


@dataclass
class RecordingQueue:
    """A queue that keeps what was enqueued; the test runs the job itself when it wants to."""

    mode: str = "inline"
    jobs: list[tuple[Callable[..., Any], tuple[int | str, ...], str]] = field(default_factory=list)

    def enqueue(self, job: Callable[..., Any], *args: int | str, queue: str, job_id: str | None = None) -> None:
        self.jobs.append((job, args, queue))

    def healthy(self) -> bool:
        return True


@dataclass
class NoHolds:
    """A limiter that records holds and never makes anyone wait (unless told)."""

    held: dict[str, float] = field(default_factory=dict)

    def hold(self, key: str, seconds: float) -> None:
        self.held[key] = max(seconds, self.held.get(key, 0.0))

    def wait_time(self, key: str) -> float:
        return 0.0


class NothingFailed:
    """The operator's desk of a run with no queue of its own: nothing has given up."""

    def failures(self, shop_id: int | None = None) -> list[FailedWork]:
        return []

    def retry(self, kind: str, failure_id: str, shop_id: int | None = None) -> bool:
        return False


@dataclass
class FakeServices:
    settings: Settings
    database: FakeDatabase
    adapters: dict[str, PlatformAdapter]
    queue: RecordingQueue
    clock: SteppingClock
    limiter: NoHolds
    carriers: dict[str, CarrierAdapter]
    intake: FakeIntake

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.database)

    @property
    def failed_work(self) -> NothingFailed:
        return NothingFailed()

    def ping_database(self) -> None:
        """The in-memory database is always there."""

    def connect_redis(self, url: str) -> Any:
        raise LookupError("the use-case tests run without Redis: give the edge no REDIS_URL")

    def adapter(self, platform: str) -> PlatformAdapter:
        try:
            return self.adapters[platform]
        except KeyError:
            raise LookupError(f"no adapter installed for platform {platform!r}") from None

    @contextmanager
    def transaction(self) -> Iterator[FakeUnitOfWork]:
        """A unit of work committed at the end: for a test's own setup."""
        with self.uow() as uow:
            yield uow
            uow.commit()


def fake_services(*adapters: PlatformAdapter, instance_path: Path = Path("/nonexistent/instance")) -> FakeServices:
    database = FakeDatabase()
    settings = Settings(instance_path=instance_path, database_url="memory://", redis_url=None,
                        secret_key="test", token_encryption_key="unused", app_url="https://returns.example")
    return FakeServices(settings=settings, database=database, adapters={a.name: a for a in adapters},
                        queue=RecordingQueue(), clock=SteppingClock(), limiter=NoHolds(), carriers={},
                        intake=FakeIntake(database))


if TYPE_CHECKING:
    def _services(svc: FakeServices) -> Services:
        return svc
