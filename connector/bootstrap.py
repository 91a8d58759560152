"""The composition root: the one place that names concrete adapters, storage and queues."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import entry_points

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.config import Settings
from connector.jobs.queues import InlineJobQueue, RedisJobQueue, redis_from_url
from connector.jobs.ratelimit import InProcessLimiter, RedisLimiter, RetryAfterLimiter
from connector.persistence.crypto import CredentialBox
from connector.persistence.database import make_engine, make_session_factory
from connector.persistence.queue_tables import WebhookIntakeStore
from connector.persistence.unit_of_work import UnitOfWork
from connector.ports import Clock, JobQueue, PlatformAdapter
from connector.ports.carriers import CarrierAdapter

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "returns_connector.platforms"
CARRIER_ENTRY_POINT_GROUP = "returns_connector.carriers"


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class AdapterLoadError(RuntimeError):
    """An installed platform adapter could not be built: the app must not start without it."""


def load_adapters(settings: Settings) -> dict[str, PlatformAdapter]:
    """Every platform adapter installed, by name, from the entry point group.

    An adapter that cannot load stops the start: running on without it would leave its
    shops' webhooks answered 404 and their refunds unpushed, silently.
    """
    adapters: dict[str, PlatformAdapter] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            factory = ep.load()
            adapters[ep.name] = factory(settings.adapter_settings())
        except Exception as exc:
            raise AdapterLoadError(
                f"platform adapter {ep.name!r} ({ep.value}) could not be loaded: "
                f"{exc.__class__.__name__}: {exc}. Fix its configuration or uninstall its package."
            ) from exc
    return adapters


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
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    box: CredentialBox
    adapters: dict[str, PlatformAdapter]
    queue: JobQueue
    clock: Clock = field(default_factory=SystemClock)
    # Retry-After holds per platform and shop, shared through Redis when there is one.
    limiter: RetryAfterLimiter = field(default_factory=InProcessLimiter)
    carriers: dict[str, CarrierAdapter] = field(default_factory=dict)
    # When each periodic job last ran, for a process without Redis (connector.jobs.schedule).
    schedule_runs: dict[str, datetime] = field(default_factory=dict)
    _intake: WebhookIntakeStore | None = field(default=None, repr=False)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.box, str(self.settings.instance_path))

    @property
    def intake(self) -> WebhookIntakeStore:
        """The webhook request path's store (lean insert, cached shops); one per services."""
        if self._intake is None:
            self._intake = WebhookIntakeStore(self.engine, self.session_factory, self.box)
        return self._intake

    def adapter(self, platform: str) -> PlatformAdapter:
        try:
            return self.adapters[platform]
        except KeyError:
            raise LookupError(f"no adapter installed for platform {platform!r}") from None


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
        if hasattr(adapter, "retry_after_limiter"):
            adapter.retry_after_limiter = limiter
        # The same for a Redis connection (the Shopify cost bucket shared by workers):
        # built here from any URL the app accepts, fakeredis:// included.
        if shared_redis is not None and hasattr(adapter, "use_shared_redis"):
            adapter.use_shared_redis(shared_redis)
    clock = clock or SystemClock()
    carriers = load_carriers(settings)
    for carrier in carriers.values():
        if hasattr(carrier, "clock"):  # a carrier that draws its own events (the specimen) reads our clock
            carrier.clock = clock
    services = Services(
        settings=settings, engine=engine, session_factory=make_session_factory(engine),
        box=CredentialBox(settings.token_encryption_key, settings.token_encryption_key_file), adapters=adapters,
        queue=queue, clock=clock, limiter=limiter, carriers=carriers,
    )
    if isinstance(queue, InlineJobQueue):
        queue.attach(services)  # its jobs run in this process, with these services
    return services
