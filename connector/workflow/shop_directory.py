"""Finding a shop from what a request carries: its slug in a URL, its platform domain, or all of them.

Imports the domain; storage only through the unit of work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connector.domain.shops import Shop

if TYPE_CHECKING:
    from connector.ports.services import Services


def shop_by_slug(svc: Services, slug: str) -> Shop | None:
    with svc.uow() as uow:
        return uow.shops.by_slug(slug)


def shop_by_domain(svc: Services, platform: str, domain: str) -> Shop | None:
    with svc.uow() as uow:
        return uow.shops.by_domain(platform, domain)


def active_shops(svc: Services) -> list[Shop]:
    """The connected shops, as the home page lists them."""
    with svc.uow() as uow:
        return [s for s in uow.shops.all() if s.active]
