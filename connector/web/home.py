"""GET /: what the app is and how to connect a store, for a newcomer."""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request
from werkzeug.wrappers import Response

from connector.web.context import SUPPORTED_LOCALES, services
from connector.workflow.shop_directory import active_shops

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    svc = services()
    return render_template(
        "home.html", shops=active_shops(svc), shopify_enabled=svc.settings.shopify_enabled,
        app_url=svc.settings.app_url,
    )


@bp.get("/lang/<code>")
def choose_language(code: str) -> Response:
    """Remember the visitor's language; go back where they were (same site only)."""
    target = request.args.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = make_response(redirect(target))
    if code in SUPPORTED_LOCALES:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax")
    return response
