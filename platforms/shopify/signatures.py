"""Shopify signatures: webhook HMAC, OAuth query HMAC, app proxy, shop domains, session tokens. Stdlib + PyJWT.

Why not shopify_app's verify helpers: they take a whole request dict and return
suggested HTTP responses (we only want a yes/no at our edges); the webhook helper
HMACs `body.encode("utf-8")` of a *str* body, so raw bytes that are not UTF-8 cannot
be checked byte-exactly; the app-proxy helper reads `time.time()` (no injected clock)
and accepts any repeated parameter except `shop`; the session-token helper checks
`aud` but not that `iss` and `dest` name the same shop. The algorithms below are
Shopify's documented ones and are tested against the vectors Shopify's own libraries
use (shopify_python_api for OAuth, shopify.dev worked examples for the app proxy).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt

# A shop's permanent domain. `fullmatch` (not `match`) so nothing may trail it.
SHOP_DOMAIN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com")

# Shopify refuses OAuth and app-proxy requests older than this, and so do we.
MAX_AGE_SECONDS = 90

# In an app-proxy query these parameters decide who is asking: a second copy could
# smuggle another shop or customer past a signature computed over the joined values.
_SINGLE_VALUED_PROXY_PARAMS = frozenset(
    {"shop", "timestamp", "signature", "logged_in_customer_id", "path_prefix"}
)


class InvalidSignature(Exception):
    """A request that does not prove it comes from Shopify; the message says why."""


def is_valid_shop_domain(shop: str) -> bool:
    """True for `name.myshopify.com` and nothing else (no scheme, port, path or other host)."""
    return bool(SHOP_DOMAIN.fullmatch(shop))


def _secrets(secrets: Iterable[str]) -> list[str]:
    usable = [s for s in secrets if s]
    if not usable:
        raise ValueError("no Shopify API secret configured")
    return usable


def _any_matches(received: str, expected: Iterable[str]) -> bool:
    # Compare against every candidate, even after a match, so timing does not reveal
    # which secret (current or previous) signed the request.
    ok = False
    for candidate in expected:
        ok |= hmac.compare_digest(received.encode(), candidate.encode())
    return ok


# ---- webhooks ----

def webhook_hmac(body: bytes, secret: str) -> str:
    """X-Shopify-Hmac-Sha256 for a body: base64 of HMAC-SHA256 over the raw bytes."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_webhook(body: bytes, received: str | None, secrets: Sequence[str]) -> bool:
    """Whether `received` signs `body` with the current or the previous secret."""
    if not received:
        return False
    return _any_matches(received.strip(), (webhook_hmac(body, s) for s in _secrets(secrets)))


# ---- OAuth callback and admin links ----

