"""Admin settings (stub)."""

from __future__ import annotations

from connector.web.admin_core import bp


@bp.get("/emails")
def emails() -> str:
    return "emails"


@bp.get("/jobs")
def jobs() -> str:
    return "jobs"


@bp.get("/settings")
def settings() -> str:
    return "settings"
