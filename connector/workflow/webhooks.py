"""Webhook intake and processing: record a delivery once, then apply its events."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from connector.domain.returns import Channel, ResolutionKind, ReturnItem, ReturnRequest, ReturnStatus
from connector.ports import (
    AppUninstalled,
    BadWebhook,
    CustomerDataRequested,
    CustomerRedactRequested,
    Ignored,
    OrderChanged,
    OrderDeleted,
    OrderRefreshRequested,
    PlatformEvent,
    PlatformReturnRequested,
    PlatformReturnStatusChanged,
    RefundRecorded,
    ShopRedactRequested,
)
from connector.workflow.markers import resolution_marker

if TYPE_CHECKING:
    from connector.bootstrap import Services
    from connector.persistence.unit_of_work import ShopScope, UnitOfWork

log = logging.getLogger(__name__)

PROCESS_TASK = "connector.jobs.tasks.process_delivery"


@dataclass(frozen=True)
class Intake:
    """What the webhook edge answers: an HTTP status and a short reason."""

    status: int
    message: str
    delivery_id: int | None = None


def receive_webhook(svc: Services, platform: str, headers: dict[str, str], body: bytes) -> Intake:
    """Verify, de-duplicate and record a delivery. Nothing else happens on the request path."""
    adapter = svc.adapters.get(platform)
    if adapter is None:
        return Intake(404, f"unknown platform {platform}")
    ping = getattr(adapter, "is_creation_ping", None)
    if ping is not None and ping(headers, body):
        return Intake(200, "ping acknowledged")
    try:
        envelope = adapter.envelope(headers, body)
    except BadWebhook as exc:
        return Intake(400, str(exc))
    with svc.uow() as uow:
        shop = uow.shops.by_domain(platform, envelope.shop_domain)
        if shop is None:
            return Intake(404, f"unknown shop {envelope.shop_domain}")
        connection = uow.shops.connection(shop.id)
        if not adapter.verify_webhook(headers, body, connection):
            return Intake(401, "invalid signature")
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return Intake(400, "body is not JSON")
        if not isinstance(parsed, dict):
            return Intake(400, "body is not a JSON object")
        delivery_id = uow.deliveries.record(
            platform=platform, shop_id=shop.id, topic=envelope.topic, dedupe_key=envelope.dedupe_key,
            body=body, received_at=svc.clock.now(), triggered_at=envelope.triggered_at,
        )
        uow.commit()
    if delivery_id is None:
        return Intake(200, "duplicate delivery, already accepted")
    if svc.queue.mode == "inline":
        # The embedded default: process in this process, after the commit, off the request.
        svc.queue.enqueue(PROCESS_TASK, delivery_id, queue="webhooks", job_id=f"delivery-{delivery_id}")
    return Intake(200, "accepted", delivery_id)


def process_delivery(svc: Services, delivery_id: int) -> str:
    """Apply one recorded delivery. Idempotent: a processed delivery is left alone."""
    with svc.uow() as uow:
        delivery = uow.deliveries.get(delivery_id)
        if delivery is None or delivery.status in ("processed", "ignored"):
            return "skipped"
        shop = uow.shops.get(delivery.shop_id)
        if shop is None:
            return "skipped"
        adapter = svc.adapter(delivery.platform)
        try:
            events = adapter.parse_webhook(delivery.topic, delivery.body)
        except BadWebhook as exc:
            uow.deliveries.mark(delivery_id, "failed", svc.clock.now(), f"unreadable: {exc}")
            uow.commit()
            return "failed"
        scope = uow.scope(shop)
        for event in events:
            apply_event(svc, uow, scope, event)
        status = "ignored" if events and all(isinstance(e, Ignored) for e in events) else "processed"
        uow.deliveries.mark(delivery_id, status, svc.clock.now())
        uow.commit()
        return status


def apply_event(svc: Services, uow: UnitOfWork, scope: ShopScope, event: PlatformEvent) -> None:
    now = svc.clock.now()
    shop = scope.shop
    if isinstance(event, OrderChanged):
        # save() keeps a newer stored order when an older event arrives late.
        scope.orders.save(event.order)
    elif isinstance(event, OrderDeleted):
        scope.orders.delete(event.platform_order_id)
    elif isinstance(event, OrderRefreshRequested):
        fresh = svc.adapter(shop.platform).gateway(uow.shops.connection(shop.id)).fetch_order(event.platform_order_id)
        if fresh is not None:
            scope.orders.save(fresh)
    elif isinstance(event, RefundRecorded):
        _note_refund(scope, event, now)
    elif isinstance(event, PlatformReturnRequested):
        _open_platform_return(svc, scope, event, now)
    elif isinstance(event, PlatformReturnStatusChanged):
        _mirror_return_status(scope, event, now)
    elif isinstance(event, AppUninstalled):
        uow.shops.uninstall(shop.id, now)
    elif isinstance(event, CustomerDataRequested):
        export_customer_data(svc, scope, event.customer_email, event.request_id)
    elif isinstance(event, CustomerRedactRequested):
        scope.orders.redact_customer(event.customer_email)
        scope.returns.redact_customer(event.customer_email)
    elif isinstance(event, ShopRedactRequested):
        redact_shop(scope)
    elif isinstance(event, Ignored):
        pass


def _note_refund(scope: ShopScope, event: RefundRecorded, now: datetime) -> None:
    """A refund made at the platform. Ours (carrying our marker) is adopted; one made by
    hand in the shop's admin is written on the return's timeline so nobody repeats it."""
    for ret in scope.returns.for_order(event.platform_order_id):
        if ret.id is None:
            continue
        ours = False
        for resolution in scope.resolutions.for_return(ret.id):
            if resolution_marker(ret.reference, resolution.id) in event.note:
                ours = True
                if resolution.push_status != "pushed":
                    scope.resolutions.mark_pushed(
                        resolution.id, platform_reference=event.platform_refund_id, code="", now=now)
        if not ours and ret.status not in (ReturnStatus.CLOSED, ReturnStatus.CANCELLED):
            ret.note(now, "platform",
                     f"refund {event.platform_refund_id} of {event.amount} made in the shop's admin", private=True)
            scope.returns.save(ret, now)


def _open_platform_return(svc: Services, scope: ShopScope, event: PlatformReturnRequested, now: datetime) -> None:
    if scope.returns.get_by_platform_return_id(event.platform_return_id) is not None:
        return
    order = scope.orders.get(event.platform_order_id)
    if order is None:
        raise LookupError(f"order {event.platform_order_id} is not known yet; the delivery will be retried")
    items = [
        ReturnItem(order_line_id=line_id, quantity=qty, reason=reason or "other",
                   resolution=ResolutionKind.REFUND, comment=note)
        for line_id, qty, reason, note in event.lines if line_id in order.lines_by_id
    ]
    if not items:
        return
    ret = ReturnRequest(shop_id=scope.shop.id, order_id=order.platform_order_id,
                        customer_email=order.customer.email, items=items, channel=Channel.WEBHOOK,
                        locale=scope.shop.locale)
    ret.record_request(now, actor="platform")
    scope.returns.add(ret, now=now, currency=order.currency, platform_return_id=event.platform_return_id)


_STATUS_ACTIONS = {"approved": "approve", "rejected": "reject", "cancelled": "cancel", "closed": "close"}


def _mirror_return_status(scope: ShopScope, event: PlatformReturnStatusChanged, now: datetime) -> None:
    ret = scope.returns.get_by_platform_return_id(event.platform_return_id)
    action = _STATUS_ACTIONS.get(event.status)
    if ret is None or action is None or not ret.can(action):
        return  # already there (our own change echoed back) or not ours
    if action == "reject":
        ret.reject(now, "platform", "declined in the shop's admin")
    elif action == "approve":
        ret.approve(now, "platform")
    elif action == "cancel":
        ret.cancel(now, "platform")
    else:
        ret.close(now, "platform")
    scope.returns.save(ret, now)


def export_customer_data(svc: Services, scope: ShopScope, email: str, request_id: str) -> Path:
    """Write what the app holds on a customer to instance/exports (GDPR data request)."""
    orders = scope.orders.by_customer(email)
    returns = [r for o in orders for r in scope.returns.for_order(o.platform_order_id)]
    export = {
        "customer_email": email,
        "orders": [{"name": o.name, "placed_at": o.placed_at.isoformat(),
                    "lines": [{"title": ln.title, "quantity": ln.quantity} for ln in o.lines]} for o in orders],
        "returns": [{"reference": r.reference, "status": r.status.value,
                     "items": [{"line": i.order_line_id, "quantity": i.quantity, "reason": i.reason,
                                "comment": i.comment} for i in r.items]} for r in returns],
    }
    folder = Path(svc.settings.instance_path) / "exports" / str(scope.shop.id)
    folder.mkdir(parents=True, exist_ok=True)
    safe_id = "".join(ch for ch in request_id if ch.isalnum() or ch in "-_") or "request"
    path = folder / f"data-request-{safe_id}.json"
    path.write_text(json.dumps(export, indent=2, ensure_ascii=False))
    return path


def redact_shop(scope: ShopScope) -> None:
    """shop/redact: erase every customer's personal data, keep anonymised figures."""
    emails = {o.customer.email for o in scope.orders.by_customer_all()}
    for email in emails:
        scope.orders.redact_customer(email)
        scope.returns.redact_customer(email)
