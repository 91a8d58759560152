"""The composition root: the one place that names concrete adapters, storage and queues."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import entry_points
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.config import Settings
from connector.jobs.queues import InlineJobQueue, RedisJobQueue, redis_from_url
from connector.jobs.ratelimit import InProcessLimiter, RedisLimiter, RetryAfterLimiter
from connector.persistence.crypto import CredentialBox
from connector.persistence.database import make_engine, make_session_factory, ping
from connector.persistence.queue_tables import WebhookIntakeStore
from connector.persistence.unit_of_work import UnitOfWork
from connector.ports import Clock, JobQueue, PlatformAdapter
from connector.ports.carriers import CarrierAdapter, ReadsOurClock
from connector.ports.operations import FailedWork, FailedWorkDesk
from connector.ports.platforms import UsesRetryAfterHolds, UsesSharedRedis
from connector.ports.registry import AdapterLoadError, PlatformRegistry, register_platform
from connector.ports.storage import WebhookIntake

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "returns_connector.platforms"
CARRIER_ENTRY_POINT_GROUP = "returns_connector.carriers"


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


__all__ = ["AdapterLoadError", "Services", "build_services", "load_adapters"]


def load_adapters(settings: Settings) -> PlatformRegistry:
    """Every platform adapter installed, by name, from the entry point group, each checked at registration.

    An adapter that cannot load, or lacks part of the PlatformAdapter contract, stops the
    start: running on without it would leave its shops' webhooks answered 404 and their
    refunds unpushed, silently. The registry records which optional capabilities each offers.
    """
    registry = PlatformRegistry()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            factory = ep.load()
        except Exception as exc:
            raise AdapterLoadError(
                f"platform adapter {ep.name!r} ({ep.value}) could not be loaded: "
                f"{exc.__class__.__name__}: {exc}. Fix its configuration or uninstall its package."
            ) from exc
        register_platform(registry, ep.name, factory, settings.adapter_settings(), origin=ep.value)
        log.debug("platform %s registered with %s", ep.name, ", ".join(sorted(registry.capabilities(ep.name))))
    return registry


def load_carriers(settings: Settings) -> dict[str, CarrierAdapter]:
    """Every carrier adapter installed (labels and tracking), by name, from their entry point group."""
    carriers: dict[str, CarrierAdapter] = {}
    for ep in entry_points(group=CARRIER_ENTRY_POINT_GROUP):
        try:
            carriers[ep.name] = ep.load()(settings.adapter_settings())
        except Exception:
            log.exception("carrier adapter %s could not be loaded", ep.name)
    return carriers


@dataclass
class Services:
    """The app's connector.ports.services.Services: SQLAlchemy storage, RQ or the inline queue, the adapters."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    box: CredentialBox
    adapters: PlatformRegistry
    queue: JobQueue
    clock: Clock = field(default_factory=SystemClock)
    # Retry-After holds per platform and shop, shared through Redis when there is one.
    limiter: RetryAfterLimiter = field(default_factory=InProcessLimiter)
    carriers: dict[str, CarrierAdapter] = field(default_factory=dict)
    # When each periodic job last ran, for a process without Redis (connector.jobs.schedule).
    schedule_runs: dict[str, datetime] = field(default_factory=dict)
    _intake: WebhookIntake | None = field(default=None, repr=False)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.box, str(self.settings.instance_path))

    @property
    def intake(self) -> WebhookIntake:
        """The webhook request path's store (lean insert, cached shops); one per services."""
        if self._intake is None:
            self._intake = WebhookIntakeStore(self.engine, self.session_factory, self.box)
        return self._intake

    @property
    def failed_work(self) -> FailedWorkDesk:
        """Work that gave up, for the admin's jobs page (the jobs package keeps the record)."""
        return _JobFailures(self)

    def ping_database(self) -> None:
        """Raises when the database cannot be reached (the health check)."""
        ping(self.engine)

    def connect_redis(self, url: str) -> Any:
        """A Redis client for `url` (`fakeredis://` too), for the edges' rate limits."""
        return redis_from_url(url)

    def adapter(self, platform: str) -> PlatformAdapter:
        try:
            return self.adapters[platform]
        except KeyError:
            raise LookupError(f"no adapter installed for platform {platform!r}") from None


class _JobFailures:
    def __init__(self, services: Services) -> None:
        self._services = services

    def failures(self, shop_id: int | None = None) -> Sequence[FailedWork]:
        from connector.jobs.failures import list_failures

        return list_failures(self._services, shop_id)

    def retry(self, kind: str, failure_id: str, shop_id: int | None = None) -> bool:
        from connector.jobs.failures import retry_failure

        return retry_failure(self._services, kind, failure_id, shop_id=shop_id)


def build_services(settings: Settings, *, queue: JobQueue | None = None, clock: Clock | None = None) -> Services:
    engine = make_engine(settings.database_url)
    if queue is None:
        queue = RedisJobQueue(redis_from_url(settings.redis_url)) if settings.redis_url else InlineJobQueue()
    limiter: RetryAfterLimiter = (
        RedisLimiter(redis_from_url(settings.redis_url)) if settings.redis_url else InProcessLimiter()
    )
    adapters = load_adapters(settings)
    shared_redis = redis_from_url(settings.redis_url) if settings.redis_url else None
    for adapter in adapters.values():
        # Platforms may not import connector.jobs: an adapter that wants the shared
        # Retry-After limiter declares the attribute and is given it here.
        if isinstance(adapter, UsesRetryAfterHolds):
            adapter.retry_after_limiter = limiter
        # The same for a Redis connection (the Shopify cost bucket shared by workers):
        # built here from any URL the app accepts, fakeredis:// included.
        if shared_redis is not None and isinstance(adapter, UsesSharedRedis):
            adapter.use_shared_redis(shared_redis)
    clock = clock or SystemClock()
    carriers = load_carriers(settings)
    for carrier in carriers.values():
        if isinstance(carrier, ReadsOurClock):  # a carrier that draws its own events (the specimen) reads our clock
            carrier.clock = clock
    services = Services(
        settings=settings, engine=engine, session_factory=make_session_factory(engine),
        box=CredentialBox(settings.token_encryption_key, settings.token_encryption_key_file), adapters=adapters,
        queue=queue, clock=clock, limiter=limiter, carriers=carriers,
    )
    if isinstance(queue, InlineJobQueue):
        queue.attach(services)  # its jobs run in this process, with these services
    return services
