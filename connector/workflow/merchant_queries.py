"""What the merchant reads, in the admin and over the API: returns, orders, customers, emails, the policy.

Each is one unit of work through the shop-scoped repositories. The edges parse a request,
call one of these and shape the answer; none of them opens storage itself.
Imports the domain and the return use cases; storage only through the unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.domain.eligibility import LineEligibility
from connector.domain.orders import Order
from connector.domain.policy import ReturnPolicy
from connector.domain.returns import ReturnRequest
from connector.domain.shops import Shop
from connector.workflow.errors import NotFound
from connector.workflow.returns import eligibility, policy_for

if TYPE_CHECKING:
    from connector.domain.resolutions import Resolution
    from connector.ports.operations import FailedWork
    from connector.ports.queries import ReturnListFilter
    from connector.ports.services import Services
    from connector.ports.storage import CarrierSettings as CarrierSettings
    from connector.ports.storage import CustomerSummary as CustomerSummary
    from connector.ports.storage import ReturnSummary as ReturnSummary
    from connector.ports.storage import StoredEmail as StoredEmail
    from connector.ports.storage import StoredShipment as StoredShipment
    from connector.ports.storage import UnitOfWork


def _shop(uow: UnitOfWork, shop_id: int) -> Shop:
    shop = uow.shops.get(shop_id)
    if shop is None:
        raise NotFound(f"no shop {shop_id}")
    return shop


# ---- returns ----

def returns_page(svc: Services, shop: Shop, flt: ReturnListFilter, *, sort: str, limit: int, offset: int = 0
                 ) -> tuple[list[ReturnSummary], int]:
    """The admin's list: one page of returns matching the filter, and how many match in all."""
    with svc.uow() as uow:
        return uow.scope(shop).returns.admin_summaries(flt, sort=sort, limit=limit, offset=offset)


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


def find_return(svc: Services, shop: Shop, reference: str) -> ReturnRequest | None:
    """The shop's return of this reference; None for another shop's."""
    with svc.uow() as uow:
        return uow.scope(shop).returns.get_by_reference(reference)


def has_photo(svc: Services, shop: Shop, reference: str, name: str) -> bool:
    """Whether the shopper attached the photo `name` to this return of this shop."""
    ret = find_return(svc, shop, reference)
    return ret is not None and any(name in item.photos for item in ret.items)


def resolution_of(svc: Services, shop: Shop, reference: str, resolution_id: int) -> int | None:
    """The resolution's id when it belongs to this return of this shop; else None."""
    with svc.uow() as uow:
        scope = uow.scope(shop)
        return_id = scope.returns.id_for_reference(reference)
        found = scope.resolutions.get(resolution_id)
    if return_id is None or found is None or found.return_id != return_id:
        return None
    return found.id


def return_shipment(svc: Services, shop: Shop, return_id: int) -> StoredShipment | None:
    with svc.uow() as uow:
        return uow.scope(shop).shipments.for_return(return_id)


# ---- orders ----

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


# ---- customers ----

@dataclass(frozen=True)
class CustomersPage:
    customers: list[CustomerSummary]
    total: int
    exports: list[tuple[str, datetime]]  # data-request exports waiting: file name, when made


def customers_page(svc: Services, shop: Shop, search: str, *, limit: int, offset: int) -> CustomersPage:
    """Every customer matching `search` (email or name), one page; and the data-request exports."""
    with svc.uow() as uow:
        scope = uow.scope(shop)
        customers, total = scope.orders.customers(search, limit=limit, offset=offset)
        return CustomersPage(customers, total, scope.data_requests.exports())


def data_request_export(svc: Services, shop: Shop, name: str) -> Path | None:
    """The file of this shop's data-request export `name`, or None."""
    with svc.uow() as uow:
        return uow.scope(shop).data_requests.export_path(name)


# ---- work that gave up ----

def failed_work(svc: Services, shop: Shop) -> Sequence[FailedWork]:
    """The shop's deliveries and outgoing work that gave up, or still pending after a while."""
    return svc.failed_work.failures(shop.id)


def retry_failed_work(svc: Services, shop: Shop, kind: str, failure_id: str) -> bool:
    """Put one of the shop's failures back to work; False when it is not the shop's or already done."""
    return svc.failed_work.retry(kind, failure_id, shop_id=shop.id)


# ---- emails, carrier ----

def recent_emails(svc: Services, shop: Shop, limit: int = 200) -> list[StoredEmail]:
    with svc.uow() as uow:
        return uow.scope(shop).emails.recent(limit=limit)


def carrier_settings(svc: Services, shop: Shop) -> CarrierSettings | None:
    with svc.uow() as uow:
        return uow.scope(shop).carrier_account.get()


# ---- the policy ----

def current_policy(svc: Services, shop_id: int) -> ReturnPolicy:
    with svc.uow() as uow:
        return policy_for(_shop(uow, shop_id))
