"""Our Shopify checks give the same verdicts as Shopify's official package, `shopifyapp`.

The adapter does not call shopify_app at run time (platforms/shopify/signatures.py says
why: str bodies, no injected clock, looser repeated-parameter rules). Shopify's own
package is used here as the oracle, so the two can never silently disagree.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st
from shopify_app.verify.app_proxy import verify_app_proxy_req
from shopify_app.verify.webhook import verify_webhook_req

from platforms.shopify.signatures import InvalidSignature, verify_app_proxy, verify_webhook

SECRET = "shpss_oracle_secret"
CONFIG = {"client_id": "key", "client_secret": SECRET, "old_client_secret": None}


def _official_webhook(body: str, signature: str) -> bool:
    request = {"method": "POST", "url": "https://app.example/webhooks/shopify", "body": body,
               "headers": {"X-Shopify-Hmac-Sha256": signature, "X-Shopify-Shop-Domain": "a.myshopify.com",
                           "X-Shopify-Topic": "orders/create", "X-Shopify-Api-Version": "2026-10",
                           "X-Shopify-Webhook-Id": "w1", "Content-Type": "application/json"}}
    return bool(verify_webhook_req(request, CONFIG).ok)  # type: ignore[arg-type]


@given(body=st.text(max_size=300), tamper=st.booleans())
@settings(max_examples=150, deadline=None)
def test_webhook_verdict_matches_shopify_app(body: str, tamper: bool) -> None:
    raw = body.encode("utf-8")
    signature = base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
    if tamper:
        signature = base64.b64encode(hmac.new(b"other", raw, hashlib.sha256).digest()).decode()
    ours = verify_webhook(raw, signature, [SECRET])
    assert ours == _official_webhook(body, signature)
    assert ours is not tamper


def _signed_query(params: dict[str, str], secret: str) -> str:
    message = "".join(sorted(f"{k}={v}" for k, v in params.items()))
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return urlencode({**params, "signature": signature})


@given(customer=st.sampled_from(["", "123456"]), extra=st.text(alphabet="abcxyz019", max_size=12),
       tamper=st.booleans())
@settings(max_examples=60, deadline=None)
def test_app_proxy_verdict_matches_shopify_app(customer: str, extra: str, tamper: bool) -> None:
    now = int(time.time())
    params = {"shop": "a.myshopify.com", "logged_in_customer_id": customer, "path_prefix": "/apps/returns",
              "timestamp": str(now), "extra": extra}
    query = _signed_query(params, "wrong-secret" if tamper else SECRET)
    official = verify_app_proxy_req(
        {"method": "GET", "url": f"https://app.example/proxy/?{query}", "headers": {}, "body": ""},
        CONFIG,  # type: ignore[arg-type]
    )
    try:
        verify_app_proxy(query, [SECRET], datetime.fromtimestamp(now, UTC))
        ours = True
    except InvalidSignature:
        ours = False
    assert ours == bool(official.ok)
    assert ours is not tamper
