"""A resolution becomes a platform push whose lines add up to its amount, also one planned by an older version."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connector.domain.money import Money, total
from connector.domain.resolutions import PushStatus, Resolution
from connector.domain.returns import ResolutionKind
from connector.persistence.resolutions import line_from_json
from connector.workflow.push import _push_for
from platforms.woocommerce.payloads import refund_body


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def stored(amount: str, lines: list[dict[str, Any]]) -> Resolution:
    """A resolution as read back from its row, `lines` as they are kept in the database."""
    zero = usd("0")
    return Resolution(
        id=7, return_id=3, kind=ResolutionKind.REFUND, amount=usd(amount), tax=zero, bonus=zero,
        restocking_fee=zero, return_shipping_fee=zero, lines=tuple(line_from_json(line, "USD") for line in lines),
        idempotency_key="k", push_status=PushStatus.PENDING, created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def test_a_refund_planned_before_fees_were_kept_on_lines_gets_lines_that_add_up() -> None:
    # An older version stored the whole line (71.10 + 5.87) and deducted a 7.69 fee from the amount only.
    legacy = stored("69.28", [{"line_id": "1", "quantity": 1, "amount": "71.10", "tax": "5.87", "restock": True,
                               "tax_by_rate": [["1", "5.87"]]}])

    push = _push_for("R-7KQ2MX", legacy, "20", "jane.doe@example.test", "2")

    assert total((line.total for line in push.lines), "USD") == push.amount == usd("69.28")
    [line] = push.lines
    assert (line.amount, line.tax_by_rate, line.fee) == (usd("63.41"), (("1", usd("5.87")),), usd("7.69"))
    body = refund_body(push, api_refund=False)
    assert body["line_items"][0]["refund_total"] == "63.41"


def test_a_refund_planned_now_is_pushed_as_planned() -> None:
    planned = stored("69.28", [{"line_id": "1", "quantity": 1, "amount": "63.41", "tax": "5.87", "fee": "7.69",
                                "shipping": False, "restock": False, "tax_by_rate": [["1", "5.87"]]}])

    [line] = _push_for("R-7KQ2MX", planned, "20", "jane.doe@example.test", "2").lines

    assert (line.amount, line.fee, line.restock) == (usd("63.41"), usd("7.69"), False)
