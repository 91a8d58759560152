"""The admin blueprint and what every admin view shares: the shop, who is signed in, links, CSRF.

Every URL is under /admin/<slug>/: the shop is loaded once per request, the merchant's
identity checked for that shop (see connector.web.auth) before any view runs, and
links and forms carry the session token in embedded mode. Imports Flask and the web
helpers; views import `bp`, `identity()` and `admin_url()` from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import gettext
from markupsafe import Markup
from werkzeug.wrappers import Response

from connector.domain.errors import DomainError
from connector.domain.money import Money
from connector.domain.shops import Shop
from connector.i18n import format_date, format_money, format_number, resolution_name
from connector.web.auth import AdminIdentity, identify, signed_in_elsewhere
from connector.web.context import services
from connector.web.security_headers import NOBODY, frame_policy, shopify_admin_ancestors
from connector.workflow.shop_directory import shop_by_slug

bp = Blueprint("admin", __name__, url_prefix="/admin/<slug>")

SHOPIFY_CDN = "https://cdn.shopify.com"
APP_BRIDGE_URL = f"{SHOPIFY_CDN}/shopifycloud/app-bridge.js"


def _(message: str, **variables: Any) -> str:
    """gettext, typed: the admin's msgids are English, its catalog is admin_translations/."""
    return str(gettext(message, **variables))


def identity() -> AdminIdentity:
    found: AdminIdentity | None = g.get("admin_identity")
    if found is None:  # the before_request hook always sets it; a view never runs without
        abort(403)
    return found


def shop() -> Shop:
    return identity().shop


def actor() -> str:
    return identity().actor


def locale() -> str:
    from flask_babel import get_locale

    found = get_locale()
    return found.language if found else "fr"


@bp.url_value_preprocessor
def _pull_slug(endpoint: str | None, values: dict[str, Any] | None) -> None:
    slug = (values or {}).pop("slug", "")
    found = shop_by_slug(services(), slug)
    if found is None:
        abort(404)
    g.admin_shop = found
    g.shop_locale = found.locale


@bp.url_defaults
def _add_slug(endpoint: str, values: dict[str, Any]) -> None:
    if "slug" not in values and g.get("admin_shop") is not None:
        values["slug"] = g.admin_shop.slug


@bp.before_request
def _require_identity() -> Response | None:
    found: Shop = g.admin_shop
    who = identify(found)
    if who is None:
        if signed_in_elsewhere(found):
            abort(403)
        if request.method != "GET":
            abort(403)
        return redirect(url_for("admin_auth.login", slug=found.slug, next=request.full_path))
    g.admin_identity = who
    if request.method not in ("GET", "HEAD", "OPTIONS") and not who.embedded:
        # Cookie sessions need CSRF; a session token is no cookie, so it cannot be forged
        # by another site and is its own proof (the blueprint is exempt from the global check).
        from connector.web.context import csrf

        csrf.protect()
    return None


@bp.after_request
def _no_store(response: Response) -> Response:
    # Admin pages show customers' data: never kept by a shared cache or the back button.
    response.headers["Cache-Control"] = "no-store"
    if "Content-Security-Policy" in response.headers:
        return response  # a view's own, stricter policy (a shopper's photo)
    if g.get("admin_identity") is not None and g.admin_identity.embedded:
        # Only the shop's own Shopify admin may frame the embedded app; App Bridge comes from Shopify.
        return frame_policy(response, shopify_admin_ancestors(g.admin_shop.domain), (SHOPIFY_CDN,))
    return frame_policy(response, NOBODY)  # the cookie admin is framed by nobody


def admin_url(endpoint: str, **values: Any) -> str:
    """url_for, plus the session token in embedded mode so the next page can verify it."""
    who: AdminIdentity | None = g.get("admin_identity")
    if who is not None and who.embedded:
        values.setdefault("id_token", who.id_token)
        values.setdefault("embedded", "1")
    if request.args.get("lang") in ("fr", "en"):
        # Inside the Shopify admin no language cookie survives: the choice rides along.
        values.setdefault("lang", request.args["lang"])
    if not endpoint.startswith(("admin.", "admin_auth.", "static")):
        endpoint = f"admin.{endpoint}"
    return str(url_for(endpoint, **values))


def back_to(endpoint: str, **values: Any) -> Response:
    return redirect(admin_url(endpoint, **values))


def fail(message: str) -> None:
    flash(message, "error")


def explain(exc: DomainError | LookupError) -> str:
    """A refused action, with the domain's sentence saying why (it names the rule broken)."""
    return _("Not done: %(why)s", why=str(exc))


def parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def day_after(day: date) -> datetime:
    return day_start(day) + timedelta(days=1)


def query_string(values: Mapping[str, Any], **changes: Any) -> str:
    merged = {k: v for k, v in {**values, **changes}.items() if v not in (None, "")}
    who: AdminIdentity | None = g.get("admin_identity")
    if who is not None and who.embedded:
        merged.update(id_token=who.id_token, embedded="1")
    return "?" + urlencode(merged) if merged else ""


