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
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from connector.domain.money import Money, total
from connector.domain.resolutions import RefundLine, keep_on_lines
from connector.domain.returns import ResolutionKind
from connector.domain.shops import Shop
from connector.i18n import format_moment, format_percent, resolution_name
from connector.ports import PlatformError, PushLine, ResolutionPush, ShopConnection
from connector.workflow import merchant_webhooks
from connector.workflow.leases import heartbeat, lease
from connector.workflow.markers import resolution_marker
from connector.workflow.notifications import queue_shopper_email
from connector.workflow.store_credit import StoreCreditCoupons, push_store_credit

if TYPE_CHECKING:
    from connector.ports.services import Services
    from connector.ports.storage import StoredResolution

log = logging.getLogger(__name__)

PUSH_TASK = "connector.jobs.tasks.push_resolution"
MAX_ATTEMPTS = 8
# A Retry-After hold up to this long is slept through in the job; a longer one gives the row back.
SLEEP_THROUGH = 5.0
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
            if resolution is None or resolution.push_status != "pending" or ret is None or ret.id is None:
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


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


def _push_for(reference: str, resolution: StoredResolution, order_id: str, email: str,
              customer_id: str | None) -> ResolutionPush:
    cur = resolution.amount.currency
    lines = tuple(
        RefundLine(
            line_id=str(line["line_id"]), quantity=int(line["quantity"]),
            amount=Money.of(line["amount"], cur), tax=Money.of(line["tax"], cur),
            tax_by_rate=tuple((str(rate), Money.of(amount, cur)) for rate, amount in line.get("tax_by_rate", [])),
            fee=Money.of(line.get("fee") or "0", cur), shipping=bool(line.get("shipping", False)),
        )
        for line in resolution.lines
    )
    legacy = bool(resolution.lines) and all("fee" not in line for line in resolution.lines)
    if legacy and resolution.kind is ResolutionKind.REFUND:
        # Planned before fees were kept on the lines: keep them there now, so the parts add up.
        over = total((line.total for line in lines), cur) - resolution.amount
        if over > Money.zero(cur):
            lines = keep_on_lines(lines, over)
    restock = {str(line["line_id"]): bool(line.get("restock", False)) for line in resolution.lines}
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


def push_resolution(svc: Services, outbox_id: int) -> str:
    """Run one outbox row. Returns pushed, adopted, retry, deferred, failed or skipped.

    Safe to run twice or concurrently: only the worker that wins the claim calls the platform.
    """
    now = svc.clock.now()
    with svc.uow() as uow:
        item = uow.all_outbox.get(outbox_id)
        if item is None or item.status != "pending":
            return "skipped"
        if not uow.all_outbox.claim(outbox_id, now, lease(svc)):
            return "skipped"  # another worker holds it
        uow.commit()  # the claim stands even if this worker dies from here on
        shop = uow.shops.get(item.shop_id)
        if shop is None:
            return "skipped"
        scope = uow.scope(shop)
        resolution = scope.resolutions.get(item.subject_id)
        if resolution is None or resolution.push_status in ("pushed", "done_by_merchant"):
            scope.outbox.done(outbox_id, now)
            uow.commit()
            return "skipped"
        if not shop.active:
            scope.outbox.fail(outbox_id, "the shop uninstalled the app: nothing is pushed any more")
            scope.resolutions.mark_failed(resolution.id, "shop uninstalled", final=True)
            uow.commit()
            return "failed"
        ret = scope.returns.get(resolution.return_id)
        order = scope.orders.get(ret.order_id) if ret else None
        if ret is None or order is None:
            scope.outbox.fail(outbox_id, "return or order missing")
            uow.commit()
            return "failed"
        push = _push_for(ret.reference, resolution, order.platform_order_id, order.customer.email,
                         order.customer.platform_customer_id)
        connection = uow.shops.connection(shop.id)
    with heartbeat(svc, outbox_id, item.attempts + 1):
        return _call_and_record(svc, shop, outbox_id, item.attempts + 1, resolution, push, connection)


def _call_and_record(svc: Services, shop: Shop, outbox_id: int, attempt: int, resolution: StoredResolution,
                     push: ResolutionPush, connection: ShopConnection) -> str:
    """The platform call and its bookkeeping, under the claim of attempt `attempt`."""
    now = svc.clock.now()
    hold_key = f"{shop.platform}:{shop.domain}"  # connector.jobs.ratelimit.limiter_key's shape
    left = svc.limiter.wait_time(hold_key)
    if 0 < left <= SLEEP_THROUGH:
        time.sleep(left)  # a short hold: cheaper to wait here than to go round the outbox
        left = 0.0
    if left > 0:
        # The platform asked every worker to wait (429 Retry-After): give the row back.
        with svc.uow() as uow:
            uow.scope(shop).outbox.defer(outbox_id, now + timedelta(seconds=left), "waiting for the platform's Retry-After")
            uow.commit()
        return "deferred"
    adapter = svc.adapter(shop.platform)
    try:
        # Outside any transaction: a platform call can take long and must not hold locks.
        gateway = adapter.gateway(connection)
        if push.kind is ResolutionKind.STORE_CREDIT and isinstance(gateway, StoreCreditCoupons):
            # No native wallet on this platform: the app's ledger is the balance.
            result = push_store_credit(svc, shop, push)
        else:
            result = gateway.push(push)
    except PlatformError as exc:
        if exc.status == 429:
            retry_after = getattr(exc, "retry_after", None)
            svc.limiter.hold(hold_key, float(retry_after) if retry_after else DEFAULT_HOLD)
        return _record_failure(svc, shop, outbox_id, resolution.id, str(exc), exc.retryable or exc.status == 429,
                               attempt)
    except Exception as exc:  # unknown failure: retry, the adapter's adoption keeps it single
        log.exception("push of resolution %s failed", resolution.id)
        return _record_failure(svc, shop, outbox_id, resolution.id, f"{type(exc).__name__}: {exc}", True,
                               attempt)
    with svc.uow() as uow:
        scope = uow.scope(shop)
        # The return's locks first, in the order every writer of a return takes them, so the
        # merchant acting on this return meanwhile waits for us (or we for them), never crosses.
        scope.returns.lock(resolution.return_id)
        scope.resolutions.mark_pushed(resolution.id, platform_reference=result.platform_reference,
                                      code=result.code, now=svc.clock.now())
        scope.outbox.done(outbox_id, svc.clock.now())
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
        uow.commit()
    return "adopted" if result.adopted else "pushed"


def _record_failure(svc: Services, shop: Shop, outbox_id: int, resolution_id: int, error: str,
                    retryable: bool, attempts: int) -> str:
    final = not retryable or attempts >= MAX_ATTEMPTS
    now = svc.clock.now()
    with svc.uow() as uow:
        scope = uow.scope(shop)
        scope.resolutions.mark_failed(resolution_id, error, final=final)
        if final:
            scope.outbox.fail(outbox_id, error)
        else:
            scope.outbox.retry_later(outbox_id, error, now + backoff(attempts))
        uow.commit()
    return "failed" if final else "retry"
