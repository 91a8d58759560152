"""Backfill and reconciliation of a connected shop's orders from its platform."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from connector.ports import Progress

if TYPE_CHECKING:
    from connector.bootstrap import Services

BATCH = 100


def sync_shop_orders(svc: Services, shop_id: int, since: datetime | None, progress: Progress | None) -> int:
    """Read orders updated since `since` (all when None) and store them, in batches."""
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise LookupError(f"no shop {shop_id}")
        connection = uow.shops.connection(shop_id)
    gateway = svc.adapter(shop.platform).gateway(connection)
    started = svc.clock.now()
    count = 0
    uow = svc.uow()
    with uow:
        scope = uow.scope(shop)
        for order in gateway.orders_since(since, progress):
            scope.orders.save(order)
            count += 1
            if count % BATCH == 0:
                uow.commit()  # a long backfill keeps what it read if it stops halfway
        uow.shops.update(shop_id, last_synced_at=started)
        uow.commit()
    return count


def reconcile_shop(svc: Services, shop_id: int) -> int:
    """Re-read what changed since the last run: platforms do not guarantee webhook delivery."""
    with svc.uow() as uow:
        last = uow.shops.last_synced_at(shop_id)
    # Overlap the window: a clock skew between us and the platform must not drop an order.
    since = last - timedelta(minutes=10) if last else svc.clock.now() - timedelta(days=2)
    return sync_shop_orders(svc, shop_id, since, None)
