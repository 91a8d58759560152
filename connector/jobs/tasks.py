"""RQ job functions: plain ids in, one workflow call each. Safe to run twice."""

from __future__ import annotations

from connector.bootstrap import current_services
from connector.workflow import labels, merchant_webhooks, mirror, notifications, push, sync, webhooks


def process_delivery(delivery_id: int) -> str:
    return webhooks.process_delivery(current_services(), int(delivery_id))


def process_deliveries(delivery_ids: str) -> dict[str, int]:
    """A batch of deliveries, as comma-separated ids (a plain JSON string)."""
    return webhooks.process_deliveries(current_services(), [int(i) for i in str(delivery_ids).split(",") if i])


def push_resolution(outbox_id: int) -> str:
    return push.push_resolution(current_services(), int(outbox_id))


def send_email(email_id: int) -> str:
    return notifications.send_email(current_services(), int(email_id))


def sync_orders(shop_id: int) -> int:
    return sync.sync_shop_orders(current_services(), int(shop_id), None, None)


def reconcile(shop_id: int) -> int:
    return sync.reconcile_shop(current_services(), int(shop_id))


def run_platform_check(shop_id: int, check: str) -> list[str]:
    from connector.workflow.platform_checks import run_platform_check as run

    return run(current_services(), int(shop_id), str(check))


def purge_webhook_bodies() -> int:
    return webhooks.purge_webhook_bodies(current_services())


def mirror_return(outbox_id: int) -> str:
    return mirror.mirror_return(current_services(), int(outbox_id))


def deliver_merchant_webhook(outbox_id: int) -> str:
    return merchant_webhooks.deliver_merchant_webhook(current_services(), int(outbox_id))


def buy_label(outbox_id: int) -> str:
    return labels.buy_label(current_services(), int(outbox_id))


def track_shipments(shop_id: int) -> int:
    return labels.track_shipments(current_services(), int(shop_id))
