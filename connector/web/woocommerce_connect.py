"""WooCommerce connect in two clicks: /woocommerce/connect, /callback (keys), /return (what happened).

The merchant names their store; we check its REST API is reachable, then send them to
WooCommerce's /wc-auth/v1/authorize with a signed `user_id`. WooCommerce POSTs the new
read_write key to /callback (server to server, no browser session, so no CSRF token:
the signed user_id is what binds the key to the store that asked). The callback must
answer exactly 200 or WooCommerce deletes the key; every refusal is a non-200 JSON
error so a key we cannot use is deleted too. Then the merchant's browser comes back to
/return, which says what happened and what to do next.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, redirect, render_template, request, session
from flask_babel import get_locale
from flask_wtf.csrf import CSRFProtect
from markupsafe import escape

from connector.domain.shops import Shop
from connector.web.context import services
from connector.workflow.shops import ConnectError as ShopConnectError
from connector.workflow.shops import connect_shop
from platforms.woocommerce.probe import probe_store
from platforms.woocommerce.signatures import (
    ConnectError,
    authorize_url,
    parse_auth_callback,
    sign_user_id,
    verify_user_id,
)
from platforms.woocommerce.urls import normalise_store_url

bp = Blueprint("woocommerce_connect", __name__, url_prefix="/woocommerce")
log = logging.getLogger(__name__)

APP_NAME = "returns-connector"
PLATFORM = "woocommerce"
# The browser that started a connect may set the admin sign-in: the session remembers which.
_SESSION_KEY = "woocommerce_connect"


def _lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "fr"


def _fingerprint(user_id: str) -> str:
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:32]


def _problem(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(f"woocommerce/{template}", lang=_lang(), **context), status


@bp.get("/connect")
def connect() -> Any:
    """Check the store URL and its REST API, then send the merchant to WooCommerce to approve."""
    svc = services()
    given = request.args.get("store_url", "").strip()
    if not given:
        return _page("connect.html", store_url="")
    try:
        store = normalise_store_url(given)
    except ValueError as exc:
        return _page("connect.html", 400, store_url=given, error=str(exc), code="bad_url")
    probe = probe_store(store)
    if not probe.ok:
        return _page("connect.html", 400, store_url=store, error=probe.message, code=probe.code)
    app_url = svc.settings.app_url
    user_id = sign_user_id(store, svc.settings.secret_key, svc.clock.now())
    try:
        target = authorize_url(store, APP_NAME, user_id, f"{app_url}/woocommerce/return",
                               f"{app_url}/woocommerce/callback")
    except ConnectError as exc:
        return _page("connect.html", 400, store_url=store, error=str(exc), code="bad_app_url")
    session[_SESSION_KEY] = _fingerprint(user_id)
    return redirect(target, code=302)


@bp.post("/callback")
def callback() -> tuple[Response, int]:
    """WooCommerce's server POSTs the key here; 200 keeps it, anything else deletes it."""
    svc = services()
    try:
        keys = parse_auth_callback(request.get_data(cache=False))
    except ConnectError as exc:
        log.warning("WooCommerce connect callback refused: %s", exc)
        return _problem(400, "bad_callback", str(exc))
    try:
        store = verify_user_id(keys.user_id, svc.settings.secret_key, svc.clock.now())
    except ConnectError as exc:
        log.warning("WooCommerce connect callback with a bad binding: %s", exc)
        return _problem(403, "bad_binding", str(exc))
    credentials = {"consumer_key": keys.consumer_key, "consumer_secret": keys.consumer_secret,
                   "key_id": str(keys.key_id)}
    try:
        shop, notes = connect_shop(svc, PLATFORM, store, credentials)
    except ShopConnectError as exc:
        # The key cannot be used (REST API blocked, header stripped even in the query string,
        # webhooks refused): let WooCommerce delete it rather than keep a useless key.
        log.warning("WooCommerce store %s could not be connected: %s", store, exc)
        return _problem(422, "cannot_connect", str(exc))
    log.info("WooCommerce store %s connected as shop %s: %s", store, shop.id, "; ".join(notes))
    return jsonify(status="connected", shop=shop.slug), 200


def embed_snippet(app_url: str, shop: Shop) -> str:
    """The portal's copy-paste snippet: the portal's own when it offers one, else an iframe."""
    portal_embed_snippet = _optional("connector.web.portal", "portal_embed_snippet")
    if portal_embed_snippet is not None:
        return str(portal_embed_snippet(app_url, shop.slug))
    src = escape(f"{app_url}/portal/{shop.slug}/")
    return (f'<iframe src="{src}" title="Returns" loading="lazy" '
            'style="width:100%;min-height:760px;border:0"></iframe>')


def _optional(module_name: str, name: str) -> Any:
    """A function another edge may offer (portal, admin); None while it does not exist yet."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, name, None)


def _account_creator() -> Any:
    return _optional("connector.web.auth", "create_merchant_user")


def _connected_shop(user_id: str) -> tuple[Shop | None, str]:
    """The shop a return's user_id names, once the callback stored it; and an error if any."""
    svc = services()
    try:
        store = verify_user_id(user_id, svc.settings.secret_key, svc.clock.now())
    except ConnectError as exc:
        return None, str(exc)
    with svc.uow() as uow:
        shop = uow.shops.by_domain(PLATFORM, store)
    if shop is None or not shop.active:
        return None, "not_stored"
    return shop, ""


@bp.get("/return")
def returned() -> tuple[str, int]:
    """Where WooCommerce sends the merchant's browser back, with success=1 or 0."""
    user_id = request.args.get("user_id", "")
    if request.args.get("success") != "1":
        return _page("result.html", outcome="denied")
    shop, error = _connected_shop(user_id)
    if shop is None:
        return _page("result.html", 400, outcome="failed", error=error)
    return _connected_page(shop, user_id)


def _connected_page(shop: Shop, user_id: str, **extra: Any) -> tuple[str, int]:
    svc = services()
    may_set_account = session.get(_SESSION_KEY) == _fingerprint(user_id) and _account_creator() is not None
    return _page(
        "result.html", outcome="connected", shop=shop, snippet=embed_snippet(svc.settings.app_url, shop),
        portal_url=f"{svc.settings.app_url}/portal/{shop.slug}/", admin_url=f"{svc.settings.app_url}/admin/",
        user_id=user_id, may_set_account=may_set_account, **extra,
    )


@bp.post("/account")
def account() -> tuple[str, int]:
    """Set the merchant's admin email and password, from the browser that started the connect."""
    user_id = request.form.get("user_id", "")
    shop, error = _connected_shop(user_id)
    if shop is None:
        return _page("result.html", 400, outcome="failed", error=error)
    create = _account_creator()
    if create is None or session.get(_SESSION_KEY) != _fingerprint(user_id):
        # Anyone may read a user_id from a URL; only the browser that started may use it.
        return _connected_page(shop, user_id, account_error="forbidden")
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    if "@" not in email or len(password) < 12:
        return _connected_page(shop, user_id, account_error="invalid", email=email)
    try:
        create(services(), shop.id, email, password)
    except ValueError as exc:
        return _connected_page(shop, user_id, account_error=str(exc), email=email)
    session.pop(_SESSION_KEY, None)
    return _connected_page(shop, user_id, account_created=email)


def register(app: Flask, csrf: CSRFProtect) -> None:
    # WooCommerce's server posts the key: no browser, no CSRF token; the signed user_id binds it.
    csrf.exempt(callback)
    app.register_blueprint(bp)
