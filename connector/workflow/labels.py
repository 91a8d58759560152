"""Prepaid return labels: queued when a return is approved, bought exactly once, then followed.

Exactly once rests on the outbox lease (one worker at a time), a deterministic reference per
return (`label_reference`), a unique shipment per return, and this rule: an attempt that may
have reached the carrier (status `buying` left behind by a worker that died) is never repeated
blindly. The carrier is asked for the label by reference and it is adopted; a carrier that
cannot be asked puts the shipment in `check`, and the merchant looks in the carrier's account.
Imports the domain and ports at run time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from connector.domain.money import Money
from connector.domain.returns import ReturnRequest, ReturnStatus
from connector.domain.shipping import (
    Label,
    LabelMode,
    LabelRequest,
    ParcelStep,
    PostalAddress,
    TrackingEvent,
    label_reference,
    parcel_step,
)
from connector.domain.shops import Shop
from connector.ports.carriers import CarrierAdapter, CarrierError, LookupUnsupported
from connector.workflow.outbox import Failed, Finish, Limits, OutboxKind, consume

if TYPE_CHECKING:
    from connector.ports.services import Services
    from connector.ports.storage import CarrierSettings, ShopScope, StoredShipment, UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
CHECK_MESSAGE = ("an earlier attempt may have bought this label and the carrier cannot be asked by reference: "
                 "look in your carrier account, then enter its tracking number or buy again")


def label_url(svc: Services, scope: ShopScope, ret: ReturnRequest) -> str:
    return f"{svc.settings.app_url}/portal/{scope.shop.slug}/track/{ret.tracking_token}/label"


def queue_label(svc: Services, scope: ShopScope, ret: ReturnRequest, now: datetime) -> dict[str, str]:
    """In the transaction that approves `ret`: its shipment, waiting for the shopper's address.

    Returns what the approval email adds ({"label_url": ...}), empty when the shop gives no label.
    """
    settings = scope.carrier_account.get()
    if (ret.id is None or settings is None or settings.label_mode is not LabelMode.PREPAID
            or settings.carrier not in svc.carriers or settings.return_address is None):
        return {}
    scope.shipments.add(ret.id, label_reference(ret.reference), settings.carrier, scope.shop.currency, now)
    return {"label_url": label_url(svc, scope, ret)}


def give_sender_address(svc: Services, scope: ShopScope, ret: ReturnRequest, sender: PostalAddress,
                        now: datetime) -> bool:
    """The shopper's address for the label; queues the purchase in the caller's commit. False: nothing to do."""
    shipment = scope.shipments.for_return(ret.id) if ret.id is not None else None
    if shipment is None or ret.status is not ReturnStatus.APPROVED:
        return False
    if not scope.shipments.set_sender(shipment.id, sender, now):
        return False
    scope.outbox.add("buy_label", shipment.id, now)
    return True


def _request(settings: CarrierSettings, shipment: StoredShipment) -> LabelRequest:
    assert settings.return_address is not None
    assert shipment.sender is not None
    return LabelRequest(reference=shipment.reference, sender=shipment.sender, recipient=settings.return_address,
                        parcel=settings.parcel)


@dataclass(frozen=True)
class _Purchase:
    shipment: StoredShipment
    settings: CarrierSettings
    carrier: CarrierAdapter
    earlier_attempt: bool


@dataclass(frozen=True)
class _Bought:
    label: Label
    adopted: bool


class _BuyLabel:
    """Labels' part of the outbox consumer: buy, or adopt what an earlier attempt bought."""

    def prepare(self, svc: Services, uow: UnitOfWork, shop: Shop, subject_id: int) -> _Purchase | Finish:
        now = svc.clock.now()
        scope = uow.scope(shop)
        shipment = scope.shipments.get(subject_id)
        settings = scope.carrier_account.get()
        ret = scope.returns.get(shipment.return_id) if shipment else None
        # `failed` is a refusal (nothing bought): the merchant may retry it from the failed jobs.
        # `check` is never bought from here: the merchant chooses on the return's page.
        if shipment is None or shipment.status not in ("pending", "buying", "failed") or ret is None:
            return Finish("skipped")
        if ret.status is not ReturnStatus.APPROVED or settings is None or settings.carrier != shipment.carrier:
            why = "the return is no longer waiting for its parcel" if settings else "no carrier account any more"
            # A `buying` left by a dead worker may have bought one: the merchant looks, as for any lost answer.
            scope.shipments.set_status(shipment.id, "check" if shipment.status == "buying" else "failed", now,
                                       CHECK_MESSAGE if shipment.status == "buying" else why)
            return Finish("skipped")
        carrier = svc.carriers.get(shipment.carrier)
        if carrier is None:
            return Finish("failed", f"no carrier adapter {shipment.carrier!r} installed")
        # Committed with the claim: from here on, a crash leaves `buying` and the next try looks before it buys.
        scope.shipments.set_status(shipment.id, "buying", now)
        return _Purchase(shipment, settings, carrier, earlier_attempt=shipment.status == "buying")

    def call(self, svc: Services, shop: Shop, work: _Purchase) -> _Bought:
        gateway = work.carrier.gateway(work.settings.account)
        try:
            if work.earlier_attempt:
                found = gateway.find_label(work.shipment.reference)
                if found is not None:
                    return _Bought(found, adopted=True)
            return _Bought(gateway.buy_label(_request(work.settings, work.shipment)), adopted=False)
        except LookupUnsupported as exc:
            raise Failed(CHECK_MESSAGE, retryable=False, detail="check") from exc
        except CarrierError as exc:
            raise Failed(str(exc), retryable=exc.retryable, detail=exc.maybe_bought) from exc
        except Exception as exc:  # an unknown failure may have reached the carrier: look before buying again
            log.exception("label of shipment %s failed", work.shipment.id)
            raise Failed(f"{type(exc).__name__}: {exc}", detail=True) from exc

    def record(self, svc: Services, uow: UnitOfWork, shop: Shop, work: _Purchase, bought: _Bought) -> str:
        now = svc.clock.now()
        label, shipment, carrier = bought.label, work.shipment, work.carrier
        # A specimen costs nothing; a carrier without a price in its answer costs the contract rate.
        price: Money | None = None if label.specimen else (label.price or work.settings.label_price)
        scope = uow.scope(shop)
        scope.shipments.record_label(shipment.id, label, price, now, now + carrier.poll_every)
        ret = scope.returns.get(shipment.return_id)
        if ret is not None:
            what = "adopted" if bought.adopted else ("drawn (specimen)" if label.specimen else "bought")
            cost = f", {price}" if price else ""
            ret.note(now, "system", f"return label {what} from {carrier.title}: {label.tracking_number}{cost}",
                     private=True)
            scope.returns.save(ret, now)
        return "adopted" if bought.adopted else "bought"

    def failed(self, svc: Services, uow: UnitOfWork, shop: Shop, work: _Purchase, failure: Failed, final: bool,
               next_try: datetime | None) -> str | None:
        now = svc.clock.now()
        shipments = uow.scope(shop).shipments
        if failure.detail == "check":  # the carrier cannot be asked: the merchant looks in the account
            shipments.set_status(work.shipment.id, "check", now, CHECK_MESSAGE)
            return "check"
        # A refusal means nothing was bought: the next try may buy. A lost answer keeps `buying`.
        maybe_bought = bool(failure.detail)
        status = "buying" if maybe_bought else ("failed" if final else "pending")
        if maybe_bought and final:
            status = "check"
        shipments.set_status(work.shipment.id, status, now, failure.error)
        return None


