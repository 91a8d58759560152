"""Backfill and reconciliation of a connected shop's orders (and platform returns) from its platform."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from connector.ports import PlatformError, Progress
from connector.ports.platforms import ReadsReturnEvents
from connector.workflow.shops import refresh_identity
from connector.workflow.webhooks import dispatch

if TYPE_CHECKING:
    from connector.ports.services import Services

log = logging.getLogger(__name__)

BATCH = 100


def sync_shop_orders(svc: Services, shop_id: int, since: datetime | None, progress: Progress | None) -> int:
    """Read orders updated since `since` (all when None) and store them, in batches."""
    started = svc.clock.now()
    count = _store_orders(svc, shop_id, since, progress)
    _mark_synced(svc, shop_id, started)
    return count


def _store_orders(svc: Services, shop_id: int, since: datetime | None, progress: Progress | None) -> int:
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise LookupError(f"no shop {shop_id}")
        connection = uow.shops.connection(shop_id)
    gateway = svc.adapter(shop.platform).gateway(connection)
    count = 0
    uow = svc.uow()
    with uow:
        scope = uow.scope(shop)
        for order in gateway.orders_since(since, progress):
            scope.orders.save(order)
            count += 1
            if count % BATCH == 0:
                uow.commit()  # a long backfill keeps what it read if it stops halfway
        uow.commit()
    return count


def _mark_synced(svc: Services, shop_id: int, started: datetime) -> None:
    with svc.uow() as uow:
        uow.shops.update(shop_id, last_synced_at=started)
        uow.commit()


def reconcile_shop(svc: Services, shop_id: int) -> int:
    """Re-read what changed since the last run: platforms do not guarantee webhook delivery.

    Orders first, then (when the platform's gateway offers `return_events_since`) its
    returns, applied as the webhooks that may have been lost would have been. Returns the
    number of orders read. The window only moves on once every return event is applied:
    one that fails is tried again by the next run.
    """
    with svc.uow() as uow:
        last = uow.shops.last_synced_at(shop_id)
    # Overlap the window: a clock skew between us and the platform must not drop an order.
    since = last - timedelta(minutes=10) if last else svc.clock.now() - timedelta(days=2)
    started = svc.clock.now()
    try:
        refresh_identity(svc, shop_id)  # a renamed shop, a new currency or address, followed
    except PlatformError:
        log.warning("shop %s: its identity could not be read; kept as it was", shop_id, exc_info=True)
    count = _store_orders(svc, shop_id, since, None)
    failed = catch_up_returns(svc, shop_id, since)
    if failed:
        log.warning("shop %s: %d return event(s) not applied; the next reconciliation reads them again",
                    shop_id, failed)
    else:
        _mark_synced(svc, shop_id, started)
    return count


def catch_up_returns(svc: Services, shop_id: int, since: datetime) -> int:
    """Apply the platform's returns changed since `since`; the number of events that failed.

    Each event is applied in its own transaction by the webhook handlers, which are
    idempotent: a return already known is not opened twice, a status already reached
    is left alone.
    """
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise LookupError(f"no shop {shop_id}")
        connection = uow.shops.connection(shop_id)
    gateway = svc.adapter(shop.platform).gateway(connection)
    if not isinstance(gateway, ReadsReturnEvents):
        return 0
    failed = 0
    for event in gateway.return_events_since(since):
        try:
            with svc.uow() as uow:
                dispatch(svc, uow, uow.scope(shop), event)
                uow.commit()
        except Exception:  # one bad return must not keep the others from catching up
            log.exception("shop %s: could not apply %s", shop_id, event)
            failed += 1
    return failed
