"""Return use cases: open a request, move it through the workflow, inspect, resolve.

Each function is one transaction: load, call the domain, save, queue what must follow
(emails, pushes) in the same commit. Imports the domain and ports at run time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from connector.domain.eligibility import (
    CustomerHistory,
    LineEligibility,
    PolicyDecision,
    RequestedItem,
    evaluate,
    line_eligibility,
    resolution_plans,
)
from connector.domain.errors import DomainError, InvalidReturn
from connector.domain.messages import Reason
from connector.domain.money import Money
from connector.domain.orders import Order
from connector.domain.policy import CouponType, ReturnPolicy
from connector.domain.resolutions import PushStatus, Resolution, ResolutionPlan, goodwill_value
from connector.domain.returns import (
    Channel,
    Inspection,
    RejectedItemHandling,
    ResolutionKind,
    ReturnItem,
    ReturnRequest,
    ReturnStatus,
)
from connector.domain.shops import Shop
from connector.i18n import gettext, resolution_name, say
from connector.ports import MirroringPlatform, StorageConflict
from connector.ports.platforms import resolves_automatically
from connector.workflow import labels, merchant_webhooks
from connector.workflow.errors import NotFound
from connector.workflow.markers import idempotency_key
from connector.workflow.mirror import queue_mirror
from connector.workflow.notifications import queue_shopper_email

if TYPE_CHECKING:
    from connector.ports.services import Services
    from connector.ports.storage import ShopScope, UnitOfWork


class ReturnRefused(DomainError):
    """The policy refuses the request; `decision` says why, per item, in French and English."""

    code = "return_refused"

    def __init__(self, decision: PolicyDecision) -> None:
        texts = [say(r, "en") for r in decision.reasons] + [
            f"{item.line_id}: {say(r, 'en')}" for item in decision.items for r in item.reasons
        ]
        super().__init__("; ".join(texts) or "nothing in this request can be returned")
        self.decision = decision


@dataclass(frozen=True)
class WantedItem:
    """What a shopper (or the merchant, or an API client) asks to return from one line."""

    line_id: str
    quantity: int
    reason: str
    resolution: ResolutionKind
    comment: str = ""
    photos: tuple[str, ...] = ()
    exchange_variant_id: str | None = None
    exchange_variant_title: str = ""


@dataclass(frozen=True)
class OpenedReturn:
    ret: ReturnRequest
    decision: PolicyDecision
    plans: list[ResolutionPlan] = field(default_factory=list)


def policy_for(shop: Shop) -> ReturnPolicy:
    """The shop's policy; a new shop gets the defaults in its own currency."""
    if shop.policy:
        return ReturnPolicy.from_dict(shop.policy)
    return ReturnPolicy(currency=shop.currency)


def _resolved_units(scope: ShopScope, order_id: str, exclude: int | None = None) -> dict[str, int]:
    """Units of each line already resolved (accepted at inspection) in this order's other returns."""
    units: dict[str, int] = {}
    for other in scope.returns.for_order(order_id):
        if other.id == exclude or other.status not in (ReturnStatus.RESOLVED, ReturnStatus.CLOSED):
            continue
        for item in other.items:
            units[item.order_line_id] = units.get(item.order_line_id, 0) + item.accepted_quantity
    return units


def _shipping_refunded(scope: ShopScope, order_id: str, exclude: int | None = None) -> bool:
    """Whether another return of this order already gave the order's shipping back (once per order)."""
    for other in scope.returns.for_order(order_id):
        if other.id is None or other.id == exclude:
            continue
        for resolution in scope.resolutions.for_return(other.id):
            if resolution.refunds_shipping:
                return True
    return False


def customer_history(scope: ShopScope, policy: ReturnPolicy, order: Order, now: datetime,
                     exclude_return_id: int | None = None) -> CustomerHistory:
    email = order.customer.email
    since = now - timedelta(days=policy.free_returns_period_days)
    return CustomerHistory(
        free_returns_used=scope.returns.free_returns_since(email, since),
        previous_returns=scope.returns.count_for_customer(email),
        returned_quantities=scope.returns.quantities_in_returns(order.platform_order_id, exclude_return_id),
    )


