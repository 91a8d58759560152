"""The shop's identity from Admin GraphQL (name, currency, primary language, address). Imports ports, client.

The document lives in queries.py with the others, priced by the same cost test; the
mapping of its answer lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.domain.shops import language_of
from connector.ports import StoreIdentity
from platforms.shopify import queries
from platforms.shopify.client import AdminClient


def identity_from_graphql(data: Mapping[str, Any]) -> StoreIdentity:
    """`data` is the answer to queries.SHOP_IDENTITY: `shop` and `shopLocales`."""
    shop: Mapping[str, Any] = data.get("shop") or {}
    address: Mapping[str, Any] = shop.get("shopAddress") or {}
    city_line = " ".join(str(address.get(k) or "").strip() for k in ("zip", "city") if address.get(k))
    region = " ".join(str(address.get(k) or "").strip() for k in ("provinceCode", "countryCodeV2") if address.get(k))
    parts = [str(address.get("address1") or ""), str(address.get("address2") or ""), city_line, region]
    primary = next((str(loc.get("locale") or "") for loc in data.get("shopLocales") or [] if loc.get("primary")), "")
    return StoreIdentity(
        name=str(shop.get("name") or "").strip(),
        currency=str(shop.get("currencyCode") or "").strip().upper(),
        locale=language_of(primary),
        address="\n".join(part.strip() for part in parts if part.strip()),
        contact_email=str(shop.get("contactEmail") or "").strip(),
    )


def read_identity(client: AdminClient) -> StoreIdentity:
    # The language is the shop's primary published locale.
    return identity_from_graphql(client.execute(queries.SHOP_IDENTITY))
