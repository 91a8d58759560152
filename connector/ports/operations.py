"""The operator's port: work that gave up (deliveries, outbox rows, the queue's own failures).

The admin and the CLI list it and put it back to work through `services.failed_work`;
the jobs package implements it (connector.jobs.failures).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol


class FailedWork(Protocol):
    @property
    def kind(self) -> str: ...  # delivery, outbox, rq

    @property
    def id(self) -> str: ...

    @property
    def shop_id(self) -> int | None: ...

    @property
    def what(self) -> str: ...

    @property
    def error(self) -> str: ...

    @property
    def pending_since(self) -> datetime | None: ...  # a push still pending, not failed: since when

    @property
    def next_try(self) -> datetime | None: ...


class FailedWorkDesk(Protocol):
    def failures(self, shop_id: int | None = None) -> Sequence[FailedWork]:
        """Everything that gave up, newest first per kind; one shop's only when `shop_id` is given."""

    def retry(self, kind: str, failure_id: str, shop_id: int | None = None) -> bool:
        """Put one failure back to work; False when there is no such failure (in this shop)."""
