"""A use case whose transaction crossed another one is run again, up to three times."""

from __future__ import annotations

import pytest

from connector.ports import StorageConflict
from connector.workflow.returns import CONFLICT_TRIES, retrying


def test_a_use_case_undone_by_a_deadlock_is_run_again_and_its_result_returned() -> None:
    runs: list[int] = []

    def use_case() -> str:
        runs.append(1)
        if len(runs) < CONFLICT_TRIES:
            raise StorageConflict("deadlock detected")
        return "received"

    assert retrying(use_case) == "received"
    assert len(runs) == CONFLICT_TRIES


def test_a_use_case_that_keeps_crossing_gives_up_with_the_conflict_after_three_runs() -> None:
    runs: list[int] = []

    def use_case() -> None:
        runs.append(1)
        raise StorageConflict("deadlock detected")

    with pytest.raises(StorageConflict):
        retrying(use_case)
    assert len(runs) == CONFLICT_TRIES
