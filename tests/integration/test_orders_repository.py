"""Orders round-trip through storage unchanged; an older version never overwrites a newer one."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from connector.bootstrap import Services
from connector.domain.money import Money
from tests import builders


def test_order_round_trips_through_storage(services: Services) -> None:
    shop = builders.shop(services)
    built = builders.stored_order(
        services, shop,
        lines=(builders.line("L1", price="19.99", quantity=3, discount="5.00", tax="3.40",
                             tax_by_rate=(("1", Money(Decimal("3.40"), "EUR")),), product_tags=("soldes",)),),
    )
    with services.uow() as uow:
        loaded = uow.scope(shop).orders.get(built.platform_order_id)
    assert loaded == built


def test_older_order_update_never_overwrites_a_newer_one(services: Services) -> None:
    shop = builders.shop(services)
    now = services.clock.now()
    newer = builders.order(now=now, updated_at=now, email="new@example.com")
    older = builders.order(now=now, updated_at=now - timedelta(minutes=5), email="old@example.com")
    with services.uow() as uow:
        orders = uow.scope(shop).orders
        assert orders.save(newer) is True
        assert orders.save(older) is False
        uow.commit()
    with services.uow() as uow:
        loaded = uow.scope(shop).orders.get("1001")
    assert loaded is not None
    assert loaded.customer.email == "new@example.com"


def test_order_is_found_by_its_number_with_or_without_hash(services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop, order_id="555", name="#1005")
    with services.uow() as uow:
        orders = uow.scope(shop).orders
        assert orders.find_by_name("1005") is not None
        assert orders.find_by_name(" #1005 ") is not None
        assert orders.find_by_name("1006") is None
