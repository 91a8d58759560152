"""Connecting a Shopify shop: its domain, a real call that reads the shop, scopes, webhooks. Imports ports, client, gateway.

Used by `returns-connector shop connect-shopify` (a custom app's token) and by the
OAuth install (an offline token): both go through connector.workflow.shops.connect_shop,
which stores the shop only when `connect` says it works.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from connector.ports import ConnectOutcome, PlatformError
from platforms.shopify import queries
from platforms.shopify.client import AdminClient
from platforms.shopify.gateway import ShopifyGateway
from platforms.shopify.signatures import is_valid_shop_domain

# Without these the app cannot work at all: orders, refunds, Shopify returns.
CORE_SCOPES = ("read_orders", "write_orders", "read_returns", "write_returns")
# admin.shopify.com/store/<handle> is what merchants copy from their browser.
_ADMIN_STORE_PATH = re.compile(r"^/store/([a-zA-Z0-9][a-zA-Z0-9-]*)")
_HANDLE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-]*")


def normalise_domain(text: str) -> str:
    """`my-shop`, `https://my-shop.myshopify.com/admin`, `admin.shopify.com/store/my-shop` -> my-shop.myshopify.com."""
    raw = (text or "").strip()
    if not raw:
        raise ValueError("give the shop's myshopify.com domain, e.g. my-shop.myshopify.com")
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    host = (parts.hostname or "").lower().rstrip(".")
    if host == "admin.shopify.com":
        match = _ADMIN_STORE_PATH.match(parts.path)
        if match:
            return f"{match.group(1).lower()}.myshopify.com"
    if "." not in host and _HANDLE.fullmatch(host):
        host = f"{host}.myshopify.com"
    if not is_valid_shop_domain(host) or parts.port is not None or parts.username or parts.password:
        raise ValueError(
            f"{text.strip()!r} is not a Shopify shop domain: use the shop's permanent "
            "my-shop.myshopify.com domain (Shopify admin > Settings > Domains), not its own www domain"
        )
    return host


def _granted(handles: Iterable[str]) -> set[str]:
    granted = set(handles)
    # A write scope includes the read scope of the same resource.
    granted |= {"read_" + h[len("write_"):] for h in granted if h.startswith("write_")}
    return granted


def scope_from_message(message: str) -> str:
    """The scope Shopify names in an ACCESS_DENIED message, e.g. "Required access: `read_returns`"."""
    found = re.findall(r"\b((?:read|write|unauthenticated_read|unauthenticated_write)_[a-z_]+)", message)
    return ", ".join(dict.fromkeys(found))


def _refused(domain: str, exc: PlatformError) -> ConnectOutcome:
    if exc.status == 401:
        return ConnectOutcome(
            ok=False,
            message=f"Shopify refused the access token for {domain} (HTTP 401): check that it was copied "
            "whole (it starts with shpat_) and that the app is still installed on this shop",
        )
    scope = scope_from_message(str(exc))
    return ConnectOutcome(
        ok=False,
        message=f"Shopify refused access for {domain} (HTTP 403): the app lacks the "
        + (f"scope {scope}" if scope else "scopes it needs")
        + "; add it to the app's Admin API access scopes and install the app again",
    )


def connect(
    client: AdminClient, app_url: str, wanted_scopes: Iterable[str], topics: Iterable[str] | None = None
) -> ConnectOutcome:
    """Read the shop with the token, check its scopes, subscribe the webhooks."""
    try:
        data = client.execute(queries.SHOP_FOR_CONNECT)
    except PlatformError as exc:
        if exc.status in (401, 403):
            return _refused(client.shop, exc)
        raise
    shop = data.get("shop") or {}
    locales = data.get("shopLocales") or []
    primary = next((loc["locale"] for loc in locales if loc.get("primary")), "")
    granted = _granted(s["handle"] for s in (data.get("currentAppInstallation") or {}).get("accessScopes") or [])
    wanted = [s for s in dict.fromkeys([*CORE_SCOPES, *wanted_scopes]) if s]
    missing = [s for s in wanted if s not in granted]
    core_missing = [s for s in missing if s in CORE_SCOPES]
    if core_missing:
        return ConnectOutcome(
            ok=False,
            message=f"the token for {client.shop} lacks the scope{'s' if len(core_missing) > 1 else ''} "
            f"{', '.join(core_missing)}: add {'them' if len(core_missing) > 1 else 'it'} to the app's "
            "Admin API access scopes and install the app again",
        )
    notes = tuple(
        f"scope {s} not granted: resolutions that need it will wait for the merchant" for s in missing
    )
    gateway = ShopifyGateway(client)
    try:
        subscribed = gateway.subscribe_webhooks(app_url, *(() if topics is None else (tuple(topics),)))
    except PlatformError as exc:
        if exc.status in (401, 403):
            return _refused(client.shop, exc)
        raise
    name = str(shop.get("name") or client.shop)
    currency = str(shop.get("currencyCode") or "")
    return ConnectOutcome(
        ok=True,
        message=f"connected {name} ({currency}); webhooks sent to {app_url.rstrip('/')}/webhooks/shopify "
        f"({len(subscribed)} new subscription{'s' if len(subscribed) != 1 else ''})",
        name=name,
        currency=currency,
        locale="fr" if primary.lower().startswith("fr") else "en",
        notes=notes,
    )