def eligibility(scope: ShopScope, order: Order, now: datetime) -> list[LineEligibility]:
    policy = policy_for(scope.shop)
    return line_eligibility(policy, order, customer_history(scope, policy, order, now), now.date())


def decide(scope: ShopScope, order: Order, wanted: Sequence[WantedItem], now: datetime
           ) -> tuple[PolicyDecision, list[ResolutionPlan]]:
    """The policy's verdict and the amounts, before anything is written (the portal's preview)."""
    policy = policy_for(scope.shop)
    history = customer_history(scope, policy, order, now)
    requested = [RequestedItem(w.line_id, w.quantity, w.reason, w.resolution, has_photo=bool(w.photos))
                 for w in wanted]
    decision = evaluate(policy, order, requested, history, now.date())
    plans = resolution_plans(policy, order, decision, units_back=_resolved_units(scope, order.platform_order_id),
                             shipping_refunded=_shipping_refunded(scope, order.platform_order_id)) \
        if decision.eligible else []
    return decision, plans


def decision_snapshot(decision: PolicyDecision) -> dict[str, Any]:
    """The decision as stored with the return: what the merchant sees as 'why'."""

    def texts(reasons: Sequence[Reason]) -> dict[str, list[str]]:
        return {lang: [say(r, lang) for r in reasons] for lang in ("fr", "en")}

    return {
        "eligible": decision.eligible, "auto_approved": decision.auto_approved,
        "free_return": decision.free_return,
        "return_shipping_fee": str(decision.return_shipping_fee.amount),
        "currency": decision.return_shipping_fee.currency,
        "reasons": texts(decision.reasons), "auto_approval": texts(decision.auto_approval_reasons),
        "notes": texts(decision.notes),
        "items": [{"line_id": i.line_id, "quantity": i.quantity, "eligible": i.eligible,
                   "amount": str(i.amount.amount), "restocking_fee": str(i.restocking_fee.amount),
                   "reasons": texts(i.reasons)} for i in decision.items],
    }


def _shop(uow: UnitOfWork, shop_id: int) -> Shop:
    shop: Shop | None = uow.shops.get(shop_id)
    if shop is None:
        raise NotFound(f"no shop {shop_id}")
    return shop


def open_return_request(
    svc: Services, shop_id: int, platform_order_id: str, wanted: Sequence[WantedItem], *,
    channel: Channel, locale: str = "", actor: str = "shopper",
) -> OpenedReturn:
    now = svc.clock.now()
    with svc.uow() as uow:
        shop = _shop(uow, shop_id)
        scope = uow.scope(shop)
        order = scope.orders.get(platform_order_id)
        if order is None:
            raise NotFound(f"order {platform_order_id} is not in this shop")
        if not wanted:
            raise InvalidReturn("choose at least one item to return")
        decision, plans = decide(scope, order, wanted, now)
        if not decision.eligible or not all(item.eligible for item in decision.items):
            raise ReturnRefused(decision)
        ret = ReturnRequest(
            shop_id=shop.id, order_id=order.platform_order_id, customer_email=order.customer.email,
            items=[ReturnItem(order_line_id=w.line_id, quantity=w.quantity, reason=w.reason,
                              resolution=w.resolution, comment=w.comment.strip()[:2000], photos=list(w.photos),
                              exchange_variant_id=w.exchange_variant_id,
                              exchange_variant_title=w.exchange_variant_title) for w in wanted],
            # The shopper's own language: the portal's, else the order's, else the shop's.
            channel=channel, locale=locale or order.customer.locale or shop.locale,
        )
        ret.record_request(now, actor=actor)
        if decision.auto_approved:
            ret.approve(now, "policy", "")
        scope.returns.add(ret, now=now, currency=order.currency,
                          return_shipping_fee=decision.return_shipping_fee,
                          free_return=decision.free_return, decision=decision_snapshot(decision))
        label = labels.queue_label(svc, scope, ret, now) if decision.auto_approved else {}
        queue_shopper_email(svc, scope, ret, "requested", {"order_name": order.name, **label})
        if decision.auto_approved:
            _mirror(svc, scope, ret, "open", now)
        merchant_webhooks.emit(scope, merchant_webhooks.RETURN_CREATED, merchant_webhooks.return_payload(
            ret.reference, ret.status.value, ret.order_id, ret.customer_email), now)
        uow.commit()
    return OpenedReturn(ret, decision, plans)