def _pairs(query: str | Mapping[str, str] | Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    if isinstance(query, str):
        return parse_qsl(query.lstrip("?"), keep_blank_values=True)
    if isinstance(query, Mapping):
        return list(query.items())
    return list(query)


def oauth_hmac(params: Mapping[str, str], secret: str) -> str:
    """The `hmac` Shopify puts on OAuth redirects: hex HMAC of the sorted `k=v&k=v` query."""
    message = "&".join(
        f"{k}={v}" for k, v in sorted(params.items()) if k not in ("hmac", "signature")
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _check_timestamp(raw: str | None, now: datetime) -> None:
    try:
        timestamp = int(raw or "")
    except ValueError:
        raise InvalidSignature("missing or malformed timestamp") from None
    if abs(now.timestamp() - timestamp) > MAX_AGE_SECONDS:
        raise InvalidSignature("timestamp is more than 90 seconds away from now")


def verify_oauth_query(
    query: str | Mapping[str, str] | Sequence[tuple[str, str]],
    secrets: Sequence[str],
    now: datetime,
) -> str:
    """Check a query Shopify signed with `hmac` (OAuth callback, admin links); return the shop.

    Raises InvalidSignature for a repeated parameter, a bad shop, a wrong HMAC or a
    timestamp more than 90 seconds from `now`.
    """
    pairs = _pairs(query)
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise InvalidSignature("a query parameter is repeated")
    params = dict(pairs)
    received = params.get("hmac", "")
    if not received:
        raise InvalidSignature("no hmac parameter")
    shop = params.get("shop", "")
    if not is_valid_shop_domain(shop):
        raise InvalidSignature("shop is not a myshopify.com domain")
    if not _any_matches(received, (oauth_hmac(params, s) for s in _secrets(secrets))):
        raise InvalidSignature("hmac does not match")
    # Checked after the HMAC so an attacker learns nothing from which check failed first.
    _check_timestamp(params.get("timestamp"), now)
    return shop


# ---- app proxy (storefront /apps/...) ----

@dataclass(frozen=True)
class ProxyRequest:
    """Who is asking through the app proxy, once the signature holds."""

    shop: str
    logged_in_customer_id: str | None
    path_prefix: str


def app_proxy_message(pairs: Sequence[tuple[str, str]]) -> str:
    """The signed string: sorted `key=value`, repeated keys joined by ',', no separator."""
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        if key != "signature":
            grouped.setdefault(key, []).append(value)
    return "".join(f"{k}={','.join(v)}" for k, v in sorted(grouped.items()))


def app_proxy_signature(pairs: Sequence[tuple[str, str]], secret: str) -> str:
    return hmac.new(secret.encode(), app_proxy_message(pairs).encode(), hashlib.sha256).hexdigest()


def verify_app_proxy(
    query: str | Sequence[tuple[str, str]], secrets: Sequence[str], now: datetime
) -> ProxyRequest:
    """Check an app-proxy request's `signature`; raises InvalidSignature.

    `query` is the raw query string (or its decoded pairs, in order). Repeated
    ordinary parameters are joined as Shopify does; a repeated shop, timestamp,
    signature, path_prefix or logged_in_customer_id is refused outright.
    """
    pairs = _pairs(query)
    counts: dict[str, int] = {}
    for key, _ in pairs:
        counts[key] = counts.get(key, 0) + 1
    repeated = sorted(k for k in _SINGLE_VALUED_PROXY_PARAMS if counts.get(k, 0) > 1)
    if repeated:
        raise InvalidSignature(f"repeated parameter: {', '.join(repeated)}")
    params = dict(pairs)
    received = params.get("signature", "")
    if not received:
        raise InvalidSignature("no signature parameter")
    shop = params.get("shop", "")
    if not is_valid_shop_domain(shop):
        raise InvalidSignature("shop is not a myshopify.com domain")
    if not _any_matches(received, (app_proxy_signature(pairs, s) for s in _secrets(secrets))):
        raise InvalidSignature("signature does not match")
    _check_timestamp(params.get("timestamp"), now)
    return ProxyRequest(
        shop=shop,
        logged_in_customer_id=params.get("logged_in_customer_id") or None,
        path_prefix=params.get("path_prefix", ""),
    )


# ---- App Bridge session tokens (embedded admin) ----

SESSION_TOKEN_LEEWAY_SECONDS = 10


def _host(url: str) -> str:
    return urlsplit(url if "://" in url else f"https://{url}").hostname or ""


def verify_session_token(
    token: str, api_key: str, secrets: Sequence[str], now: datetime
) -> str:
    """Check an App Bridge session token (HS256 JWT) and return the shop domain it is for.

    Audience must be our API key; `nbf`/`exp` hold within 10 s of `now`; `iss` (the
    shop's admin URL) and `dest` (the shop URL) must name the same myshopify host.
    """
    claims: dict[str, object] | None = None
    for secret in _secrets(secrets):
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                audience=api_key,
                # PyJWT checks exp/nbf against time.time() and takes no clock, so we
                # check them below against the injected `now` (tests, replays).
                options={
                    "require": ["exp", "nbf", "iss", "dest", "aud"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
            break
        except jwt.InvalidAudienceError:
            raise InvalidSignature("session token is for another app") from None
        except jwt.InvalidSignatureError:
            continue  # maybe signed with the previous secret
        except jwt.PyJWTError as exc:
            raise InvalidSignature(f"bad session token: {exc}") from None
    if claims is None:
        raise InvalidSignature("session token signature does not match")
    moment = now.timestamp()
    if moment > _number(claims["exp"]) + SESSION_TOKEN_LEEWAY_SECONDS:
        raise InvalidSignature("session token expired")
    if moment < _number(claims["nbf"]) - SESSION_TOKEN_LEEWAY_SECONDS:
        raise InvalidSignature("session token not yet valid")
    dest = _host(str(claims.get("dest", "")))
    iss = _host(str(claims.get("iss", "")))
    if not is_valid_shop_domain(dest):
        raise InvalidSignature("session token dest is not a myshopify.com shop")
    if iss != dest:
        raise InvalidSignature("session token iss and dest name different shops")
    return dest


def session_token_user(token: str) -> str:
    """The admin user (`sub`) of a session token that verify_session_token already accepted."""
    # Read without checking the signature again: only to name who acts, never to decide access.
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return str(claims.get("sub", "user"))


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidSignature("session token exp/nbf is not a number")
    return float(value)