KIND: OutboxKind[_Purchase, _Bought] = OutboxKind(
    task="buy_label", queue="push", handler=_BuyLabel(),
    limits=Limits(max_attempts=MAX_ATTEMPTS, first=timedelta(seconds=10), longest=timedelta(hours=1)))


def buy_label(svc: Services, outbox_id: int) -> str:
    """Run one label outbox row: bought, adopted, check, retry, failed or skipped. Safe to run twice."""
    return consume(svc, outbox_id, KIND)


def buy_again(svc: Services, shop_id: int, return_id: int) -> bool:
    """The merchant checked the carrier account and found no label: try once more."""
    now = svc.clock.now()
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            return False
        scope = uow.scope(shop)
        shipment = scope.shipments.for_return(return_id)
        if shipment is None or shipment.status not in ("check", "failed") or shipment.sender is None:
            return False
        scope.shipments.set_status(shipment.id, "pending", now)
        scope.outbox.add("buy_label", shipment.id, now)
        uow.commit()
    return True


def enter_tracking_number(svc: Services, shop_id: int, return_id: int, tracking_number: str) -> bool:
    """The merchant found the label in the carrier account: follow it, buy nothing."""
    number = tracking_number.strip()[:100]
    now = svc.clock.now()
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None or not number:
            return False
        scope = uow.scope(shop)
        shipment = scope.shipments.for_return(return_id)
        carrier = svc.carriers.get(shipment.carrier) if shipment else None
        if shipment is None or carrier is None or shipment.status not in ("check", "failed"):
            return False
        scope.shipments.record_tracking_number(shipment.id, number, now, now)
        uow.commit()
    return True


