"""Admin dashboard (stub, filled in below)."""

from __future__ import annotations

from connector.web.admin_core import bp


@bp.get("/dashboard")
def dashboard() -> str:
    return "dashboard"
