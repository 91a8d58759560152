"""Engine and session factory for SQLite and PostgreSQL. Imports SQLAlchemy only."""

from __future__ import annotations

import os
import weakref
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

# Every engine of this process, so a forked child can drop what it inherited (below).
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_inherited_connections() -> None:
    """In a forked child: a fresh, empty pool for every engine; the parent's sockets are left alone.

    SQLAlchemy's documented recipe for pools and multiprocessing: `dispose(close=False)` in
    the child replaces the pool without closing (or even touching) the connections the
    parent still uses. Without it a child (an RQ work-horse or scheduler, a preloaded
    gunicorn worker) checks out the parent's connection and both talk on one PostgreSQL
    socket: `prepared statement "_pg3_2" does not exist`, "connection in transaction
    status INTRANS", a relay stuck in `Pool.connect`. It also replaces the pool's lock,
    which another thread of the parent may have held at the moment of the fork.
    """
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)


def make_engine(url: str, **kwargs: Any) -> Engine:
    engine = _make_engine(url, **kwargs)
    _ENGINES.add(engine)
    return engine


def _make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        # The web process's inline job thread shares the file with request threads.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            # Erased personal data is overwritten in the file, not left in free pages.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    """Raise if the database cannot answer a trivial query (for /healthz)."""
    from sqlalchemy import text

    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
