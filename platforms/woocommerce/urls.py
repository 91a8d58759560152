"""Store URLs: the normalised form that identifies a WooCommerce shop. Standard library only."""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_store_url(url: str) -> str:
    """`scheme://host[:port]/path` with a lowercase host and no trailing slash.

    A WooCommerce shop has no permanent domain like Shopify's: it is known by its
    WordPress home URL, which is what `X-WC-Webhook-Source` carries (with a trailing
    slash). Sub-directory installs are separate shops, so the path is kept; query,
    fragment, credentials and default ports are dropped. A bare host means https.
    """
    raw = url.strip()
    if not raw:
        raise ValueError("empty store URL")
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"a store URL must be http or https, not {parts.scheme!r}")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"no host in store URL {url!r}")
    if ":" in host:  # IPv6 literal: urlsplit removed its brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"bad port in store URL {url!r}") from exc
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def is_local_store(url: str) -> bool:
    """True for a store on this machine (tests and stand-ins), where plain http is tolerated."""
    host = (urlsplit(normalise_store_url(url)).hostname or "").lower()
    return host in {"127.0.0.1", "localhost", "::1"}
