"""The Flask application factory: blueprints, extensions, error pages. Nothing done at import."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from connector.bootstrap import Services, build_services
from connector.config import Settings
from connector.i18n import CATALOG_DIR
from connector.ports import StorageConflict
from connector.web.context import SUPPORTED_LOCALES as SUPPORTED_LOCALES
from connector.web.context import csrf as csrf

ROOT = Path(__file__).resolve().parent.parent
MAX_BODY = 5 * 1024 * 1024  # webhooks over 5 MiB are refused (413), photos likewise

log = logging.getLogger(__name__)


def select_locale() -> str:
    """The shopper's or merchant's choice, else the shop's locale, else the browser's."""
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    shop_locale = getattr(g, "shop_locale", None)
    browser = request.accept_languages.best_match(SUPPORTED_LOCALES)
    if shop_locale in SUPPORTED_LOCALES and not browser:
        return str(shop_locale)
    return browser or (str(shop_locale) if shop_locale in SUPPORTED_LOCALES else "fr")


def translation_directories() -> list[Path]:
    """The app's one catalog: Flask-Babel reads the same .mo as connector.i18n does outside requests."""
    return [CATALOG_DIR]


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    settings = settings or (services.settings if services else Settings.from_env())
    services = services or build_services(settings)

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "templates" / "static"),
        static_url_path="/static",
        instance_path=str(settings.instance_path),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_BODY,
        BABEL_TRANSLATION_DIRECTORIES=";".join(str(d) for d in translation_directories()),
        BABEL_DEFAULT_LOCALE="fr",
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,  # the portal is framed by shops on other hosts
        SESSION_COOKIE_SAMESITE="None" if settings.app_url.startswith("https") else "Lax",
        SESSION_COOKIE_SECURE=settings.app_url.startswith("https"),
        # A portal framed on a WooCommerce page keeps its session where third-party cookies
        # are blocked: a partitioned (CHIPS) cookie belongs to the framing site's partition.
        SESSION_COOKIE_PARTITIONED=settings.app_url.startswith("https"),
        TESTING=settings.testing,
    )
    app.extensions["returns_connector"] = services
    csrf.init_app(app)
    # One Babel per app: its translation cache belongs to the app, not to the process.
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    from connector.web.typography import colon

    app.jinja_env.globals["colon"] = colon

    from connector.web.health import bp as health_bp
    from connector.web.home import bp as home_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(home_bp)
    _register_optional(app)
    _install_webhook_edge(app, services)

    from connector.cli import register_flask_cli

    register_flask_cli(app)
    _error_pages(app)
    from connector.web.security_headers import register as security_headers

    security_headers(app)
    if settings.trusted_proxies:
        # Outermost, so every layer (the webhook fast path too) sees the client's address:
        # X-Forwarded-For is believed for exactly the configured number of proxies, so a
        # client cannot choose its own address by sending the header itself.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    return app


def _register_optional(app: Flask) -> None:
    """Blueprints of the other edges; each module exposes `register(app, csrf)`."""
    import importlib

    for module_name in (
        "connector.web.portal",
        "connector.web.admin",
        "connector.web.api",
        "connector.web.connect_flows",
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(app, csrf)


_sweep_started = False
_sweep_lock = threading.Lock()


def _ensure_sweep(svc: Services) -> None:
    """Inline mode under a real server: this process also sweeps what a crash left behind.

    Started on the first webhook rather than at import or app creation, so a forking
    server (gunicorn) starts it in each worker process, after the fork.
    """
    global _sweep_started
    if _sweep_started or svc.queue.mode != "inline" or svc.settings.testing:
        return
    with _sweep_lock:
        if not _sweep_started:
            from connector.jobs.relay import start_relay_thread

            start_relay_thread(svc)
            _sweep_started = True


def _install_webhook_edge(app: Flask, services: Services) -> None:
    """POST /webhooks/<platform>: the one webhook edge, WSGI in front of Flask (webhooks.fastpath).

    No request context, Babel, CSRF, session or routing for a webhook; the relay's sweep
    (a job, so named here and not by the edge) starts after the first intake.
    """
    from webhooks.fastpath import WebhookFastPath

    app.wsgi_app = WebhookFastPath(  # type: ignore[method-assign]
        app.wsgi_app, services, after_intake=lambda _intake_services: _ensure_sweep(services))


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/webhooks/", "/healthz", "/woocommerce/callback"))


def _error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[Any, int]:
        if _wants_json():
            return jsonify(error={"code": "csrf", "message": exc.description}), 400
        return render_template("errors/error.html", code=400, error="csrf"), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Any, int, dict[str, str]] | Response:
        code = exc.code or 500
        # The exception's own headers: a 405 names the methods allowed (Allow, RFC 9110).
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        if _wants_json():
            body = jsonify(error={"code": exc.name.lower().replace(" ", "_"), "message": exc.description})
            return body, code, headers
        # Routing errors (an unknown shop, a method a page does not take) reach the app, not the
        # blueprint: an edge that has its own error pages registers them for its path.
        for prefix, handler in app.extensions.get("error_pages", {}).items():
            if request.path.startswith(prefix):
                page, status = handler(exc)
                return page, status, headers
        return render_template("errors/error.html", code=code, error=exc.name), code, headers

    @app.errorhandler(StorageConflict)
    def crossed(exc: StorageConflict) -> tuple[Any, int]:
        # Still crossing after the use case's own retries: nothing was written; say "try again".
        log.warning("a transaction on %s %s crossed another one three times: %s", request.method, request.path, exc)
        if _wants_json():
            return jsonify(error={"code": "busy", "message": "changed at the same time elsewhere; try again"}), 503
        return render_template("errors/error.html", code=503, error="busy"), 503

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Any, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        if _wants_json():
            return jsonify(error={"code": "internal", "message": "unexpected error; it was logged"}), 500
        return render_template("errors/error.html", code=500, error="internal"), 500