def _return_in(uow: UnitOfWork, shop_id: int, reference: str, *, lock: bool = True) -> tuple[ShopScope, ReturnRequest]:
    """The shop's scope and one of its returns; NotFound for another shop's reference.

    `lock` (for a use case that changes the return) takes its locks first, in the one
    order every writer uses (its order, then the return; see ReturnRepository.lock), and
    reads it afterwards: a job on the same return waits, or is waited for, never crossed.
    """
    scope: ShopScope = uow.scope(_shop(uow, shop_id))
    ret = scope.returns.get_by_reference(reference, for_update=lock)
    if ret is None or ret.id is None:
        raise NotFound(f"no return {reference} in this shop")
    return scope, ret


def _stored_id(ret: ReturnRequest) -> int:
    assert ret.id is not None, "returns loaded from storage have an id"
    return ret.id


def load_return(svc: Services, shop_id: int, reference: str) -> tuple[Shop, ReturnRequest]:
    with svc.uow() as uow:
        shop = _shop(uow, shop_id)
        ret = uow.scope(shop).returns.get_by_reference(reference)
    if ret is None:
        raise NotFound(f"no return {reference} in this shop")
    return shop, ret


def _mirror(svc: Services, scope: ShopScope, ret: ReturnRequest, action: str, now: datetime) -> None:
    """Keep the platform's own return in step (Shopify), in the same commit as our change."""
    if isinstance(svc.adapters.get(scope.shop.platform), MirroringPlatform):
        queue_mirror(scope, ret, action, now=now)


def _status_changed(scope: ShopScope, ret: ReturnRequest, before: ReturnStatus, now: datetime) -> None:
    """Tell the merchant's own systems (outgoing webhooks), in the same commit."""
    merchant_webhooks.emit(scope, merchant_webhooks.RETURN_STATUS_CHANGED, merchant_webhooks.return_payload(
        ret.reference, ret.status.value, ret.order_id, ret.customer_email, before.value), now)


CONFLICT_TRIES = 3
T = TypeVar("T")


def retrying(use_case: Callable[[], T]) -> T:
    """Run a use case again when its transaction crossed another one (StorageConflict).

    The database undid the whole transaction, so a new run starts from what is stored;
    the merchant sees the action done, never a 500.
    """
    for attempt in range(1, CONFLICT_TRIES + 1):
        try:
            return use_case()
        except StorageConflict:
            if attempt == CONFLICT_TRIES:
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _act(svc: Services, shop_id: int, reference: str, email_kind: str | None,
         change: Any, extra: dict[str, Any] | None = None, mirror: str = "") -> ReturnRequest:
    return retrying(lambda: _act_once(svc, shop_id, reference, email_kind, change, extra, mirror))


def _act_once(svc: Services, shop_id: int, reference: str, email_kind: str | None,
              change: Any, extra: dict[str, Any] | None, mirror: str) -> ReturnRequest:
    now = svc.clock.now()
    with svc.uow() as uow:
        scope, ret = _return_in(uow, shop_id, reference)
        before = ret.status
        change(ret, now)  # the domain raises IllegalTransition, and nothing is saved
        scope.returns.save(ret, now)
        if mirror:
            _mirror(svc, scope, ret, mirror, now)
        if ret.status is not before:
            _status_changed(scope, ret, before, now)
        if ret.status is ReturnStatus.APPROVED and before is not ReturnStatus.APPROVED:
            extra = {**(extra or {}), **labels.queue_label(svc, scope, ret, now)}
        if email_kind:
            queue_shopper_email(svc, scope, ret, email_kind, extra)
        uow.commit()
    return ret


def approve(svc: Services, shop_id: int, reference: str, actor: str, message: str = "") -> ReturnRequest:
    return _act(svc, shop_id, reference, "approve", lambda r, now: r.approve(now, actor, message), mirror="approve")


def reject(svc: Services, shop_id: int, reference: str, actor: str, message: str,
           goodwill: bool = False) -> ReturnRequest:
    """Refuse the request. With `goodwill`, and a goodwill percentage in the policy, the
    shopper also gets a coupon worth that share of the items, so they shop here again."""
    if not goodwill:
        return _act(svc, shop_id, reference, "reject", lambda r, now: r.reject(now, actor, message),
                    mirror="reject")
    return retrying(lambda: _reject_with_goodwill(svc, shop_id, reference, actor, message))


