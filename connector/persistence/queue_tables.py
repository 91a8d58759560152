"""The outbox and the webhook delivery log: durable records of work to do after a commit.

Imports SQLAlchemy and the persistence package. The request path of a webhook uses
`WebhookIntakeStore` (one INSERT: raw psycopg in autocommit on PostgreSQL, Core elsewhere);
jobs use the repositories.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Insert, event, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connector.persistence.crypto import CredentialBox
from connector.persistence.shops import ShopRepository
from connector.persistence.tables import OutboxRow, WebhookDeliveryRow
from connector.ports.storage import Delivery as Delivery
from connector.ports.storage import KnownShop as KnownShop
from connector.ports.storage import OutboxItem as OutboxItem
from connector.ports.storage import OutboxState as OutboxState


def _state(row: OutboxRow) -> OutboxState:
    return OutboxState(row.id, row.shop_id, row.task, row.subject_id, row.attempts, row.created_at,
                       row.available_at, row.locked_until, row.last_error)


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(row.id, row.shop_id, row.task, row.subject_id, row.status, row.attempts, row.last_error)


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


class OutboxRepository:
    """Scoped to one shop, or (shop_id None) the relay's view across shops.

    Two clocks per row: `available_at` says when the relay may hand it to the queue
    (again), `locked_until` says that a worker is running it. The relay's hand-off and
    the worker's claim are both conditional UPDATEs, so two relays or two workers never
    both win the same row.
    """

    def __init__(self, session: Session, shop_id: int | None) -> None:
        self._session = session
        self._shop_id = shop_id

    def add(self, task: str, subject_id: int, now: datetime) -> OutboxItem:
        if self._shop_id is None:
            raise RuntimeError("outbox rows are written within one shop")
        row = OutboxRow(shop_id=self._shop_id, task=task, subject_id=subject_id, status="pending",
                        available_at=now, created_at=now)
        self._session.add(row)
        self._session.flush()
        return _item(row)

    def get(self, outbox_id: int) -> OutboxItem | None:
        query = select(OutboxRow).where(OutboxRow.id == outbox_id)
        if self._shop_id is not None:
            query = query.where(OutboxRow.shop_id == self._shop_id)
        row = self._session.scalar(query)
        return _item(row) if row else None

    def pending(self, now: datetime, limit: int = 100) -> list[OutboxItem]:
        """Rows the relay may hand on: due, and not held by a running worker."""
        query = select(OutboxRow).where(
            OutboxRow.status == "pending", OutboxRow.available_at <= now,
            or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until <= now),
        )
        if self._shop_id is not None:
            query = query.where(OutboxRow.shop_id == self._shop_id)
        return [_item(r) for r in self._session.scalars(query.order_by(OutboxRow.id).limit(limit))]

    def not_due(self, now: datetime, limit: int = 200) -> list[OutboxState]:
        """Pending rows the relay leaves alone now: held by a worker, or waiting for a later try."""
        query = select(OutboxRow).where(
            OutboxRow.status == "pending",
            or_(OutboxRow.available_at > now, OutboxRow.locked_until > now),
        )
        if self._shop_id is not None:
            query = query.where(OutboxRow.shop_id == self._shop_id)
        return [_state(r) for r in self._session.scalars(query.order_by(OutboxRow.id).limit(limit))]

    def state_of(self, task: str, subject_ids: list[int]) -> dict[int, OutboxState]:
        """The pending rows of `task` for these subjects (a resolution's push), by subject."""
        if not subject_ids:
            return {}
        query = select(OutboxRow).where(OutboxRow.status == "pending", OutboxRow.task == task,
                                        OutboxRow.subject_id.in_(subject_ids))
        if self._shop_id is not None:
            query = query.where(OutboxRow.shop_id == self._shop_id)
        return {r.subject_id: _state(r) for r in self._session.scalars(query)}

    def stale(self, task: str, older_than: datetime, limit: int = 200) -> list[OutboxState]:
        """Pending rows of `task` created before `older_than`: stuck, for the merchant to see."""
        query = select(OutboxRow).where(OutboxRow.status == "pending", OutboxRow.task == task,
                                        OutboxRow.created_at < older_than)
        if self._shop_id is not None:
            query = query.where(OutboxRow.shop_id == self._shop_id)
        return [_state(r) for r in self._session.scalars(query.order_by(OutboxRow.id).limit(limit))]

    def failed(self, limit: int = 200) -> list[OutboxItem]:
        query = select(OutboxRow).where(OutboxRow.status == "failed")
        if self._shop_id is not None:
            query = query.where(OutboxRow.shop_id == self._shop_id)
        return [_item(r) for r in self._session.scalars(query.order_by(OutboxRow.id.desc()).limit(limit))]

    def hand_off(self, outbox_id: int, now: datetime, wait: timedelta) -> bool:
        """The relay takes the row to enqueue it; it is not handed on again before `wait`."""
        result = self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == outbox_id, OutboxRow.status == "pending", OutboxRow.available_at <= now)
            .values(available_at=now + wait)
        )
        return _rowcount(result) > 0

    def release(self, outbox_id: int, now: datetime) -> None:
        """Undo a hand-off whose enqueue failed (Redis away): the next relay pass retries it."""
        self._session.execute(
            update(OutboxRow).where(OutboxRow.id == outbox_id, OutboxRow.status == "pending")
            .values(available_at=now)
        )

    def hurry(self, outbox_id: int, now: datetime) -> bool:
        """A pending row waiting for a later try becomes due now (not one a worker is running)."""
        result = self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == outbox_id, OutboxRow.status == "pending",
                   or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until <= now))
            .values(available_at=now)
        )
        return _rowcount(result) > 0

    def claim(self, outbox_id: int, now: datetime, lease: timedelta) -> bool:
        """Hold the row for one worker for `lease`; another claim fails until it lapses.

        A worker that dies mid-push lets the lease lapse, and the sweep hands the row on.
        """
        result = self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == outbox_id, OutboxRow.status == "pending",
                   or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until <= now))
            .values(locked_until=now + lease, available_at=now + lease, attempts=OutboxRow.attempts + 1)
        )
        return _rowcount(result) > 0

    def renew(self, outbox_id: int, attempt: int, now: datetime, lease: timedelta) -> bool:
        """Extend the claim of attempt `attempt` (the heartbeat); False once it is not ours."""
        result = self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == outbox_id, OutboxRow.status == "pending", OutboxRow.attempts == attempt,
                   OutboxRow.locked_until.is_not(None))
            .values(locked_until=now + lease, available_at=now + lease)
        )
        return _rowcount(result) > 0

    def done(self, outbox_id: int, now: datetime) -> None:
        self._session.execute(
            update(OutboxRow).where(OutboxRow.id == outbox_id)
            .values(status="done", processed_at=now, last_error="", locked_until=None)
        )

    def retry_later(self, outbox_id: int, error: str, at: datetime) -> None:
        self._session.execute(
            update(OutboxRow).where(OutboxRow.id == outbox_id)
            .values(available_at=at, last_error=error[:2000], locked_until=None)
        )

    def defer(self, outbox_id: int, at: datetime, why: str) -> None:
        """Give the row back without counting an attempt (the platform asked us to wait)."""
        self._session.execute(
            update(OutboxRow).where(OutboxRow.id == outbox_id)
            .values(available_at=at, last_error=why[:2000], locked_until=None,
                    attempts=OutboxRow.attempts - 1)
        )

    def fail(self, outbox_id: int, error: str) -> None:
        self._session.execute(
            update(OutboxRow).where(OutboxRow.id == outbox_id)
            .values(status="failed", last_error=error[:2000], locked_until=None)
        )

    def stop_pending(self, tasks: tuple[str, ...], error: str) -> list[OutboxItem]:
        """Fail this shop's waiting rows of these tasks at once (an uninstalled shop); returns them."""
        if self._shop_id is None:
            raise RuntimeError("rows are stopped within one shop")
        rows = list(self._session.scalars(select(OutboxRow).where(
            OutboxRow.shop_id == self._shop_id, OutboxRow.status == "pending", OutboxRow.task.in_(tasks))))
        for row in rows:
            row.status, row.last_error, row.locked_until = "failed", error[:2000], None
        self._session.flush()
        return [_item(r) for r in rows]

    def requeue(self, outbox_id: int, now: datetime) -> bool:
        query = update(OutboxRow).where(OutboxRow.id == outbox_id, OutboxRow.status == "failed")
        if self._shop_id is not None:
            query = query.where(OutboxRow.shop_id == self._shop_id)
        result = self._session.execute(
            query.values(status="pending", available_at=now, attempts=0, locked_until=None))
        return _rowcount(result) > 0


