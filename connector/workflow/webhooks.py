"""Webhook intake and processing: record a delivery once, then apply its events.

Intake (the request path) verifies, de-duplicates and records; nothing else. Processing
runs in a job from the recorded row: the adapter turns the topic into port events
(`parse_webhook`, or a per-topic table `webhook_handlers`), and a dispatcher from event
type to handler applies them in one transaction with the delivery's status. Imports the
domain and ports at run time; services and storage only for type checking.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from connector.domain.orders import Order
from connector.domain.returns import Channel, ResolutionKind, ReturnItem, ReturnRequest, ReturnStatus
from connector.domain.shops import Shop
from connector.ports import (
    AppUninstalled,
    BadWebhook,
    CustomerDataRequested,
    CustomerRedactRequested,
    CustomerToRedact,
    Ignored,
    OrderChanged,
    OrderDeleted,
    OrderRefreshRequested,
    PlatformAdapter,
    PlatformEvent,
    PlatformReturnRequested,
    PlatformReturnStatusChanged,
    RefundRecorded,
    ShopConnection,
    ShopRedactRequested,
    StoreCreditReleased,
    StoreCreditSpent,
    WebhookEnvelope,
)
from connector.ports.platforms import (
    ChecksBodyShapes,
    RequestsReturnsInOrders,
    RoutesTopics,
    SendsCreationPings,
    TopicHandler,
)
from connector.workflow.markers import resolution_marker
from connector.workflow.merchant_webhooks import KIND as merchant_webhook_kind
from connector.workflow.mirror import KIND as mirror_kind
from connector.workflow.push import KIND as push_kind
from connector.workflow.store_credit import apply_store_credit_released, apply_store_credit_spent

if TYPE_CHECKING:
    from connector.ports.services import Services
    from connector.ports.storage import Delivery, ShopScope, UnitOfWork

log = logging.getLogger(__name__)

# The worker's relay hands deliveries on in batches: one job and one transaction per batch.
BATCH_SIZE = 50
# After this many failed tries a delivery is parked as failed (visible in `jobs failed`).
MAX_DELIVERY_ATTEMPTS = 8
# Column sizes of webhook_deliveries: a longer key is hashed, a longer topic refused.
MAX_TOPIC = 100
MAX_KEY = 128

# Outbox tasks that reach the shop's platform or the merchant's systems: stopped on uninstall.
# Named by the kinds themselves: a name written here by hand once missed the merchant's webhooks.
PUSH_TASKS = (push_kind.task, mirror_kind.task, merchant_webhook_kind.task)


@dataclass(frozen=True)
class Intake:
    """What the webhook edge answers: an HTTP status and a short reason."""

    status: int
    message: str
    delivery_id: int | None = None


def topic_handlers(adapter: PlatformAdapter) -> Mapping[str, TopicHandler] | None:
    """The adapter's own table from topic to handler, when it registers one.

    An adapter that offers `webhook_handlers` names every topic it handles: any other
    topic is recorded and acknowledged as ignored without a job. Without the table,
    every topic goes through `parse_webhook`, which answers `Ignored` for the others.
    """
    return adapter.webhook_handlers if isinstance(adapter, RoutesTopics) else None


def events_for(adapter: PlatformAdapter, topic: str, body: bytes) -> list[PlatformEvent]:
    handlers = topic_handlers(adapter)
    if handlers is None:
        return adapter.parse_webhook(topic, body)
    handler = handlers.get(topic)
    return handler(body) if handler is not None else [Ignored(topic)]


def _envelope_problem(envelope: WebhookEnvelope) -> str:
    if not envelope.topic or len(envelope.topic) > MAX_TOPIC or not envelope.topic.isprintable():
        return "the webhook topic is missing, too long or not printable"
    if not envelope.shop_domain or not envelope.shop_domain.isprintable():
        return "the shop is missing or not printable"
    return ""


def _dedupe_key(envelope: WebhookEnvelope) -> str:
    key = envelope.dedupe_key
    if len(key) <= MAX_KEY and key.isprintable():
        return key
    # Still one key per delivery id, whatever its length: the uniqueness rule keeps working.
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _verified(adapter: PlatformAdapter, headers: Mapping[str, str], body: bytes, shop: ShopConnection) -> bool:
    try:
        return bool(adapter.verify_webhook(headers, body, shop))
    except Exception:  # a malformed signature header is a wrong signature, not a crash
        log.info("signature check raised on a %s webhook; answered 401", adapter.name, exc_info=True)
        return False


def receive_webhook(svc: Services, platform: str, headers: Mapping[str, str], body: bytes) -> Intake:
    """Verify, de-duplicate and record a delivery. Nothing else happens on the request path.

    Bad input gets its 4xx here; only the database being away raises (the edge answers
    503 so the platform retries). In Redis mode the queue is not touched: the relay
    hands recorded deliveries on, so a Redis outage never refuses or loses a webhook.
    """
    adapter = svc.adapters.get(platform)
    if adapter is None:
        return Intake(404, f"unknown platform {platform}")
    try:
        if isinstance(adapter, SendsCreationPings) and adapter.is_creation_ping(headers, body):
            return Intake(200, "ping acknowledged")
        envelope = adapter.envelope(headers, body)
    except BadWebhook as exc:
        return Intake(400, str(exc))
    except Exception:
        # Adapter code reading untrusted headers: whatever trips it is bad input.
        log.warning("the %s adapter could not read a webhook's headers", platform, exc_info=True)
        return Intake(400, "unreadable webhook headers")
    problem = _envelope_problem(envelope)
    if problem:
        return Intake(400, problem)
    shop = svc.intake.shop(platform, envelope.shop_domain)
    if shop is None:
        return Intake(404, f"unknown shop {envelope.shop_domain}")
    if not _verified(adapter, headers, body, shop.connection):
        # The cached secret may be the one just rotated away: ask the database once more.
        shop = svc.intake.shop(platform, envelope.shop_domain, fresh=True)
        if shop is None:
            return Intake(404, f"unknown shop {envelope.shop_domain}")
        if not _verified(adapter, headers, body, shop.connection):
            return Intake(401, "invalid signature")
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return Intake(400, "body is not JSON")
    if not isinstance(parsed, dict):
        return Intake(400, "body is not a JSON object")
    # The topic's shape, checked before anything is recorded (a few dict lookups).
    if isinstance(adapter, ChecksBodyShapes):
        try:
            problem = adapter.body_problem(envelope.topic, parsed)
        except Exception:  # adapter code reading an untrusted body: whatever trips it is bad input
            log.warning("the %s adapter could not check a webhook body", platform, exc_info=True)
            problem = "unreadable webhook body"
        if problem:
            return Intake(400, problem)
    handlers = topic_handlers(adapter)
    ignored = handlers is not None and envelope.topic not in handlers
    inline = svc.queue.mode == "inline"
    now = svc.clock.now()
    try:
        delivery_id = svc.intake.record(
            platform=platform, shop_id=shop.id, topic=envelope.topic, dedupe_key=_dedupe_key(envelope),
            body=body, received_at=now, triggered_at=envelope.triggered_at,
            status="ignored" if ignored else "received",
            # Inline mode hands it on below: the sweep waits before handing it on again.
            queued_at=now if inline and not ignored else None,
        )
    except LookupError:
        svc.intake.forget(platform, envelope.shop_domain)  # the shop was removed meanwhile
        return Intake(404, f"unknown shop {envelope.shop_domain}")
    if delivery_id is None:
        return Intake(200, "duplicate delivery, already accepted")
    if ignored:
        return Intake(200, "ignored", delivery_id)
    if inline:
        try:
            svc.queue.enqueue(process_delivery, delivery_id, queue="webhooks", job_id=f"delivery-{delivery_id}")
        except Exception:
            # Recorded and committed: the sweep hands it on again; the platform hears 200.
            log.exception("processing delivery %s failed; the sweep will retry it", delivery_id)
    return Intake(200, "accepted", delivery_id)


def process_delivery(svc: Services, delivery_id: int) -> str:
    """Apply one recorded delivery. Idempotent: a processed delivery is left alone.

    Returns processed, ignored, failed or skipped. A failure that may pass (an order not
    known yet, the platform away) is counted and raised again, so RQ retries it with
    backoff; after MAX_DELIVERY_ATTEMPTS the delivery is parked as failed.
    """
    try:
        return _apply_delivery(svc, delivery_id)
    except Exception as exc:
        with svc.uow() as uow:
            attempts = uow.deliveries.note_failure(
                delivery_id, f"{type(exc).__name__}: {exc}", svc.clock.now(), final=False)
            if attempts >= MAX_DELIVERY_ATTEMPTS:
                uow.deliveries.mark(delivery_id, "failed", svc.clock.now(), f"{type(exc).__name__}: {exc}")
            uow.commit()
        if attempts >= MAX_DELIVERY_ATTEMPTS:
            log.exception("delivery %s failed %s times; parked as failed", delivery_id, attempts)
            return "failed"
        raise


def process_deliveries(svc: Services, delivery_ids: Sequence[int]) -> dict[str, int]:
    """Apply a batch of recorded deliveries: one job, one claim, one commit for the lot.

    Chosen from a profile of the worker: one job and one transaction per delivery spent
    most of a delivery's time on RQ's bookkeeping, on the claim, the shop's lookup and the
    commit, and on round trips to PostgreSQL, not on the delivery. The batch first runs
    whole; if any delivery of it fails, it is undone and run again with a savepoint per
    delivery, so the failing one is undone alone (and counted, and handed on again later
    like a single one) while the others are applied. Idempotent as `process_delivery`:
    the claim takes only deliveries still waiting. Returns how many ended processed,
    ignored, failed or retry.
    """
    ids = sorted(set(delivery_ids))
    try:
        return _apply_batch(svc, ids, alone=False)
    except Exception as exc:  # noqa: BLE001 - nothing of the batch was written: run it delivery by delivery
        log.info("a delivery of batch %s-%s failed (%s): each is now applied alone", ids[0], ids[-1], exc)
    return _apply_batch(svc, ids, alone=True)


def _apply_batch(svc: Services, ids: list[int], *, alone: bool) -> dict[str, int]:
    now = svc.clock.now()
    outcomes: dict[str, int] = {}
    errors: list[tuple[int, str]] = []
    done: dict[str, list[int]] = {}
    with svc.uow() as uow:
        shops: dict[int, Shop | None] = {}
        saves = _OrderSaves()
        for delivery in uow.deliveries.claim_many(ids):
            if delivery.shop_id not in shops:
                shops[delivery.shop_id] = uow.shops.get(delivery.shop_id)
            shop = shops[delivery.shop_id]
            if not alone:
                status = _apply_claimed(svc, uow, delivery, shop, now, saves)
            else:
                try:
                    with uow.savepoint():
                        status = _apply_claimed(svc, uow, delivery, shop, now)
                except Exception as exc:  # undone alone; counted below, in a transaction of its own
                    log.warning("delivery %s failed in its batch: %s", delivery.id, exc)
                    errors.append((delivery.id, f"{type(exc).__name__}: {exc}"))
                    continue
            done.setdefault(status, []).append(delivery.id)
            outcomes[status] = outcomes.get(status, 0) + 1
        saves.flush()  # a failure here undoes the batch, which then runs delivery by delivery
        for status in ("processed", "ignored"):
            uow.deliveries.mark_many(done.get(status, []), status, now)
        uow.commit()
    for delivery_id, error in errors:
        with svc.uow() as uow:
            attempts = uow.deliveries.note_failure(delivery_id, error, svc.clock.now(), final=False, counted=True)
            final = attempts >= MAX_DELIVERY_ATTEMPTS
            if final:
                uow.deliveries.mark(delivery_id, "failed", svc.clock.now(), error)
            uow.commit()
        outcome = "failed" if final else "retry"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


class _OrderSaves:
    """The orders a batch's OrderChanged events save, held back and saved together per shop
    (`OrderRepository.save_many`): a profile of the worker found the per-order save and rollup
    update costing ~7 PostgreSQL round trips per delivery. Saved in the batch's order: any other
    event, or a second version of a held order, first saves what is held."""

    def __init__(self) -> None:
        self._held: dict[int, tuple[ShopScope, dict[str, Order]]] = {}

    def takes(self, svc: Services, scope: ShopScope, event: PlatformEvent | Any) -> bool:
        """Hold the event's order when saving it is all its handler would do; False otherwise."""
        if not isinstance(event, OrderChanged) or _handler_of(event) is not _order_changed:
            return False
        asked_by = svc.adapter(scope.shop.platform)
        if isinstance(asked_by, RequestsReturnsInOrders) and asked_by.return_requests_in(event.order,
                                                                                          scope.shop.options):
            return False  # it opens a return, which reads the saved order: applied in turn
        held = self._held.get(scope.shop.id)
        if held is not None and event.order.platform_order_id in held[1]:
            self.flush()
        self._held.setdefault(scope.shop.id, (scope, {}))[1][event.order.platform_order_id] = event.order
        return True

    def flush(self) -> None:
        held, self._held = self._held, {}
        for scope, orders in held.values():
            scope.orders.save_many(list(orders.values()))


