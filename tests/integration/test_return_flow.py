"""A return from request to resolution, on a manual shop and on an automatic platform."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.bootstrap import Services
from connector.domain.errors import IllegalTransition
from connector.domain.returns import Channel, Condition, Inspection, ResolutionKind, ReturnStatus
from connector.jobs.relay import wait_idle
from connector.workflow import returns as flow
from tests import builders
from tests.fakes import FakePlatform


def _request(services: Services, shop_id: int, resolution: ResolutionKind = ResolutionKind.REFUND,
             quantity: int = 1) -> flow.OpenedReturn:
    return flow.open_return_request(
        services, shop_id, "1001",
        [flow.WantedItem("L1", quantity, "size_too_small", resolution, comment="Trop petit")],
        channel=Channel.PORTAL,
    )


def _through_inspection(services: Services, shop_id: int, reference: str, accepted: int = 1, rejected: int = 0) -> None:
    flow.approve(services, shop_id, reference, "merchant")
    flow.receive(services, shop_id, reference, "merchant")
    flow.inspect(services, shop_id, reference, "merchant",
                 {"L1": Inspection(Condition.AS_NEW, accepted, rejected, restock=True)})


def test_manual_shop_resolution_waits_for_the_merchant_and_is_marked_done(services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    opened = _request(services, shop.id)
    assert opened.ret.status is ReturnStatus.REQUESTED
    _through_inspection(services, shop.id, opened.ret.reference)
    [resolution] = flow.resolve(services, shop.id, opened.ret.reference, "merchant")
    assert resolution.push_status == "awaiting_merchant"
    assert resolution.amount.amount == Decimal("40.00")
    flow.mark_resolution_done(services, shop.id, resolution.id, "merchant", "virement du 16/06")
    with services.uow() as uow:
        stored = uow.scope(shop).resolutions.get(resolution.id)
        ret = uow.scope(shop).returns.get_by_reference(opened.ret.reference)
    assert stored is not None
    assert stored.push_status == "done_by_merchant"
    assert ret is not None
    assert ret.status is ReturnStatus.RESOLVED
    kinds = [e.kind for e in ret.timeline]
    assert kinds == ["requested", "approve", "receive", "inspect", "resolve", "note"]


def test_resolution_is_pushed_once_even_when_the_push_job_runs_twice(services: Services) -> None:
    fake = FakePlatform()
    services.adapters["fake"] = fake
    shop = builders.shop(services, platform="fake", domain="fake.example")
    builders.stored_order(services, shop)
    opened = _request(services, shop.id, ResolutionKind.STORE_CREDIT)
    _through_inspection(services, shop.id, opened.ret.reference)
    [resolution] = flow.resolve(services, shop.id, opened.ret.reference, "merchant")
    wait_idle(services)
    from connector.workflow.push import push_resolution

    with services.uow() as uow:
        outbox_ids = [o.id for o in uow.all_outbox.pending(services.clock.now())]
    for outbox_id in outbox_ids:  # nothing left pending, and a rerun is a no-op
        assert push_resolution(services, outbox_id) == "skipped"
    assert fake.state.creations == 1
    with services.uow() as uow:
        stored = uow.scope(shop).resolutions.get(resolution.id)
    assert stored is not None
    assert stored.push_status == "pushed"


def test_double_resolve_is_refused_and_writes_nothing_more(services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    opened = _request(services, shop.id)
    _through_inspection(services, shop.id, opened.ret.reference)
    flow.resolve(services, shop.id, opened.ret.reference, "merchant")
    with pytest.raises(IllegalTransition):
        flow.resolve(services, shop.id, opened.ret.reference, "merchant")
    with services.uow() as uow:
        ret = uow.scope(shop).returns.get_by_reference(opened.ret.reference)
        assert ret is not None
        assert ret.id is not None
        assert len(uow.scope(shop).resolutions.for_return(ret.id)) == 1


def test_rejected_units_at_inspection_are_not_paid_back(services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop, lines=(builders.line("L1", price="30.00", quantity=2),))
    opened = _request(services, shop.id, quantity=2)
    _through_inspection(services, shop.id, opened.ret.reference, accepted=1, rejected=1)
    [resolution] = flow.resolve(services, shop.id, opened.ret.reference, "merchant")
    assert resolution.amount.amount == Decimal("30.00")


def test_second_return_of_the_same_line_cannot_exceed_what_is_left(services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop, lines=(builders.line("L1", price="30.00", quantity=1),))
    _request(services, shop.id)
    with pytest.raises(flow.ReturnRefused):
        _request(services, shop.id)


def test_shopper_gets_an_email_at_each_step_in_their_language(services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    opened = _request(services, shop.id)
    flow.approve(services, shop.id, opened.ret.reference, "merchant", "Merci !")
    wait_idle(services)
    with services.uow() as uow:
        emails = uow.scope(shop).emails.recent()
    subjects = [e.subject for e in reversed(emails)]
    assert subjects[0].startswith("Votre demande de retour")
    assert "accepté" in subjects[1]
    assert all(e.status == "written" for e in emails)
    written = list((services.settings.instance_path / "mail").glob("*.eml"))
    assert len(written) == 2


def test_the_shops_own_email_template_is_the_one_sent(services: Services) -> None:
    from connector.workflow.email_templates import save_override

    shop = builders.shop(services)
    builders.stored_order(services, shop)
    save_override(services, shop.id, "fr", "requested",
                  "Bien reçu : {{ reference }}\nMerci, nous revenons vers vous sous 48 h.\n")
    opened = _request(services, shop.id)
    with services.uow() as uow:
        [email] = uow.scope(shop).emails.recent()
    assert email.subject == f"Bien reçu : {opened.ret.reference}"
    assert "sous 48 h" in email.body


def test_a_rejection_can_come_with_a_goodwill_coupon_whose_code_is_emailed(services: Services) -> None:
    from connector.domain.policy import ReturnPolicy

    fake = FakePlatform()
    services.adapters["fake"] = fake
    shop = builders.shop(services, platform="fake", domain="fake.example",
                         policy=ReturnPolicy(goodwill_coupon_percent=Decimal("10")).to_dict())
    builders.stored_order(services, shop)
    opened = _request(services, shop.id)
    flow.reject(services, shop.id, opened.ret.reference, "merchant", "Article porté", goodwill=True)
    wait_idle(services)
    [coupon] = fake.state.created.values()
    assert coupon.kind is ResolutionKind.COUPON
    assert coupon.amount.amount == Decimal("4.00")  # 10\u00a0% of the 40.00 paid for the item
    with services.uow() as uow:
        subjects = [e.subject for e in uow.scope(shop).emails.recent()]
        ret = uow.scope(shop).returns.get_by_reference(opened.ret.reference)
    assert ret is not None
    assert ret.status is ReturnStatus.REJECTED
    assert any(s.startswith("Votre code pour le retour") for s in subjects)


def test_a_percent_goodwill_coupon_is_pushed_as_a_percentage_and_emailed_as_one(services: Services) -> None:
    from connector.domain.policy import CouponType, ReturnPolicy

    fake = FakePlatform()
    services.adapters["fake"] = fake
    policy = ReturnPolicy(goodwill_coupon_percent=Decimal("15"), goodwill_coupon_type=CouponType.PERCENT)
    shop = builders.shop(services, platform="fake", domain="fake.example", policy=policy.to_dict())
    builders.stored_order(services, shop)
    opened = _request(services, shop.id)
    flow.reject(services, shop.id, opened.ret.reference, "merchant", "Article porté", goodwill=True)
    wait_idle(services)
    [coupon] = fake.state.created.values()
    assert (coupon.kind, coupon.coupon_percent, coupon.amount.is_zero()) == (ResolutionKind.COUPON, Decimal("15"), True)
    with services.uow() as uow:
        [email] = [e for e in uow.scope(shop).emails.recent() if e.subject.startswith("Votre code pour le retour")]
    assert "de 15\u00a0% sur votre prochaine commande" in email.body  # Babel: no-break space before %


def test_a_rejection_without_goodwill_writes_no_coupon(services: Services) -> None:
    fake = FakePlatform()
    services.adapters["fake"] = fake
    shop = builders.shop(services, platform="fake", domain="fake.example")
    builders.stored_order(services, shop)
    opened = _request(services, shop.id)
    flow.reject(services, shop.id, opened.ret.reference, "merchant", "Article porté", goodwill=True)
    wait_idle(services)
    assert fake.state.creations == 0


def test_the_resolve_email_tells_what_happens_to_rejected_units(services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop, lines=(builders.line("L1", title="Robe lin", price="30.00", quantity=2),))
    opened = _request(services, shop.id, quantity=2)
    flow.approve(services, shop.id, opened.ret.reference, "merchant")
    flow.receive(services, shop.id, opened.ret.reference, "merchant")
    flow.inspect(services, shop.id, opened.ret.reference, "merchant",
                 {"L1": Inspection(Condition.DAMAGED, 1, 1, restock=False, rejection_reason="Tache d'encre")})
    flow.resolve(services, shop.id, opened.ret.reference, "merchant")
    with services.uow() as uow:
        resolved = next(e for e in uow.scope(shop).emails.recent() if "traité" in e.subject)
    assert "1 × Robe lin\u202f: Tache d'encre" in resolved.body
    assert "Nous vous les renvoyons" in resolved.body
