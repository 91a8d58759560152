"""GET /shopify/install and /shopify/callback (Shopify OAuth), and the embedded token exchange. Imports Flask, workflow, the Shopify adapter.

Install: the shop is checked to be a myshopify.com host, a state nonce is bound to the
browser in a signed, HttpOnly, SameSite=Lax cookie (Lax: the cookie must come back on
Shopify's top-level redirect to the callback), and the merchant goes to Shopify's
authorize page. Callback: Shopify's HMAC over the query (constant time, 90 s), the
state against the cookie, the code traded for the shop's *offline* token, and the shop
stored through connect_shop (which reads the shop and subscribes the webhooks), then
the merchant lands in the admin. Anything forged or stale gets a 400/401 page and
nothing is stored.

`ensure_offline_token(svc, id_token)` is for the embedded admin's first load: it
verifies the App Bridge ID token and, when the shop has no usable token (new, or after
an uninstall), swaps it for an offline token (token exchange) and connects the shop.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, redirect, render_template_string, request
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from connector.bootstrap import Services
from connector.domain.shops import Shop
from connector.ports import PlatformError
from connector.web.context import services
from connector.workflow.shops import ConnectError, connect_shop
from platforms.shopify import InvalidSignature, ShopifyAdapter
from platforms.shopify.oauth import new_state
from platforms.shopify.signatures import is_valid_shop_domain

log = logging.getLogger(__name__)
bp = Blueprint("shopify_install", __name__, url_prefix="/shopify")

STATE_COOKIE = "shopify_install_state"
# Long enough to log in to Shopify and read the scopes; the nonce is single-use anyway.
STATE_MAX_AGE = 600
_SALT = "shopify-install-state"

_PAGE = """{% extends "base.html" %}
{% block title %}{{ title }}{% endblock %}
{% block content %}
<div class="card">
  <h1>{{ title }}</h1>
  <p>{{ message }}</p>
</div>
{% endblock %}
"""


class TokenExchangeError(Exception):
    """The embedded load could not get a token; `status` is the HTTP answer to give (401, 502)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template_string(_PAGE, title=title, message=message), status


def _adapter(svc: Services) -> ShopifyAdapter | None:
    adapter = svc.adapters.get("shopify")
    if isinstance(adapter, ShopifyAdapter) and adapter.install_enabled and svc.settings.shopify_enabled:
        return adapter
    return None


def _signer(svc: Services) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(svc.settings.secret_key, salt=_SALT)


def _install_off() -> tuple[str, int]:
    return _page(404, "Shopify install is off",
                 "This server has no Shopify app configured (SHOPIFY_API_KEY and SHOPIFY_API_SECRET are not set). "
                 "Connect a shop with a custom app's token instead: returns-connector shop connect-shopify.")


@bp.get("/install")
def install() -> Any:
    svc = services()
    adapter = _adapter(svc)
    if adapter is None:
        return _install_off()
    shop = request.args.get("shop", "").strip().lower()
    if not is_valid_shop_domain(shop):
        return _page(400, "Not a Shopify shop",
                     "Open the app from your Shopify admin, or give your shop's my-shop.myshopify.com domain.")
    state = new_state()
    url = adapter.authorize_url(shop, f"{svc.settings.app_url}/shopify/callback", state)
    response: Response = redirect(url)
    response.set_cookie(
        STATE_COOKIE, _signer(svc).dumps({"state": state, "shop": shop}), max_age=STATE_MAX_AGE,
        path="/shopify", httponly=True, samesite="Lax", secure=svc.settings.app_url.startswith("https"),
    )
    return response


def _bound_state(svc: Services) -> dict[str, str] | None:
    raw = request.cookies.get(STATE_COOKIE, "")
    if not raw:
        return None
    try:
        data = _signer(svc).loads(raw, max_age=STATE_MAX_AGE)
    except BadSignature:  # tampered or expired (SignatureExpired is a BadSignature)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("state"), str) or not isinstance(data.get("shop"), str):
        return None
    return {"state": data["state"], "shop": data["shop"]}


@bp.get("/callback")
def callback() -> Any:
    svc = services()
    adapter = _adapter(svc)
    if adapter is None:
        return _install_off()
    if not request.args.get("code") or not request.args.get("shop") or not request.args.get("hmac"):
        return _page(400, "Incomplete answer from Shopify", "Start the installation again from your Shopify admin.")
    bound = _bound_state(svc)
    if bound is None:
        return _page(400, "Installation expired",
                     "This installation was not started in this browser, or took more than 10 minutes. "
                     "Start it again from your Shopify admin.")
    if request.args.get("shop", "").lower() != bound["shop"]:
        return _page(401, "This answer is for another shop", "Start the installation again from your Shopify admin.")
    try:
        token = adapter.finish_install(list(request.args.items(multi=True)), bound["state"], svc.clock.now())
    except InvalidSignature as exc:
        log.info("refused a Shopify callback: %s", exc)
        return _page(401, "This answer does not come from Shopify",
                     "Its signature, date or state does not match. Start the installation again from your Shopify admin.")
    except PlatformError as exc:
        # An expired or reused code, or Shopify away: the merchant starts again.
        log.warning("Shopify token exchange failed: %s", exc)
        return _page(502 if exc.retryable else 400, "Shopify did not give the access token",
                     "Start the installation again from your Shopify admin.")
    if token.shop != bound["shop"]:
        return _page(401, "This answer is for another shop", "Start the installation again from your Shopify admin.")
    try:
        shop, _notes = connect_shop(svc, "shopify", token.shop, {"access_token": token.access_token})
    except ConnectError as exc:
        return _page(502, "The shop could not be connected", str(exc))
    response: Response = redirect(f"/admin/{shop.slug}/")
    response.delete_cookie(STATE_COOKIE, path="/shopify", httponly=True, samesite="Lax",
                           secure=svc.settings.app_url.startswith("https"))
    return response


def ensure_offline_token(svc: Services, id_token: str) -> Shop:
    """The shop of an App Bridge ID token, with an offline token obtained if it has none.

    Raises TokenExchangeError: status 401 for a forged, expired or foreign ID token,
    404 when Shopify install is off, 502 when Shopify refuses the exchange or the shop
    cannot be connected.
    """
    adapter = _adapter(svc)
    if adapter is None:
        raise TokenExchangeError("Shopify install is off on this server", 404)
    now = svc.clock.now()
    try:
        domain = adapter.shop_of_id_token(id_token, now)
    except (InvalidSignature, ValueError) as exc:
        raise TokenExchangeError(f"the ID token is not valid: {exc}", 401) from exc
    with svc.uow() as uow:
        found = uow.shops.by_domain("shopify", domain)
        usable = found is not None and found.active and bool(uow.shops.connection(found.id).access_token)
    if found is not None and usable:
        return found
    try:
        token = adapter.exchange_id_token(id_token, now)
        shop, _notes = connect_shop(svc, "shopify", token.shop, {"access_token": token.access_token})
    except InvalidSignature as exc:
        raise TokenExchangeError(f"the ID token is not valid: {exc}", 401) from exc
    except (PlatformError, ConnectError) as exc:
        raise TokenExchangeError(str(exc), 502) from exc
    return shop


def register(app: Flask, csrf: CSRFProtect) -> None:
    # GET only, and the callback is authenticated by Shopify's HMAC and the state cookie.
    app.register_blueprint(bp)
