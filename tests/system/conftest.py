"""System tests run the Procfile's processes on PostgreSQL: on any other database they are not collected."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.system.stack import Stack, is_postgres

# Not skipped one by one: without PostgreSQL this tier does not exist (the SQLite pass has no
# server processes to run), so pytest does not even import its modules.
collect_ignore_glob = [] if is_postgres(os.environ.get("DATABASE_URL", "")) else ["test_*.py"]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """The Procfile stack (release, web, worker) on DATABASE_URL and a Redis of its own."""
    with Stack.start(tmp_path) as running:
        yield running
