"""The return workflow state machine: every legal move, every illegal one refused unchanged."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from connector.domain.errors import IllegalTransition, InvalidReturn
from connector.domain.returns import (
    TRANSITIONS,
    Channel,
    Condition,
    Inspection,
    ResolutionKind,
    ReturnItem,
    ReturnRequest,
    ReturnStatus,
    allowed_actions,
    new_reference,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def a_return(status: ReturnStatus = ReturnStatus.REQUESTED) -> ReturnRequest:
    ret = ReturnRequest(
        shop_id=1, order_id="1001", customer_email="claire@example.com", channel=Channel.PORTAL,
        items=[ReturnItem("L1", 2, "size_too_small", ResolutionKind.REFUND)],
    )
    ret.status = status
    return ret


def run(ret: ReturnRequest, action: str) -> None:
    if action == "inspect":
        ret.inspect(NOW, "merchant", {"L1": Inspection(Condition.AS_NEW, 2, 0, restock=True)})
    elif action == "reject":
        ret.reject(NOW, "merchant", "Article porté")
    elif action == "mark_in_transit":
        ret.mark_in_transit(NOW, "shopper", "6A123")
    else:
        getattr(ret, action)(NOW, "merchant")


LEGAL = [(status, action) for action, (sources, _) in TRANSITIONS.items() for status in sources]
ILLEGAL = [(status, action) for status in ReturnStatus for action, (sources, _) in TRANSITIONS.items()
           if status not in sources]


@pytest.mark.parametrize(("status", "action"), LEGAL, ids=[f"{s.value}-{a}" for s, a in LEGAL])
def test_legal_transition_moves_and_writes_a_timeline_event(status: ReturnStatus, action: str) -> None:
    ret = a_return(status)
    run(ret, action)
    target = TRANSITIONS[action][1]
    assert ret.status is target
    event = ret.timeline[-1]
    assert (event.kind, event.from_status, event.to_status, event.at) == (action, status, target, NOW)


@pytest.mark.parametrize(("status", "action"), ILLEGAL, ids=[f"{s.value}-{a}" for s, a in ILLEGAL])
def test_illegal_transition_is_refused_and_changes_nothing(status: ReturnStatus, action: str) -> None:
    ret = a_return(status)
    before = copy.deepcopy(ret)
    with pytest.raises(IllegalTransition) as refused:
        run(ret, action)
    assert status.value in str(refused.value)
    assert ret == before


def test_terminal_statuses_allow_nothing() -> None:
    assert allowed_actions(ReturnStatus.CLOSED) == []
    assert allowed_actions(ReturnStatus.CANCELLED) == []


def test_rejection_needs_a_message_for_the_shopper() -> None:
    ret = a_return()
    with pytest.raises(InvalidReturn):
        ret.reject(NOW, "merchant", "  ")
    assert ret.status is ReturnStatus.REQUESTED
    assert ret.timeline == []


def test_inspection_quantities_must_add_up_and_nothing_changes_otherwise() -> None:
    ret = a_return(ReturnStatus.RECEIVED)
    with pytest.raises(InvalidReturn):
        ret.inspect(NOW, "merchant", {"L1": Inspection(Condition.DAMAGED, 1, 0, restock=False)})
    assert ret.status is ReturnStatus.RECEIVED
    assert ret.items[0].inspection is None


def test_every_item_must_be_inspected() -> None:
    ret = a_return(ReturnStatus.RECEIVED)
    with pytest.raises(InvalidReturn):
        ret.inspect(NOW, "merchant", {})
    assert ret.status is ReturnStatus.RECEIVED


def test_exchange_needs_the_wanted_variant() -> None:
    with pytest.raises(InvalidReturn):
        ReturnItem("L1", 1, "size_too_small", ResolutionKind.EXCHANGE)


def test_references_are_short_and_unambiguous() -> None:
    refs = {new_reference() for _ in range(200)}
    assert len(refs) == 200
    for ref in refs:
        assert ref.startswith("R-")
        assert len(ref) == 8
        assert not set(ref[2:]) & set("01ILO")
