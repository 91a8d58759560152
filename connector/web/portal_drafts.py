"""Reviewed return requests kept between the review and the confirmation. Stdlib only.

The review answers its POST with a redirect (so Back and Forward never resubmit a form);
the request under review waits here, beside the shopper's photos, named by a random id the
redirect carries. A draft holds a signed token, so a file cannot be forged, and it is found
only under its own shop's folder. Drafts older than the token's life are swept on each write.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from connector.web.portal_access import TOKEN_MAX_AGE

_ID = re.compile(r"[0-9a-f]{32}")


def _folder(instance_path: str | Path, shop_id: int) -> Path:
    return Path(instance_path) / "drafts" / str(int(shop_id))


def save_draft(instance_path: str | Path, shop_id: int, token: str, now: float | None = None) -> str:
    """Keep the signed draft; its id for the review page's address."""
    folder = _folder(instance_path, shop_id)
    folder.mkdir(parents=True, exist_ok=True)
    stale_before = (now if now is not None else time.time()) - TOKEN_MAX_AGE
    for old in folder.glob("*.draft"):
        try:
            if old.stat().st_mtime < stale_before:
                old.unlink()
        except FileNotFoundError:  # another process swept it first
            continue
    draft_id = secrets.token_hex(16)
    with (folder / f"{draft_id}.draft").open("x", encoding="utf-8") as handle:
        handle.write(token)
    return draft_id


def load_draft(instance_path: str | Path, shop_id: int, draft_id: str) -> str | None:
    """The signed draft kept under this id for this shop; None for an unknown or malformed id."""
    if not _ID.fullmatch(draft_id or ""):
        return None
    try:
        return (_folder(instance_path, shop_id) / f"{draft_id}.draft").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def discard_draft(instance_path: str | Path, shop_id: int, draft_id: str) -> None:
    """Once confirmed, the draft is gone: Back to the review leads to the items, not a second return."""
    if _ID.fullmatch(draft_id or ""):
        (_folder(instance_path, shop_id) / f"{draft_id}.draft").unlink(missing_ok=True)
