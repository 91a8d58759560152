"""The merchant's settings: the shop's options and contact, and the carrier account for return labels.

Imports the domain; storage only through the unit of work.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from connector.domain.shipping import LabelMode, ParcelSize, PostalAddress
from connector.domain.shops import Shop

if TYPE_CHECKING:
    from connector.ports.services import Services
    from connector.ports.storage import CarrierSettings


def save_shop_settings(svc: Services, shop: Shop, *, options: dict[str, str], contact_email: str,
                       return_address: str) -> None:
    with svc.uow() as uow:
        uow.shops.update(shop.id, options=options, contact_email=contact_email, return_address=return_address)
        uow.commit()


def save_carrier_settings(svc: Services, shop: Shop, *, carrier: str, credentials: dict[str, str], test_mode: bool,
                          label_mode: LabelMode, auto_receive: bool, label_price: Decimal | None,
                          return_address: PostalAddress, parcel: ParcelSize) -> CarrierSettings | None:
    """Store the shop's carrier account (credentials sealed like the platform tokens); what is stored now."""
    with svc.uow() as uow:
        scope = uow.scope(shop)
        scope.carrier_account.save(
            carrier=carrier, credentials=credentials, test_mode=test_mode, label_mode=label_mode,
            auto_receive=auto_receive, label_price=label_price, currency=shop.currency,
            return_address=return_address, parcel=parcel, now=svc.clock.now())
        saved = scope.carrier_account.get()
        uow.commit()
    return saved