# ---- tracking ----

def _batches(items: Sequence[StoredShipment], size: int = 10) -> list[Sequence[StoredShipment]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def track_shipments(svc: Services, shop_id: int) -> int:
    """Poll the carrier for this shop's parcels that are due; move their returns. Returns events stored."""
    now = svc.clock.now()
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            return 0
        scope = uow.scope(shop)
        settings = scope.carrier_account.get()
        due = scope.shipments.due_for_tracking(now)
    if settings is None or not due:
        return 0
    stored = 0
    for carrier_name in {s.carrier for s in due}:
        carrier = svc.carriers.get(carrier_name)
        if carrier is None or carrier_name != settings.carrier:
            continue
        gateway = carrier.gateway(settings.account)
        for batch in _batches([s for s in due if s.carrier == carrier_name]):
            try:
                found = gateway.track([s.tracking_number for s in batch])
            except CarrierError as exc:
                log.warning("tracking at %s failed: %s", carrier_name, exc)
                continue  # next_poll_at is unchanged: the next run asks again
            for shipment in batch:
                events = list(found.get(shipment.tracking_number, ()))
                step = parcel_step(events)
                _move_return(svc, shop_id, shipment, step, settings.auto_receive)
                stored += _store_events(svc, shop_id, shipment, events, step, now + carrier.poll_every)
    return stored


def _store_events(svc: Services, shop_id: int, shipment: StoredShipment, events: list[TrackingEvent],
                  step: ParcelStep, next_poll_at: datetime) -> int:
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        assert shop is not None
        fresh = uow.scope(shop).shipments.record_events(shipment.id, events, step, svc.clock.now(), next_poll_at)
        uow.commit()
    return len(fresh)


def _move_return(svc: Services, shop_id: int, shipment: StoredShipment, step: ParcelStep,
                 auto_receive: bool) -> None:
    """The carrier's step as return transitions; each is idempotent by the return's status."""
    from connector.workflow.returns import mark_in_transit, receive  # it imports this module

    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        ret = uow.scope(shop).returns.get(shipment.return_id) if shop else None
    if ret is None:
        return
    if step in (ParcelStep.IN_TRANSIT, ParcelStep.DELIVERED) and ret.status is ReturnStatus.APPROVED:
        ret = mark_in_transit(svc, shop_id, ret.reference, "carrier", shipment.tracking_number)
    if step is ParcelStep.DELIVERED and auto_receive and ret.status is ReturnStatus.IN_TRANSIT:
        receive(svc, shop_id, ret.reference, "carrier")