def _apply_claimed(svc: Services, uow: UnitOfWork, delivery: Delivery, shop: Shop | None, now: datetime,
                   saves: _OrderSaves | None = None) -> str:
    """Apply one claimed delivery inside the caller's transaction; returns its new status.

    A processed or ignored delivery is marked by the caller, all of a batch at once. With
    `saves`, the orders it saves are held there and saved with the batch's (caller flushes).
    """
    if shop is None:
        return "skipped"
    adapter = svc.adapters.get(delivery.platform)
    if adapter is None:
        uow.deliveries.mark(delivery.id, "failed", now, f"no adapter installed for {delivery.platform}")
        return "failed"
    try:
        events = events_for(adapter, delivery.topic, delivery.body)
    except BadWebhook as exc:
        uow.deliveries.mark(delivery.id, "failed", now, f"unreadable: {exc}")
        return "failed"
    scope = uow.scope(shop)
    applied = []
    for event in events:
        if saves is not None and saves.takes(svc, scope, event):
            applied.append(True)
            continue
        if saves is not None:
            saves.flush()  # what this event does may read the orders held so far
        applied.append(dispatch(svc, uow, scope, event))
    return "processed" if any(applied) else "ignored"


def _apply_delivery(svc: Services, delivery_id: int) -> str:
    now = svc.clock.now()
    with svc.uow() as uow:
        # The claim is the first write: a second worker on this delivery waits here,
        # then sees it processed and leaves it alone.
        if not uow.deliveries.claim(delivery_id):
            return "skipped"
        delivery = uow.deliveries.get(delivery_id)
        shop = uow.shops.get(delivery.shop_id) if delivery is not None else None
        if delivery is None or shop is None:
            return "skipped"
        adapter = svc.adapters.get(delivery.platform)
        if adapter is None:
            uow.deliveries.mark(delivery_id, "failed", now, f"no adapter installed for {delivery.platform}")
            uow.commit()
            return "failed"
        try:
            events = events_for(adapter, delivery.topic, delivery.body)
        except BadWebhook as exc:
            uow.deliveries.mark(delivery_id, "failed", now, f"unreadable: {exc}")
            uow.commit()
            return "failed"
        scope = uow.scope(shop)
        applied = [dispatch(svc, uow, scope, event) for event in events]
        status = "processed" if any(applied) else "ignored"
        uow.deliveries.mark(delivery_id, status, now)
        uow.commit()
        return status


