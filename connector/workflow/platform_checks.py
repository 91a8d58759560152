"""A platform's scheduled checks, run for one shop: what the check repaired is re-read and the merchant told.

The platform declares its checks (connector.ports.platforms.SchedulesChecks: name, how often,
what to run); the scheduler (connector.jobs.schedule) enqueues them per shop, and this use case
runs one. WooCommerce's webhook health is one: WooCommerce disables a webhook after more than
five failed deliveries in a row and never retries a delivery, so every order changed while it
was off is missing here until the orders are read again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from connector.i18n import gettext
from connector.ports.platforms import ReactivatedWebhook, SchedulesChecks
from connector.workflow.sync import reconcile_shop

if TYPE_CHECKING:
    from connector.domain.shops import Shop
    from connector.ports.services import Services

log = logging.getLogger(__name__)


def _texts(shop: Shop, platform: str, changes: Sequence[ReactivatedWebhook],
           synced: int) -> tuple[str, str, list[str]]:
    """Subject, body and one line per webhook, in the shop's language (the one catalog)."""
    lang = shop.locale
    lines = [gettext("Webhook %(topic)s (#%(webhook_id)s) was %(status)s: it is active again.", lang,
                     topic=c.topic, webhook_id=c.webhook_id, status=c.previous_status)
             for c in changes]
    subject = gettext("%(shop)s: %(platform)s webhooks turned back on", lang, shop=shop.name, platform=platform)
    body = (gettext("Hello,", lang) + "\n\n"
            + gettext("%(platform)s had stopped sending webhooks to returns-connector (after repeated failed "
                      "deliveries, or paused in the admin):", lang, platform=platform) + "\n\n"
            + "\n".join(f"- {line}" for line in lines) + "\n\n"
            + gettext("Orders changed meanwhile were read again (%(synced)s). If this happens again, check that "
                      "no firewall or security plugin blocks your store's outgoing requests.", lang, synced=synced)
            + "\n")
    return subject, body, lines


def run_platform_check(svc: Services, shop_id: int, check: str) -> list[str]:
    """Run the shop's platform check named `check`; re-read the orders and tell the merchant when it repaired something.

    Returns one line per webhook turned back on (empty when nothing needed repair, or the
    platform has no such check). Safe to run as often as wanted: it writes only when it
    found something to repair.
    """
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None or not shop.active:
            return []
        connection = uow.shops.connection(shop_id)
    adapter = svc.adapter(shop.platform)
    if not isinstance(adapter, SchedulesChecks):
        return []
    wanted = [c for c in adapter.scheduled_checks() if c.name == check]
    if not wanted:
        return []
    finding = wanted[0].run(connection)
    changes = finding.reactivated_webhooks
    if not changes and not finding.resync:
        return []
    # Deliveries lost while a webhook was off are only found by reading the orders
    # modified since the last sync.
    synced = reconcile_shop(svc, shop_id) if finding.resync else 0
    if not changes:
        return []
    subject, body, lines = _texts(shop, finding.platform_title or shop.platform, changes, synced)
    log.warning("shop %s: %s", shop_id, "; ".join(lines))
    if shop.contact_email:
        now = svc.clock.now()
        with svc.uow() as uow:
            scope = uow.scope(shop)
            email = scope.emails.add(to=shop.contact_email, subject=subject, body=body, return_id=None, now=now)
            scope.outbox.add("send_email", email.id, now)
            uow.commit()
    return lines
