"""Shared fixtures: a real database (SQLite file, or PostgreSQL from DATABASE_URL), a frozen
clock, the app and its services. Each test starts from empty tables."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from connector.app import create_app
from connector.bootstrap import Services, build_services
from connector.config import Settings
from connector.jobs.queues import InlineJobQueue
from connector.persistence.database import make_engine
from connector.persistence.migrate import upgrade
from connector.persistence.tables import Base

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("RETURNS_SHARED", REPO.parent / "shared"))
TEST_KEY = "Yb3VxH8sY0mG2lq0M9-1cXoJc4kzqfW5cZ2y7zY3m0A="


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current = self.current + timedelta(**kwargs)


def database_url(tmp_root: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return Settings.from_env({"DATABASE_URL": url, "SECRET_KEY": "x", "TOKEN_ENCRYPTION_KEY": TEST_KEY}).database_url
    return f"sqlite:///{tmp_root / 'test.db'}"


def is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = database_url(tmp_path_factory.mktemp("db"))
    engine = make_engine(url)
    if is_postgres():
        # A clean schema for the run: the migrations build it, as they do in production.
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 6, 15, 10, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings.from_env({
        "DATABASE_URL": db_url, "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret", "TOKEN_ENCRYPTION_KEY": TEST_KEY,
        "APP_URL": "https://returns.example.test",
        "SHOPIFY_API_KEY": "test-api-key", "SHOPIFY_API_SECRET": "test-api-secret",
        "SHOPIFY_ADMIN_URL": "https://{shop}/admin/api/{version}",
    }, testing=True)


def _empty_tables(services: Services) -> None:
    with services.engine.begin() as conn:
        if services.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def services(settings: Settings, clock: FrozenClock) -> Iterator[Services]:
    svc = build_services(settings, queue=InlineJobQueue(eager=True), clock=clock)
    _empty_tables(svc)
    # Without Redis the schedule remembers its last runs on the services (schedule_runs):
    # fresh services per test, so one test's run never makes the next one's look early.
    yield svc
    svc.engine.dispose()


@pytest.fixture
def app(services: Services) -> Flask:
    return create_app(services.settings, services)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
