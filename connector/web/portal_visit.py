"""Which shop and which order a portal request is about, and how its links are built. Flask edge.

Two blueprints share every page: /portal/<shop_slug>/... (directly, or framed by a
WooCommerce page: the found order is kept in the signed session), and /proxy/... for a
platform's storefront proxy, Shopify's app proxy (the shop comes from the signature its
adapter verified, ports.ServesStorefrontProxy; links are built under its path_prefix, and
state travels in signed tokens because Shopify strips cookies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, g, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from connector.domain.messages import language
from connector.domain.orders import Order
from connector.domain.shops import Shop
from connector.i18n import format_date
from connector.ports.platforms import InvalidProxyRequest, StorefrontProxyRequest
from connector.web import portal_pages as pages
from connector.web.context import services
from connector.web.portal_access import LookupLimiter, Tokens
from connector.web.security_headers import frame_policy, origin, shopify_admin_ancestors, storefront_ancestors
from connector.workflow import portal

# The items form may carry a few photos per line: above the app's 5 MiB body limit.
MAX_REQUEST_BYTES = 40 * 1024 * 1024
_SESSION_KEY = "portal_orders"

portal_bp = Blueprint("portal", __name__, url_prefix="/portal/<shop_slug>")
proxy_bp = Blueprint("portal_proxy", __name__, url_prefix="/proxy")


@dataclass
class Visit:
    """This request's shop, how it arrived, and which order (if any) the shopper proved is theirs."""

    shop: Shop
    proxy: StorefrontProxyRequest | None = None
    order_id: str | None = None
    token: str = ""  # proxy only: the signed visit carried in links and forms


def current_visit() -> Visit:
    visit: Visit = g.portal
    return visit


def shopper_lang() -> str:
    return language(str(get_locale() or "fr"))


def tokens() -> Tokens:
    return Tokens(str(current_app.config["SECRET_KEY"]))


def limiter() -> LookupLimiter:
    limiter: LookupLimiter = current_app.extensions["portal_limiter"]
    return limiter


# ---- links that work directly and under the proxy ----

def link(endpoint: str, **values: Any) -> str:
    visit = current_visit()
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
    if current_visit().proxy is None:
        return url_for("static", filename=filename)
    # Under the proxy the page lives on the shop's domain: assets come from the app itself.
    return services().settings.app_url.rstrip("/") + url_for("static", filename=filename)


def portal_csrf() -> str:
    visit = current_visit()
    if visit.proxy is None:
        return str(generate_csrf())
    return tokens().dump("form", {"s": visit.shop.id})


def _language_links() -> list[tuple[str, str, str]]:
    if request.method != "GET" or not request.endpoint:
        return []
    endpoint = request.endpoint.split(".", 1)[1]
    args = {k: v for k, v in (request.view_args or {}).items() if k != "shop_slug"}
    return [(code, name, link(endpoint, **{**args, "lang": code}))
            for code, name in (("fr", "Français"), ("en", "English"))]