# ---- the dispatcher: one handler per event type ----

EventHandler = Callable[["Services", "UnitOfWork", "ShopScope", Any], None]
_HANDLERS: dict[type[Any], EventHandler] = {}
E = TypeVar("E")


def register_event_handler(event_type: type[E], handler: Callable[[Services, UnitOfWork, ShopScope, E], None]) -> None:
    """Add (or replace) the handler of an event type; a platform package may bring its own."""
    _HANDLERS[event_type] = handler


def handles(event_type: type[E]) -> Callable[[Callable[[Services, UnitOfWork, ShopScope, E], None]],
                                             Callable[[Services, UnitOfWork, ShopScope, E], None]]:
    def decorate(handler: Callable[[Services, UnitOfWork, ShopScope, E], None]
                 ) -> Callable[[Services, UnitOfWork, ShopScope, E], None]:
        register_event_handler(event_type, handler)
        return handler
    return decorate


def _handler_of(event: PlatformEvent | Any) -> EventHandler | None:
    return next((_HANDLERS[t] for t in type(event).__mro__ if t in _HANDLERS), None)


def dispatch(svc: Services, uow: UnitOfWork, scope: ShopScope, event: PlatformEvent | Any) -> bool:
    """Apply one event; False when nothing handles it (Ignored, or a type nobody registered)."""
    if isinstance(event, Ignored):
        return False
    handler = _handler_of(event)
    if handler is None:
        log.warning("no handler for %s events; delivery recorded as ignored", type(event).__name__)
        return False
    handler(svc, uow, scope, event)
    return True


