"""Webhooks WooCommerce turned off are turned back on, missed orders re-read by polling, the merchant told."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
import responses

from connector.bootstrap import Services
from connector.workflow.platform_checks import run_platform_check
from connector.workflow.sync import reconcile_shop
from tests.conftest import FrozenClock
from tests.unit.woocommerce.app_helpers import RECORDED_API, RECORDED_STORE, recorded_shop
from tests.unit.woocommerce.recordings import rest_body

APP = "https://returns.example.test"


@pytest.fixture(autouse=True)
def after_the_recordings(clock: FrozenClock) -> None:
    clock.current = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def webhook(hook_id: int, topic: str, status: str) -> dict[str, Any]:
    hook = copy.deepcopy(rest_body("webhooks-list")[0])
    hook.update(id=hook_id, topic=topic, status=status, delivery_url=APP + "/webhooks/woocommerce")
    return hook


def store_lists_recorded_orders() -> None:
    """GET /orders?modified_after=… answers the three recorded orders; their refunds on request."""
    orders = rest_body("orders-list-basic-auth-https")
    # Each reconciliation reads the store's identity too (recorded answers of the same store).
    responses.get(RECORDED_API + "settings/general", json=rest_body("multirate-settings-general"))
    responses.get(RECORDED_API + "system_status", json=rest_body("multirate-system-status"))
    responses.get(RECORDED_STORE + "/wp-json/", json={"name": "Harness Store", "namespaces": ["wc/v3"]})
    responses.get(RECORDED_API + "orders", json=orders, headers={"X-WP-Total": "3", "X-WP-TotalPages": "1"})
    for order in orders:
        if order.get("refunds"):
            responses.get(RECORDED_API + f"orders/{order['id']}/refunds", json=rest_body("refunds-list"),
                          headers={"X-WP-TotalPages": "1"})


@responses.activate
def test_order_whose_webhook_never_came_is_caught_by_polling(services: Services) -> None:
    shop = recorded_shop(services)
    store_lists_recorded_orders()
    assert reconcile_shop(services, shop.id) == 3
    with services.uow() as uow:
        assert uow.scope(shop).orders.get("21") is not None
        assert uow.shops.last_synced_at(shop.id) == services.clock.now()
    [listing] = [c for c in responses.calls if (c.request.url or "").split("?")[0] == RECORDED_API + "orders"]
    # Two days back for a shop never synced, in GMT, oldest change first.
    assert "modified_after=2026-11-23T10%3A00%3A00" in (listing.request.url or "")
    assert "dates_are_gmt=true" in (listing.request.url or "")


@responses.activate
def test_disabled_webhook_is_reactivated_orders_resynced_and_the_merchant_emailed(services: Services) -> None:
    shop = recorded_shop(services)
    with services.uow() as uow:
        uow.shops.update(shop.id, contact_email="owner@harness.example", locale="en")
        uow.commit()
    responses.get(RECORDED_API + "webhooks", json=[webhook(11, "order.updated", "disabled"),
                                                   webhook(12, "order.created", "active")])
    responses.put(RECORDED_API + "webhooks/11", json=webhook(11, "order.updated", "active"))
    store_lists_recorded_orders()
    lines = run_platform_check(services, shop.id, "webhook-health")
    assert lines == ["Webhook order.updated (#11) was disabled: it is active again."]
    with services.uow() as uow:
        assert uow.scope(shop).orders.count() == 3
        [email] = uow.scope(shop).emails.recent()
    assert email.to == "owner@harness.example"
    assert "order.updated" in email.body
    puts = [c for c in responses.calls if c.request.method == "PUT"]
    assert [(c.request.url or "").split("?")[0] for c in puts] == [RECORDED_API + "webhooks/11"]


@responses.activate
def test_all_webhooks_active_means_nothing_written(services: Services) -> None:
    shop = recorded_shop(services)
    responses.get(RECORDED_API + "webhooks", json=[webhook(11, "order.updated", "active")])
    assert run_platform_check(services, shop.id, "webhook-health") == []
    with services.uow() as uow:
        assert uow.scope(shop).emails.recent() == []
        assert uow.shops.last_synced_at(shop.id) is None
