"""Opaque page cursors: the keyset of the last row seen, base64url-encoded JSON."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from connector.web.api.errors import ApiError


def encode(*values: Any) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        raise _bad() from None
    if not isinstance(values, list):
        raise _bad()
    return values


def _bad() -> ApiError:
    # A well-formed string that names no page of ours: the page is not found (the document's
    # cursor is any string, so a 400 would refuse a request the schema allows).
    return ApiError(404, "unknown_cursor", "this cursor was not given by the API", field="cursor")


def return_cursor(created_at: datetime, return_id: int) -> str:
    return encode("r", created_at.astimezone(UTC).isoformat(), return_id)


def read_return_cursor(cursor: str) -> tuple[datetime, int]:
    values = _decode(cursor)
    if len(values) != 3 or values[0] != "r" or not isinstance(values[1], str) or type(values[2]) is not int:
        raise _bad()
    try:
        at = datetime.fromisoformat(values[1])
    except ValueError:
        raise _bad() from None
    if at.tzinfo is None or not 0 < values[2] < 2**31:
        raise _bad()
    return at.astimezone(UTC), values[2]


def delivery_cursor(delivery_id: int) -> str:
    return encode("d", delivery_id)


def read_delivery_cursor(cursor: str) -> int:
    values = _decode(cursor)
    if len(values) != 2 or values[0] != "d" or type(values[1]) is not int or not 0 < values[1] < 2**31:
        raise _bad()
    return int(values[1])