def apply_event(svc: Services, uow: UnitOfWork, scope: ShopScope, event: PlatformEvent) -> None:
    """Kept for callers of the earlier API: dispatch one event."""
    dispatch(svc, uow, scope, event)


@handles(OrderChanged)
def _order_changed(svc: Services, uow: UnitOfWork, scope: ShopScope, event: OrderChanged) -> None:
    # save() keeps a newer stored order when an older event arrives late (out of order).
    scope.orders.save(event.order)
    # Platforms where a status change asks for a return (a WooCommerce return plugin).
    asked_by = svc.adapter(scope.shop.platform)
    for asked in (asked_by.return_requests_in(event.order, scope.shop.options)
                  if isinstance(asked_by, RequestsReturnsInOrders) else ()):
        _open_platform_return(svc, uow, scope, asked, svc.clock.now())


register_event_handler(StoreCreditSpent, apply_store_credit_spent)
register_event_handler(StoreCreditReleased, apply_store_credit_released)


@handles(OrderDeleted)
def _order_deleted(svc: Services, uow: UnitOfWork, scope: ShopScope, event: OrderDeleted) -> None:
    scope.orders.delete(event.platform_order_id)


@handles(OrderRefreshRequested)
def _order_refresh(svc: Services, uow: UnitOfWork, scope: ShopScope, event: OrderRefreshRequested) -> None:
    fresh = svc.adapter(scope.shop.platform).gateway(uow.shops.connection(scope.shop.id)).fetch_order(
        event.platform_order_id)
    if fresh is not None:
        scope.orders.save(fresh)


