"""The shopper portal: find an order, choose items, review, confirm, track. Flask edge; imports workflow and web helpers.

Served three ways with the same views: /portal/<shop_slug>/... (directly, or framed by
a WooCommerce page), and /proxy/... through the Shopify app proxy, where the shop comes
from the verified signature, links are built under the proxy's path_prefix, and state
travels in signed fields instead of the session (Shopify strips cookies).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import segno
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from connector.domain.errors import IllegalTransition, InvalidReturn
from connector.domain.messages import format_date, language
from connector.domain.orders import Order
from connector.domain.policy import policy_summary
from connector.domain.returns import Channel
from connector.domain.shops import Shop
from connector.web import portal_pages as pages
from connector.web.context import services
from connector.web.portal_access import LookupLimiter, Tokens, limiter_for
from connector.web.portal_photos import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_ITEM, photo_path_in, store_photo
from connector.workflow import returns as flow
from platforms.shopify.signatures import InvalidSignature, ProxyRequest, verify_app_proxy

TRANSLATIONS = Path(__file__).resolve().parent / "portal_translations"
# The items form may carry a few photos per line: above the app's 5 MiB body limit.
MAX_REQUEST_BYTES = 40 * 1024 * 1024
_SESSION_KEY = "portal_orders"

portal_bp = Blueprint("portal", __name__, url_prefix="/portal/<shop_slug>")
proxy_bp = Blueprint("portal_proxy", __name__, url_prefix="/proxy")


@dataclass
class Visit:
    """This request's shop, how it arrived, and which order (if any) the shopper proved is theirs."""

    shop: Shop
    proxy: ProxyRequest | None = None
    order_id: str | None = None
    token: str = ""  # proxy only: the signed visit carried in links and forms


def _visit() -> Visit:
    visit: Visit = g.portal
    return visit


def _lang() -> str:
    return language(str(get_locale() or "fr"))


def _tokens() -> Tokens:
    return Tokens(str(current_app.config["SECRET_KEY"]))


def _limiter() -> LookupLimiter:
    limiter: LookupLimiter = current_app.extensions["portal_limiter"]
    return limiter


# ---- links that work directly and under the proxy ----

def link(endpoint: str, **values: Any) -> str:
    visit = _visit()
    lang = request.args.get("lang")
    if lang in ("fr", "en"):
        values.setdefault("lang", lang)
    if visit.proxy is None:
        return url_for(f"portal.{endpoint}", **values)
    if visit.token:
        values.setdefault("t", visit.token)
    path = url_for(f"portal_proxy.{endpoint}", **values)
    # Shopify forwards /apps/<sub>/x to /proxy/x: the browser must see the storefront path.
    return visit.proxy.path_prefix.rstrip("/") + path[len(proxy_bp.url_prefix or ""):]


def static_url(filename: str) -> str:
    if _visit().proxy is None:
        return url_for("static", filename=filename)
    # Under the proxy the page lives on the shop's domain: assets come from the app itself.
    return services().settings.app_url.rstrip("/") + url_for("static", filename=filename)


def portal_csrf() -> str:
    visit = _visit()
    if visit.proxy is None:
        return str(generate_csrf())
    return _tokens().dump("form", {"s": visit.shop.id})


def _language_links() -> list[tuple[str, str, str]]:
    if request.method != "GET" or not request.endpoint:
        return []
    endpoint = request.endpoint.split(".", 1)[1]
    args = {k: v for k, v in (request.view_args or {}).items() if k != "shop_slug"}
    return [(code, name, link(endpoint, **{**args, "lang": code}))
            for code, name in (("fr", "Français"), ("en", "English"))]


def _context() -> dict[str, Any]:
    lang = _lang()
    if "portal" not in g:
        return {"lang": lang, "switch_to": [], "embedded": False}
    return {
        "link": link, "static_url": static_url, "portal_csrf": portal_csrf, "shop": _visit().shop,
        "lang": lang, "switch_to": _language_links(), "status_label": pages.status_label,
        "format_date": lambda day: format_date(day, lang), "embedded": False,
    }


# ---- arriving: which shop, which order ----

