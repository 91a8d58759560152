"""What a use case is given to work with: storage, platforms, carriers, the queue, the clock, settings.

Typed by ports only. connector.bootstrap.Services is the one the app builds (SQLAlchemy,
RQ, the installed adapters); the use-case tests give tests/fake_services.FakeServices.
Imports the domain, the other ports and connector.config (a plain dataclass of values:
the settings cross as they are, there is nothing to hide behind them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from connector.config import Settings
from connector.ports.carriers import CarrierAdapter
from connector.ports.operations import FailedWorkDesk
from connector.ports.platforms import PlatformAdapter
from connector.ports.runtime import Clock, JobQueue, RetryAfterLimiter
from connector.ports.storage import UnitOfWork, WebhookIntake


class Services(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def adapters(self) -> Mapping[str, PlatformAdapter]:
        """Every platform adapter installed, by platform name."""
        ...

    @property
    def carriers(self) -> Mapping[str, CarrierAdapter]:
        """Every carrier adapter installed, by carrier name."""
        ...

    @property
    def queue(self) -> JobQueue: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def limiter(self) -> RetryAfterLimiter:
        """Retry-After holds per platform and shop."""
        ...

    @property
    def intake(self) -> WebhookIntake:
        """The webhook request path's store (lean insert, cached shops)."""
        ...

    @property
    def failed_work(self) -> FailedWorkDesk:
        """Work that gave up, for the admin's jobs page and the CLI."""
        ...

    def ping_database(self) -> None:
        """Raises when the database cannot be reached (the health check)."""
        ...

    def connect_redis(self, url: str) -> Any:
        """A Redis client for `url`, for the edges' rate limits (typed Any: the port names no Redis)."""
        ...

    def uow(self) -> UnitOfWork:
        """A new unit of work (one transaction), to use in a `with` block."""
        ...

    def adapter(self, platform: str) -> PlatformAdapter:
        """The platform's adapter; LookupError when none is installed."""
        ...