@handles(RefundRecorded)
def _refund_recorded(svc: Services, uow: UnitOfWork, scope: ShopScope, event: RefundRecorded) -> None:
    _note_refund(scope, event, svc.clock.now())


@handles(PlatformReturnRequested)
def _return_requested(svc: Services, uow: UnitOfWork, scope: ShopScope, event: PlatformReturnRequested) -> None:
    _open_platform_return(svc, uow, scope, event, svc.clock.now())


@handles(PlatformReturnStatusChanged)
def _return_status(svc: Services, uow: UnitOfWork, scope: ShopScope, event: PlatformReturnStatusChanged) -> None:
    _mirror_return_status(scope, event, svc.clock.now())


@handles(AppUninstalled)
def _uninstalled(svc: Services, uow: UnitOfWork, scope: ShopScope, event: AppUninstalled) -> None:
    """The shop's token dropped, its API tokens revoked, and everything waiting to reach it or
    the merchant's systems stopped now rather than failing one by one later."""
    now = svc.clock.now()
    uow.shops.uninstall(scope.shop.id, now)
    revoked = uow.api_tokens.revoke_all(scope.shop.id, now)
    stopped = scope.outbox.stop_pending(PUSH_TASKS, "the shop uninstalled the app: nothing is pushed any more")
    for item in stopped:
        if item.task == "push_resolution":
            scope.resolutions.mark_failed(item.subject_id, "shop uninstalled", final=True)
    log.info("shop %s uninstalled: %s API tokens revoked, %s pushes stopped", scope.shop.id, revoked, len(stopped))
    svc.intake.forget(scope.shop.platform, scope.shop.domain)


@handles(CustomerDataRequested)
def _data_request(svc: Services, uow: UnitOfWork, scope: ShopScope, event: CustomerDataRequested) -> None:
    export_customer_data(svc, scope, event)


@handles(CustomerRedactRequested)
def _customer_redact(svc: Services, uow: UnitOfWork, scope: ShopScope, event: CustomerRedactRequested) -> None:
    redact_customer(scope, event)


def redact_customer(scope: ShopScope, event: CustomerRedactRequested) -> dict[str, int]:
    """customers/redact: the customer's data erased from every row and file of the shop, in one transaction.

    Found by email, platform customer id and the orders named; idempotent. Logged as counts only.
    """
    erased = scope.privacy.redact_customer(CustomerToRedact(
        email=event.customer_email, platform_customer_id=event.platform_customer_id,
        platform_order_ids=event.platform_order_ids))
    log.info("customer redacted in shop %s: %s", scope.shop.id, erased.counts or "nothing left to erase")
    return erased.counts


