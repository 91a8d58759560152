"""Shopify install flow as pure functions: authorize URL, callback check, code and token exchange. Imports requests, ports, signatures.

No Flask here: the web layer keeps the state nonce in the session and calls these.

Why not shopify_app's `token_exchange`: it is built on httpx (our transport and its
tests use requests/responses), always posts to `https://{dest}/admin/oauth/...`
(DESIGN.md wants every outbound base URL configurable, for a stand-in on 127.0.0.1),
and stamps expiry times from the wall clock. The request below is the same grant it
sends (RFC 8693 token exchange, `urn:shopify:params:oauth:token-type:offline-access-token`).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests

from connector.ports import PlatformError
from platforms.shopify.signatures import (
    InvalidSignature,
    is_valid_shop_domain,
    verify_oauth_query,
    verify_session_token,
)

DEFAULT_OAUTH_URL = "https://{shop}/admin/oauth"
TIMEOUT = (5.0, 20.0)


@dataclass(frozen=True)
class AccessToken:
    """An Admin API access token for one shop."""

    shop: str
    access_token: str
    scope: str
    expires_at: datetime | None = None
    refresh_token: str | None = None


@dataclass(frozen=True)
class Callback:
    """A verified OAuth callback."""

    shop: str
    code: str
    host: str  # base64 admin host, for App Bridge after install


def new_state() -> str:
    """A nonce for the `state` parameter; keep it in the merchant's session."""
    return secrets.token_urlsafe(24)


def authorize_url(
    shop: str,
    api_key: str,
    scopes: str,
    redirect_uri: str,
    state: str,
    *,
    oauth_url: str = DEFAULT_OAUTH_URL,
) -> str:
    """Where to send the merchant to grant the app its scopes (an offline token by default)."""
    if not is_valid_shop_domain(shop):
        raise InvalidSignature("shop is not a myshopify.com domain")
    query = urlencode({"client_id": api_key, "scope": scopes, "redirect_uri": redirect_uri, "state": state})
    return f"{oauth_url.format(shop=shop).rstrip('/')}/authorize?{query}"


def verify_callback(
    query: str | Mapping[str, str] | Sequence[tuple[str, str]],
    *,
    api_secrets: Sequence[str],
    expected_state: str,
    now: datetime,
) -> Callback:
    """Check hostname, HMAC, timestamp (90 s) and state of the callback; raises InvalidSignature."""
    shop = verify_oauth_query(query, api_secrets, now)
    params = dict(query) if not isinstance(query, str) else _pairs_of(query)
    state = params.get("state", "")
    if not expected_state or not hmac.compare_digest(state.encode(), expected_state.encode()):
        raise InvalidSignature("state does not match the one we issued")
    code = params.get("code", "")
    if not code:
        raise InvalidSignature("no authorization code")
    return Callback(shop=shop, code=code, host=params.get("host", ""))


def _pairs_of(query: str) -> dict[str, str]:
    return dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))


def exchange_code(
    shop: str,
    code: str,
    api_key: str,
    api_secret: str,
    *,
    oauth_url: str = DEFAULT_OAUTH_URL,
    session: requests.Session | None = None,
) -> AccessToken:
    """Trade the callback's code for the shop's offline access token."""
    data = _post_token(shop, {"client_id": api_key, "client_secret": api_secret, "code": code}, oauth_url, session)
    return AccessToken(shop=shop, access_token=str(data["access_token"]), scope=str(data.get("scope", "")))


def exchange_session_token(
    session_token: str,
    api_key: str,
    api_secrets: Sequence[str],
    *,
    now: datetime,
    expiring: bool = False,
    oauth_url: str = DEFAULT_OAUTH_URL,
    session: requests.Session | None = None,
) -> AccessToken:
    """Trade an App Bridge ID token (verified here first) for the shop's offline access token."""
    shop = verify_session_token(session_token, api_key, api_secrets, now)
    body = {
        "client_id": api_key,
        "client_secret": api_secrets[0],
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": session_token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
        "expiring": 1 if expiring else 0,
    }
    data = _post_token(shop, body, oauth_url, session)
    expires_in = data.get("expires_in")
    return AccessToken(
        shop=shop,
        access_token=str(data["access_token"]),
        scope=str(data.get("scope", "")),
        expires_at=now + timedelta(seconds=int(expires_in)) if expires_in is not None else None,
        refresh_token=data.get("refresh_token"),
    )


def _post_token(
    shop: str, body: Mapping[str, Any], oauth_url: str, session: requests.Session | None
) -> dict[str, Any]:
    if not is_valid_shop_domain(shop):
        raise InvalidSignature("shop is not a myshopify.com domain")
    url = f"{oauth_url.format(shop=shop).rstrip('/')}/access_token"
    try:
        response = (session or requests.Session()).post(
            url, json=dict(body), headers={"Accept": "application/json"}, timeout=TIMEOUT
        )
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise PlatformError(f"Shopify token endpoint unreachable: {exc.__class__.__name__}", retryable=True) from exc
    if response.status_code != 200:
        # 400 invalid_subject_token / invalid code: the merchant must start again.
        raise PlatformError(
            f"Shopify refused the token request (HTTP {response.status_code}): {response.text[:200]}",
            retryable=response.status_code == 429 or response.status_code >= 500,
            status=response.status_code,
        )
    try:
        data = response.json()
    except ValueError as exc:
        raise PlatformError("Shopify token answer is not JSON", retryable=True) from exc
    if not isinstance(data, dict) or not data.get("access_token"):
        raise PlatformError("Shopify token answer has no access_token", retryable=False)
    return data
