"""What the shopper's portal reads and writes: find her order, what she may return, her return's progress.

The portal's views parse the request, call one of these (or a use case of
connector.workflow.returns) and render. Imports the domain, the ports and the return use
cases; storage only through the unit of work, the platform only through its gateway.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connector.domain.eligibility import CustomerHistory, LineEligibility, PolicyDecision, line_eligibility
from connector.domain.orders import Order, normalise_order_name
from connector.domain.policy import ReturnPolicy
from connector.domain.resolutions import ResolutionPlan
from connector.domain.returns import ReturnRequest
from connector.domain.shipping import PostalAddress
from connector.domain.shops import Shop
from connector.ports import PlatformError, ProductVariant
from connector.ports.platforms import (
    InvalidProxyRequest,
    ListsVariants,
    ServesStorefrontProxy,
    StorefrontProxyRequest,
    resolves_automatically,
)
from connector.workflow import labels
from connector.workflow import returns as flow

if TYPE_CHECKING:
    from connector.domain.resolutions import Resolution
    from connector.ports.services import Services
    from connector.ports.storage import StoredShipment as StoredShipment

log = logging.getLogger(__name__)


# ---- the shop and the order ----

def open_shop(svc: Services, *, slug: str) -> Shop | None:
    """The active shop of the portal's URL (its slug)."""
    with svc.uow() as uow:
        shop = uow.shops.by_slug(slug)
    return shop if shop is not None and shop.active else None


def open_proxied_shop(svc: Services, query: str) -> tuple[Shop | None, StorefrontProxyRequest] | None:
    """The active shop of a request a platform forwarded from its storefront (Shopify's app proxy).

    `query` is the raw query string, signature included. None when no platform serves a
    storefront proxy on this server; InvalidProxyRequest when none of those that do accepts
    the signature; the shop is None when it is not one of ours, or no longer active.
    """
    refused: InvalidProxyRequest | None = None
    now = svc.clock.now()
    for platform, adapter in sorted(svc.adapters.items()):
        if not isinstance(adapter, ServesStorefrontProxy) or not adapter.storefront_proxy_enabled():
            continue
        try:
            proxied = adapter.verify_proxy_request(query, now)
        except InvalidProxyRequest as exc:
            refused = exc
            continue
        with svc.uow() as uow:
            shop = uow.shops.by_domain(platform, proxied.shop_domain)
        return (shop if shop is not None and shop.active else None), proxied
    if refused is not None:
        raise refused
    return None


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _matches(order: Order, secret: str) -> bool:
    """The shopper proved the order is theirs: its email, or its postal code."""
    given = secret.strip()
    if "@" in given:
        return _same(given.lower(), order.customer.email.strip().lower())
    postal = "".join(given.split()).upper()
    return bool(postal) and _same(postal, "".join(order.customer.postal_code.split()).upper())


def find_order(svc: Services, shop: Shop, number: str, secret: str) -> Order | None:
    """The order named by its number, if the email or postal code is the order's; else None.

    The caller answers the same for "no such order" and "wrong email", and both take the
    same path: one read of the stored orders, never a platform call. Asking the platform
    only when the number is unknown made a made-up number measurably slower than a
    real one with a wrong email, which told anyone whether an order exists. Orders
    reach the database through the backfill, the order webhooks and the periodic
    reconciliation.
    """
    if not normalise_order_name(number) or not secret.strip():
        return None
    with svc.uow() as uow:
        order = uow.scope(shop).orders.find_by_name(number)
    return order if order is not None and _matches(order, secret) else None


def visit_order(svc: Services, shop: Shop, platform_order_id: str) -> Order | None:
    """The order the shopper proved earlier; the shop's scope only sees its own orders."""
    with svc.uow() as uow:
        return uow.scope(shop).orders.get(platform_order_id)


# ---- what she may return ----

@dataclass(frozen=True)
class OrderReturnability:
    """The order's lines as the policy sees them today, and the returns already opened for it."""

    policy: ReturnPolicy
    history: CustomerHistory
    verdicts: list[LineEligibility]
    existing: list[ReturnRequest]
    today: datetime


