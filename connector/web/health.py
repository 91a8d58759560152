"""GET /healthz: is the database reachable, and the queue (or inline mode)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from connector.web.context import services
from connector.workflow.health import health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    body, healthy = health(services())
    return jsonify(body), 200 if healthy else 503