def _reject_with_goodwill(svc: Services, shop_id: int, reference: str, actor: str, message: str) -> ReturnRequest:
    now = svc.clock.now()
    with svc.uow() as uow:
        scope, ret = _return_in(uow, shop_id, reference)
        before = ret.status
        ret.reject(now, actor, message)
        scope.returns.save(ret, now)
        coupon = _goodwill_coupon(svc, scope, ret, now)
        if coupon is not None:
            worth = f"{coupon.coupon_percent}% off" if coupon.coupon_percent is not None else str(coupon.amount)
            ret.note(now, actor, f"goodwill coupon of {worth} offered", private=True)
            scope.returns.save(ret, now)
        _mirror(svc, scope, ret, "reject", now)
        _status_changed(scope, ret, before, now)
        queue_shopper_email(svc, scope, ret, "reject")
        uow.commit()
    return ret


def _goodwill_coupon(svc: Services, scope: ShopScope, ret: ReturnRequest, now: datetime) -> Resolution | None:
    policy = policy_for(scope.shop)
    order = scope.orders.get(ret.order_id)
    if order is None or policy.goodwill_coupon_percent <= 0:
        return None
    amount = goodwill_value(order, [(i.order_line_id, i.quantity) for i in ret.items],
                            policy.goodwill_coupon_percent)
    percent = policy.goodwill_coupon_percent if policy.goodwill_coupon_type is CouponType.PERCENT else None
    if percent is not None:
        amount = Money.zero(order.currency)  # worth a percentage of an order not placed yet
    elif amount.is_zero():
        return None
    automatic = resolves_automatically(svc.adapter(scope.shop.platform))
    zero = Money.zero(order.currency)
    coupon = scope.resolutions.add(Resolution(
        kind=ResolutionKind.COUPON, amount=amount, tax=zero, bonus=zero, restocking_fee=zero,
        return_shipping_fee=zero, coupon_percent=percent,
        idempotency_key=idempotency_key(scope.shop.id, ret.reference, "goodwill"),
        push_status=PushStatus.PENDING if automatic else PushStatus.AWAITING_MERCHANT,
    ), return_id=_stored_id(ret), now=now)
    if automatic:
        scope.outbox.add("push_resolution", coupon.id, now)
    return coupon


def mark_in_transit(svc: Services, shop_id: int, reference: str, actor: str, tracking_number: str = "") -> ReturnRequest:
    return _act(svc, shop_id, reference, "mark_in_transit",
                lambda r, now: r.mark_in_transit(now, actor, tracking_number.strip()[:100]))


def receive(svc: Services, shop_id: int, reference: str, actor: str) -> ReturnRequest:
    return _act(svc, shop_id, reference, "receive", lambda r, now: r.receive(now, actor), mirror="receive")


def cancel(svc: Services, shop_id: int, reference: str, actor: str, message: str = "") -> ReturnRequest:
    return _act(svc, shop_id, reference, "cancel", lambda r, now: r.cancel(now, actor, message), mirror="cancel")


def close(svc: Services, shop_id: int, reference: str, actor: str) -> ReturnRequest:
    return _act(svc, shop_id, reference, None, lambda r, now: r.close(now, actor), mirror="close")


def add_note(svc: Services, shop_id: int, reference: str, actor: str, message: str) -> ReturnRequest:
    if not message.strip():
        raise InvalidReturn("a note cannot be empty")
    return _act(svc, shop_id, reference, None, lambda r, now: r.note(now, actor, message.strip()[:5000]))


def inspect(svc: Services, shop_id: int, reference: str, actor: str,
            outcomes: Mapping[str, Inspection]) -> ReturnRequest:
    return _act(svc, shop_id, reference, None, lambda r, now: r.inspect(now, actor, dict(outcomes)), mirror="inspect")


def planned_resolutions(svc: Services, shop_id: int, reference: str) -> list[ResolutionPlan]:
    """The amounts a resolve would give now: shown to the merchant before confirming."""
    now = svc.clock.now()
    with svc.uow() as uow:
        scope, ret = _return_in(uow, shop_id, reference, lock=False)
        return _plans(scope, ret, now)