def status_label(status: str) -> str:
    labels = {
        "requested": _("Requested"), "approved": _("Approved"), "rejected": _("Rejected"),
        "in_transit": _("In transit"), "received": _("Received"), "inspected": _("Inspected"),
        "resolved": _("Resolved"), "closed": _("Closed"), "cancelled": _("Cancelled"),
    }
    return labels.get(status, status)


def condition_label(condition: str) -> str:
    labels = {"as_new": _("As new"), "opened": _("Opened"), "damaged": _("Damaged"), "missing": _("Missing")}
    return labels.get(condition, condition)


def push_label(push_status: str) -> str:
    labels = {
        "pending": _("Being sent"), "pushed": _("Done at the shop"), "failed": _("Failed"),
        "awaiting_merchant": _("To do by hand"), "done_by_merchant": _("Done by hand"),
    }
    return labels.get(push_status, push_status)


def event_label(kind: str) -> str:
    labels = {
        "requested": _("Requested"), "approve": _("Approved"), "reject": _("Rejected"),
        "mark_in_transit": _("In transit"), "receive": _("Received"), "inspect": _("Inspected"),
        "resolve": _("Resolved"), "close": _("Closed"), "cancel": _("Cancelled"), "note": _("Note"),
        "code_issued": _("Code issued"), "payment_due": _("Payment due"),
    }
    return labels.get(kind, kind)


def actor_label(actor: str) -> str:
    """Who acted, in the merchant's words; a merchant's own email is shown as it is."""
    labels = {"shopper": _("the customer"), "merchant": _("you"), "platform": _("the shop's platform"),
              "system": _("automatic"), "demo": _("demo"), "api": _("the API")}
    return labels.get(actor, actor)


def channel_label(channel: str) -> str:
    labels = {"portal": _("the return portal"), "webhook": _("the shop's platform"), "admin": _("the admin"),
              "api": _("the API")}
    return labels.get(channel, channel)


def email_status_label(status: str) -> str:
    labels = {"pending": _("waiting to be sent"), "sent": _("sent"), "written": _("saved (no mail server)"),
              "failed": _("not sent")}
    return labels.get(status, status)


def language_name(code: str) -> str:
    return {"fr": _("French"), "en": _("English")}.get(code, code)


def platform_name(platform: str) -> str:
    return {"manual": _("no integration (CSV import)"), "shopify": "Shopify", "woocommerce": "WooCommerce"}.get(
        platform, platform)


def _template_helpers() -> dict[str, Any]:
    lang = locale()

    def money(value: Money | None) -> str:
        return format_money(value, lang) if value is not None else ""

    def day(value: datetime | date | None, short: bool = True) -> str:
        if value is None:
            return ""
        return format_date(value.date() if isinstance(value, datetime) else value, lang, short=short)

    def num(value: Any, places: int | None = None) -> str:
        """A number as the merchant's language writes it ("1,5" in French); "—" for none."""
        if value is None:
            return "—"
        from decimal import Decimal

        number = Decimal(str(value))
        if places is not None:
            number = number.quantize(Decimal(1).scaleb(-places))
        return format_number(number.normalize() if places is None else number, lang, places)

    def amount(value: Any) -> str:
        """A Decimal in the shop's currency, as money ("86,90 €")."""
        current = g.get("admin_shop")
        currency = current.currency if current is not None else "EUR"
        from decimal import Decimal

        return format_money(Money(Decimal(str(value)), currency), lang) if value is not None else "—"

    def stamp(value: datetime | None) -> str:
        return f"{day(value)} {value:%H:%M}" if value else ""

    def token_field() -> Markup:
        who: AdminIdentity | None = g.get("admin_identity")
        if who is not None and who.embedded:
            return Markup('<input type="hidden" name="id_token" value="{}">').format(who.id_token)
        from flask_wtf.csrf import generate_csrf

        return Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())

    who: AdminIdentity | None = g.get("admin_identity")
    return {
        "status_label": status_label, "condition_label": condition_label, "push_label": push_label,
        "event_label": event_label, "resolution_label": lambda kind: resolution_name(kind, lang),
        "actor_label": actor_label, "channel_label": channel_label, "email_status_label": email_status_label,
        "language_name": language_name, "platform_name": platform_name,
        "admin_url": admin_url, "money": money, "num": num, "amount": amount, "day": day, "stamp": stamp, "token_field": token_field,
        "admin_identity": who, "embedded": bool(who and who.embedded), "admin_shop": g.get("admin_shop"),
        "app_bridge_url": APP_BRIDGE_URL, "shopify_api_key": services().settings.shopify_api_key,
        "lang": lang,
    }


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    if not request.path.startswith("/admin/"):
        return {}
    return _template_helpers()

