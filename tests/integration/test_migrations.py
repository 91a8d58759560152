"""The same Alembic migrations build an empty SQLite file and an empty PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from connector.persistence.database import make_engine
from connector.persistence.migrate import is_current, upgrade
from connector.persistence.tables import Base

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://127.0.0.1:5432/test")


def _assert_schema_matches_tables(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    assert is_current(engine)
    found = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= found
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspect(engine).get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    upgrade(engine)  # a second upgrade is a no-op
    engine.dispose()


def test_migrations_upgrade_an_empty_sqlite_file_to_head(tmp_path: Path) -> None:
    _assert_schema_matches_tables(f"sqlite:///{tmp_path / 'fresh.db'}")


def test_migrations_upgrade_an_empty_postgresql_database_to_head() -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"rc_migration_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no PostgreSQL here at all is a broken machine, not a skip
        pytest.fail(f"PostgreSQL is needed at {PG_ADMIN_URL}: {exc}")
    try:
        _assert_schema_matches_tables(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
