"""POST /webhooks/<platform>: answers the DESIGN.md contract (200, 400, 401, 404, 413; never 500).

Thin: read the raw body, call the intake use case, answer. A database outage is a 503,
so the platform delivers again later; nothing is ever acknowledged and then dropped.
"""

from __future__ import annotations

import logging
import threading

from flask import Blueprint, Flask, Response, jsonify, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from connector.bootstrap import Services
from connector.web.context import services
from connector.workflow.webhooks import receive_webhook
from webhooks.fastpath import MAX_WEBHOOK_BODY, WebhookFastPath

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger(__name__)

_sweep_started = False
_sweep_lock = threading.Lock()


def _too_large() -> tuple[Response, int]:
    return jsonify(error={"code": "too_large", "message": "body over 5 MiB"}), 413


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


@bp.post("/<platform>")
def receive(platform: str) -> tuple[Response, int]:
    if (request.content_length or 0) > MAX_WEBHOOK_BODY:
        return _too_large()
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _too_large()
    except ClientDisconnected:
        return jsonify(error={"code": "incomplete", "message": "the body ended early"}), 400
    if len(body) > MAX_WEBHOOK_BODY:
        return _too_large()
    headers = dict(request.headers.items())
    svc = services()
    try:
        intake = receive_webhook(svc, platform, headers, body)
    except Exception:
        # Bad input is answered inside receive_webhook; what reaches here is the database
        # being away. 503 makes the platform retry; nothing was accepted.
        log.exception("webhook intake failed")
        return jsonify(error={"code": "unavailable", "message": "try again later"}), 503
    _ensure_sweep(svc)
    if intake.status == 200:
        return jsonify(status=intake.message, delivery=intake.delivery_id), 200
    return jsonify(error={"code": str(intake.status), "message": intake.message}), intake.status


def register(app: Flask, csrf: CSRFProtect) -> None:
    csrf.exempt(bp)  # platforms sign their bodies; there is no browser session here
    app.register_blueprint(bp)
    # The same intake in front of Flask (webhooks.fastpath): no request context, Babel,
    # CSRF, session or routing for a webhook. The route above answers the same for an app
    # built without it, and the tests compare the two answers byte for byte.
    svc: Services = app.extensions["returns_connector"]
    app.wsgi_app = WebhookFastPath(app.wsgi_app, svc, after_intake=_ensure_sweep)  # type: ignore[method-assign]