def template_context() -> dict[str, Any]:
    lang = shopper_lang()
    if "portal" not in g:
        return {"lang": lang, "switch_to": [], "embedded": False}
    return {
        "link": link, "static_url": static_url, "portal_csrf": portal_csrf, "shop": current_visit().shop,
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
        values["shop_slug"] = current_visit().shop.slug


proxy_bp.url_value_preprocessor(_size_limit)


def _active_shop(shop: Shop | None) -> Shop:
    if shop is None:
        abort(404)
    return shop


@portal_bp.before_request
def _open_direct() -> None:
    slug = g.pop("portal_slug", "")
    shop = _active_shop(portal.open_shop(services(), slug=slug))
    g.portal = Visit(shop=shop, order_id=(session.get(_SESSION_KEY) or {}).get(str(shop.id)))
    g.shop_locale = shop.locale


@proxy_bp.before_request
def _open_proxy() -> None:
    svc = services()
    try:
        opened = portal.open_proxied_shop(svc, request.query_string.decode("utf-8", "replace"))
    except InvalidProxyRequest:
        abort(401)
    if opened is None:
        abort(404)  # no platform forwards its storefront here
    found, proxied = opened
    shop = _active_shop(found)
    signer = tokens()
    carried = request.values.get("t", "")
    data = signer.load("visit", carried)
    order_id = str(data["o"]) if data and data.get("s") == shop.id else None
    g.portal = Visit(shop=shop, proxy=proxied, order_id=order_id, token=carried if order_id else "")
    g.shop_locale = shop.locale
    if request.method == "POST":
        # No cookies through the proxy, so no session-bound CSRF token: a signed form token
        # for this shop stands in. There is no ambient authority here to abuse: the order
        # itself is named by the signed visit token, which a third party cannot read.
        form = signer.load("form", request.form.get("csrf_token", ""))
        if not form or form.get("s") != shop.id:
            raise CSRFError("The CSRF token is missing or invalid.")


def remember(order: Order) -> str:
    """Keep the proved order for the next pages: in the session, or a signed token under the proxy."""
    visit = current_visit()
    visit.order_id = order.platform_order_id
    if visit.proxy is None:
        found = dict(session.get(_SESSION_KEY) or {})
        found[str(visit.shop.id)] = order.platform_order_id
        session[_SESSION_KEY] = found
        return ""
    visit.token = tokens().dump("visit", {"s": visit.shop.id, "o": order.platform_order_id})
    return visit.token


def visit_order() -> Order | None:
    visit = current_visit()
    if not visit.order_id:
        return None
    # The shop's scope only sees its own orders: another shop's id finds nothing.
    return portal.visit_order(services(), visit.shop, visit.order_id)


@portal_bp.after_request
@proxy_bp.after_request
def _headers(response: Response) -> Response:
    # The shop's own site frames the portal (the embed snippet); through the Shopify app proxy
    # the page is the storefront's, and its script and styles come from the app's address.
    visit: Visit | None = g.get("portal")
    if visit is not None and visit.proxy is not None:
        frame_policy(response, "'self' " + shopify_admin_ancestors(visit.shop.domain),
                     [o for o in (origin(services().settings.app_url),) if o])
    elif visit is not None:
        frame_policy(response, storefront_ancestors(visit.shop))
    # The pages hold personal data.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def client_ip() -> str:
    if current_visit().proxy is not None:
        # Behind Shopify the peer is Shopify; the signed request carries the shopper's address.
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.remote_addr or "unknown"


# ---- errors in the portal's own layout and words ----

def error_page(code: int) -> tuple[str, int]:
    titles = {
        400: (_("This form has expired"), _("Go back, reload the page and send the form again.")),
        401: (_("This link is not valid"), _("Open the return form again from the shop.")),
        404: (_("Page not found"), _("Check the address, or start again from the return form.")),
        405: (_("This page cannot be opened directly"), _("Start again from the return form.")),
        413: (_("These files are too large"), _("Each photo may be up to 8 MB.")),
        429: (_("Too many attempts"), _("For your security, order searches are limited. "
                                        "Please wait 15 minutes and try again.")),
    }
    title, message = titles.get(code, (_("Something went wrong"), _("Please try again in a moment.")))
    # Routing errors skip the blueprint's context processor: give the layout its context here.
    shown: dict[str, Any] = {**template_context(), "shop": current_visit().shop if "portal" in g else None}
    return render_template("portal/error.html", **shown, title=title, message=message), code


def _ensure_visit() -> bool:
    """An error may come before _open_direct ran (Flask-WTF checks first): find the shop for the layout."""
    if "portal" in g:
        return True
    slug = g.get("portal_slug")
    if not slug and request.path.startswith("/portal/"):
        # A routing error (405, 404) comes before the slug is taken from the URL.
        slug = request.path.split("/")[2]
    if not slug:
        return False
    shop = portal.open_shop(services(), slug=slug)
    if shop is None:
        return False
    g.portal = Visit(shop=shop)
    g.shop_locale = shop.locale
    return True


def on_http_error(exc: HTTPException) -> Any:
    """In the shop's layout when the shop is known, in the shopper's language either way."""
    _ensure_visit()
    return error_page(exc.code or 500)


def _on_csrf_error(exc: CSRFError) -> Any:
    _ensure_visit()
    return error_page(400)


for _bp in (portal_bp, proxy_bp):
    _bp.register_error_handler(CSRFError, _on_csrf_error)
    _bp.register_error_handler(HTTPException, on_http_error)


