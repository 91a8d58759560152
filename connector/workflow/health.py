"""Is the app able to work: the database reachable, the queue (or inline mode) up."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connector.ports.services import Services


def health(svc: Services) -> tuple[dict[str, str], bool]:
    """Each part's state ("ok", "inline", "down...") and whether the whole is healthy."""
    body: dict[str, str] = {}
    try:
        svc.ping_database()
        body["database"] = "ok"
    except Exception as exc:  # any failure is "down"; the message says which part
        body["database"] = f"down: {type(exc).__name__}"
    if svc.queue.mode == "inline":
        body["queue"] = "inline"
    else:
        body["queue"] = "ok" if svc.queue.healthy() else "down"
    return body, body["database"] == "ok" and body["queue"] in ("ok", "inline")
