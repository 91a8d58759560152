"""The shopper portal's pages: find an order, choose items, review, confirm, track. Flask edge.

Thin views: parse the request, call portal_pages or a use case in connector.workflow.returns,
render. The shop, the proved order and the links come from portal_visit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import segno
from flask import Flask, abort, redirect, render_template, request, send_file
from flask_babel import format_number
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup

from connector.domain.eligibility import PolicyDecision
from connector.domain.errors import IllegalTransition, InvalidReturn
from connector.domain.orders import Order, normalise_order_name
from connector.domain.policy_page import policy_summary
from connector.domain.returns import Channel
from connector.i18n import Translator, say
from connector.web import portal_brand as portal_brand  # noqa: F401  (attaches the shop's stylesheet)
from connector.web import portal_labels as portal_labels  # noqa: F401  (attaches the label routes)
from connector.web import portal_pages as pages
from connector.web.context import services
from connector.web.portal_access import limiter_for
from connector.web.portal_drafts import discard_draft, load_draft, save_draft
from connector.web.portal_photos import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_ITEM, photo_path_in, store_photo
from connector.web.portal_tracking import TrackingPage, tracking_page
from connector.web.portal_visit import (
    client_ip,
    current_visit,
    error_page,
    limiter,
    link,
    on_http_error,
    portal_bp,
    proxy_bp,
    remember,
    shopper_lang,
    template_context,
    tokens,
    visit_order,
)
from connector.workflow import portal
from connector.workflow import returns as flow
from connector.workflow.errors import NotFound

# ---- the pages ----

def lookup() -> Any:
    visit = current_visit()
    if request.method == "GET":
        return render_template("portal/lookup.html", failed=False, number="")
    now = services().clock.now().timestamp()
    if not limiter().allow(visit.shop.id, client_ip(), now):
        body, code = error_page(429)
        return body, code, {"Retry-After": str(limiter().retry_after)}
    number = request.form.get("order", "").strip()[:64]
    contact = request.form.get("contact", "")[:254]
    account = normalise_order_name(number)
    # A postal code is guessable: after too many failures on one order, from anywhere, only
    # its email opens it (its owner still gets in; the guesser does not).
    guessable = "@" not in contact and limiter().account_locked(visit.shop.id, account, now)
    order = None if guessable else portal.find_order(services(), visit.shop, number, contact)
    if order is None:
        limiter().failed(visit.shop.id, now, account=account)
        # One answer for "no such order" and "not your order": nothing to enumerate.
        return render_template("portal/lookup.html", failed=True, number=number)
    remember(order)
    return redirect(link("items"))


def _items(order: Order, errors: dict[int, list[str]] | None = None, general: list[str] | None = None,
           values: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    page = pages.items_page(services(), current_visit().shop, order, shopper_lang())
    photo_reasons = ", ".join(r.label for r in page.reasons if r.needs_photo)
    return render_template("portal/items.html", page=page, errors=errors or {}, general_errors=general or [],
                           values=values or {}, photo_reasons=photo_reasons,
                           comment_limit=format_number(pages.MAX_COMMENT_CHARS)), status


def items() -> Any:
    order = visit_order()
    if order is None:
        return redirect(link("lookup"))
    return _items(order)


def _refusal_summary(problems: dict[int, list[str]], order: Order) -> list[str]:
    """Each refused item named with why: "Robe lin: add a photo", never a bare "nothing can be returned"."""
    return [_("%(item)s: %(problem)s", item=order.lines[index].title, problem=" ".join(texts))
            for index, texts in sorted(problems.items()) if 0 <= index < len(order.lines)]


def _refused(order: Order, decision: PolicyDecision, values: dict[str, str] | None = None) -> tuple[str, int]:
    lang = shopper_lang()
    problems = pages.item_problems(decision, order, lang)
    general = [say(r, lang) for r in decision.reasons if r.code != "no_eligible_item" or not problems]
    general += _refusal_summary(problems, order)
    return _items(order, problems, general or [_("Please check your request.")], values, 422)


def review() -> Any:
    if request.method == "GET":
        return _show_review()
    svc, visit = services(), current_visit()
    order = visit_order()
    if order is None:
        return redirect(link("lookup"))
    policy = flow.policy_for(visit.shop)
    offered = pages.exchange_variants(svc, visit.shop, order, policy)
    parsed = pages.parse_request(request.form, request.files, order, policy, offered)
    if parsed.errors or not parsed.wanted:
        general = (_refusal_summary(parsed.errors, order) if parsed.errors
                   else [_("Choose at least one item to return.")])
        return _items(order, parsed.errors, general, parsed.values, 422)
    decision, _plans = portal.decide(svc, visit.shop, order, parsed.wanted)
    if not decision.eligible or not all(item.eligible for item in decision.items):
        return _refused(order, decision, parsed.values)
    # Only an accepted request writes its photos; the names replace the placeholders.
    wanted = [flow.WantedItem(
        w.line_id, w.quantity, w.reason, w.resolution, w.comment,
        tuple(store_photo(svc.settings.instance_path, visit.shop.id, p) for p in parsed.photos[w.line_id]),
        w.exchange_variant_id, w.exchange_variant_title) for w in parsed.wanted]
    draft = tokens().dump("draft", pages.draft_payload(visit.shop, order, wanted))
    # Post/redirect/get: Back and Forward around the review never ask to resend the form.
    draft_id = save_draft(svc.settings.instance_path, visit.shop.id, draft, svc.clock.now().timestamp())
    return redirect(link("review", d=draft_id))


def _draft(draft_id: str, order: Order | None) -> dict[str, Any] | None:
    """The request under review, if it is this shop's and this order's and still fresh."""
    visit = current_visit()
    token = load_draft(services().settings.instance_path, visit.shop.id, draft_id)
    data = tokens().load("draft", token or "")
    if order is None or data is None or data.get("s") != visit.shop.id or data.get("o") != order.platform_order_id:
        return None
    return data


def _show_review() -> Any:
    svc, visit, lang = services(), current_visit(), shopper_lang()
    order = visit_order()
    if order is None:
        return redirect(link("lookup"))
    draft_id = request.args.get("d", "")
    data = _draft(draft_id, order)
    if data is None:
        # Already confirmed (Back after the confirmation) or expired: the items page lists the return.
        return redirect(link("items"))
    policy = flow.policy_for(visit.shop)
    wanted = pages.wanted_from_draft(data)
    decision, plans = portal.decide(svc, visit.shop, order, wanted)
    if not decision.eligible or not all(item.eligible for item in decision.items):
        return _refused(order, decision)
    return render_template("portal/review.html", review=pages.review_page(order, policy, wanted, decision, plans, lang),
                           draft=draft_id)


def confirm() -> Any:
    svc, visit = services(), current_visit()
    order = visit_order()
    draft_id = request.form.get("draft", "")
    data = _draft(draft_id, order)
    if order is None:
        return error_page(400)
    if data is None:
        # Sent twice (a double tap, or Back then Confirm again): the first one is the return.
        return redirect(link("items"))
    try:
        opened = flow.open_return_request(svc, visit.shop.id, order.platform_order_id, pages.wanted_from_draft(data),
                                          channel=Channel.PORTAL, locale=shopper_lang())
    except flow.ReturnRefused as refused:
        return _refused(order, refused.decision)
    except (InvalidReturn, NotFound):
        return _items(order, general=[_("Please check your request.")], status=422)
    discard_draft(svc.settings.instance_path, visit.shop.id, draft_id)
    return redirect(link("confirmation", token=opened.ret.tracking_token))


def _tracking(token: str) -> TrackingPage:
    found = tracking_page(services(), current_visit().shop, token, shopper_lang())
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
    notices = {"cancelled": _("Your return is cancelled."), "thanks": _("Thank you for your answer."),
               "label": _("Thank you: your label is being prepared.")}
    problems = {"late": _("This return can no longer be cancelled: the parcel is already on its way."),
                "score": _("Choose a rating from 1 to 5.")}
    return render_template("portal/track.html", t=_tracking(token),
                           notice=notices.get(request.args.get("done", "")),
                           problem=problems.get(request.args.get("problem", "")))


def cancel(token: str) -> Any:
    page = _tracking(token)
    if request.method == "GET":
        # A page of its own, not a script: a mis-tap on a phone cannot cancel a return.
        if not page.can_cancel:
            return redirect(link("track", token=token, problem="late"))
        return render_template("portal/cancel.html", t=page)
    try:
        flow.cancel(services(), current_visit().shop.id, page.ret.reference, "shopper")
    except IllegalTransition:
        return redirect(link("track", token=token, problem="late"))
    return redirect(link("track", token=token, done="cancelled"))


def satisfaction(token: str) -> Any:
    _tracking(token)
    try:
        score = int(request.form.get("score", ""))
        flow.record_satisfaction(services(), current_visit().shop.id, token, score, request.form.get("comment", ""))
    except (ValueError, InvalidReturn):
        return redirect(link("track", token=token, problem="score"))
    return redirect(link("track", token=token, done="thanks"))


def photo(token: str, name: str) -> Any:
    """A photo the shopper sent with this return, shown back to her on its tracking page."""
    page = _tracking(token)
    if not any(name in item.photos for item in page.ret.items):
        abort(404)
    try:
        path = photo_path(current_visit().shop.id, name)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, max_age=0)
    # Shown, never run.
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


def by_reference(reference: str) -> Any:
    """A return named by its reference, for the shopper who found its order: to its tracking page."""
    visit = current_visit()
    ret = portal.return_by_reference(services(), visit.shop, reference)
    if ret is None or visit.order_id is None or ret.order_id != visit.order_id:
        abort(404)
    return redirect(link("track", token=ret.tracking_token))


def policy() -> Any:
    lang = shopper_lang()
    rules = flow.policy_for(current_visit().shop)
    return render_template("portal/policy.html", sections=policy_summary(rules, Translator(lang)),
                           reasons=[(r.label(lang), r.needs_photo) for r in rules.reasons])


_ROUTES: list[tuple[str, str, Callable[..., Any], list[str]]] = [
    ("/", "lookup", lookup, ["GET", "POST"]),
    ("/order", "items", items, ["GET"]),
    ("/review", "review", review, ["GET", "POST"]),
    ("/confirm", "confirm", confirm, ["POST"]),
    ("/returns/<reference>", "by_reference", by_reference, ["GET"]),
    ("/track/<token>", "track", track, ["GET"]),
    ("/track/<token>/confirmation", "confirmation", confirmation, ["GET"]),
    ("/track/<token>/slip", "slip", slip, ["GET"]),
    ("/track/<token>/photos/<name>", "photo", photo, ["GET"]),
    ("/track/<token>/cancel", "cancel", cancel, ["GET", "POST"]),
    ("/track/<token>/satisfaction", "satisfaction", satisfaction, ["POST"]),
    ("/policy", "policy", policy, ["GET"]),
]
for _bp in (portal_bp, proxy_bp):
    for _rule, _endpoint, _view, _methods in _ROUTES:
        # /apps/returns (no slash) reaches us as /proxy: answer it, a redirect would leave the storefront.
        _bp.add_url_rule(_rule, _endpoint, _view, methods=_methods, strict_slashes=_rule != "/")
    _bp.context_processor(template_context)


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
    pages_for = app.extensions.setdefault("error_pages", {})
    pages_for["/portal/"] = pages_for["/proxy/"] = on_http_error
    svc = app.extensions["returns_connector"]
    app.extensions["portal_limiter"] = limiter_for(svc.settings.redis_url, svc.connect_redis)


__all__ = ["MAX_PHOTOS_PER_ITEM", "MAX_PHOTO_BYTES", "photo_path", "portal_embed_snippet", "register"]
