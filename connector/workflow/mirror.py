"""Our returns mirrored in the platform's own returns (Shopify), from an outbox row. Imports domain and ports.

`queue_mirror` writes an outbox row (task "mirror_return", subject = the return id) in
the transaction that changed the return; the job `mirror_return` reads the return as it
is *when it runs* and derives the action from its status. So rows that pile up (a
return approved, received and inspected before the worker ran) all bring the platform
to the same, latest state, and the adapter (which reads the platform first) makes a
repeat a no-op. Platforms without returns of their own finish the row at once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from connector.domain.returns import Condition, ReturnRequest, ReturnStatus
from connector.domain.shops import Shop
from connector.ports import MirroredLine, MirroringPlatform, PlatformError, ReturnMirror
from connector.workflow.leases import heartbeat, lease
from connector.workflow.push import MAX_ATTEMPTS, backoff

if TYPE_CHECKING:
    from connector.ports.services import Services
    from connector.ports.storage import ShopScope

log = logging.getLogger(__name__)

MIRROR_TASK = "connector.jobs.tasks.mirror_return"
OUTBOX_TASK = "mirror_return"
# Written as a line's reason when the item never arrived (platforms.shopify.mirror reads it).
MISSING_REASON = "condition:missing"

_ACTION_BY_STATUS = {
    ReturnStatus.APPROVED: "open",
    ReturnStatus.IN_TRANSIT: "open",
    ReturnStatus.RECEIVED: "open",
    ReturnStatus.REJECTED: "decline",
    ReturnStatus.INSPECTED: "inspect",
    ReturnStatus.RESOLVED: "inspect",
    ReturnStatus.CLOSED: "close",
    ReturnStatus.CANCELLED: "cancel",
}


def action_for(ret: ReturnRequest, platform_return_id: str | None) -> str | None:
    """What the platform's return must catch up with; None while ours is only requested."""
    action = _ACTION_BY_STATUS.get(ret.status)
    if action == "open" and platform_return_id:
        return "approve"  # the shopper asked through the platform: approve theirs, create none
    return action


def queue_mirror(scope: ShopScope, ret: ReturnRequest, action: str = "", *, now: datetime | None = None) -> None:
    """Ask for the return to be mirrored after this commit.

    `action` is for the reader of the call site only: the job derives it from the
    return's status when it runs. `now` defaults to the time of the return's last event.
    """
    if ret.id is None:
        raise ValueError("queue_mirror needs a stored return")
    at = now or (ret.timeline[-1].at if ret.timeline else None)
    if at is None:
        raise ValueError("queue_mirror needs `now` for a return without a timeline")
    scope.outbox.add(OUTBOX_TASK, ret.id, at)


def mirror_for(ret: ReturnRequest, platform_order_id: str, platform_return_id: str | None,
               action: str) -> ReturnMirror:
    lines = []
    for item in ret.items:
        inspection = item.inspection
        missing = inspection is not None and inspection.condition is Condition.MISSING
        lines.append(MirroredLine(
            platform_line_id=item.order_line_id, quantity=item.quantity,
            reason=MISSING_REASON if missing else item.reason, note=item.comment[:200],
            restock=bool(inspection and inspection.restocked),
            accepted_quantity=inspection.accepted_quantity if inspection else None,
            exchange_variant_id=item.exchange_variant_id,
        ))
    return ReturnMirror(action=action, reference=ret.reference, platform_order_id=platform_order_id,
                        platform_return_id=platform_return_id, lines=tuple(lines), message=ret.merchant_message)


def mirror_return(svc: Services, outbox_id: int) -> str:
    """Run one mirror row. Returns mirrored, skipped, retry or failed. Safe to run twice."""
    now = svc.clock.now()
    with svc.uow() as uow:
        item = uow.all_outbox.get(outbox_id)
        if item is None or item.status != "pending":
            return "skipped"
        if not uow.all_outbox.claim(outbox_id, now, lease(svc)):
            return "skipped"
        uow.commit()
        shop = uow.shops.get(item.shop_id)
        if shop is None:
            return "skipped"
        scope = uow.scope(shop)
        adapter = svc.adapters.get(shop.platform)
        ret = scope.returns.get(item.subject_id)
        details = scope.returns.row_details(item.subject_id) if ret else None
        platform_return_id = (details or {}).get("platform_return_id")
        action = action_for(ret, platform_return_id) if ret else None
        if not isinstance(adapter, MirroringPlatform) or ret is None or action is None:
            scope.outbox.done(outbox_id, now)  # nothing to mirror: not an error
            uow.commit()
            return "skipped"
        if not shop.active:
            scope.outbox.fail(outbox_id, "the shop uninstalled the app: nothing is mirrored any more")
            uow.commit()
            return "failed"
        change = mirror_for(ret, ret.order_id, platform_return_id, action)
        connection = uow.shops.connection(shop.id)
    try:
        # Outside any transaction: the platform may take a while (the heartbeat holds the row).
        with heartbeat(svc, outbox_id, item.attempts + 1):
            found = adapter.mirror_return(connection, change)
    except PlatformError as exc:
        return _failed(svc, shop, outbox_id, f"{action}: {exc}", exc.retryable, item.attempts + 1)
    except Exception as exc:  # unknown: retry; the adapter reads the platform before acting
        log.exception("mirroring return %s failed", ret.reference)
        return _failed(svc, shop, outbox_id, f"{action}: {type(exc).__name__}: {exc}", True, item.attempts + 1)
    with svc.uow() as uow:
        scope = uow.scope(shop)
        if found and found != platform_return_id and ret.id is not None:
            scope.returns.set_platform_return_id(ret.id, found)
            stored = scope.returns.get(ret.id)
            if stored is not None:
                stored.note(svc.clock.now(), "system", f"mirrored as {shop.platform} return {found}", private=True)
                scope.returns.save(stored, svc.clock.now())
        scope.outbox.done(outbox_id, svc.clock.now())
        uow.commit()
    return "mirrored"


def _failed(svc: Services, shop: Shop, outbox_id: int, error: str, retryable: bool, attempts: int) -> str:
    final = not retryable or attempts >= MAX_ATTEMPTS
    with svc.uow() as uow:
        scope = uow.scope(shop)
        if final:
            # Visible to the merchant through the failed outbox list; our return goes on.
            scope.outbox.fail(outbox_id, error)
        else:
            scope.outbox.retry_later(outbox_id, error, svc.clock.now() + backoff(attempts))
        uow.commit()
    return "failed" if final else "retry"