def _delivery(row: WebhookDeliveryRow) -> Delivery:
    return Delivery(row.id, row.platform, row.shop_id, row.topic, row.dedupe_key, row.body, row.status,
                    row.attempts, row.received_at, row.triggered_at, row.error)


class DeliveryRepository:
    """Webhook deliveries. The (platform, shop, key) uniqueness rule is what de-duplicates."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def record(
        self, *, platform: str, shop_id: int, topic: str, dedupe_key: str, body: bytes,
        received_at: datetime, triggered_at: datetime | None, status: str = "received",
    ) -> int | None:
        """Insert the delivery; None when the same key was already recorded (a repeat)."""
        row = WebhookDeliveryRow(
            platform=platform, shop_id=shop_id, topic=topic, dedupe_key=dedupe_key, body=body,
            received_at=received_at, triggered_at=triggered_at, status=status,
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
                self._session.flush()
        except IntegrityError:
            return None
        return row.id

    def get(self, delivery_id: int) -> Delivery | None:
        row = self._session.get(WebhookDeliveryRow, delivery_id, populate_existing=True)
        return _delivery(row) if row else None

    def claim(self, delivery_id: int) -> bool:
        """Take a received delivery for this transaction.

        The UPDATE locks the row (PostgreSQL) or the database (SQLite) until the commit,
        so a second worker on the same delivery waits, then finds it no longer
        `received` and leaves it alone: its events are applied once.
        """
        result = self._session.execute(
            update(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.id == delivery_id, WebhookDeliveryRow.status == "received")
            .values(attempts=WebhookDeliveryRow.attempts + 1)
        )
        return _rowcount(result) > 0

    def claim_many(self, delivery_ids: list[int]) -> list[Delivery]:
        """Take the still-received deliveries among these for this transaction (see `claim`), in id order.

        One UPDATE for the batch: it counts an attempt on each and locks them until the commit.
        """
        if not delivery_ids:
            return []
        claimed = set(self._session.scalars(
            update(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.id.in_(delivery_ids), WebhookDeliveryRow.status == "received")
            .values(attempts=WebhookDeliveryRow.attempts + 1)
            .returning(WebhookDeliveryRow.id)
        ))
        if not claimed:
            return []
        rows = self._session.scalars(
            select(WebhookDeliveryRow).where(WebhookDeliveryRow.id.in_(claimed)).order_by(WebhookDeliveryRow.id)
            .execution_options(populate_existing=True))
        return [_delivery(r) for r in rows]

    def hand_off(self, now: datetime, requeue_before: datetime, limit: int = 500) -> list[int]:
        """The relay takes received deliveries never handed on, or handed on before `requeue_before`.

        Marks them handed on at `now` and returns their ids in order. Several relays (one per
        worker) share the table: on PostgreSQL each takes different rows (SKIP LOCKED).
        """
        query = select(WebhookDeliveryRow.id).where(
            WebhookDeliveryRow.status == "received",
            or_(WebhookDeliveryRow.queued_at.is_(None), WebhookDeliveryRow.queued_at <= requeue_before),
        ).order_by(WebhookDeliveryRow.id).limit(limit)
        bind = self._session.get_bind()
        if bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(self._session.scalars(query))
        if ids:
            self._session.execute(update(WebhookDeliveryRow).where(WebhookDeliveryRow.id.in_(ids))
                                  .values(queued_at=now))
        return ids

    def give_back(self, delivery_ids: list[int]) -> None:
        """Undo a hand-off whose enqueue failed (Redis away): the next relay pass takes them again."""
        if delivery_ids:
            self._session.execute(update(WebhookDeliveryRow).where(WebhookDeliveryRow.id.in_(delivery_ids))
                                  .values(queued_at=None))

    def waiting(self, limit: int = 500, after_id: int = 0) -> list[Delivery]:
        rows = self._session.scalars(
            select(WebhookDeliveryRow).where(WebhookDeliveryRow.status == "received", WebhookDeliveryRow.id > after_id)
            .order_by(WebhookDeliveryRow.id).limit(limit)
        )
        return [_delivery(r) for r in rows]

    def failed(self, limit: int = 200) -> list[Delivery]:
        rows = self._session.scalars(
            select(WebhookDeliveryRow).where(WebhookDeliveryRow.status == "failed")
            .order_by(WebhookDeliveryRow.id.desc()).limit(limit)
        )
        return [_delivery(r) for r in rows]

    def purge_bodies(self, received_before: datetime) -> int:
        """Blank the raw bodies of deliveries handled and received before the limit."""
        from connector.persistence.privacy import purge_webhook_bodies

        return purge_webhook_bodies(self._session, received_before)

    def mark(self, delivery_id: int, status: str, now: datetime, error: str = "") -> None:
        self._session.execute(
            update(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery_id).values(
                status=status, processed_at=now, error=error[:2000],
            )
        )

    def mark_many(self, delivery_ids: list[int], status: str, now: datetime) -> None:
        """`mark` for a batch, in one statement."""
        if delivery_ids:
            self._session.execute(
                update(WebhookDeliveryRow).where(WebhookDeliveryRow.id.in_(delivery_ids))
                .values(status=status, processed_at=now, error=""))

    def note_failure(self, delivery_id: int, error: str, now: datetime, *, final: bool,
                     counted: bool = False) -> int:
        """Count a failed attempt (its own transaction rolled back); `final` gives up on it.

        `queued_at` is set so the relay waits its re-queue delay before handing it on.
        Returns the attempts so far.
        """
        values: dict[str, Any] = {"error": error[:2000], "queued_at": now}
        if not counted:  # a batch's claim already counted this attempt, and it stands
            values["attempts"] = WebhookDeliveryRow.attempts + 1
        if final:
            values.update(status="failed", processed_at=now)
        self._session.execute(
            update(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.id == delivery_id, WebhookDeliveryRow.status == "received")
            .values(**values)
        )
        attempts = self._session.scalar(
            select(WebhookDeliveryRow.attempts).where(WebhookDeliveryRow.id == delivery_id))
        return int(attempts or 0)

    def requeue(self, delivery_id: int) -> bool:
        result = self._session.execute(
            update(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery_id,
                                             WebhookDeliveryRow.status == "failed")
            .values(status="received", error="", queued_at=None, attempts=0)
        )
        return _rowcount(result) > 0


class _RawPostgresPool:
    """Raw psycopg connections for the intake INSERT: autocommit, statement prepared once.

    One round trip a delivery: a single INSERT in autocommit is its own transaction, and
    PostgreSQL answers it only after the commit, so an answered id is durable. Through
    SQLAlchemy the same insert cost BEGIN + INSERT + COMMIT and the pool's bookkeeping
    (three round trips, ~0.3 ms of Python). Idle connections are kept LIFO, at most
    `keep`; a connection that failed is closed, never reused. Created lazily, per process
    (a fork drops the parent's connections without closing them under the parent).
    """

    def __init__(self, connect_kwargs: dict[str, Any], keep: int = 8) -> None:
        self._kwargs = connect_kwargs
        self._keep = keep
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._forked_away: list[Any] = []
        _RAW_POOLS.add(self)

    def after_fork_in_child(self) -> None:
        """Drop the parent's idle connections (never close them: the socket is shared) and a
        lock another thread of the parent may have held at the fork."""
        self._lock = threading.Lock()
        self._forked_away.extend(self._idle)
        self._idle = []
        self._pid = os.getpid()

    def acquire(self) -> tuple[Any, bool]:
        """A connection and whether it was reused from the pool (it may have died since)."""
        with self._lock:
            if self._pid != os.getpid():
                # Closing would end the parent's sessions (the socket is shared): keep them.
                self._forked_away.extend(self._idle)
                self._idle = []
                self._pid = os.getpid()
            if self._idle:
                return self._idle.pop(), True
        import psycopg

        return psycopg.connect(**self._kwargs), False

    def release(self, conn: Any) -> None:
        healthy = not conn.closed and not conn.broken and conn.info.transaction_status == 0  # IDLE
        if healthy:
            with self._lock:
                if len(self._idle) < self._keep and self._pid == os.getpid():
                    self._idle.append(conn)
                    return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


_RAW_POOLS: weakref.WeakSet[_RawPostgresPool] = weakref.WeakSet()


def _raw_pools_after_fork() -> None:
    for pool in list(_RAW_POOLS):
        pool.after_fork_in_child()


# The same rule as the engines' (connector.persistence.database): a forked child opens its own.
os.register_at_fork(after_in_child=_raw_pools_after_fork)


def _raw_pool(engine: Engine) -> _RawPostgresPool | None:
    """A raw pool when the engine is PostgreSQL through psycopg 3; else None (Core is used)."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return None
    _args, kwargs = engine.dialect.create_connect_args(engine.url)
    kwargs = {k: v for k, v in kwargs.items() if k != "context"}  # SQLAlchemy's own adapters
    kwargs.setdefault("connect_timeout", 10)  # a database that is away answers 503, not a hang
    kwargs.update(autocommit=True, prepare_threshold=0)
    return _RawPostgresPool(kwargs)


_RAW_COLUMNS = ("platform", "shop_id", "topic", "dedupe_key", "received_at", "triggered_at", "body", "status",
                "attempts", "queued_at", "processed_at", "error")
_RAW_INSERT = (
    "INSERT INTO webhook_deliveries (platform, shop_id, topic, dedupe_key, received_at, triggered_at, body,"
    " status, attempts, queued_at, processed_at, error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (platform, shop_id, dedupe_key) DO NOTHING RETURNING id"
)
if {c.name for c in WebhookDeliveryRow.__table__.columns} != {"id", *_RAW_COLUMNS}:  # pragma: no cover
    raise RuntimeError("webhook_deliveries changed: update the intake's raw INSERT")


class WebhookIntakeStore:
    """The request path of a webhook: a cached shop lookup and one lean INSERT.

    On PostgreSQL (psycopg 3) the insert is one autocommit, prepared
    `INSERT ... ON CONFLICT DO NOTHING RETURNING id` on a raw connection of a small pool
    of its own; elsewhere (SQLite >= 3.35 speaks the same) it is one Core statement on
    one connection checkout. A repeat inserts nothing and returns no id. Shops are
    cached for `ttl` seconds with their decrypted secret: a rotated secret is picked up
    at once because a failed signature check asks the database again.
    """

    def __init__(self, engine: Engine, session_factory: sessionmaker[Session], box: CredentialBox,
                 ttl: float = 30.0) -> None:
        self._engine = engine
        self._raw = _raw_pool(engine)
        if self._raw is not None:
            raw = self._raw
            event.listen(engine, "engine_disposed", lambda _conn: raw.close())  # closes with the app's
        self._session_factory = session_factory
        self._box = box
        self._ttl = ttl
        self._shops: dict[tuple[str, str], tuple[float, KnownShop | None]] = {}
        self._lock = threading.Lock()
        self._insert = self._build_insert(engine.dialect.name)

    @staticmethod
    def _build_insert(dialect: str) -> Insert:
        table = WebhookDeliveryRow
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table).on_conflict_do_nothing(
                index_elements=["platform", "shop_id", "dedupe_key"]).returning(table.id)
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            return sqlite_insert(table).on_conflict_do_nothing(
                index_elements=["platform", "shop_id", "dedupe_key"]).returning(table.id)
        return insert(table).returning(table.id)

    def shop(self, platform: str, domain: str, *, fresh: bool = False) -> KnownShop | None:
        key = (platform, domain)
        now = time.monotonic()
        if not fresh:
            with self._lock:
                cached = self._shops.get(key)
            if cached is not None and cached[0] > now:
                return cached[1]
        with self._session_factory() as session:
            shops = ShopRepository(session, self._box)
            found = shops.by_domain(platform, domain)
            known = KnownShop(found.id, shops.connection(found.id)) if found is not None else None
        with self._lock:
            if len(self._shops) > 10_000:
                self._shops.clear()  # bounded: a flood of made-up domains cannot grow it forever
            # An unknown shop is remembered only briefly: it may be connecting right now.
            self._shops[key] = (now + (self._ttl if known is not None else min(self._ttl, 2.0)), known)
        return known

    def forget(self, platform: str, domain: str) -> None:
        with self._lock:
            self._shops.pop((platform, domain), None)

    def record(
        self, *, platform: str, shop_id: int, topic: str, dedupe_key: str, body: bytes,
        received_at: datetime, triggered_at: datetime | None, status: str = "received",
        queued_at: datetime | None = None,
    ) -> int | None:
        """Insert and commit the delivery; None for a repeat; LookupError when the shop is gone."""
        values = {
            "platform": platform, "shop_id": shop_id, "topic": topic, "dedupe_key": dedupe_key,
            "body": body, "received_at": received_at, "triggered_at": triggered_at, "status": status,
            "attempts": 0, "error": "", "queued_at": queued_at,
            "processed_at": received_at if status != "received" else None,
        }
        if self._raw is not None:
            return self._insert_raw(self._raw, values)
        try:
            return self._insert_once(values)
        except IntegrityError as exc:
            # ON CONFLICT covers the repeat; what is left is the shop's foreign key.
            raise LookupError(f"shop {shop_id} is gone") from exc

    def _insert_raw(self, pool: _RawPostgresPool, values: dict[str, Any]) -> int | None:
        import psycopg

        for column in ("received_at", "triggered_at", "queued_at", "processed_at"):
            moment = values[column]
            if moment is not None:
                if moment.tzinfo is None:
                    raise ValueError("naive datetime given to the database: use aware UTC datetimes")
                values[column] = moment.astimezone(UTC)  # as UTCDateTime stores it
        params = [values[c] for c in _RAW_COLUMNS]
        for _attempt in (1, 2):
            conn, reused = pool.acquire()
            try:
                row = conn.execute(_RAW_INSERT, params).fetchone()
            except psycopg.errors.IntegrityError as exc:
                pool.release(conn)
                # ON CONFLICT covers the repeat; what is left is the shop's foreign key.
                raise LookupError(f"shop {values['shop_id']} is gone") from exc
            except psycopg.OperationalError:
                dead = conn.broken or conn.closed
                conn.close()
                if reused and dead:
                    continue  # a pooled connection had died (database restart): nothing written; once more
                raise
            except BaseException:
                conn.close()
                raise
            pool.release(conn)
            return int(row[0]) if row is not None else None
        raise RuntimeError("unreachable")  # pragma: no cover

    def _insert_once(self, values: dict[str, Any]) -> int | None:
        with self._engine.begin() as conn:
            if self._engine.dialect.name in ("postgresql", "sqlite"):
                found = conn.execute(self._insert, values).scalar()
                return int(found) if found is not None else None
            try:
                with conn.begin_nested():
                    return int(conn.execute(self._insert, values).scalar_one())
            except IntegrityError:
                return None
