"""The merchant's dashboard: what came back, why, what it cost, in one read.

Imports the domain and the return use cases; storage only through the unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from connector.domain.shops import Shop
from connector.workflow.returns import policy_for

if TYPE_CHECKING:
    from connector.ports.queries import FreeReturnCost as FreeReturnCost
    from connector.ports.queries import PeriodRate as PeriodRate
    from connector.ports.queries import ProductRate as ProductRate
    from connector.ports.queries import Range
    from connector.ports.queries import ReasonCount as ReasonCount
    from connector.ports.queries import RefundDelay as RefundDelay
    from connector.ports.queries import ResolutionShare as ResolutionShare
    from connector.ports.queries import RisingProduct as RisingProduct
    from connector.ports.queries import Satisfaction as Satisfaction
    from connector.ports.queries import SerialReturner as SerialReturner
    from connector.ports.services import Services


@dataclass(frozen=True)
class DashboardFigures:
    """Every figure of the dashboard for one range, read in one transaction."""

    sold_by_period: list[PeriodRate]
    came_back_by_period: dict[str, tuple[int, Decimal]]  # by period start: units and value
    products: list[ProductRate]
    variants: list[ProductRate]
    rising: list[RisingProduct]
    reasons: list[ReasonCount]
    resolutions: list[ResolutionShare]
    delay: RefundDelay
    free: FreeReturnCost
    serial: list[SerialReturner]
    satisfaction: Satisfaction


def dashboard_figures(svc: Services, shop: Shop, period: Range, grain: str) -> DashboardFigures:
    label_price = policy_for(shop).return_shipping_fee.amount
    with svc.uow() as uow:
        figures = uow.analytics(shop)
        # Free returns whose label was bought count at its real price (issue 17).
        labelled, label_total = uow.scope(shop).shipments.free_return_labels(period.start, period.end,
                                                                            shop.currency)
        return DashboardFigures(
            sold_by_period=figures.rate_by_period(period, grain),
            came_back_by_period=figures.came_back_by_period(period, grain),
            products=figures.rate_by_product(period, limit=20),
            variants=figures.rate_by_product(period, by_variant=True, limit=20),
            rising=figures.rising_products(period),
            reasons=figures.reasons(period),
            resolutions=figures.resolution_mix(period),
            delay=figures.refund_delay(period),
            free=replace(figures.free_return_cost(period, label_price), labelled=labelled, label_total=label_total),
            serial=figures.serial_returners(period),
            satisfaction=figures.satisfaction(period),
        )
