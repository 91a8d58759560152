"""GET /healthz: is the database reachable, and the queue (or inline mode)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from connector.persistence.database import ping
from connector.web.context import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    svc = services()
    body: dict[str, str] = {}
    try:
        ping(svc.engine)
        body["database"] = "ok"
    except Exception as exc:  # any failure is "down"; the message says which part
        body["database"] = f"down: {type(exc).__name__}"
    if svc.queue.mode == "inline":
        body["queue"] = "inline"
    else:
        body["queue"] = "ok" if svc.queue.healthy() else "down"
    healthy = body["database"] == "ok" and body["queue"] in ("ok", "inline")
    return jsonify(body), 200 if healthy else 503
