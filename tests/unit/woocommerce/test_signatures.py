"""WooCommerce webhook signatures and the connect flow, checked against real deliveries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from platforms.woocommerce.signatures import (
    ConnectError,
    authorize_url,
    is_creation_ping,
    parse_auth_callback,
    sign_user_id,
    verify_user_id,
    verify_webhook_signature,
    webhook_signature,
)
from platforms.woocommerce.urls import normalise_store_url
from tests.unit.woocommerce.recordings import SECRETS, delivery, pings, signed_deliveries

NOW = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
KEY = "app-secret-key"


@pytest.mark.parametrize("recorded", signed_deliveries(), ids=lambda d: d["file"])
def test_every_recorded_delivery_verifies_with_its_webhook_secret(recorded: dict[str, object]) -> None:
    headers = recorded["headers"]
    assert isinstance(headers, dict)
    body = str(recorded["body_raw"]).encode("utf-8")
    secret = SECRETS[headers["X-WC-Webhook-ID"]]
    assert verify_webhook_signature(body, headers["X-WC-Webhook-Signature"], secret)


def test_tampered_body_is_refused() -> None:
    recorded = delivery("20261122T013308-order_updated-339059")
    body = recorded["body_raw"].replace('"total":"174.83"', '"total":"1.00"').encode()
    assert body != recorded["body_raw"].encode()
    assert not verify_webhook_signature(body, recorded["headers"]["X-WC-Webhook-Signature"], SECRETS["1"])


def test_another_webhooks_secret_is_refused() -> None:
    recorded = delivery("20261122T013308-order_updated-339059")
    signature = recorded["headers"]["X-WC-Webhook-Signature"]
    assert not verify_webhook_signature(recorded["body_raw"].encode(), signature, SECRETS["2"])


def test_hex_digest_of_the_right_hmac_is_refused() -> None:
    recorded = delivery("20261122T013308-order_updated-339059")
    body = recorded["body_raw"].encode()
    hex_digest = hmac.new(SECRETS["1"].encode(), body, hashlib.sha256).hexdigest()
    assert base64.b64decode(recorded["headers"]["X-WC-Webhook-Signature"]).hex() == hex_digest
    assert not verify_webhook_signature(body, hex_digest, SECRETS["1"])


@pytest.mark.parametrize("signature", [None, "", "   "])
def test_missing_signature_is_refused(signature: str | None) -> None:
    recorded = delivery("20261122T013308-order_updated-339059")
    assert not verify_webhook_signature(recorded["body_raw"].encode(), signature, SECRETS["1"])


def test_empty_secret_verifies_nothing() -> None:
    assert not verify_webhook_signature(b"{}", webhook_signature(b"{}", ""), "")


@pytest.mark.parametrize("recorded", pings())
def test_recorded_creation_pings_are_recognised(recorded: dict[str, object]) -> None:
    headers = recorded["headers"]
    assert isinstance(headers, dict)
    assert is_creation_ping(headers, str(recorded["body_raw"]).encode())


def test_a_signed_delivery_is_not_a_ping() -> None:
    recorded = delivery("20261122T013308-order_updated-339059")
    assert not is_creation_ping(recorded["headers"], recorded["body_raw"].encode())
    assert not is_creation_ping({}, b"webhook_id=3&x=1")


def test_user_id_round_trips_to_the_normalised_shop() -> None:
    user_id = sign_user_id("HTTPS://Shop.Example/store/", KEY, NOW)
    assert verify_user_id(user_id, KEY, NOW + timedelta(minutes=59)) == "https://shop.example/store"


def test_user_id_expires() -> None:
    user_id = sign_user_id("https://shop.example", KEY, NOW)
    with pytest.raises(ConnectError, match="expired"):
        verify_user_id(user_id, KEY, NOW + timedelta(hours=2))


@pytest.mark.parametrize("forge", ["other-key", "tamper", "garbage"])
def test_forged_user_id_is_refused(forge: str) -> None:
    user_id = sign_user_id("https://shop.example", KEY, NOW)
    if forge == "other-key":
        candidate, key = user_id, "another-key"
    elif forge == "tamper":
        payload, mac = user_id.split(".")
        other = sign_user_id("https://evil.example", KEY, NOW).split(".")[0]
        candidate, key = f"{other}.{mac}", KEY
        assert payload != other
    else:
        candidate, key = "not-a-user-id", KEY
    with pytest.raises(ConnectError):
        verify_user_id(candidate, key, NOW)


def test_authorize_url_asks_for_read_write_with_all_five_parameters() -> None:
    url = authorize_url(
        "https://Shop.Example/", "Returns", "uid", "https://app.example/back", "https://app.example/cb"
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://shop.example/wc-auth/v1/authorize"
    assert parse_qs(parts.query) == {
        "app_name": ["Returns"],
        "scope": ["read_write"],
        "user_id": ["uid"],
        "return_url": ["https://app.example/back"],
        "callback_url": ["https://app.example/cb"],
    }


def test_plain_http_callback_is_refused_for_a_real_store() -> None:
    with pytest.raises(ConnectError, match="https"):
        authorize_url("https://shop.example", "R", "u", "http://app.example/r", "http://app.example/cb")


def test_plain_http_callback_is_allowed_for_a_local_test_store() -> None:
    url = authorize_url("http://127.0.0.1:8088", "R", "u", "http://127.0.0.1:5000/r", "http://127.0.0.1:5000/cb")
    assert url.startswith("http://127.0.0.1:8088/wc-auth/v1/authorize?")


def _callback(**overrides: object) -> bytes:
    body: dict[str, object] = {
        "key_id": 7,
        "user_id": "uid",
        "consumer_key": "ck_abc",
        "consumer_secret": "cs_def",
        "key_permissions": "read_write",
    }
    body.update(overrides)
    return json.dumps(body).encode()


def test_callback_body_is_parsed() -> None:
    parsed = parse_auth_callback(_callback())
    assert (parsed.key_id, parsed.user_id, parsed.consumer_key, parsed.consumer_secret) == (
        7, "uid", "ck_abc", "cs_def"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"key_id=7", "not JSON"),
        (b"[1]", "not a JSON object"),
        (_callback(consumer_secret=""), "lacks consumer_secret"),
        (_callback(consumer_key="abc"), "ck_"),
        (_callback(consumer_secret="abc"), "cs_"),
        (_callback(key_id="seven"), "key_id"),
        (_callback(key_permissions="read"), "read_write"),
    ],
)
def test_bad_callback_bodies_get_clear_errors(body: bytes, message: str) -> None:
    with pytest.raises(ConnectError, match=message):
        parse_auth_callback(body)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("http://127.0.0.1:8088/", "http://127.0.0.1:8088"),
        ("HTTPS://WWW.Shop.Example:443/Boutique/", "https://www.shop.example/Boutique"),
        ("shop.example", "https://shop.example"),
        ("http://shop.example:80?x=1#f", "http://shop.example"),
    ],
)
def test_store_urls_are_normalised(raw: str, normalised: str) -> None:
    assert normalise_store_url(raw) == normalised


@pytest.mark.parametrize("raw", ["", "ftp://shop.example", "https://"])
def test_unusable_store_urls_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="."):
        normalise_store_url(raw)
