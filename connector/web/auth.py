"""Merchant sign-in to the admin: App Bridge session tokens inside Shopify, the app's own sign-in elsewhere.

Two ways in, both bound to one shop:
- embedded (Shopify): every request carries a session token (``Authorization: Bearer``
  from App Bridge's fetch, or an ``id_token`` query/form field on page loads and forms);
  it is verified each time (HS256 with the app secret, audience = API key, expiry with a
  small leeway) and its ``dest`` must be this shop. No cookie is needed, so third-party
  cookie blocking in the Shopify admin's iframe changes nothing.
- standalone (WooCommerce, manual): email + password (werkzeug scrypt hashes) and a
  signed session cookie, CSRF-checked; or a one-time sign-in link sent by email.

Imports Flask, werkzeug, itsdangerous and the merchant account and shop use cases: the
embedding platform is found through its adapter (ports.EmbeddedSessions), which verifies the
token and names the retry header; the views of the admin call `require_identity()` and nothing else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from connector.domain.shops import Shop
from connector.ports.platforms import InvalidSessionToken
from connector.web.context import services
from connector.web.portal_access import LookupLimiter
from connector.workflow import merchant_accounts as accounts
from connector.workflow.merchant_accounts import MIN_PASSWORD_LENGTH as MIN_PASSWORD_LENGTH
from connector.workflow.merchant_accounts import WeakPassword as WeakPassword
from connector.workflow.merchant_accounts import check_merchant_password as check_merchant_password
from connector.workflow.merchant_accounts import create_merchant_user as create_merchant_user
from connector.workflow.merchant_accounts import merchant_users as merchant_users
from connector.workflow.shop_directory import shop_by_domain, shop_by_slug
from connector.workflow.shops import embedded_session, invalid_session_headers

if TYPE_CHECKING:
    from connector.web.context import Services
    from connector.workflow.merchant_accounts import MerchantUser

bp = Blueprint("admin_auth", __name__)

SIGN_IN_LINK_MAX_AGE = 15 * 60  # seconds: a link in a mailbox should not stay a key for long
SIGN_IN_LINKS_PER_WINDOW = 20  # links emailed to one address per 15 minutes, from every client together


def _(message: str, **variables: Any) -> str:
    return str(gettext(message, **variables))


@dataclass(frozen=True)
class AdminIdentity:
    """Who is acting in the admin, for which shop, and how they proved it."""

    shop: Shop
    actor: str  # written on the timeline: the merchant's email, or "shopify:<user id>"
    mode: str  # "embedded" (session token) or "session" (the app's own sign-in)
    id_token: str = ""  # the session token to carry in links and forms (embedded only)

    @property
    def embedded(self) -> bool:
        return self.mode == "embedded"


# ---------------------------------------------------------------- who is asking

def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return (request.args.get("id_token") or request.form.get("id_token") or "").strip()


def _unauthorized() -> HTTPException:
    """401 with the header(s) the embedding admin reads to fetch a fresh token and retry once (App Bridge)."""
    response = Response(_("Your Shopify session has expired. Reload the page."), status=401)
    response.headers.update(invalid_session_headers(services()))
    return HTTPException(response=response)


def identify(shop: Shop) -> AdminIdentity | None:
    """The merchant of `shop` making this request, or None when nobody is signed in.

    A session token that does not verify answers 401; one that verifies for another shop
    answers 403: neither ever falls back to the cookie.
    """
    svc = services()
    token = _bearer()
    if token:
        try:
            found = embedded_session(svc, token)
        except InvalidSessionToken:
            raise _unauthorized() from None
        if found is None:  # no platform embeds the app on this server
            raise _unauthorized()
        platform, embedded = found
        if shop.platform != platform or shop.domain != embedded.shop_domain:
            abort(403)
        return AdminIdentity(shop, embedded.actor, "embedded", token)
    signed_in = session.get("admin")
    if not isinstance(signed_in, dict):
        return None
    if signed_in.get("shop") != shop.id:
        return None
    user = accounts.merchant_user(svc, shop.id, int(signed_in.get("user", 0)), str(signed_in.get("fp", "")))
    if user is None:
        return None
    return AdminIdentity(shop, user.email, "session")


def signed_in_elsewhere(shop: Shop) -> bool:
    """A cookie session for another shop: that merchant is refused here, not asked to sign in."""
    signed_in = session.get("admin")
    return isinstance(signed_in, dict) and signed_in.get("shop") not in (None, shop.id)


def sign_in(shop: Shop, user: MerchantUser) -> None:
    session.clear()  # a new session id for a new privilege: no fixation
    session["admin"] = {"shop": shop.id, "user": user.id, "fp": accounts.fingerprint(user)}
    session.permanent = True


# ---------------------------------------------------------------- views

def _shop_or_404(slug: str) -> Shop:
    shop = shop_by_slug(services(), slug)
    if shop is None:
        abort(404)
    g.shop_locale = shop.locale
    return shop


def _safe_next(shop: Shop) -> str:
    target = request.values.get("next", "")
    prefix = f"/admin/{shop.slug}/"
    return target if target.startswith(prefix) and "//" not in target else prefix


def _link_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(services().settings.secret_key, salt="admin-sign-in-link")


@bp.route("/admin/<slug>/login", methods=["GET", "POST"])
def login(slug: str) -> Response | str | tuple[str, int]:
    shop = _shop_or_404(slug)
    svc = services()
    if request.method == "POST":
        from connector.web.context import csrf

        csrf.protect()
        # Per client: 10 tries per 15 minutes, whatever the email. Refused tries count against
        # that client only, so an attacker never locks the merchant out (see LookupLimiter).
        limiter: LookupLimiter = current_app.extensions["login_limiter"]
        now = time.time()
        if not limiter.allow(shop.id, request.remote_addr or "unknown", now, scope="login"):
            flash(_("Too many sign-in attempts. Please wait 15 minutes and try again."), "error")
            return render_template("admin/login.html", shop=shop, email="", next=_safe_next(shop)), 429
        email = request.form.get("email", "").strip().lower()
        if request.form.get("mode") == "link":
            # The emailed link is the second factor that always lets the merchant in; capped per
            # account so nobody can flood the merchant's mailbox.
            if limiter.hit_account(shop.id, email, now, scope="login-link") <= SIGN_IN_LINKS_PER_WINDOW:
                _send_sign_in_link(svc, shop, email)
            flash(_("If this address has access, a sign-in link is on its way. It works for 15 minutes."))
            return redirect(url_for("admin_auth.login", slug=slug))
        if limiter.account_locked(shop.id, email, now, scope="login"):
            # Passwords tried on this account from everywhere: the password alone no longer opens
            # it for this window. Said for any email, so it reveals nothing about who has access.
            flash(_("Too many wrong passwords for this address: ask for a sign-in link by email below."), "error")
            return render_template("admin/login.html", shop=shop, email=email, next=_safe_next(shop)), 429
        user = check_merchant_password(svc, shop.id, email, request.form.get("password", ""))
        if user is None:
            limiter.failed(shop.id, now, scope="login", account=email)
            flash(_("Wrong email or password."), "error")
            return render_template("admin/login.html", shop=shop, email=email, next=_safe_next(shop)), 401
        sign_in(shop, user)
        return redirect(_safe_next(shop))
    return render_template("admin/login.html", shop=shop, email="", next=_safe_next(shop))


@bp.post("/admin/<slug>/logout")
def logout(slug: str) -> Response:
    from connector.web.context import csrf

    csrf.protect()
    session.pop("admin", None)
    return redirect(url_for("admin_auth.login", slug=slug))


def _send_sign_in_link(svc: Services, shop: Shop, email: str) -> None:
    def compose(user: MerchantUser) -> tuple[str, str]:
        token = _link_serializer().dumps({"s": shop.id, "u": user.id, "fp": accounts.fingerprint(user)})
        link = f"{svc.settings.app_url}/admin/{shop.slug}/login/link/{token}"
        subject = _("Your sign-in link to %(shop)s returns", shop=shop.name)
        body = _("Open this link within 15 minutes to sign in:\n\n%(link)s\n\n"
                 "If you did not ask for it, ignore this email.", link=link)
        return subject, body

    # Says the same thing either way: the form must not reveal who has access.
    accounts.send_sign_in_link(svc, shop, email, compose)


@bp.get("/admin/<slug>/login/link/<token>")
def login_link(slug: str, token: str) -> Response:
    shop = _shop_or_404(slug)
    try:
        data = _link_serializer().loads(token, max_age=SIGN_IN_LINK_MAX_AGE)
    except SignatureExpired:
        flash(_("This sign-in link has expired; ask for a new one."), "error")
        return redirect(url_for("admin_auth.login", slug=slug))
    except BadSignature:
        abort(404)
    if not isinstance(data, dict) or data.get("s") != shop.id:
        abort(404)
    user = accounts.merchant_user(services(), shop.id, int(data.get("u", 0)), str(data.get("fp", "")))
    if user is None:
        abort(404)
    sign_in(shop, user)
    return redirect(f"/admin/{shop.slug}/")


@bp.get("/admin/")
def embedded_entry() -> Response:
    """The app URL the platform's admin opens (Shopify): find the shop of the session token and go to its admin."""
    svc = services()
    token = _bearer()
    if not token:
        abort(404)
    try:
        found = embedded_session(svc, token)
    except InvalidSessionToken:
        raise _unauthorized() from None
    if found is None:  # no platform embeds the app on this server
        abort(404)
    platform, embedded = found
    shop = shop_by_domain(svc, platform, embedded.shop_domain)
    if shop is None or not shop.active:
        # A first embedded load (managed install) or a reinstall: swap the ID token for an
        # offline access token and connect the shop, then carry on to its admin.
        from connector.workflow.shops import TokenExchangeError, connect_embedded

        try:
            shop = connect_embedded(svc, platform, token)
        except TokenExchangeError as exc:
            if exc.status == 401:
                raise _unauthorized() from None
            abort(exc.status if exc.status in (404, 502) else 502, description=str(exc))
    query: dict[str, Any] = {k: v for k, v in request.args.items() if k in ("id_token", "host", "shop", "embedded", "locale")}
    return redirect(url_for("admin.returns_list", slug=shop.slug, **query))