def _plans(scope: ShopScope, ret: ReturnRequest, now: datetime) -> list[ResolutionPlan]:
    order = scope.orders.get(ret.order_id)
    if order is None:
        raise NotFound(f"order {ret.order_id} of {ret.reference} is gone")
    policy = policy_for(scope.shop)
    wanted = [RequestedItem(i.order_line_id, i.quantity, i.reason, i.resolution, has_photo=True) for i in ret.items]
    history = customer_history(scope, policy, order, now, exclude_return_id=ret.id)
    decision = evaluate(policy, order, wanted, history, ret.timeline[0].at.date() if ret.timeline else now.date())
    details = scope.returns.row_details(ret.id or 0) or {}
    # The fee the shopper was shown when asking is the fee charged, whatever the policy says
    # since; and the request was accepted when made, so a window closed since refuses nothing.
    shown_fee = details.get("return_shipping_fee")
    fee = shown_fee if isinstance(shown_fee, Money) and shown_fee.currency == order.currency \
        else decision.return_shipping_fee
    decision = replace(decision, reasons=(), return_shipping_fee=fee,
                       items=tuple(replace(i, eligible=True, reasons=()) for i in decision.items))
    inspected = ret.status in (ReturnStatus.INSPECTED, ReturnStatus.RESOLVED, ReturnStatus.CLOSED)
    accepted = {i.order_line_id: i.accepted_quantity for i in ret.items} if inspected else None
    resolved = _resolved_units(scope, ret.order_id, exclude=ret.id)
    return resolution_plans(policy, order, decision, accepted=accepted, already_resolved=resolved,
                            units_back=resolved, shipping_refunded=_shipping_refunded(scope, ret.order_id, ret.id))


def resolve(svc: Services, shop_id: int, reference: str, actor: str) -> list[Resolution]:
    """Write one resolution per kind with its outbox row, in the return's own commit."""
    return retrying(lambda: _resolve_once(svc, shop_id, reference, actor))


def _resolve_once(svc: Services, shop_id: int, reference: str, actor: str) -> list[Resolution]:
    now = svc.clock.now()
    with svc.uow() as uow:
        scope, ret = _return_in(uow, shop_id, reference)
        if not ret.can("resolve"):
            ret.resolve(now, actor)  # raises IllegalTransition with the status in the message
        plans = _plans(scope, ret, now)
        shop = scope.shop
        automatic = resolves_automatically(svc.adapter(shop.platform))
        order = scope.orders.get(ret.order_id)
        assert order is not None
        stored = []
        variants = {i.order_line_id: i.exchange_variant_id for i in ret.items}
        restock = {i.order_line_id: bool(i.inspection and i.inspection.restocked) for i in ret.items}
        for plan in plans:
            if plan.net.is_zero() and plan.kind is not ResolutionKind.EXCHANGE:
                continue
            # What each platform records per line: the domain's refund lines, fees already kept,
            # tax per rate telescoped across this order's returns (see domain.rounding).
            planned = Resolution.from_plan(plan, ret.reference, automatic=automatic, restocked=restock,
                                           exchange_variants=variants)
            resolution = scope.resolutions.add(
                replace(planned, idempotency_key=idempotency_key(shop.id, ret.reference, plan.kind.value)),
                return_id=_stored_id(ret), now=now)
            if automatic:
                scope.outbox.add("push_resolution", resolution.id, now)
            stored.append(resolution)
        # Written in the shop's language: the merchant reads it on the timeline.
        lang = shop.locale
        summary = ", ".join(
            say(Reason.of("note_resolution", resolution_kind=r.kind, resolution_amount=r.amount), lang)
            for r in stored) or say(Reason.of("note_nothing_to_pay"), lang)
        before = ret.status
        ret.resolve(now, actor, summary)
        scope.returns.save(ret, now)
        _mirror(svc, scope, ret, "resolve", now)
        _status_changed(scope, ret, before, now)
        policy = policy_for(shop)
        queue_shopper_email(svc, scope, ret, "resolve", {
            "resolutions": [{"label": _resolution_label(r.kind, ret), "amount": r.amount, "code": r.code}
                            for r in stored],
            "delay": _refund_delay(ret.locale, stored, automatic),
            # Units refused at inspection: the shopper is told what happens to them and at what cost.
            "rejected": [{"title": order.line(i.order_line_id).title, "quantity": i.inspection.rejected_quantity,
                          "reason": i.inspection.rejection_reason}
                         for i in ret.items if i.inspection and i.inspection.rejected_quantity],
            "rejected_kept": policy.rejected_items is RejectedItemHandling.KEEP,
            "rejected_fee": policy.rejected_item_return_fee,
        })
        uow.commit()
    return stored