def _size_limit(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Runs before Flask-WTF reads the form (url_value_preprocessors come before before_request).
    if endpoint and endpoint.endswith(".review"):
        request.max_content_length = MAX_REQUEST_BYTES


@portal_bp.url_value_preprocessor
def _take_slug(endpoint: str | None, values: dict[str, Any] | None) -> None:
    _size_limit(endpoint, values)
    g.portal_slug = (values or {}).pop("shop_slug", "")


@portal_bp.url_defaults
def _add_slug(endpoint: str, values: dict[str, Any]) -> None:
    if "portal" in g and "shop_slug" not in values:
        values["shop_slug"] = _visit().shop.slug


proxy_bp.url_value_preprocessor(_size_limit)


def _active_shop(find: Callable[[Any], Shop | None]) -> Shop:
    with services().uow() as uow:
        shop = find(uow)
    if shop is None or not shop.active:
        abort(404)
    return shop


@portal_bp.before_request
def _open_direct() -> None:
    slug = g.pop("portal_slug", "")
    shop = _active_shop(lambda uow: uow.shops.by_slug(slug))
    g.portal = Visit(shop=shop, order_id=(session.get(_SESSION_KEY) or {}).get(str(shop.id)))
    g.shop_locale = shop.locale


@proxy_bp.before_request
def _open_proxy() -> None:
    svc = services()
    secrets = [s for s in (svc.settings.shopify_api_secret, svc.settings.shopify_previous_api_secret) if s]
    if not secrets:
        abort(404)
    try:
        proxied = verify_app_proxy(request.query_string.decode("utf-8", "replace"), secrets, svc.clock.now())
    except InvalidSignature:
        abort(401)
    if not proxied.path_prefix.startswith("/") or proxied.path_prefix.startswith("//"):
        proxied = ProxyRequest(proxied.shop, proxied.logged_in_customer_id, "/apps/returns")
    shop = _active_shop(lambda uow: uow.shops.by_domain("shopify", proxied.shop))
    tokens = _tokens()
    carried = request.values.get("t", "")
    data = tokens.load("visit", carried)
    order_id = str(data["o"]) if data and data.get("s") == shop.id else None
    g.portal = Visit(shop=shop, proxy=proxied, order_id=order_id, token=carried if order_id else "")
    g.shop_locale = shop.locale
    if request.method == "POST":
        # No cookies through the proxy, so no session-bound CSRF token: a signed form token
        # for this shop stands in. There is no ambient authority here to abuse: the order
        # itself is named by the signed visit token, which a third party cannot read.
        form = tokens.load("form", request.form.get("csrf_token", ""))
        if not form or form.get("s") != shop.id:
            raise CSRFError("The CSRF token is missing or invalid.")


def _remember(order: Order) -> str:
    """Keep the proved order for the next pages: in the session, or a signed token under the proxy."""
    visit = _visit()
    visit.order_id = order.platform_order_id
    if visit.proxy is None:
        found = dict(session.get(_SESSION_KEY) or {})
        found[str(visit.shop.id)] = order.platform_order_id
        session[_SESSION_KEY] = found
        return ""
    visit.token = _tokens().dump("visit", {"s": visit.shop.id, "o": order.platform_order_id})
    return visit.token


def _visit_order() -> Order | None:
    visit = _visit()
    if not visit.order_id:
        return None
    with services().uow() as uow:
        # The shop's scope only sees its own orders: another shop's id finds nothing.
        return uow.scope(visit.shop).orders.get(visit.order_id)


@portal_bp.after_request
@proxy_bp.after_request
def _headers(response: Response) -> Response:
    # Any shop may frame the portal (the WooCommerce snippet); the pages hold personal data.
    response.headers["Content-Security-Policy"] = "frame-ancestors *"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _client_ip() -> str:
    if _visit().proxy is not None:
        # Behind Shopify the peer is Shopify; the signed request carries the shopper's address.
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.remote_addr or "unknown"


# ---- errors in the portal's own layout and words ----

def _error_page(code: int) -> tuple[str, int]:
    titles = {
        400: (_("This form has expired"), _("Go back, reload the page and send the form again.")),
        401: (_("This link is not valid"), _("Open the return form again from the shop.")),
        404: (_("Page not found"), _("Check the address, or start again from the return form.")),
        413: (_("These files are too large"), _("Each photo may be up to 8 MB.")),
        429: (_("Too many attempts"), _("For your security, order searches are limited. "
                                        "Please wait 15 minutes and try again.")),
    }
    title, message = titles.get(code, (_("Something went wrong"), _("Please try again in a moment.")))
    return render_template("portal/error.html", title=title, message=message), code


def _ensure_visit() -> bool:
    """An error may come before _open_direct ran (Flask-WTF checks first): find the shop for the layout."""
    if "portal" in g:
        return True
    slug = g.get("portal_slug")
    if not slug:
        return False
    with services().uow() as uow:
        shop = uow.shops.by_slug(slug)
    if shop is None or not shop.active:
        return False
    g.portal = Visit(shop=shop)
    g.shop_locale = shop.locale
    return True


def _on_http_error(exc: HTTPException) -> Any:
    code = exc.code or 500
    if not _ensure_visit():
        return render_template("portal/error.html", title=exc.name, message=exc.description, shop=None), code
    return _error_page(code)


def _on_csrf_error(exc: CSRFError) -> Any:
    if not _ensure_visit():
        return render_template("portal/error.html", title=exc.name, message=exc.description, shop=None), 400
    return _error_page(400)


for _bp in (portal_bp, proxy_bp):
    _bp.register_error_handler(CSRFError, _on_csrf_error)
    _bp.register_error_handler(HTTPException, _on_http_error)


# ---- the pages ----

def lookup() -> Any:
    visit = _visit()
    if request.method == "GET":
        return render_template("portal/lookup.html", failed=False, number="")
    if not _limiter().allow(visit.shop.id, _client_ip(), services().clock.now().timestamp()):
        body, code = _error_page(429)
        return body, code, {"Retry-After": str(_limiter().retry_after)}
    number = request.form.get("order", "").strip()[:64]
    order = pages.find_order(services(), visit.shop, number, request.form.get("contact", "")[:254])
    if order is None:
        # One answer for "no such order" and "not your order": nothing to enumerate.
        return render_template("portal/lookup.html", failed=True, number=number)
    _remember(order)
    return redirect(link("items"))


def _items(order: Order, errors: dict[int, list[str]] | None = None, general: list[str] | None = None,
           values: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    page = pages.items_page(services(), _visit().shop, order, _lang())
    photo_reasons = ", ".join(r.label for r in page.reasons if r.needs_photo)
    return render_template("portal/items.html", page=page, errors=errors or {}, general_errors=general or [],
                           values=values or {}, photo_reasons=photo_reasons), status


def items() -> Any:
    order = _visit_order()
    if order is None:
        return redirect(link("lookup"))
    return _items(order)


def review() -> Any:
    svc, visit, lang = services(), _visit(), _lang()
    order = _visit_order()
    if order is None:
        return redirect(link("lookup"))
    policy = flow.policy_for(visit.shop)
    parsed = pages.parse_request(request.form, request.files, order, policy)
    if parsed.errors or not parsed.wanted:
        general = [] if parsed.errors else [_("Choose at least one item to return.")]
        return _items(order, parsed.errors, general, parsed.values, 422)
    with svc.uow() as uow:
        decision, plans = flow.decide(uow.scope(visit.shop), order, parsed.wanted, svc.clock.now())
    if not decision.eligible or not all(item.eligible for item in decision.items):
        return _items(order, pages.item_problems(decision, order, lang), [r.text(lang) for r in decision.reasons],
                      parsed.values, 422)
    # Only an accepted request writes its photos; the names replace the placeholders.
    wanted = [flow.WantedItem(
        w.line_id, w.quantity, w.reason, w.resolution, w.comment,
        tuple(store_photo(svc.settings.instance_path, visit.shop.id, p) for p in parsed.photos[w.line_id]),
        w.exchange_variant_id) for w in parsed.wanted]
    draft = _tokens().dump("draft", pages.draft_payload(visit.shop, order, wanted))
    return render_template("portal/review.html", review=pages.review_page(order, policy, wanted, decision, plans, lang),
                           draft=draft)


def confirm() -> Any:
    svc, visit = services(), _visit()
    order = _visit_order()
    data = _tokens().load("draft", request.form.get("draft", ""))
    if order is None or data is None or data.get("s") != visit.shop.id or data.get("o") != order.platform_order_id:
        return _error_page(400)
    try:
        opened = flow.open_return_request(svc, visit.shop.id, order.platform_order_id, pages.wanted_from_draft(data),
                                          channel=Channel.PORTAL, locale=_lang())
    except flow.ReturnRefused as refused:
        lang = _lang()
        return _items(order, pages.item_problems(refused.decision, order, lang),
                      [r.text(lang) for r in refused.decision.reasons] or [_("Please check your request.")],
                      status=422)
    except (InvalidReturn, flow.NotFound):
        return _items(order, general=[_("Please check your request.")], status=422)
    return redirect(link("confirmation", token=opened.ret.tracking_token))


def _tracking(token: str) -> pages.TrackingPage:
    found = pages.tracking_page(services(), _visit().shop, token, _lang())
    if found is None:
        abort(404)
    return found


def confirmation(token: str) -> Any:
    return render_template("portal/confirmation.html", t=_tracking(token))


def slip(token: str) -> Any:
    page = _tracking(token)
    # segno writes the SVG from the reference (our own [A-Z0-9-] text): safe to inline as markup.
    qr = Markup(segno.make(page.ret.reference, error="m").svg_inline(scale=4, omitsize=True))  # noqa: S704
    return render_template("portal/slip.html", t=page, qr=qr)


def track(token: str) -> Any:
    notices = {"cancelled": _("Your return is cancelled."), "thanks": _("Thank you for your answer.")}
    problems = {"late": _("This return can no longer be cancelled: the parcel is already on its way."),
                "score": _("Choose a rating from 1 to 5.")}
    return render_template("portal/track.html", t=_tracking(token),
                           notice=notices.get(request.args.get("done", "")),
                           problem=problems.get(request.args.get("problem", "")))


def cancel(token: str) -> Any:
    page = _tracking(token)
    try:
        flow.cancel(services(), _visit().shop.id, page.ret.reference, "shopper")
    except IllegalTransition:
        return redirect(link("track", token=token, problem="late"))
    return redirect(link("track", token=token, done="cancelled"))


def satisfaction(token: str) -> Any:
    _tracking(token)
    try:
        score = int(request.form.get("score", ""))
        flow.record_satisfaction(services(), _visit().shop.id, token, score, request.form.get("comment", ""))
    except (ValueError, InvalidReturn):
        return redirect(link("track", token=token, problem="score"))
    return redirect(link("track", token=token, done="thanks"))


def by_reference(reference: str) -> Any:
    """A return named by its reference, for the shopper who found its order: to its tracking page."""
    visit = _visit()
    with services().uow() as uow:
        ret = uow.scope(visit.shop).returns.get_by_reference(reference)
    if ret is None or visit.order_id is None or ret.order_id != visit.order_id:
        abort(404)
    return redirect(link("track", token=ret.tracking_token))


def policy() -> Any:
    lang = _lang()
    rules = flow.policy_for(_visit().shop)
    return render_template("portal/policy.html", sections=policy_summary(rules, lang),
                           reasons=[(r.label(lang), r.needs_photo) for r in rules.reasons])


_ROUTES: list[tuple[str, str, Callable[..., Any], list[str]]] = [
    ("/", "lookup", lookup, ["GET", "POST"]),
    ("/order", "items", items, ["GET"]),
    ("/review", "review", review, ["POST"]),
    ("/confirm", "confirm", confirm, ["POST"]),
    ("/returns/<reference>", "by_reference", by_reference, ["GET"]),
    ("/track/<token>", "track", track, ["GET"]),
    ("/track/<token>/confirmation", "confirmation", confirmation, ["GET"]),
    ("/track/<token>/slip", "slip", slip, ["GET"]),
    ("/track/<token>/cancel", "cancel", cancel, ["POST"]),
    ("/track/<token>/satisfaction", "satisfaction", satisfaction, ["POST"]),
    ("/policy", "policy", policy, ["GET"]),
]
for _bp in (portal_bp, proxy_bp):
    for _rule, _endpoint, _view, _methods in _ROUTES:
        # /apps/returns (no slash) reaches us as /proxy: answer it, a redirect would leave the storefront.
        _bp.add_url_rule(_rule, _endpoint, _view, methods=_methods, strict_slashes=_rule != "/")
    _bp.context_processor(_context)


# ---- for the other edges ----

def photo_path(shop_id: int, name: str) -> Path:
    """Where a shopper's photo is stored, for the merchant's (protected) photo route; ValueError if not ours."""
    return photo_path_in(services().settings.instance_path, shop_id, name)


def portal_embed_snippet(app_url: str, slug: str) -> str:
    """The HTML a WooCommerce merchant pastes in a page: the portal in an iframe that fits its content."""
    base = app_url.rstrip("/")
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}"
    src = f"{base}/portal/{slug}/"
    frame_id = f"returns-connector-{slug}"
    return (
        f'<iframe id="{escape(frame_id)}" src="{escape(src)}" title="Retours / Returns" '
        'style="width:100%;min-height:640px;border:0" loading="lazy"></iframe>\n'
        "<script>window.addEventListener(\"message\",function(e){"
        f"if(e.origin!=={json.dumps(origin)})return;var d=e.data;"
        "if(d&&d.type===\"returns-connector:height\"&&+d.height>0){"
        f"document.getElementById({json.dumps(frame_id)}).style.height=(+d.height)+\"px\";}}}});</script>"
    )


def register(app: Flask, csrf: CSRFProtect) -> None:
    csrf.exempt(proxy_bp)  # checked in _open_proxy with a signed token: no cookies through Shopify
    app.register_blueprint(portal_bp)
    app.register_blueprint(proxy_bp)
    app.extensions["portal_limiter"] = limiter_for(app.extensions["returns_connector"].settings.redis_url)
    # Flask-Babel resolved its directories at init_app: add ours to the config and to the live list.
    app.config["BABEL_TRANSLATION_DIRECTORIES"] += ";" + str(TRANSLATIONS)
    babel_config = app.extensions.get("babel")
    if babel_config is not None and str(TRANSLATIONS) not in babel_config.translation_directories:
        babel_config.translation_directories.append(str(TRANSLATIONS))


__all__ = ["MAX_PHOTOS_PER_ITEM", "MAX_PHOTO_BYTES", "photo_path", "portal_embed_snippet", "register"]
