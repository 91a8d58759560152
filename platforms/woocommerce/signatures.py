"""WooCommerce signatures: webhook HMAC, the creation ping, and the key-generation connect flow. Stdlib only.

Webhooks: `X-WC-Webhook-Signature` is base64(HMAC-SHA256(raw body, webhook secret)),
computed by WooCommerce over the exact bytes it sends (class-wc-webhook.php). The
secret is the one we gave the webhook, not the REST consumer secret.

Connect: the merchant is sent to `/wc-auth/v1/authorize`; WooCommerce POSTs the new
REST key to our callback with the `user_id` we chose. That `user_id` is our only
binding between the callback and the shop that started the flow, so it is signed,
names the shop and expires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from platforms.woocommerce.urls import is_local_store, normalise_store_url

SIGNATURE_HEADER = "X-WC-Webhook-Signature"

# The creation ping is exactly this form body (class-wc-webhook.php deliver_ping).
_PING_BODY = re.compile(rb"webhook_id=\d+")

# Separate keys per use, so a user_id MAC can never be replayed as anything else.
_USER_ID_CONTEXT = b"returns-connector/woocommerce/connect-user-id/v1"
USER_ID_TTL = timedelta(hours=1)

SCOPE = "read_write"


class ConnectError(ValueError):
    """The connect flow cannot go on; the message is fit to show the merchant."""


def get_header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever the case: a plain dict from a test or a WSGI header map."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


# ---- webhooks ----

def webhook_signature(body: bytes, secret: str) -> str:
    """The signature WooCommerce sends for `body` under `secret` (base64, not hex)."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_webhook_signature(body: bytes, signature: str | None, secret: str) -> bool:
    """True only if `signature` is the base64 HMAC of the raw body; constant time.

    A hex digest of the right HMAC is refused: WooCommerce never sends one, and
    accepting two encodings would only widen what a forger may try.
    """
    if not secret or not signature:
        return False
    expected = webhook_signature(body, secret)
    return hmac.compare_digest(signature.strip().encode("ascii", "replace"), expected.encode("ascii"))


def is_creation_ping(headers: Mapping[str, str], body: bytes) -> bool:
    """WooCommerce's unsigned ping (`webhook_id=N`, no topic) sent when a webhook is saved.

    It must be answered 200 without any effect; it names no shop and proves nothing.
    """
    if get_header(headers, SIGNATURE_HEADER) or get_header(headers, "X-WC-Webhook-Topic"):
        return False
    return bool(_PING_BODY.fullmatch(body.strip()))


# ---- connect flow: signed user_id ----

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _user_id_mac(payload: bytes, secret_key: str | bytes) -> bytes:
    key = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    if not key:
        raise ValueError("no secret key to sign the connect user_id")
    derived = hmac.new(key, _USER_ID_CONTEXT, hashlib.sha256).digest()
    return hmac.new(derived, payload, hashlib.sha256).digest()


def sign_user_id(
    shop_url: str, secret_key: str | bytes, now: datetime, ttl: timedelta = USER_ID_TTL
) -> str:
    """An opaque `user_id` for `/wc-auth/v1/authorize` naming the shop, valid for `ttl`."""
    payload = json.dumps(
        {
            "s": normalise_store_url(shop_url),
            "e": int((now + ttl).timestamp()),
            "n": secrets.token_urlsafe(8),  # two connect attempts never share an id
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode("utf-8")
    return f"{_b64(payload)}.{_b64(_user_id_mac(payload, secret_key))}"


def verify_user_id(user_id: str, secret_key: str | bytes, now: datetime) -> str:
    """The normalised shop URL a `user_id` from `sign_user_id` names; ConnectError if forged or expired."""
    try:
        payload_part, mac_part = user_id.split(".")
        payload = _unb64(payload_part)
        mac = _unb64(mac_part)
    except (ValueError, binascii.Error) as exc:
        raise ConnectError("the connect request is not one this app started") from exc
    if not hmac.compare_digest(mac, _user_id_mac(payload, secret_key)):
        raise ConnectError("the connect request is not one this app started")
    data: Any = json.loads(payload)
    if int(data["e"]) < now.timestamp():
        raise ConnectError("the connect request has expired: start connecting the store again")
    return str(data["s"])


def authorize_url(
    store_url: str, app_name: str, user_id: str, return_url: str, callback_url: str
) -> str:
    """Where to send the merchant so WooCommerce creates a read_write REST key for us.

    WooCommerce refuses a callback that is not https (class-wc-auth.php); we check
    first so the merchant gets our message, not a WordPress error page. Plain http is
    tolerated only when the store itself is on this machine, for tests.
    """
    store = normalise_store_url(store_url)
    if not app_name or not user_id:
        raise ConnectError("app_name and user_id are required to connect a WooCommerce store")
    for label, url in (("return_url", return_url), ("callback_url", callback_url)):
        if urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).hostname:
            raise ConnectError(f"{label} must be an absolute http(s) URL, not {url!r}")
    if urlsplit(callback_url).scheme != "https" and not is_local_store(store):
        raise ConnectError(
            "WooCommerce only sends keys to an https callback: set APP_URL to the app's https address"
        )
    query = urlencode(
        {
            "app_name": app_name,
            "scope": SCOPE,
            "user_id": user_id,
            "return_url": return_url,
            "callback_url": callback_url,
        }
    )
    return f"{store}/wc-auth/v1/authorize?{query}"


@dataclass(frozen=True)
class AuthCallback:
    """The REST key WooCommerce POSTs to our callback once the merchant approves."""

    key_id: int
    user_id: str
    consumer_key: str
    consumer_secret: str
    key_permissions: str


def parse_auth_callback(body: bytes) -> AuthCallback:
    """Read and check the callback's JSON body; ConnectError says what is wrong.

    A key that is not read_write is refused: orders must be read, and refunds,
    coupons and webhooks written, and refusing (non-200) makes WooCommerce delete the useless key.
    """
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConnectError("the WooCommerce callback body is not JSON") from exc
    if not isinstance(data, dict):
        raise ConnectError("the WooCommerce callback body is not a JSON object")
    missing = [
        k for k in ("key_id", "user_id", "consumer_key", "consumer_secret", "key_permissions")
        if data.get(k) in (None, "")
    ]
    if missing:
        raise ConnectError(f"the WooCommerce callback lacks {', '.join(missing)}")
    consumer_key, consumer_secret = str(data["consumer_key"]), str(data["consumer_secret"])
    if not consumer_key.startswith("ck_"):
        raise ConnectError("the WooCommerce callback's consumer_key does not start with ck_")
    if not consumer_secret.startswith("cs_"):
        raise ConnectError("the WooCommerce callback's consumer_secret does not start with cs_")
    try:
        key_id = int(data["key_id"])
    except (TypeError, ValueError) as exc:
        raise ConnectError("the WooCommerce callback's key_id is not a number") from exc
    permissions = str(data["key_permissions"])
    if permissions != SCOPE:
        raise ConnectError(
            f"the key WooCommerce created has {permissions!r} permission; returns need read_write"
        )
    return AuthCallback(key_id, str(data["user_id"]), consumer_key, consumer_secret, permissions)
