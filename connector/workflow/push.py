"""Carrying a resolution out at the platform, exactly once, from its outbox row.

Exactly once rests on three things: the worker claims the row with a short lease renewed
by a heartbeat while it runs (one worker at a time; a dead worker's row is taken over
within the lease), the platform call carries a marker with the return reference (a retry
after a worker died mid-call finds and adopts what was created), and the result is
recorded with the row's end in one commit. A job that dies between the call and that
commit (timeout, lost connection) leaves the row pending: the next run adopts. Imports the domain and ports at run time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from connector.domain.money import Money, total
from connector.domain.resolutions import PushStatus, Resolution, keep_on_lines
from connector.domain.returns import ResolutionKind
from connector.domain.shops import Shop
from connector.i18n import format_moment, format_percent, resolution_name
from connector.ports import PlatformError, PushLine, PushResult, ResolutionPush, ShopConnection
from connector.workflow import merchant_webhooks
from connector.workflow.markers import resolution_marker
from connector.workflow.notifications import queue_shopper_email
from connector.workflow.outbox import Failed, Finish, Limits, OutboxKind, consume
from connector.workflow.store_credit import StoreCreditCoupons, push_store_credit

if TYPE_CHECKING:
    from connector.ports.services import Services
    from connector.ports.storage import UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# When a platform says 429 without saying how long to wait.
DEFAULT_HOLD = 30.0


# A push still pending after this is shown in the failed-jobs page and emailed to the merchant once.
STUCK_AFTER = timedelta(minutes=15)


def warn_stuck_pushes(svc: Services) -> list[int]:
    """Email each shop's contact once about every push still pending after STUCK_AFTER.

    Returns the resolutions warned about. Once per push: the email is kept on the return,
    and one with the same subject is not written again.
    """
    from connector.i18n import format_money
    from connector.workflow.notifications import render_email

    now = svc.clock.now()
    warned: list[int] = []
    with svc.uow() as uow:
        for row in uow.all_outbox.stale("push_resolution", now - STUCK_AFTER):
            shop = uow.shops.get(row.shop_id)
            if shop is None or not shop.contact_email:
                continue
            scope = uow.scope(shop)
            resolution = scope.resolutions.get(row.subject_id)
            ret = scope.returns.get(resolution.return_id) if resolution is not None else None
            if resolution is None or resolution.push_status is not PushStatus.PENDING or ret is None or ret.id is None:
                continue
            locale = shop.locale if shop.locale in ("fr", "en") else "en"
            next_try = row.locked_until if row.running(now) and row.locked_until else row.available_at
            subject, body = render_email("merchant_push_stuck", locale, {
                "label": resolution_name(resolution.kind, locale), "reference": ret.reference,
                "amount": format_money(resolution.amount, locale),
                "since": format_moment(row.created_at, locale, utc=True),
                "next_try": format_moment(next_try, locale, utc=True), "error": row.last_error[:300],
                "jobs_url": f"{svc.settings.app_url}/admin/{shop.slug}/jobs"})
            if any(e.subject == subject for e in scope.emails.recent(limit=100, return_id=ret.id)):
                continue
            email = scope.emails.add(to=shop.contact_email, subject=subject, body=body, return_id=ret.id, now=now)
            scope.outbox.add("send_email", email.id, now)
            warned.append(resolution.id)
        uow.commit()
    return warned


def _push_for(reference: str, resolution: Resolution, order_id: str, email: str,
              customer_id: str | None) -> ResolutionPush:
    cur = resolution.amount.currency
    lines = tuple(line.refund_line for line in resolution.lines)
    legacy = bool(resolution.lines) and all(line.fee is None for line in resolution.lines)
    if legacy and resolution.kind is ResolutionKind.REFUND:
        # Planned before fees were kept on the lines: keep them there now, so the parts add up.
        over = total((line.total for line in lines), cur) - resolution.amount
        if over > Money.zero(cur):
            lines = keep_on_lines(lines, over)
    restock = {line.line_id: line.restock for line in resolution.lines}
    push_lines = tuple(
        PushLine(platform_line_id=line.line_id, quantity=line.quantity, amount=line.amount, tax=line.tax,
                 restock=restock.get(line.line_id, False), tax_by_rate=line.tax_by_rate, fee=line.fee,
                 shipping=line.shipping)
        for line in lines
    )
    marker = resolution_marker(reference, resolution.id)
    return ResolutionPush(
        reference=marker, idempotency_key=resolution.idempotency_key, kind=resolution.kind,
        amount=resolution.amount, platform_order_id=order_id, customer_email=email,
        customer_platform_id=customer_id, lines=push_lines, exchange_variant_id=resolution.exchange_variant_id,
        coupon_code=marker.replace("-", "") if resolution.kind in (ResolutionKind.COUPON, ResolutionKind.STORE_CREDIT) else "",
        note=f"returns-connector {marker}", coupon_percent=resolution.coupon_percent,
    )


@dataclass(frozen=True)
class _PushWork:
    resolution: Resolution
    push: ResolutionPush
    connection: ShopConnection


class _Push:
    """Push's part of the outbox consumer: the platform call and what it records."""

    def prepare(self, svc: Services, uow: UnitOfWork, shop: Shop, subject_id: int) -> _PushWork | Finish:
        scope = uow.scope(shop)
        resolution = scope.resolutions.get(subject_id)
        if resolution is None or resolution.settled:
            return Finish("skipped")
        if not shop.active:
            scope.resolutions.mark_failed(resolution.id, "shop uninstalled", final=True)
            return Finish("failed", "the shop uninstalled the app: nothing is pushed any more")
        ret = scope.returns.get(resolution.return_id)
        order = scope.orders.get(ret.order_id) if ret else None
        if ret is None or order is None:
            return Finish("failed", "return or order missing")
        push = _push_for(ret.reference, resolution, order.platform_order_id, order.customer.email,
                         order.customer.platform_customer_id)
        return _PushWork(resolution, push, uow.shops.connection(shop.id))

    def call(self, svc: Services, shop: Shop, work: _PushWork) -> PushResult:
        push = work.push
        try:
            gateway = svc.adapter(shop.platform).gateway(work.connection)
            if push.kind is ResolutionKind.STORE_CREDIT and isinstance(gateway, StoreCreditCoupons):
                # No native wallet on this platform: the app's ledger is the balance.
                return push_store_credit(svc, shop, push)
            return gateway.push(push)
        except PlatformError as exc:
            retry_after: float | None = None
            if exc.status == 429:
                given = getattr(exc, "retry_after", None)
                retry_after = float(given) if given else DEFAULT_HOLD
            raise Failed(str(exc), retryable=exc.retryable or exc.status == 429, retry_after=retry_after) from exc

    def record(self, svc: Services, uow: UnitOfWork, shop: Shop, work: _PushWork, result: PushResult) -> str:
        resolution = work.resolution
        scope = uow.scope(shop)
        # The return's locks first, in the order every writer of a return takes them, so the
        # merchant acting on this return meanwhile waits for us (or we for them), never crosses.
        scope.returns.lock(resolution.return_id)
        scope.resolutions.mark_pushed(resolution.id, platform_reference=result.platform_reference,
                                      code=result.code, now=svc.clock.now())
        ret = scope.returns.get(resolution.return_id)
        if ret is not None:
            what = "adopted existing" if result.adopted else "created"
            ret.note(svc.clock.now(), "system",
                     f"{resolution.kind.value} {resolution.amount} {what} at {shop.platform}: {result.platform_reference}",
                     private=True)
            scope.returns.save(ret, svc.clock.now())
            if result.payment_due is not None and result.payment_url:
                # A dearer exchange: the new item waits for the difference, the shopper is asked for it.
                queue_shopper_email(svc, scope, ret, "payment_due", {
                    "amount": result.payment_due, "payment_url": result.payment_url})
            if result.code:
                # The code exists only now: the shopper learns it by email (and on the tracking page).
                queue_shopper_email(svc, scope, ret, "code_issued", {
                    "label": resolution_name(resolution.kind, ret.locale), "amount": resolution.amount,
                    "code": result.code,
                    "percent": format_percent(resolution.coupon_percent, ret.locale)
                    if resolution.coupon_percent is not None else ""})
            merchant_webhooks.emit(scope, merchant_webhooks.RESOLUTION_PUSHED, merchant_webhooks.resolution_payload(
                ret.reference, resolution.id, resolution.kind.value, str(resolution.amount.amount),
                resolution.amount.currency, result.platform_reference, result.adopted), svc.clock.now())
        return "adopted" if result.adopted else "pushed"

    def failed(self, svc: Services, uow: UnitOfWork, shop: Shop, work: _PushWork, failure: Failed, final: bool,
               next_try: datetime | None) -> str | None:
        uow.scope(shop).resolutions.mark_failed(work.resolution.id, failure.error, final=final)
        return None


KIND: OutboxKind[_PushWork, PushResult] = OutboxKind(
    task="push_resolution", queue="push", handler=_Push(),
    limits=Limits(max_attempts=MAX_ATTEMPTS, first=timedelta(seconds=10), longest=timedelta(hours=1),
                  platform_holds=True))


def push_resolution(svc: Services, outbox_id: int) -> str:
    """Run one outbox row. Returns pushed, adopted, retry, deferred, failed or skipped.

    Safe to run twice or concurrently: only the worker that wins the claim calls the platform.
    """
    return consume(svc, outbox_id, KIND)
