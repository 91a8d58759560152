"""Security headers on every response: a Content-Security-Policy (scripts and styles from the app only, and who
may frame the page), X-Content-Type-Options and Referrer-Policy. Imports Flask and the standard library.

Each blueprint that may be framed says by whom (`frame_policy`); everything else, the cookie admin
and `/` included, is framed by nobody.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.wrappers import Response

from connector.domain.shops import Shop

SHOPIFY_ADMIN = "https://admin.shopify.com"
NOBODY = "'none'"
_SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
_HOST = re.compile(r"^[a-z0-9.-]+(:\d{1,5})?$")


def content_security_policy(frame_ancestors: str, sources: Iterable[str] = ()) -> str:
    """Scripts and styles from the app (and `sources`) only: no inline script, no plugin, no foreign <base>."""
    extra = "".join(f" {s}" for s in sources)
    return (f"script-src 'self'{extra}; style-src 'self'{extra}; object-src 'none'; base-uri 'self'; "
            f"frame-ancestors {frame_ancestors}")


def origin(url: str) -> str:
    """`scheme://host[:port]` of an http(s) URL, or "" when it is not one (never a header-breaking value)."""
    parts = urlsplit(url.strip())
    host = (parts.netloc or "").lower().rpartition("@")[2]
    if parts.scheme not in ("http", "https") or not _HOST.match(host):
        return ""
    return f"{parts.scheme}://{host}"


def shopify_admin_ancestors(shop_domain: str) -> str:
    """The Shopify admin of this shop: the only pages that may frame the embedded app."""
    domain = shop_domain.strip().lower()
    return f"{SHOPIFY_ADMIN} https://{domain}" if _SHOP_DOMAIN.match(domain) else NOBODY


def storefront_ancestors(shop: Shop) -> str:
    """Where the shop's own site may frame the portal (the embed snippet): its storefront origins."""
    found: list[str] = []
    if shop.platform == "shopify":
        found += shopify_admin_ancestors(shop.domain).split()  # its storefront and theme editor
    elif "://" in shop.domain:
        found.append(origin(shop.domain))
    elif _HOST.match(shop.domain.lower()):
        bare = shop.domain.lower().removeprefix("www.")
        found += [f"https://{bare}", f"https://www.{bare}"]
    # Other sites of the shop (a custom domain), listed in its options.
    found += [origin(u) for u in re.split(r"[\s,]+", str(shop.options.get("storefront_origins", ""))) if u]
    unique = list(dict.fromkeys(o for o in found if o and o != NOBODY))
    return " ".join(["'self'", *unique])


def frame_policy(response: Response, frame_ancestors: str, sources: Iterable[str] = ()) -> Response:
    """Set the page's CSP: who may frame it, and the extra origins its scripts and styles come from."""
    response.headers["Content-Security-Policy"] = content_security_policy(frame_ancestors, sources)
    if frame_ancestors == NOBODY:
        response.headers["X-Frame-Options"] = "DENY"  # for browsers without frame-ancestors
    return response


def register(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        if "Content-Security-Policy" not in response.headers:
            ancestors = NOBODY
            if request.endpoint == "admin_auth.embedded_entry":
                # Shopify opens the app URL inside its admin, before the shop is known to us.
                ancestors = shopify_admin_ancestors(request.args.get("shop", ""))
            frame_policy(response, ancestors)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return response
