"""The Shopify install flow: authorize URL, callback checks, code and token exchange."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import responses

from connector.ports import PlatformError
from platforms.shopify.oauth import (
    authorize_url,
    exchange_code,
    exchange_session_token,
    new_state,
    verify_callback,
)
from platforms.shopify.signatures import InvalidSignature, oauth_hmac

SHOP = "test-shop.myshopify.com"
SECRET = "shpss_" + "0123456789abcdef" * 2
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
TOKEN_URL = f"https://{SHOP}/admin/oauth/access_token"


def signed_callback(**overrides: str) -> dict[str, str]:
    params = {"code": "0907a61c0c8d55e99db179b68161bc00", "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvdGVzdA",
              "shop": SHOP, "state": "nonce-1", "timestamp": str(int(NOW.timestamp()))}
    params.update(overrides)
    params["hmac"] = oauth_hmac(params, SECRET)
    return params


def test_the_authorize_url_asks_for_the_scopes_with_our_state() -> None:
    url = authorize_url(SHOP, "key", "read_orders,write_returns", "https://returns.example/shopify/callback", "nonce-1")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", SHOP, "/admin/oauth/authorize")
    assert parse_qs(parts.query) == {
        "client_id": ["key"], "scope": ["read_orders,write_returns"],
        "redirect_uri": ["https://returns.example/shopify/callback"], "state": ["nonce-1"],
    }


def test_no_authorize_url_for_a_foreign_host() -> None:
    with pytest.raises(InvalidSignature):
        authorize_url("evil.com/x.myshopify.com", "key", "read_orders", "https://r.example/cb", new_state())


def test_a_genuine_callback_is_accepted() -> None:
    callback = verify_callback(signed_callback(), api_secrets=[SECRET], expected_state="nonce-1", now=NOW)
    assert (callback.shop, callback.code) == (SHOP, "0907a61c0c8d55e99db179b68161bc00")


def test_a_callback_with_another_state_is_refused() -> None:
    with pytest.raises(InvalidSignature, match="state"):
        verify_callback(signed_callback(state="forged"), api_secrets=[SECRET], expected_state="nonce-1", now=NOW)


def test_a_stale_callback_is_refused() -> None:
    with pytest.raises(InvalidSignature, match="90 seconds"):
        verify_callback(signed_callback(), api_secrets=[SECRET], expected_state="nonce-1", now=NOW + timedelta(seconds=91))


def test_a_callback_with_a_tampered_code_is_refused() -> None:
    params = {**signed_callback(), "code": "other"}
    with pytest.raises(InvalidSignature, match="hmac"):
        verify_callback(params, api_secrets=[SECRET], expected_state="nonce-1", now=NOW)


@responses.activate
def test_the_code_is_exchanged_for_an_offline_token() -> None:
    responses.post(TOKEN_URL, json={"access_token": "shpat_abc", "scope": "read_orders,write_returns"})
    token = exchange_code(SHOP, "the-code", "key", SECRET)
    assert (token.shop, token.access_token, token.scope) == (SHOP, "shpat_abc", "read_orders,write_returns")
    assert json.loads(responses.calls[0].request.body or b"") == {
        "client_id": "key", "client_secret": SECRET, "code": "the-code",
    }


@responses.activate
def test_a_refused_code_is_a_clear_error() -> None:
    responses.post(TOKEN_URL, status=400, json={"error": "invalid_request"})
    with pytest.raises(PlatformError, match="HTTP 400") as caught:
        exchange_code(SHOP, "used-code", "key", SECRET)
    assert caught.value.retryable is False


@responses.activate
def test_the_token_endpoint_base_is_configurable_for_a_stand_in() -> None:
    responses.post(f"http://127.0.0.1:9999/{SHOP}/oauth/access_token", json={"access_token": "shpat_local"})
    token = exchange_code(SHOP, "c", "key", SECRET, oauth_url="http://127.0.0.1:9999/{shop}/oauth")
    assert token.access_token == "shpat_local"


@responses.activate
def test_a_session_token_is_verified_then_exchanged_for_an_offline_token() -> None:
    responses.post(TOKEN_URL, json={"access_token": "shpat_xyz", "scope": "read_orders", "expires_in": 3600,
                                    "refresh_token": "shprt_1"})
    session_token = jwt.encode({
        "iss": f"https://{SHOP}/admin", "dest": f"https://{SHOP}", "aud": "key", "sub": "1",
        "exp": int(NOW.timestamp()) + 60, "nbf": int(NOW.timestamp()) - 1,
    }, SECRET, algorithm="HS256")
    token = exchange_session_token(session_token, "key", [SECRET], now=NOW, expiring=True)
    assert (token.shop, token.access_token, token.refresh_token) == (SHOP, "shpat_xyz", "shprt_1")
    assert token.expires_at == NOW + timedelta(hours=1)
    sent = json.loads(responses.calls[0].request.body or b"")
    assert sent["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange"
    assert sent["requested_token_type"] == "urn:shopify:params:oauth:token-type:offline-access-token"
    assert sent["subject_token"] == session_token
    assert sent["expiring"] == 1


@responses.activate
def test_a_forged_session_token_is_never_sent_to_shopify() -> None:
    forged = jwt.encode({"iss": f"https://{SHOP}/admin", "dest": f"https://{SHOP}", "aud": "key",
                         "exp": int(NOW.timestamp()) + 60, "nbf": int(NOW.timestamp())}, "x" * 40, algorithm="HS256")
    with pytest.raises(InvalidSignature):
        exchange_session_token(forged, "key", [SECRET], now=NOW)
    assert len(responses.calls) == 0
