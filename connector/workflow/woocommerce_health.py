"""The periodic webhook check: webhooks the platform turned off are turned back on, the gap re-read, the merchant told.

WooCommerce disables a webhook after more than five failed deliveries in a row and
never retries a delivery, so every order changed while it was off is missing here.
Domain and ports at run time; the gateway's reactivation is duck-typed so a platform
without it is simply skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from connector.workflow.sync import reconcile_shop

if TYPE_CHECKING:
    from connector.domain.shops import Shop
    from connector.ports.services import Services

log = logging.getLogger(__name__)

class WebhookReactivation(Protocol):
    webhook_id: str
    topic: str
    previous_status: str


def _texts(shop: Shop, changes: Sequence[WebhookReactivation], synced: int) -> tuple[str, str, list[str]]:
    """Subject, body and one line per webhook, in the shop's language."""
    if shop.locale == "fr":
        lines = [f"Le webhook {c.topic} (n° {c.webhook_id}) était « {c.previous_status} » : il est réactivé."
                 for c in changes]
        subject = f"{shop.name} : webhooks WooCommerce réactivés"
        body = ("Bonjour,\n\nWooCommerce avait arrêté d'envoyer des webhooks à returns-connector "
                "(après plusieurs échecs de livraison, ou mis en pause dans l'administration) :\n\n"
                + "\n".join(f"- {line}" for line in lines)
                + f"\n\nLes commandes modifiées entre-temps ont été relues ({synced}). Si cela se répète, vérifiez "
                  "qu'aucun pare-feu ou extension de sécurité ne bloque les requêtes sortantes de votre boutique.\n")
        return subject, body, lines
    lines = [f"Webhook {c.topic} (#{c.webhook_id}) was {c.previous_status}: it is active again." for c in changes]
    subject = f"{shop.name}: WooCommerce webhooks turned back on"
    body = ("Hello,\n\nWooCommerce had stopped sending webhooks to returns-connector (after repeated failed "
            "deliveries, or paused in the admin):\n\n" + "\n".join(f"- {line}" for line in lines)
            + f"\n\nOrders changed meanwhile were read again ({synced}). If this happens again, check that no "
              "firewall or security plugin blocks your store's outgoing requests.\n")
    return subject, body, lines


def check_webhooks(svc: Services, shop_id: int) -> list[str]:
    """Turn disabled or paused webhooks back on, re-read the orders missed, tell the merchant.

    Returns one line per webhook turned back on (empty when all were active). Safe to run
    as often as wanted: it writes only when it found something to repair.
    """
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None or not shop.active:
            return []
        connection = uow.shops.connection(shop_id)
    gateway = svc.adapter(shop.platform).gateway(connection)
    reactivate: Callable[[], Sequence[WebhookReactivation]] | None = getattr(
        gateway, "reactivate_disabled_webhooks", None)
    if reactivate is None:
        return []
    changes = list(reactivate())
    if not changes:
        return []
    # Deliveries are never retried by WooCommerce: what changed while the webhook was off
    # is only found by reading the orders modified since the last sync.
    synced = reconcile_shop(svc, shop_id)
    subject, body, lines = _texts(shop, changes, synced)
    log.warning("shop %s: %s", shop_id, "; ".join(lines))
    if shop.contact_email:
        now = svc.clock.now()
        with svc.uow() as uow:
            scope = uow.scope(shop)
            email = scope.emails.add(to=shop.contact_email, subject=subject, body=body, return_id=None, now=now)
            scope.outbox.add("send_email", email.id, now)
            uow.commit()
    return lines
