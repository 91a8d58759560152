"""Periodic work: each connected shop is reconciled once per period, manual shops never."""

from __future__ import annotations

from datetime import timedelta

from connector.bootstrap import Services
from connector.jobs import schedule
from tests import builders
from tests.conftest import FrozenClock
from tests.fakes import FakePlatform


def test_connected_shops_are_reconciled_once_per_period(services: Services, clock: FrozenClock) -> None:
    services.adapters["fake"] = FakePlatform()
    fake_shop = builders.shop(services, platform="fake", domain="fake.example")
    builders.shop(services, domain="manual.example", name="Manual")
    reconcile = lambda p: p.name == "reconcile"  # noqa: E731
    assert schedule.run_due(services, is_wanted=reconcile) == [f"reconcile:{fake_shop.id}"]
    assert schedule.run_due(services, is_wanted=reconcile) == []
    clock.advance(hours=1, seconds=1)
    assert schedule.run_due(services, is_wanted=reconcile) == [f"reconcile:{fake_shop.id}"]


def test_webhook_health_runs_only_for_woocommerce_shops(services: Services, clock: FrozenClock) -> None:
    services.adapters["fake"] = FakePlatform()
    builders.shop(services, platform="fake", domain="fake.example")
    due = schedule.run_due(services, is_wanted=lambda p: p.name == "webhook-health")
    assert due == []


def test_reconcile_reads_orders_changed_since_the_last_run(services: Services, clock: FrozenClock) -> None:
    fake = FakePlatform()
    services.adapters["fake"] = fake
    shop = builders.shop(services, platform="fake", domain="fake.example")
    missed = builders.order("9001", now=clock.now(), platform="fake", updated_at=clock.now() - timedelta(hours=1))
    fake.state.orders[missed.platform_order_id] = missed
    from connector.workflow.sync import reconcile_shop

    assert reconcile_shop(services, shop.id) == 1
    with services.uow() as uow:
        assert uow.scope(shop).orders.get("9001") is not None


def test_a_platform_check_is_scheduled_for_the_shops_of_its_platform_only(
    services: Services, clock: FrozenClock
) -> None:
    services.adapters["fake"] = FakePlatform()
    builders.shop(services, platform="fake", domain="fake.example")
    store = builders.shop(services, platform="woocommerce", domain="https://store.example")
    health = lambda p: p.name == "webhook-health"  # noqa: E731
    assert schedule.run_due(services, is_wanted=health) == [f"webhook-health:{store.id}"]
    assert schedule.run_due(services, is_wanted=health) == []
