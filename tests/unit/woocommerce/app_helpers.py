"""Helpers for whole-app WooCommerce tests: the recorded store as a connected shop, deliveries posted as sent."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from connector.bootstrap import Services
from connector.domain.shops import Shop
from connector.persistence.tables import WebhookDeliveryRow
from platforms.woocommerce.signatures import webhook_signature
from tests import builders
from tests.unit.woocommerce.recordings import SECRETS, delivery

# The recorded store's home URL, as X-WC-Webhook-Source carries it, normalised.
RECORDED_STORE = "http://127.0.0.1:8088"
RECORDED_API = RECORDED_STORE + "/wp-json/wc/v3/"
# Hop-by-hop or length headers the test client sets itself.
_SKIPPED = {"host", "content-length", "connection", "accept-encoding"}


def recorded_shop(services: Services, secret: str = SECRETS["1"], **options: str) -> Shop:
    """The recorded store connected with its REST key, signing with one of the recorded webhook secrets."""
    shop = builders.shop(
        services, platform="woocommerce", domain=RECORDED_STORE, name="Harness store", currency="USD",
        credentials={"consumer_key": "ck_harness", "consumer_secret": "cs_harness"}, webhook_secret=secret,
        locale="en",
    )
    if options:
        with services.uow() as uow:
            shop = uow.shops.update(shop.id, options={**shop.options, **options})
            uow.commit()
    return shop


def use_secret(services: Services, shop: Shop, secret: str) -> None:
    """Sign with another recorded webhook's secret (each recorded webhook had its own)."""
    with services.uow() as uow:
        uow.shops.connect(platform=shop.platform, domain=shop.domain, now=services.clock.now(),
                          webhook_secret=secret)
        uow.commit()


def post_delivery(client: FlaskClient, name: str, *, body: bytes | None = None, secret: str = "") -> TestResponse:
    """POST a recorded delivery to /webhooks/woocommerce exactly as received.

    With `body`, the recorded headers are kept and the body replaced, signed with `secret`
    as WooCommerce would sign it (for cases the recordings lack, e.g. a store-credit coupon).
    """
    recorded = delivery(name)
    headers = {k: v for k, v in recorded["headers"].items() if k.lower() not in _SKIPPED}
    raw = recorded["body_raw"].encode("utf-8") if body is None else body
    if body is not None:
        headers["X-WC-Webhook-Signature"] = webhook_signature(raw, secret)
    return client.post("/webhooks/woocommerce", data=raw, headers=headers)


def delivery_statuses(services: Services) -> list[tuple[str, str]]:
    with services.uow() as uow:
        rows = uow.session.execute(
            select(WebhookDeliveryRow.topic, WebhookDeliveryRow.status).order_by(WebhookDeliveryRow.id))
        return [(topic, status) for topic, status in rows]


def recorded_body(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(delivery(name)["body_raw"])
    return data
