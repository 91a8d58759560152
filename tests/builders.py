"""Builders of domain objects and stored shops, with defaults and keyword overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from connector.bootstrap import Services
from connector.domain.money import Money
from connector.domain.orders import Customer, Order, OrderLine
from connector.domain.shops import Shop


def line(line_id: str = "L1", *, price: str = "40.00", quantity: int = 1, currency: str = "EUR",
         discount: str = "0", tax: str = "0", **kwargs: Any) -> OrderLine:
    return OrderLine(
        platform_line_id=line_id, title=kwargs.pop("title", f"Article {line_id}"), quantity=quantity,
        unit_price=Money(Decimal(price), currency), discount=Money(Decimal(discount), currency),
        tax=Money(Decimal(tax), currency), fulfilled_quantity=kwargs.pop("fulfilled_quantity", quantity),
        **kwargs,
    )


def order(order_id: str = "1001", *, lines: tuple[OrderLine, ...] | None = None, currency: str = "EUR",
          email: str = "claire@example.com", placed_at: datetime | None = None,
          delivered_days_ago: int | None = 5, now: datetime | None = None, platform: str = "manual",
          **kwargs: Any) -> Order:
    now = now or datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
    placed = placed_at or now - timedelta(days=(delivered_days_ago or 0) + 3)
    return Order(
        platform=platform, platform_order_id=order_id, name=kwargs.pop("name", f"#{order_id}"),
        currency=currency,
        customer=kwargs.pop("customer", Customer("C1", email, "Claire", "Martin", "75011")),
        placed_at=placed, lines=lines or (line("L1", currency=currency), line("L2", price="25.00", currency=currency)),
        fulfilled_at=kwargs.pop("fulfilled_at", placed + timedelta(days=1)),
        delivered_at=now - timedelta(days=delivered_days_ago) if delivered_days_ago is not None else None,
        **kwargs,
    )


def shop(services: Services, *, platform: str = "manual", domain: str = "boutique.example",
         name: str = "Boutique Claire", **kwargs: Any) -> Shop:
    with services.uow() as uow:
        found = uow.shops.connect(platform=platform, domain=domain, name=name, now=services.clock.now(),
                                  **kwargs)
        uow.commit()
    return found


def stored_order(services: Services, found: Shop, **kwargs: Any) -> Order:
    built = order(now=services.clock.now(), platform=found.platform, **kwargs)
    with services.uow() as uow:
        uow.scope(found).orders.save(built)
        uow.commit()
    return built
