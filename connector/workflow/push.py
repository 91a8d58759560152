"""Carrying a resolution out at the platform, exactly once, from its outbox row."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from connector.domain.money import Money
from connector.domain.returns import ResolutionKind
from connector.domain.shops import Shop
from connector.ports import PlatformError, PushLine, ResolutionPush
from connector.workflow.markers import resolution_marker

if TYPE_CHECKING:
    from connector.bootstrap import Services
    from connector.persistence.repositories import StoredResolution

log = logging.getLogger(__name__)

PUSH_TASK = "connector.jobs.tasks.push_resolution"
# How long one worker holds a push; a worker killed mid-push lets it lapse and the sweep hands it on.
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


def _push_for(reference: str, resolution: StoredResolution, order_id: str, email: str,
              customer_id: str | None) -> ResolutionPush:
    cur = resolution.amount.currency
    lines = tuple(
        PushLine(
            platform_line_id=str(line["line_id"]), quantity=int(line["quantity"]),
            amount=Money.of(line["amount"], cur), tax=Money.of(line["tax"], cur),
            restock=bool(line.get("restock", False)),
            tax_by_rate=tuple((str(rate), Money.of(amount, cur)) for rate, amount in line.get("tax_by_rate", [])),
        )
        for line in resolution.lines
    )
    marker = resolution_marker(reference, resolution.id)
    return ResolutionPush(
        reference=marker, idempotency_key=resolution.idempotency_key, kind=resolution.kind,
        amount=resolution.amount, platform_order_id=order_id, customer_email=email,
        customer_platform_id=customer_id, lines=lines, exchange_variant_id=resolution.exchange_variant_id,
        coupon_code=marker.replace("-", "") if resolution.kind in (ResolutionKind.COUPON, ResolutionKind.STORE_CREDIT) else "",
        note=f"returns-connector {marker}",
    )


def push_resolution(svc: Services, outbox_id: int, *, claimed: bool = False) -> str:
    """Run one outbox row. Returns what happened: pushed, adopted, retry, failed, skipped."""
    now = svc.clock.now()
    with svc.uow() as uow:
        item = uow.all_outbox.get(outbox_id)
        if item is None or item.status != "pending":
            return "skipped"
        if not claimed and not uow.all_outbox.claim(outbox_id, now, LEASE):
            return "skipped"  # another worker holds it
        uow.commit()
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
    adapter = svc.adapter(shop.platform)
    try:
        # Outside any transaction: a platform call can take long and must not hold locks.
        result = adapter.gateway(connection).push(push)
    except PlatformError as exc:
        return _record_failure(svc, shop, outbox_id, resolution.id, str(exc), exc.retryable, item.attempts)
    except Exception as exc:  # unknown failure: retry, the adapter's adoption keeps it single
        log.exception("push of resolution %s failed", resolution.id)
        return _record_failure(svc, shop, outbox_id, resolution.id, f"{type(exc).__name__}: {exc}", True,
                               item.attempts)
    with svc.uow() as uow:
        scope = uow.scope(shop)
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
