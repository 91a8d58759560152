"""The one web edge of every platform's connect flow (ports.ConnectFlow): /<platform>/<begin>, <complete>, <landing>.

Each platform whose adapter offers a connect flow (ports.OffersConnectFlow) gets its routes
mounted here at start, where the flow says (Shopify: /shopify/install and /shopify/callback;
WooCommerce: /woocommerce/connect, /woocommerce/callback, /woocommerce/return and
/woocommerce/account). The flow decides, framework-free; this edge only turns its steps into
HTTP: a redirect with what it binds to the browser in a signed, HttpOnly, SameSite=Lax cookie
(Lax: it must come back on the platform's top-level redirect), the platform's form or a page
for a refusal, and the shop stored through the connect_shop use case. A completion the
platform's server POSTs (no browser, no CSRF token: the flow authenticates it) is answered
in JSON, 200 only when the shop was kept.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, redirect, render_template, render_template_string, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from connector.domain.shops import Shop
from connector.ports.platforms import (
    ConnectFlow,
    FlowConnect,
    FlowContext,
    FlowForm,
    FlowRedirect,
    FlowRefused,
    FlowStep,
    OffersConnectFlow,
)
from connector.web.auth import create_merchant_user
from connector.web.context import SUPPORTED_LOCALES, Services, services
from connector.web.portal import portal_embed_snippet
from connector.workflow.shops import ConnectError, connect_shop, connected_shop

log = logging.getLogger(__name__)

_PAGE = """{% extends "base.html" %}
{% block title %}{{ title }}{% endblock %}
{% block content %}
<div class="card">
  <h1>{{ title }}</h1>
  <p>{{ message }}</p>
</div>
{% endblock %}
"""

Answer = Response | tuple[Any, int]


def bind_cookie(platform: str) -> str:
    """The cookie that carries what a flow's `begin` bound to the browser (path /<platform>)."""
    return f"{platform}_connect_state"


def _flow(svc: Services, platform: str) -> ConnectFlow:
    adapter = svc.adapter(platform)
    assert isinstance(adapter, OffersConnectFlow)  # only mounted for these
    return adapter.connect_flow


def _ctx(svc: Services) -> FlowContext:
    return FlowContext(app_url=svc.settings.app_url, secret_key=svc.settings.secret_key, now=svc.clock.now())


