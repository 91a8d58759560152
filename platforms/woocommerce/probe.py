"""Before sending a merchant to /wc-auth/v1/authorize: is there a WooCommerce REST API there? requests only.

WooCommerce's key-generation page and its REST API both need the WordPress REST API
behind pretty permalinks. When they are off, the merchant would land on a WordPress
404 and never come back to us; an unauthenticated look at `/wp-json/` tells them why
first. The look reads only the public route index, never a key.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import requests

from platforms.woocommerce.urls import normalise_store_url

PROBE_TIMEOUT = (5.0, 10.0)
WC_NAMESPACE = "wc/v3"


@dataclass(frozen=True)
class StoreProbe:
    """What the store's public REST index says; `message` is for the merchant."""

    ok: bool
    message: str
    code: str = ""


def probe_store(store_url: str, *, timeout: tuple[float, float] = PROBE_TIMEOUT,
                verify_ssl: bool = True) -> StoreProbe:
    """GET <store>/wp-json/ and check that WooCommerce's v3 routes are there."""
    store = normalise_store_url(store_url)
    try:
        # Redirects are not followed: a store whose address moved must be named by its real address,
        # which is what its webhooks will carry (X-WC-Webhook-Source).
        response = requests.get(f"{store}/wp-json/", timeout=timeout, verify=verify_ssl,
                                allow_redirects=False, headers={"Accept": "application/json"})
    except requests.exceptions.SSLError:
        return StoreProbe(False, f"The HTTPS certificate of {store} is not valid: fix it, or the app "
                                 "cannot talk to the store safely.", "ssl_error")
    except (requests.Timeout, requests.ConnectionError):
        return StoreProbe(False, f"{store} could not be reached from the app: check the address, and that "
                                 "the store is online and not behind a password or a firewall.", "unreachable")
    if response.is_redirect:
        target = response.headers.get("Location", "")
        return StoreProbe(False, f"{store} redirects to {target}: connect the store with the address "
                                 "WordPress uses (Settings > General > Site Address).", "redirected")
    body: Any = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 404 or not isinstance(body, dict):
        return StoreProbe(False, f"{store}/wp-json/ is not the WordPress REST API (HTTP {response.status_code}): "
                                 "turn on pretty permalinks (Settings > Permalinks, any choice but Plain) and "
                                 "check that no security plugin disables the REST API.", "no_rest_api")
    if response.status_code in (401, 403):
        return StoreProbe(False, f"{store} refuses the REST API to visitors (HTTP {response.status_code}): "
                                 "a security plugin blocks /wp-json/; allow /wp-json/wc/ and /wc-auth/.",
                          "rest_api_blocked")
    if response.status_code >= 400:
        return StoreProbe(False, f"{store}/wp-json/ answered HTTP {response.status_code}: try again later.",
                          "unavailable")
    namespaces = body.get("namespaces") or []
    if WC_NAMESPACE not in namespaces:
        return StoreProbe(False, f"{store} has the WordPress REST API but not WooCommerce's: is WooCommerce "
                                 "installed, active and at version 3.5 or later?", "no_woocommerce")
    return StoreProbe(True, f"{store} runs WooCommerce with its REST API on.")


def site_name(store_url: str, *, timeout: tuple[float, float] = PROBE_TIMEOUT, verify_ssl: bool = True) -> str:
    """The store's name (WordPress's site title, `name` in the public /wp-json/ index); "" when unreadable."""
    try:
        response = requests.get(f"{normalise_store_url(store_url)}/wp-json/", timeout=timeout, verify=verify_ssl,
                                allow_redirects=False, headers={"Accept": "application/json"})
        body: Any = response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return ""
    name = body.get("name") if isinstance(body, dict) else None
    return html.unescape(name).strip() if isinstance(name, str) else ""
