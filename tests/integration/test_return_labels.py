"""Prepaid return labels: bought once on approval, adopted or held for the merchant after a crash, followed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.domain.returns import Channel, ResolutionKind, ReturnStatus
from connector.domain.shipping import ParcelStep, TrackingEvent
from connector.domain.shops import Shop
from connector.jobs.relay import wait_idle
from connector.persistence.shipments import StoredShipment
from connector.ports.carriers import CarrierError
from connector.workflow import labels
from connector.workflow import returns as flow
from tests import builders
from tests.conftest import FrozenClock
from tests.label_support import SHOPPER, FakeCarrier, connect_carrier


@pytest.fixture
def carrier(services: Services) -> FakeCarrier:
    fake = FakeCarrier()
    services.carriers["fake"] = fake
    return fake


def _approved(services: Services, shop_id: int) -> str:
    opened = flow.open_return_request(
        services, shop_id, "1001", [flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)],
        channel=Channel.PORTAL)
    flow.approve(services, shop_id, opened.ret.reference, "merchant")
    return opened.ret.reference


def _give_address(services: Services, shop: Shop, reference: str) -> None:
    with services.uow() as uow:
        scope = uow.scope(shop)
        ret = scope.returns.get_by_reference(reference)
        assert ret is not None
        assert labels.give_sender_address(services, scope, ret, SHOPPER, services.clock.now())
        uow.commit()


def _shipment(services: Services, shop: Shop, reference: str) -> StoredShipment:
    with services.uow() as uow:
        scope = uow.scope(shop)
        ret = scope.returns.get_by_reference(reference)
        assert ret is not None
        assert ret.id is not None
        found = scope.shipments.for_return(ret.id)
    assert found is not None
    return found


def _label_outbox_id(services: Services) -> int:
    with services.uow() as uow:
        [item] = [i for i in uow.all_outbox.pending(services.clock.now() + timedelta(days=1)) if i.task == "buy_label"]
    return item.id


def test_approved_return_gets_one_label_once_the_shopper_gives_her_address(
        services: Services, carrier: FakeCarrier) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    connect_carrier(services, shop)
    reference = _approved(services, shop.id)
    assert _shipment(services, shop, reference).status == "address"
    _give_address(services, shop, reference)
    wait_idle(services)
    wait_idle(services)
    shipment = _shipment(services, shop, reference)
    assert shipment.status == "bought"
    assert shipment.tracking_number == "FAKE000001"
    assert shipment.price is not None
    assert shipment.price.amount == Decimal("6.45")
    assert carrier.state.calls == 1
    with services.uow() as uow:
        ret = uow.scope(shop).returns.get_by_reference(reference)
        assert ret is not None
        assert ret.id is not None
        assert uow.scope(shop).shipments.label_pdf(ret.id) == b"%PDF-1.4 fake"


def test_a_second_address_for_the_same_return_buys_nothing_more(services: Services, carrier: FakeCarrier) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    connect_carrier(services, shop)
    reference = _approved(services, shop.id)
    _give_address(services, shop, reference)
    wait_idle(services)
    with services.uow() as uow:
        scope = uow.scope(shop)
        ret = scope.returns.get_by_reference(reference)
        assert ret is not None
        assert not labels.give_sender_address(services, scope, ret, SHOPPER, services.clock.now())
    assert carrier.state.calls == 1


def test_retry_after_a_crash_between_the_answer_and_the_commit_adopts_the_label(
        services: Services, carrier: FakeCarrier, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    connect_carrier(services, shop)
    reference = _approved(services, shop.id)
    with services.uow() as uow:  # the address, without the relay running the job at once
        scope = uow.scope(shop)
        ret = scope.returns.get_by_reference(reference)
        assert ret is not None
        labels.give_sender_address(services, scope, ret, SHOPPER, clock.now())
        uow.commit()
    outbox_id = _label_outbox_id(services)

    def crash(*args: object, **kwargs: object) -> str:
        raise SystemExit("worker killed after the carrier answered")

    monkeypatch.setattr(labels._BuyLabel, "record", crash)
    with pytest.raises(SystemExit):
        labels.buy_label(services, outbox_id)
    monkeypatch.undo()
    assert carrier.state.calls == 1
    assert _shipment(services, shop, reference).status == "buying"
    clock.advance(minutes=11)  # the lease lapses; the sweep hands the row on
    assert labels.buy_label(services, outbox_id) == "adopted"
    assert carrier.state.calls == 1
    shipment = _shipment(services, shop, reference)
    assert (shipment.status, shipment.tracking_number) == ("bought", "FAKE000001")


def test_retry_after_a_crash_with_a_carrier_that_cannot_look_up_asks_the_merchant_and_buys_nothing(
        services: Services, carrier: FakeCarrier, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    carrier.state.can_look_up = False
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    connect_carrier(services, shop)
    reference = _approved(services, shop.id)
    with services.uow() as uow:
        scope = uow.scope(shop)
        ret = scope.returns.get_by_reference(reference)
        assert ret is not None
        labels.give_sender_address(services, scope, ret, SHOPPER, clock.now())
        uow.commit()
    outbox_id = _label_outbox_id(services)
    monkeypatch.setattr(labels._BuyLabel, "record", lambda *a, **k: (_ for _ in ()).throw(SystemExit("killed")))
    with pytest.raises(SystemExit):
        labels.buy_label(services, outbox_id)
    monkeypatch.undo()
    clock.advance(minutes=11)
    assert labels.buy_label(services, outbox_id) == "check"
    assert carrier.state.calls == 1
    shipment = _shipment(services, shop, reference)
    assert shipment.status == "check"
    # The merchant finds it in the carrier's account and types its number: still one label.
    assert labels.enter_tracking_number(services, shop.id, shipment.return_id, "FAKE000001")
    assert _shipment(services, shop, reference).status == "bought"
    assert carrier.state.calls == 1


def test_a_refused_address_buys_nothing_and_says_why(services: Services, carrier: FakeCarrier) -> None:
    carrier.state.refuse = CarrierError("Colissimo refused: ERROR: code postal invalide", invalid_address=True)
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    connect_carrier(services, shop)
    reference = _approved(services, shop.id)
    _give_address(services, shop, reference)
    wait_idle(services)
    shipment = _shipment(services, shop, reference)
    assert shipment.status == "failed"
    assert "code postal" in shipment.last_error
    assert carrier.state.bought == {}


def test_carrier_events_move_the_return_to_in_transit_then_received(
        services: Services, carrier: FakeCarrier, clock: FrozenClock) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    connect_carrier(services, shop, auto_receive=True)
    reference = _approved(services, shop.id)
    _give_address(services, shop, reference)
    wait_idle(services)
    scanned = TrackingEvent(clock.now() + timedelta(hours=1), "PC1", "Pris en charge", ParcelStep.IN_TRANSIT, "Paris")
    carrier.state.events["FAKE000001"] = [scanned]
    clock.advance(hours=2)
    assert labels.track_shipments(services, shop.id) == 1
    with services.uow() as uow:
        ret = uow.scope(shop).returns.get_by_reference(reference)
    assert ret is not None
    assert ret.status is ReturnStatus.IN_TRANSIT
    assert ret.tracking_number == "FAKE000001"
    assert labels.track_shipments(services, shop.id) == 0  # not due again before the carrier's wait
    delivered = TrackingEvent(clock.now(), "DI1", "Livré", ParcelStep.DELIVERED, "Lyon")
    carrier.state.events["FAKE000001"] = [scanned, delivered]
    clock.advance(minutes=31)
    assert labels.track_shipments(services, shop.id) == 1
    with services.uow() as uow:
        ret = uow.scope(shop).returns.get_by_reference(reference)
        emails = [e.subject for e in uow.scope(shop).emails.recent(return_id=ret.id)] if ret and ret.id else []
    assert ret is not None
    assert ret.status is ReturnStatus.RECEIVED
    assert len(emails) >= 3  # requested, approved, in transit, received
    assert _shipment(services, shop, reference).step is ParcelStep.DELIVERED


def test_specimen_label_is_a_pdf_printed_specimen_with_no_cost(services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    connect_carrier(services, shop, carrier="specimen", label_price="5.90")
    reference = _approved(services, shop.id)
    _give_address(services, shop, reference)
    wait_idle(services)
    shipment = _shipment(services, shop, reference)
    assert shipment.status == "bought"
    assert shipment.specimen
    assert shipment.price is None  # a sample costs nothing, whatever the contract rate says
    with services.uow() as uow:
        pdf = uow.scope(shop).shipments.label_pdf(shipment.return_id)
    assert pdf is not None
    assert pdf.startswith(b"%PDF-1.4")


def test_cost_of_free_returns_counts_the_real_label_price_and_the_fee_for_the_rest(
        client: FlaskClient, services: Services, carrier: FakeCarrier) -> None:
    from connector.domain.policy import ReturnPolicy
    from tests.integration.test_admin_support import signed_in

    shop = builders.shop(services, policy=ReturnPolicy(return_shipping_fee="5.90",  # type: ignore[arg-type]
                                                       free_returns_limit=5).to_dict())
    builders.stored_order(services, shop)
    builders.stored_order(services, shop, order_id="1002")
    connect_carrier(services, shop)
    labelled = _approved(services, shop.id)
    _give_address(services, shop, labelled)
    wait_idle(services)
    flow.open_return_request(services, shop.id, "1002",
                             [flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)],
                             channel=Channel.PORTAL)  # free too, but no label bought (not approved)
    signed_in(client, services, shop)
    rows = client.get(f"/admin/{shop.slug}/dashboard/summary.csv?from=2026-06-01&to=2026-06-30").get_data(as_text=True)
    figures = dict(line.split(",", 1) for line in rows.strip().splitlines()[1:])
    assert figures["free_returns"].strip() == "2"
    assert figures["free_returns_with_real_label"].strip() == "1"
    assert Decimal(figures["free_returns_cost"]) == Decimal("6.45") + Decimal("5.90")


def test_a_refused_label_retried_from_the_failed_jobs_is_bought_once_the_carrier_accepts(
        services: Services, carrier: FakeCarrier) -> None:
    from connector.jobs.failures import list_failures, retry_failure

    carrier.state.refuse = CarrierError("no rate is available for this account")
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    connect_carrier(services, shop)
    reference = _approved(services, shop.id)
    _give_address(services, shop, reference)
    wait_idle(services)
    assert _shipment(services, shop, reference).status == "failed"
    [failure] = [f for f in list_failures(services, shop.id) if f.what.startswith("buy_label")]
    carrier.state.refuse = None  # the merchant fixed the account
    assert retry_failure(services, failure.kind, failure.id, shop.id)
    wait_idle(services)
    assert _shipment(services, shop, reference).status == "bought"
    assert carrier.state.calls == 1


def test_demo_parcel_is_posted_then_delivered_and_the_return_received_by_itself(
        services: Services, clock: FrozenClock) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    connect_carrier(services, shop, carrier="specimen", auto_receive=True)
    reference = _approved(services, shop.id)
    _give_address(services, shop, reference)
    wait_idle(services)
    clock.advance(minutes=3)
    labels.track_shipments(services, shop.id)
    with services.uow() as uow:
        ret = uow.scope(shop).returns.get_by_reference(reference)
    assert ret is not None
    assert ret.status is ReturnStatus.IN_TRANSIT
    clock.advance(minutes=8)
    labels.track_shipments(services, shop.id)
    with services.uow() as uow:
        ret = uow.scope(shop).returns.get_by_reference(reference)
    assert ret is not None
    assert ret.status is ReturnStatus.RECEIVED
    assert [e.code for e in _shipment(services, shop, reference).events] == ["POSTED", "TRANSIT", "DELIVERED"]
