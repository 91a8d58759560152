"""Reads and the policy change the API needs that the workflow does not offer (yet).

Each is one unit of work through the shop-scoped repositories, like the workflow's use
cases; they belong in connector/workflow/ when another edge wants them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector.bootstrap import Services
from connector.domain.eligibility import LineEligibility
from connector.domain.orders import Order
from connector.domain.policy import ReturnPolicy
from connector.domain.resolutions import Resolution
from connector.domain.returns import ReturnRequest
from connector.domain.shops import Shop
from connector.persistence.returns import ReturnListFilter
from connector.persistence.unit_of_work import UnitOfWork
from connector.workflow.returns import NotFound, eligibility, policy_for


def _shop(uow: UnitOfWork, shop_id: int) -> Shop:
    shop = uow.shops.get(shop_id)
    if shop is None:
        raise NotFound(f"no shop {shop_id}")
    return shop


@dataclass(frozen=True)
class ListedReturn:
    ret: ReturnRequest
    created_at: datetime
    updated_at: datetime


def list_returns(svc: Services, shop_id: int, flt: ReturnListFilter, after: tuple[datetime, int] | None,
                 limit: int) -> tuple[list[ListedReturn], bool]:
    """One page, newest first, after the keyset `after`; and whether more follow."""
    with svc.uow() as uow:
        found = uow.scope(_shop(uow, shop_id)).returns.search_after(
            flt, after_created_at=after[0] if after else None, after_id=after[1] if after else None,
            limit=limit + 1)
    page = [ListedReturn(ret, created, updated) for ret, created, updated in found]
    return page[:limit], len(page) > limit


@dataclass(frozen=True)
class ReturnView:
    ret: ReturnRequest
    details: dict[str, Any]
    resolutions: list[Resolution]


def return_view(svc: Services, shop_id: int, reference: str) -> ReturnView:
    with svc.uow() as uow:
        scope = uow.scope(_shop(uow, shop_id))
        ret = scope.returns.get_by_reference(reference)
        if ret is None or ret.id is None:
            raise NotFound(f"no return {reference} in this shop")
        details = scope.returns.row_details(ret.id) or {}
        return ReturnView(ret, details, scope.resolutions.for_return(ret.id))


@dataclass(frozen=True)
class OrderView:
    order: Order
    lines: list[LineEligibility]
    references: list[str]


def order_view(svc: Services, shop_id: int, platform_order_id: str) -> OrderView:
    """The order and, per line, what can still be returned today (the portal's own rules)."""
    with svc.uow() as uow:
        scope = uow.scope(_shop(uow, shop_id))
        order = scope.orders.get(platform_order_id)
        if order is None:
            raise NotFound(f"no order {platform_order_id} in this shop")
        lines = eligibility(scope, order, svc.clock.now())
        references = [r.reference for r in scope.returns.for_order(platform_order_id)]
    return OrderView(order, lines, references)


def current_policy(svc: Services, shop_id: int) -> ReturnPolicy:
    with svc.uow() as uow:
        return policy_for(_shop(uow, shop_id))


def replace_policy(svc: Services, shop_id: int, settings: dict[str, Any]) -> ReturnPolicy:
    """Replace the whole policy; raises InvalidPolicy naming the setting. Left-out settings take defaults."""
    with svc.uow() as uow:
        shop = _shop(uow, shop_id)
        data = {name: value for name, value in settings.items() if value is not None or name in _NULLABLE}
        data.setdefault("currency", shop.currency)
        policy = ReturnPolicy.from_dict(data)
        uow.shops.update(shop.id, policy=policy.to_dict())
        uow.commit()
    return policy


# Settings where null means something ("no limit"); for the others null means "the default".
_NULLABLE = frozenset({"auto_approve_max_order_value", "auto_approve_max_previous_returns"})