@handles(ShopRedactRequested)
def _shop_redact(svc: Services, uow: UnitOfWork, scope: ShopScope, event: ShopRedactRequested) -> None:
    redact_shop(scope)
    svc.intake.forget(scope.shop.platform, scope.shop.domain)


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
        if ours or ret.status in (ReturnStatus.CLOSED, ReturnStatus.CANCELLED):
            continue
        text = f"refund {event.platform_refund_id} of {event.amount} made in the shop's admin"
        # WooCommerce repeats every refund in each order.updated: note each one once.
        if any(e.message == text for e in ret.timeline):
            continue
        ret.note(now, "platform", text, private=True)
        scope.returns.save(ret, now)


def _open_platform_return(svc: Services, uow: UnitOfWork, scope: ShopScope, event: PlatformReturnRequested,
                          now: datetime) -> None:
    if scope.returns.get_by_platform_return_id(event.platform_return_id) is not None:
        return
    order = scope.orders.get(event.platform_order_id)
    if order is None:
        # Deliveries come out of order: the return may beat its order's webhook. Read it.
        order = svc.adapter(scope.shop.platform).gateway(uow.shops.connection(scope.shop.id)).fetch_order(
            event.platform_order_id)
        if order is None:
            raise LookupError(f"order {event.platform_order_id} is not known yet; the delivery will be retried")
        scope.orders.save(order)
    items = [
        ReturnItem(order_line_id=line_id, quantity=qty, reason=reason or "other",
                   resolution=ResolutionKind.REFUND, comment=note)
        for line_id, qty, reason, note in event.lines if line_id in order.lines_by_id
    ]
    if not items:
        return
    ret = ReturnRequest(shop_id=scope.shop.id, order_id=order.platform_order_id,
                        customer_email=order.customer.email, items=items, channel=Channel.WEBHOOK,
                        locale=order.customer.locale or scope.shop.locale)
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


def export_customer_data(svc: Services, scope: ShopScope, event: CustomerDataRequested) -> str:
    """customers/data_request: everything held on the customer, exported for the merchant, who is emailed.

    The export (JSON with the photos) is readable by the app only and downloaded from the admin by
    the shop's signed-in merchant; the email names the request, never the customer. Returns the file name.
    """
    now = svc.clock.now()
    data = scope.data_requests.customer_data(CustomerToRedact(
        email=event.customer_email, platform_customer_id=event.platform_customer_id,
        platform_order_ids=event.platform_order_ids))
    export = {"request_id": event.request_id, "shop": scope.shop.name or scope.shop.domain,
              "exported_at": now.isoformat(), **data}
    name = scope.data_requests.save_export(event.request_id, export)
    log.info("data request %s of shop %s exported: %s orders, %s returns", event.request_id, scope.shop.id,
             len(data["orders"]), len(data["returns"]))
    if scope.shop.contact_email:
        from connector.workflow.notifications import render_email

        subject, body = render_email("merchant_data_request", scope.shop.locale, {
            "shop": scope.shop, "request_id": event.request_id, "platform": scope.shop.platform.capitalize(),
            "admin_url": f"{svc.settings.app_url}/admin/{scope.shop.slug}/customers#data-requests"})
        email = scope.emails.add(to=scope.shop.contact_email, subject=subject, body=body, return_id=None, now=now)
        scope.outbox.add("send_email", email.id, now)
    return name


def purge_webhook_bodies(svc: Services) -> int:
    """Blank the raw bodies handled more than WEBHOOK_BODY_RETENTION_DAYS ago; the rows stay for de-duplication."""
    before = svc.clock.now() - timedelta(days=svc.settings.webhook_body_retention_days)
    with svc.uow() as uow:
        count = uow.deliveries.purge_bodies(before)
        uow.commit()
    log.info("raw bodies of %s webhook deliveries received before %s blanked", count, before.isoformat())
    return count


def redact_shop(scope: ShopScope) -> dict[str, int]:
    """shop/redact: every row and file of the shop deleted, the shop itself last. Logged as counts only."""
    erased = scope.privacy.erase_shop()
    log.info("shop %s erased: %s", scope.shop.id, erased.counts)
    return erased.counts
