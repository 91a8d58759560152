"""POST /webhooks/<platform>: answers the DESIGN.md contract (200, 400, 401, 404, 413; never 500)."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, jsonify, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge

from connector.web.context import services
from connector.workflow.webhooks import receive_webhook

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger(__name__)
MAX_WEBHOOK_BODY = 5 * 1024 * 1024


@bp.post("/<platform>")
def receive(platform: str) -> tuple[Response, int]:
    if (request.content_length or 0) > MAX_WEBHOOK_BODY:
        return jsonify(error={"code": "too_large", "message": "body over 5 MiB"}), 413
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return jsonify(error={"code": "too_large", "message": "body over 5 MiB"}), 413
    if len(body) > MAX_WEBHOOK_BODY:
        return jsonify(error={"code": "too_large", "message": "body over 5 MiB"}), 413
    headers = {key: value for key, value in request.headers.items()}
    try:
        intake = receive_webhook(services(), platform, headers, body)
    except Exception:
        # The database is away: 503 makes the platform retry; nothing was accepted.
        log.exception("webhook intake failed")
        return jsonify(error={"code": "unavailable", "message": "try again later"}), 503
    if intake.status == 200:
        return jsonify(status=intake.message, delivery=intake.delivery_id), 200
    return jsonify(error={"code": str(intake.status), "message": intake.message}), intake.status


def register(app: Flask, csrf: CSRFProtect) -> None:
    csrf.exempt(bp)  # platforms sign their bodies; there is no browser session here
    app.register_blueprint(bp)