def _signer(svc: Services, platform: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(svc.settings.secret_key, salt=f"{platform}-connect-bind")


def _secure(svc: Services) -> bool:
    return svc.settings.app_url.startswith("https")


def _bound(svc: Services, platform: str, flow: ConnectFlow) -> str:
    """What `begin` bound to this browser, or "" when nothing, tampered or older than the flow allows."""
    raw = request.cookies.get(bind_cookie(platform), "")
    if not raw:
        return ""
    try:
        value = _signer(svc, platform).loads(raw, max_age=flow.routes.bind_max_age)
    except BadSignature:  # tampered or expired (SignatureExpired is a BadSignature)
        return ""
    return value if isinstance(value, str) else ""


def _lang() -> str:
    locale = get_locale()
    # The page's language for the flow's own texts; French, the first language of our shops, otherwise.
    return locale.language if locale is not None and locale.language in SUPPORTED_LOCALES else SUPPORTED_LOCALES[0]


def _page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template_string(_PAGE, title=title, message=message), status


def _template(platform: str, name: str, status: int = 200, **context: Any) -> tuple[str, int]:
    begin_at = _flow(services(), platform).routes.begin
    return render_template(f"{platform}/{name}", lang=_lang(), start_url=f"/{platform}/{begin_at}",
                           account_url=f"/{platform}/account", **context), status


def _refusal(refused: FlowRefused, as_json: bool) -> tuple[Any, int]:
    if as_json:
        return jsonify(error={"code": refused.code, "message": refused.message}), refused.status
    # A platform marks its refusals' words for the one catalog (N_); they are said here, in the page's language.
    return _page(refused.status, _(refused.title), _(refused.message))


def _answer(svc: Services, platform: str, flow: ConnectFlow, step: FlowStep, as_json: bool) -> Answer:
    if isinstance(step, FlowForm):
        refused = step.refused
        return _template(platform, "connect.html", refused.status if refused else 200, store_url=step.given,
                         error=refused.message if refused else "", code=refused.code if refused else "")
    if isinstance(step, FlowRefused):
        log.info("%s connect refused (%s): %s", platform, step.code, step.message)
        return _refusal(step, as_json)
    if isinstance(step, FlowRedirect):
        response: Response = redirect(step.url, code=302)
        if step.bind:
            response.set_cookie(
                bind_cookie(platform), _signer(svc, platform).dumps(step.bind), max_age=flow.routes.bind_max_age,
                path=f"/{platform}", httponly=True, samesite="Lax", secure=_secure(svc),
            )
        return response
    return _connect(svc, platform, step, as_json)


def _connect(svc: Services, platform: str, step: FlowConnect, as_json: bool) -> Answer:
    try:
        shop, notes = connect_shop(svc, platform, step.domain, dict(step.credentials))
    except ConnectError as exc:
        # The credentials cannot be used (API blocked, webhooks refused): a JSON refusal lets the
        # platform delete a key we cannot use rather than keep it.
        log.warning("%s shop %s could not be connected: %s", platform, step.domain, exc)
        if as_json:
            return jsonify(error={"code": "cannot_connect", "message": str(exc)}), 422
        return _page(502, "The shop could not be connected", str(exc))
    log.info("%s shop %s connected as shop %s: %s", platform, step.domain, shop.id, "; ".join(notes))
    if as_json:
        return jsonify(status="connected", shop=shop.slug), 200
    response: Response = redirect(f"/admin/{shop.slug}/")
    response.delete_cookie(bind_cookie(platform), path=f"/{platform}", httponly=True, samesite="Lax",
                           secure=_secure(svc))
    return response


def begin(platform: str) -> Answer:
    svc = services()
    flow = _flow(svc, platform)
    off = flow.unavailable()
    if off is not None:
        return _refusal(off, as_json=False)
    return _answer(svc, platform, flow, flow.begin(list(request.args.items(multi=True)), _ctx(svc)), as_json=False)


def complete(platform: str) -> Answer:
    svc = services()
    flow = _flow(svc, platform)
    as_json = flow.routes.complete_method == "POST"
    off = flow.unavailable()
    if off is not None:
        return _refusal(off, as_json)
    step = flow.complete(list(request.args.items(multi=True)), request.get_data(cache=False),
                         _bound(svc, platform, flow), _ctx(svc))
    return _answer(svc, platform, flow, step, as_json)


def _connected_page(svc: Services, platform: str, flow: ConnectFlow, shop: Shop, token: str,
                    **extra: Any) -> tuple[str, int]:
    may_set_account = bool(token) and _bound(svc, platform, flow) == token
    return _template(
        platform, "result.html", outcome="connected", shop=shop, snippet=portal_embed_snippet(svc.settings.app_url, shop.slug),
        portal_url=f"{svc.settings.app_url}/portal/{shop.slug}/", admin_url=f"{svc.settings.app_url}/admin/",
        token=token, may_set_account=may_set_account, **extra,
    )


def landing(platform: str) -> tuple[Any, int]:
    """Where the platform sends the merchant's browser back after its consent page."""
    svc = services()
    flow = _flow(svc, platform)
    off = flow.unavailable()
    if off is not None:
        return _refusal(off, as_json=False)
    landed = flow.landed(list(request.args.items(multi=True)), _ctx(svc))
    if landed.declined:
        return _template(platform, "result.html", outcome="denied")
    if landed.error:
        return _template(platform, "result.html", 400, outcome="failed", error=landed.error)
    shop = connected_shop(svc, platform, landed.domain)
    if shop is None:
        return _template(platform, "result.html", 400, outcome="failed", error="not_stored")
    return _connected_page(svc, platform, flow, shop, landed.token)


def account(platform: str) -> tuple[Any, int]:
    """Set the merchant's admin email and password, from the browser that started the connect."""
    svc = services()
    flow = _flow(svc, platform)
    token = request.form.get("token", "")
    try:
        shop = connected_shop(svc, platform, flow.shop_of(token, _ctx(svc)))
    except ValueError as exc:
        return _template(platform, "result.html", 400, outcome="failed", error=str(exc))
    if shop is None:
        return _template(platform, "result.html", 400, outcome="failed", error="not_stored")
    if _bound(svc, platform, flow) != token:
        # Anyone may read a token from a URL; only the browser that started may use it.
        return _connected_page(svc, platform, flow, shop, token, account_error="forbidden")
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    if "@" not in email or len(password) < 12:
        return _connected_page(svc, platform, flow, shop, token, account_error="invalid", email=email)
    try:
        create_merchant_user(svc, shop.id, email, password)
    except ValueError as exc:
        return _connected_page(svc, platform, flow, shop, token, account_error=str(exc), email=email)
    return _connected_page(svc, platform, flow, shop, token, account_created=email)


def register(app: Flask, csrf: CSRFProtect) -> None:
    """Mount the connect flow of every installed platform that offers one."""
    svc: Services = app.extensions["returns_connector"]
    for platform, adapter in sorted(svc.adapters.items()):
        if not isinstance(adapter, OffersConnectFlow):
            continue
        routes = adapter.connect_flow.routes
        defaults = {"platform": platform}
        app.add_url_rule(f"/{platform}/{routes.begin}", endpoint=f"connect_flow_{platform}_begin",
                         view_func=begin, methods=["GET"], defaults=defaults)
        app.add_url_rule(f"/{platform}/{routes.complete}", endpoint=f"connect_flow_{platform}_complete",
                         view_func=complete, methods=[routes.complete_method], defaults=defaults)
        if routes.landing:
            app.add_url_rule(f"/{platform}/{routes.landing}", endpoint=f"connect_flow_{platform}_landing",
                             view_func=landing, methods=["GET"], defaults=defaults)
            app.add_url_rule(f"/{platform}/account", endpoint=f"connect_flow_{platform}_account",
                             view_func=account, methods=["POST"], defaults=defaults)
    # The platform's server posts the credentials: no browser, no CSRF token; the flow authenticates it.
    csrf.exempt(complete)
