"""The marker written on everything the app creates at a platform, to find it again."""

from __future__ import annotations


def resolution_marker(return_reference: str, resolution_id: int) -> str:
    """E.g. R-7KQ2MX-12: safe in a refund note, a coupon code and a gift card note."""
    return f"{return_reference}-{resolution_id}"


def idempotency_key(shop_id: int, return_reference: str, kind: str) -> str:
    """One resolution of a kind per return: a double click cannot write (or push) two.

    Stable for the life of the resolution, so every retry sends the same key.
    """
    return f"returns-connector:{shop_id}:{return_reference}:{kind}"
