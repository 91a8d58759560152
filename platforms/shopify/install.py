"""Shopify's OAuth install as a connect flow (connector.ports.platforms.ConnectFlow), mounted at /shopify/install and /shopify/callback.

Install: the shop is checked to be a myshopify.com host, a state nonce is bound to the browser
(the core edge keeps `bind` in a signed, HttpOnly, SameSite=Lax cookie: Lax, as the cookie
must come back on Shopify's top-level redirect to the callback), and the merchant goes to
Shopify's authorize page. Callback: Shopify's HMAC over the query (constant time, 90 s), the
state against the bound one, the code traded for the shop's *offline* token; the core then
stores the shop through connect_shop (which reads the shop and subscribes the webhooks) and
opens its admin. Anything forged or stale is refused and nothing is stored.

Framework-free: imports the ports and this package only.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from connector.domain.messages import N_
from connector.ports import PlatformError
from connector.ports.platforms import (
    ConnectFlowRoutes,
    FlowConnect,
    FlowContext,
    FlowLanded,
    FlowRedirect,
    FlowRefused,
    FlowStep,
    Query,
)
from platforms.shopify.oauth import new_state
from platforms.shopify.signatures import InvalidSignature, is_valid_shop_domain

if TYPE_CHECKING:
    from platforms.shopify import ShopifyAdapter

log = logging.getLogger(__name__)

_START_AGAIN = N_("Start the installation again from your Shopify admin.")


def _other_shop() -> FlowRefused:
    return FlowRefused(401, "other_shop", N_("This answer is for another shop"), _START_AGAIN)


class ShopifyInstallFlow:
    # Long enough to log in to Shopify and read the scopes; the nonce is single-use anyway.
    routes = ConnectFlowRoutes(begin="install", complete="callback", complete_method="GET", bind_max_age=600)

    def __init__(self, adapter: ShopifyAdapter) -> None:
        self.adapter = adapter

    def unavailable(self) -> FlowRefused | None:
        if self.adapter.install_enabled:
            return None
        return FlowRefused(
            404, "install_off", N_("Shopify install is off"),
            N_("This server has no Shopify app configured (SHOPIFY_API_KEY and SHOPIFY_API_SECRET are not set). "
               "Connect a shop with a custom app's token instead: returns-connector shop connect-shopify."))

    def begin(self, query: Query, ctx: FlowContext) -> FlowStep:
        shop = dict(query).get("shop", "").strip().lower()
        if not is_valid_shop_domain(shop):
            return FlowRefused(400, "not_shopify", N_("Not a Shopify shop"),
                               N_("Open the app from your Shopify admin, or give your shop's my-shop.myshopify.com domain."))
        state = new_state()
        url = self.adapter.authorize_url(shop, f"{ctx.app_url}/shopify/callback", state)
        return FlowRedirect(url, bind=json.dumps({"state": state, "shop": shop}))

    def complete(self, query: Query, body: bytes, bound: str, ctx: FlowContext) -> FlowStep:
        args = dict(query)
        if not args.get("code") or not args.get("shop") or not args.get("hmac"):
            return FlowRefused(400, "incomplete", N_("Incomplete answer from Shopify"), _START_AGAIN)
        expected = _bound(bound)
        if expected is None:
            return FlowRefused(400, "expired", N_("Installation expired"),
                               N_("This installation was not started in this browser, or took more than 10 minutes. "
                                  "Start the installation again from your Shopify admin."))
        state, shop = expected
        if args.get("shop", "").lower() != shop:
            return _other_shop()
        try:
            token = self.adapter.finish_install(list(query), state, ctx.now)
        except InvalidSignature as exc:
            log.info("refused a Shopify callback: %s", exc)
            return FlowRefused(401, "forged", N_("This answer does not come from Shopify"),
                               N_("Its signature, date or state does not match. "
                                  "Start the installation again from your Shopify admin."))
        except PlatformError as exc:
            # An expired or reused code, or Shopify away: the merchant starts again.
            log.warning("Shopify token exchange failed: %s", exc)
            return FlowRefused(502 if exc.retryable else 400, "no_token", N_("Shopify did not give the access token"),
                               _START_AGAIN)
        if token.shop != shop:
            return _other_shop()
        return FlowConnect(token.shop, {"access_token": token.access_token})

    def landed(self, query: Query, ctx: FlowContext) -> FlowLanded:
        # The callback is where the browser comes back: no landing page of its own.
        return FlowLanded(error="no landing page")

    def shop_of(self, token: str, ctx: FlowContext) -> str:
        raise ValueError("the Shopify install has no landing page")


def _bound(raw: str) -> tuple[str, str] | None:
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("state"), str) or not isinstance(data.get("shop"), str):
        return None
    return data["state"], data["shop"]