def _refund_delay(locale: str, stored: Sequence[Resolution], automatic: bool) -> str:
    if not any(r.kind is ResolutionKind.REFUND for r in stored):
        return ""
    if automatic:
        return gettext("The refund reaches your original payment method within 5 to 10 business days.", locale)
    return gettext("The merchant refunds you by bank transfer or cheque within a few days.", locale)


def _resolution_in(uow: UnitOfWork, shop_id: int, resolution_id: int) -> tuple[ShopScope, Resolution]:
    """The shop's scope and one of its resolutions; NotFound for another shop's id."""
    scope: ShopScope = uow.scope(_shop(uow, shop_id))
    resolution = scope.resolutions.get(resolution_id)
    if resolution is None:
        raise NotFound(f"no resolution {resolution_id} in this shop")
    return scope, resolution


def _resolution_label(kind: ResolutionKind, ret: ReturnRequest) -> str:
    """"exchange (M)": the wanted variant named in the email, as the shopper chose it."""
    name = resolution_name(kind, ret.locale)
    titles = [i.exchange_variant_title for i in ret.items
              if kind is ResolutionKind.EXCHANGE and i.resolution is kind and i.exchange_variant_title]
    return f"{name} ({', '.join(titles)})" if titles else name


def mark_resolution_done(svc: Services, shop_id: int, resolution_id: int, actor: str, note: str) -> None:
    """The merchant carried the resolution out by hand (bank transfer, cheque, in the shop admin)."""
    retrying(lambda: _mark_resolution_done_once(svc, shop_id, resolution_id, actor, note))


def _mark_resolution_done_once(svc: Services, shop_id: int, resolution_id: int, actor: str, note: str) -> None:
    now = svc.clock.now()
    with svc.uow() as uow:
        scope, resolution = _resolution_in(uow, shop_id, resolution_id)
        scope.returns.lock(resolution.return_id)  # before the resolution's row: the one order
        resolution = scope.resolutions.get(resolution_id) or resolution
        if resolution.settled:
            raise InvalidReturn("this resolution is already carried out")
        scope.resolutions.mark_done_by_merchant(resolution_id, note.strip()[:200], now)
        ret = scope.returns.get(resolution.return_id)
        if ret is not None:
            done = Reason.of("note_done_by_hand", resolution_kind=resolution.kind, resolution_amount=resolution.amount,
                             note=note.strip())
            ret.note(now, actor, say(done, scope.shop.locale), private=True)
            scope.returns.save(ret, now)
        uow.commit()


def retry_resolution(svc: Services, shop_id: int, resolution_id: int) -> None:
    now = svc.clock.now()
    with svc.uow() as uow:
        scope, resolution = _resolution_in(uow, shop_id, resolution_id)
        if resolution.push_status is not PushStatus.FAILED:
            raise InvalidReturn("only a failed push can be retried")
        scope.resolutions.retry(resolution_id)
        scope.outbox.add("push_resolution", resolution_id, now)
        uow.commit()


def record_satisfaction(svc: Services, shop_id: int, tracking_token: str, score: int, comment: str) -> None:
    if not 1 <= score <= 5:
        raise InvalidReturn("the score is between 1 and 5")
    with svc.uow() as uow:
        shop = _shop(uow, shop_id)
        scope = uow.scope(shop)
        ret = scope.returns.get_by_tracking_token(tracking_token)
        if ret is None or ret.id is None:
            raise NotFound("no such return")
        if ret.status not in (ReturnStatus.RESOLVED, ReturnStatus.CLOSED):
            raise InvalidReturn("the question is asked once the return is resolved")
        scope.returns.set_satisfaction(ret.id, score, comment.strip()[:1000])
        uow.commit()

