"""The return use cases over the storage ports, without a database (FakeUnitOfWork)."""

from __future__ import annotations

import pytest

from connector.domain.errors import IllegalTransition
from connector.domain.money import Money
from connector.domain.returns import ReturnStatus
from connector.workflow import returns as flow
from tests.unit.usecases.support import (
    platform_and_services,
    request_return,
    shop_with_order,
    through_inspection,
)


def test_a_return_goes_from_request_to_resolution_with_its_emails_and_push_queued_in_its_commits() -> None:
    _, svc = platform_and_services()
    shop, _ = shop_with_order(svc)
    opened = request_return(svc, shop)
    assert opened.ret.status is ReturnStatus.REQUESTED
    assert [p.net for p in opened.plans] == [Money.of("40.00", "EUR")]
    through_inspection(svc, shop, opened.ret.reference)

    [resolution] = flow.resolve(svc, shop.id, opened.ret.reference, "merchant")

    assert resolution.amount == Money.of("40.00", "EUR")
    assert resolution.push_status == "pending"  # the fake platform resolves automatically
    with svc.uow() as uow:
        scope = uow.scope(shop)
        ret = scope.returns.get_by_reference(opened.ret.reference)
        assert ret is not None
        assert ret.id is not None
        assert ret.status is ReturnStatus.RESOLVED
        assert [e.kind for e in ret.timeline] == ["requested", "approve", "receive", "inspect", "resolve"]
        assert scope.outbox.state_of("push_resolution", [resolution.id])
        emails = scope.emails.recent(return_id=ret.id)
    # One email to the shopper at each step they hear about (inspection is the merchant's), in their language.
    assert {e.to for e in emails} == {"claire@example.com"}
    assert len(emails) == 4
    assert "traité" in emails[0].subject


def test_a_request_the_policy_refuses_writes_nothing() -> None:
    _, svc = platform_and_services()
    shop, _ = shop_with_order(svc)
    commits = svc.database.commits

    with pytest.raises(flow.ReturnRefused):
        request_return(svc, shop, quantity=5)  # one was bought

    assert svc.database.commits == commits
    with svc.uow() as uow:
        assert uow.scope(shop).returns.for_order("1001") == []


def test_an_illegal_step_changes_nothing_and_says_why() -> None:
    _, svc = platform_and_services()
    shop, _ = shop_with_order(svc)
    opened = request_return(svc, shop)

    with pytest.raises(IllegalTransition):
        flow.resolve(svc, shop.id, opened.ret.reference, "merchant")

    _, ret = flow.load_return(svc, shop.id, opened.ret.reference)
    assert ret.status is ReturnStatus.REQUESTED


def test_units_already_resolved_in_another_return_are_not_paid_twice() -> None:
    _, svc = platform_and_services()
    shop, _ = shop_with_order(svc)
    first = request_return(svc, shop)
    through_inspection(svc, shop, first.ret.reference)
    flow.resolve(svc, shop.id, first.ret.reference, "merchant")

    with pytest.raises(flow.ReturnRefused):
        request_return(svc, shop)  # L1's only unit is back already


def test_another_shops_return_is_not_found() -> None:
    _, svc = platform_and_services()
    shop, _ = shop_with_order(svc)
    opened = request_return(svc, shop)
    with svc.transaction() as uow:
        other = uow.shops.connect(platform="fake", domain="other.example", now=svc.clock.now())

    with pytest.raises(flow.NotFound):
        flow.approve(svc, other.id, opened.ret.reference, "merchant")
