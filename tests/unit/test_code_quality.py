"""The code stays as the style guide asks: ruff, mypy --strict and the import contracts."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def test_ruff_finds_nothing() -> None:
    result = _run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_strict_is_clean() -> None:
    result = _run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout[-4000:]


def test_the_use_case_fakes_are_the_storage_and_services_ports() -> None:
    # tests/ is outside mypy's packages: the fakes' TYPE_CHECKING functions prove them against the ports.
    result = _run(str(BIN / "mypy"), "--strict", "tests/fake_storage.py", "tests/fake_services.py")
    assert result.returncode == 0, result.stdout[-4000:]


def test_dependencies_point_inward() -> None:
    result = _run(str(BIN / "lint-imports"))
    assert result.returncode == 0, result.stdout[-4000:]


# ---- money is divided only in the domain (connector/domain/rounding.py holds the rule) ----

_MONEY_WORDS = re.compile(
    r"amount|price|total|tax|fee|discount|paid|refund|credit|bonus|money|subtotal|presentment|value|Decimal",
    re.IGNORECASE,
)
# Divisions that are not money leaving the app, each with why. Keyed by file and the exact source.
_NOT_MONEY_LEAVING = {
    # Dashboard figures computed for reports (rates, averages, a per-unit value inside SQL
    # aggregates); shown to the merchant, never refunded, credited or sent to a platform.
    ("connector/ports/queries.py", '(Decimal(self.returns) / self.orders).quantize(Decimal("0.01"))'),
    ("connector/persistence/analytics.py",
     '(Decimal(sum(s * n for s, n in by_score.items())) / answers).quantize(Decimal("0.1"))'),
    ("connector/persistence/analytics.py", '(Decimal(str(v)) / 86400).quantize(Decimal("0.1"))'),
    ("connector/persistence/analytics.py", 'Decimal(value or 0).quantize(Decimal("0.01"))'),
    ("connector/persistence/analytics.py", "OrderLineRow.discount / func.nullif(OrderLineRow.quantity, 0)"),
    ("connector/ports/queries.py", "Decimal(self.returns) / self.orders"),
    ("connector/persistence/analytics.py", "Decimal(sum(s * n for s, n in by_score.items())) / answers"),
    ("connector/persistence/analytics.py", "Decimal(str(v)) / 86400"),
    ("connector/persistence/rollups.py", "OrderLineRow.discount / func.nullif(OrderLineRow.quantity, 0)"),
    ("connector/web/admin_analytics.py", 'Decimal(str(value)).quantize(Decimal("0.1"))'),
    # The returns list's "amount paid" column: the dashboard's per-unit value, in SQL, shown only.
    ("connector/persistence/returns.py", "OrderLineRow.discount / func.nullif(OrderLineRow.quantity, 0)"),
    # Chart ticks and numbers written for the merchant to read (a float axis back to cents, places).
    ("connector/web/admin_analytics.py", 'Decimal(str(v)).quantize(Decimal("0.01"))'),
    ("connector/web/admin_core.py", "number.quantize(Decimal(1).scaleb(-places))"),
    # Pages, not money ("total" rows).
    ("connector/web/admin_returns.py", "(total + PAGE_SIZE - 1) // PAGE_SIZE"),
    ("connector/web/admin_customers.py", "-total // PAGE_SIZE"),
}


def _money_divisions(root: Path = ROOT) -> list[tuple[str, int, str]]:
    """`/`, `//`, `/=` on money-looking operands, and quantize/allocate/percent calls, outside the domain.

    Honest about its reach: it reads the source, so it sees a division by what the operands
    are called, not by their types; a path join (`/` with a string) is not money.
    """
    found = []
    for package in ("connector", "platforms", "webhooks"):
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if relative.startswith("connector/domain/"):
                continue
            source = path.read_text(encoding="utf-8")
            for node in ast.walk(ast.parse(source)):
                segment = ""
                if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.FloorDiv):
                    operands = (node.left, node.right)
                    if any(isinstance(o, ast.JoinedStr) or (isinstance(o, ast.Constant) and isinstance(o.value, str))
                           for o in operands):
                        continue  # a path joined with a name
                    text = ast.get_source_segment(source, node) or ""
                    # A duration's total_seconds() is time, not money (leases, schedules).
                    segment = text if _MONEY_WORDS.search(text.replace("total_seconds()", "")) else ""
                elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Div | ast.FloorDiv):
                    segment = ast.get_source_segment(source, node) or "/="
                elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                      and node.func.attr in ("quantize", "allocate", "percent")):
                    segment = ast.get_source_segment(source, node) or node.func.attr
                if segment and (relative, segment) not in _NOT_MONEY_LEAVING:
                    found.append((relative, getattr(node, "lineno", 0), segment))
    return found


def test_money_is_divided_only_in_the_domain() -> None:
    assert _money_divisions() == []


def test_the_money_division_check_finds_the_old_copy_of_the_rule_outside_the_domain(tmp_path: Path) -> None:
    # The check must be able to fail: the per-rate split the workflow used to redo is what it catches.
    copy = "part = Money.from_minor(amount.minor * quantity // line.quantity, amount.currency)\n"
    for folder in ("connector/workflow", "connector/domain", "platforms/woocommerce"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "connector/workflow/returns.py").write_text(copy)
    (tmp_path / "connector/domain/rounding.py").write_text(copy)
    (tmp_path / "platforms/woocommerce/payloads.py").write_text(
        "FILE = ROOT / 'fixtures'\nfee = paid.percent(rate)\nunit = Money(total.amount / quantity, 'EUR')\n")
    found = {(path, line) for path, line, _ in _money_divisions(tmp_path)}
    assert found == {("connector/workflow/returns.py", 1), ("platforms/woocommerce/payloads.py", 2),
                     ("platforms/woocommerce/payloads.py", 3)}
