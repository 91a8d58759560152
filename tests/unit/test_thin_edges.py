"""The HTTP edges parse, call one use case and answer: they never open storage themselves."""

from __future__ import annotations

import ast
from pathlib import Path

from connector.workflow import errors, merchant_webhooks
from connector.workflow import returns as flow

ROOT = Path(__file__).resolve().parents[2]
EDGES = ("connector/web", "webhooks")
# Platform-specific flows on their way into their platform's package (issue 15); until then they
# are the only edges that still open a unit of work.
MOVING_OUT = {"connector/web/shopify_install.py", "connector/web/woocommerce_connect.py"}


def _storage_calls(path: Path) -> list[int]:
    """Lines calling `.uow()` or reaching a session (`.session`, `.engine`): storage opened by hand."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("uow", "session", "engine", "session_factory"):
            found.append(node.lineno)
    return found


def test_no_http_edge_opens_a_unit_of_work_or_a_session() -> None:
    opened = {}
    for edge in EDGES:
        for path in sorted((ROOT / edge).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative not in MOVING_OUT and (lines := _storage_calls(path)):
                opened[relative] = lines
    assert opened == {}


def test_there_is_one_webhook_edge() -> None:
    assert not (ROOT / "webhooks" / "blueprint.py").exists()
    assert not any("@bp.post" in p.read_text(encoding="utf-8") for p in (ROOT / "webhooks").rglob("*.py"))


def test_every_use_case_says_not_found_with_the_same_error() -> None:
    assert flow.NotFound is errors.NotFound
    assert merchant_webhooks.NotFound is errors.NotFound