def order_returnability(svc: Services, shop: Shop, order: Order) -> OrderReturnability:
    policy = flow.policy_for(shop)
    now = svc.clock.now()
    with svc.uow() as uow:
        scope = uow.scope(shop)
        history = flow.customer_history(scope, policy, order, now)
        verdicts = line_eligibility(policy, order, history, now.date())
        existing = scope.returns.for_order(order.platform_order_id)
    return OrderReturnability(policy, history, verdicts, existing, now)


def product_variants(svc: Services, shop: Shop, product_ids: Sequence[str]) -> dict[str, list[ProductVariant]]:
    """The variants of each product, when the platform's gateway can list them; {} when it cannot."""
    try:
        with svc.uow() as uow:
            gateway = svc.adapter(shop.platform).gateway(uow.shops.connection(shop.id))
    except LookupError:
        return {}
    if not isinstance(gateway, ListsVariants):
        return {}
    found: dict[str, list[ProductVariant]] = {}
    for product_id in product_ids:
        try:
            found[product_id] = list(gateway.variants_of(product_id))
        except PlatformError:
            log.warning("variants of %s could not be listed", product_id, exc_info=True)
    return found


def decide(svc: Services, shop: Shop, order: Order, wanted: Sequence[flow.WantedItem]
           ) -> tuple[PolicyDecision, list[ResolutionPlan]]:
    """The policy's verdict and the amounts for a request under review; nothing is written."""
    with svc.uow() as uow:
        return flow.decide(uow.scope(shop), order, wanted, svc.clock.now())


# ---- her return ----

def return_by_reference(svc: Services, shop: Shop, reference: str) -> ReturnRequest | None:
    with svc.uow() as uow:
        return uow.scope(shop).returns.get_by_reference(reference)


def return_by_token(svc: Services, shop: Shop, token: str) -> ReturnRequest | None:
    """The return her tracking link names (the token is its key outside the admin)."""
    with svc.uow() as uow:
        return uow.scope(shop).returns.get_by_tracking_token(token)


@dataclass(frozen=True)
class ReturnProgress:
    """A return as its tracking page shows it."""

    ret: ReturnRequest
    details: dict[str, Any]
    resolutions: list[Resolution]
    order: Order | None
    automatic: bool  # the platform carries resolutions out itself (else: the merchant, by hand)


def return_progress(svc: Services, shop: Shop, token: str) -> ReturnProgress | None:
    with svc.uow() as uow:
        scope = uow.scope(shop)
        ret = scope.returns.get_by_tracking_token(token)
        if ret is None or ret.id is None:
            return None
        details = scope.returns.row_details(ret.id) or {}
        stored = scope.resolutions.for_return(ret.id)
        order = scope.orders.get(ret.order_id)
    automatic = resolves_automatically(svc.adapter(shop.platform)) if shop.platform in svc.adapters else False
    return ReturnProgress(ret, details, stored, order, automatic)


# ---- her return label ----

@dataclass(frozen=True)
class ReturnLabel:
    shipment: StoredShipment
    order: Order | None


def return_label(svc: Services, shop: Shop, ret: ReturnRequest) -> ReturnLabel | None:
    """The return's label (its shipment and the order it came from), if one was asked for."""
    if ret.id is None:
        return None
    with svc.uow() as uow:
        shipment = uow.scope(shop).shipments.for_return(ret.id)
        order = uow.scope(shop).orders.get(ret.order_id)
    return ReturnLabel(shipment, order) if shipment is not None else None


def label_pdf(svc: Services, shop: Shop, ret: ReturnRequest) -> bytes | None:
    if ret.id is None:
        return None
    with svc.uow() as uow:
        return uow.scope(shop).shipments.label_pdf(ret.id)


def give_sender_address(svc: Services, shop: Shop, ret: ReturnRequest, sender: PostalAddress) -> bool:
    """The shopper's address for a label that needs it; whether the label could be asked for now."""
    with svc.uow() as uow:
        done = labels.give_sender_address(svc, uow.scope(shop), ret, sender, svc.clock.now())
        uow.commit()
    return done
