"""Shopify signature rules, with the vectors Shopify's own libraries and docs use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import jwt
import pytest

from platforms.shopify.signatures import (
    InvalidSignature,
    app_proxy_message,
    app_proxy_signature,
    is_valid_shop_domain,
    oauth_hmac,
    verify_app_proxy,
    verify_oauth_query,
    verify_session_token,
    verify_webhook,
    webhook_hmac,
)

SECRET = "hush"
OLD_SECRET = "previous-hush"

# shopify_python_api test/session_test.py: test_hmac_validation
OAUTH_PARAMS = {
    "shop": "some-shop.myshopify.com",
    "code": "a94a110d86d2452eb3e2af4cfb8a3828",
    "timestamp": "1337178173",
    "hmac": "2cb1a277650a659f1b11e92a4a64275b128e037f2c3390e3c8fd2d8721dac9e2",
}
OAUTH_TIME = datetime.fromtimestamp(1337178173, tz=UTC)

# shopify.dev "Authenticate app proxies" worked examples (secret "hush").
PROXY_ANONYMOUS = (
    "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id="
    "&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555"
    "&signature=e072b6d7e6622d85912a5214b860d3100dc1e73d9bc29f43796ac8c9ff8093cb"
)
PROXY_LOGGED_IN = (
    "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1"
    "&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555"
    "&signature=4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"
)
PROXY_TIME = datetime.fromtimestamp(1317327555, tz=UTC)


# ---- webhooks ----

def test_webhook_signed_with_the_current_secret_is_accepted() -> None:
    body = b'{"id": 1}'
    assert verify_webhook(body, webhook_hmac(body, SECRET), [SECRET, OLD_SECRET])


def test_webhook_signed_with_the_previous_secret_is_accepted_during_rotation() -> None:
    body = b'{"id": 1}'
    assert verify_webhook(body, webhook_hmac(body, OLD_SECRET), [SECRET, OLD_SECRET])


def test_webhook_with_a_tampered_body_is_refused() -> None:
    signature = webhook_hmac(b'{"id": 1}', SECRET)
    assert not verify_webhook(b'{"id": 2}', signature, [SECRET])


def test_webhook_without_a_signature_is_refused() -> None:
    assert not verify_webhook(b"{}", None, [SECRET])
    assert not verify_webhook(b"{}", "", [SECRET])


def test_webhook_signature_covers_the_raw_bytes_even_when_not_utf8() -> None:
    body = b"\xff\xfe not utf-8"
    assert verify_webhook(body, webhook_hmac(body, SECRET), [SECRET])


# ---- shop domains ----

@pytest.mark.parametrize("shop", ["my-shop.myshopify.com", "Shop1.myshopify.com", "a.myshopify.com"])
def test_myshopify_domains_are_valid(shop: str) -> None:
    assert is_valid_shop_domain(shop)


@pytest.mark.parametrize(
    "shop",
    [
        "evil.com/x.myshopify.com",
        "https://my-shop.myshopify.com",
        "my-shop.myshopify.com:443",
        "my-shop.myshopify.com/admin",
        "my-shop.myshopify.com.evil.com",
        "-shop.myshopify.com",
        "my_shop.myshopify.com",
        "evil.com?x.myshopify.com",
        "my-shop.myshopify.com\n",
        "",
    ],
)
def test_anything_but_a_bare_myshopify_domain_is_refused(shop: str) -> None:
    assert not is_valid_shop_domain(shop)


# ---- OAuth ----

def test_oauth_hmac_matches_shopify_python_api_vector() -> None:
    assert oauth_hmac(OAUTH_PARAMS, SECRET) == OAUTH_PARAMS["hmac"]
    assert verify_oauth_query(OAUTH_PARAMS, [SECRET], OAUTH_TIME) == "some-shop.myshopify.com"


def test_oauth_query_accepts_the_raw_query_string() -> None:
    assert verify_oauth_query(urlencode(OAUTH_PARAMS), [SECRET], OAUTH_TIME) == "some-shop.myshopify.com"


def test_oauth_query_with_a_tampered_parameter_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        verify_oauth_query({**OAUTH_PARAMS, "code": "other"}, [SECRET], OAUTH_TIME)


def test_oauth_query_89_seconds_old_is_accepted() -> None:
    assert verify_oauth_query(OAUTH_PARAMS, [SECRET], OAUTH_TIME + timedelta(seconds=89))


def test_oauth_query_91_seconds_old_is_refused() -> None:
    with pytest.raises(InvalidSignature, match="90 seconds"):
        verify_oauth_query(OAUTH_PARAMS, [SECRET], OAUTH_TIME + timedelta(seconds=91))


def test_oauth_query_with_a_repeated_parameter_is_refused() -> None:
    pairs = [*OAUTH_PARAMS.items(), ("shop", "evil.myshopify.com")]
    with pytest.raises(InvalidSignature, match="repeated"):
        verify_oauth_query(pairs, [SECRET], OAUTH_TIME)


def test_oauth_query_for_a_foreign_host_is_refused_even_when_signed() -> None:
    params = {**OAUTH_PARAMS, "shop": "evil.com/x.myshopify.com"}
    params["hmac"] = oauth_hmac(params, SECRET)
    with pytest.raises(InvalidSignature, match="myshopify"):
        verify_oauth_query(params, [SECRET], OAUTH_TIME)


# ---- app proxy ----

def test_app_proxy_message_is_built_as_shopify_documents() -> None:
    pairs = [
        ("extra", "1"), ("extra", "2"), ("shop", "shop-name.myshopify.com"),
        ("logged_in_customer_id", ""), ("path_prefix", "/apps/awesome_reviews"),
        ("timestamp", "1317327555"), ("signature", "x"),
    ]
    assert app_proxy_message(pairs) == (
        "extra=1,2logged_in_customer_id=path_prefix=/apps/awesome_reviews"
        "shop=shop-name.myshopify.comtimestamp=1317327555"
    )


def test_app_proxy_documented_examples_verify() -> None:
    anonymous = verify_app_proxy(PROXY_ANONYMOUS, [SECRET], PROXY_TIME)
    assert anonymous.shop == "shop-name.myshopify.com"
    assert anonymous.logged_in_customer_id is None
    assert anonymous.path_prefix == "/apps/awesome_reviews"
    assert verify_app_proxy(PROXY_LOGGED_IN, [SECRET], PROXY_TIME).logged_in_customer_id == "1"


def test_app_proxy_signed_with_the_previous_secret_is_accepted() -> None:
    assert verify_app_proxy(PROXY_ANONYMOUS, ["new-secret", SECRET], PROXY_TIME)


def test_app_proxy_with_a_tampered_customer_is_refused() -> None:
    tampered = PROXY_LOGGED_IN.replace("logged_in_customer_id=1", "logged_in_customer_id=2")
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_app_proxy(tampered, [SECRET], PROXY_TIME)


def test_app_proxy_89_seconds_old_is_accepted_and_91_refused() -> None:
    assert verify_app_proxy(PROXY_ANONYMOUS, [SECRET], PROXY_TIME + timedelta(seconds=89))
    with pytest.raises(InvalidSignature, match="90 seconds"):
        verify_app_proxy(PROXY_ANONYMOUS, [SECRET], PROXY_TIME + timedelta(seconds=91))


def test_app_proxy_with_a_repeated_customer_parameter_is_refused() -> None:
    # Signed over "logged_in_customer_id=1,2": a valid HMAC, but who is the customer?
    pairs = [
        ("shop", "shop-name.myshopify.com"), ("logged_in_customer_id", "1"),
        ("logged_in_customer_id", "2"), ("path_prefix", "/apps/r"), ("timestamp", "1317327555"),
    ]
    pairs.append(("signature", app_proxy_signature(pairs, SECRET)))
    with pytest.raises(InvalidSignature, match="repeated parameter: logged_in_customer_id"):
        verify_app_proxy(pairs, [SECRET], PROXY_TIME)


def test_app_proxy_with_a_repeated_shop_is_refused() -> None:
    query = PROXY_ANONYMOUS + "&shop=evil.myshopify.com"
    with pytest.raises(InvalidSignature, match="repeated"):
        verify_app_proxy(query, [SECRET], PROXY_TIME)


def test_app_proxy_for_a_foreign_host_is_refused_even_when_signed() -> None:
    pairs = [("shop", "evil.com/x.myshopify.com"), ("path_prefix", "/apps/r"), ("timestamp", "1317327555")]
    pairs.append(("signature", app_proxy_signature(pairs, SECRET)))
    with pytest.raises(InvalidSignature, match="myshopify"):
        verify_app_proxy(pairs, [SECRET], PROXY_TIME)


# ---- session tokens ----

API_KEY = "api-key-123"
# Real client secrets are 32+ bytes; PyJWT warns (an error under our pytest) below that.
JWT_SECRET = "shpss_" + "0123456789abcdef" * 2
JWT_OLD_SECRET = "shpss_" + "fedcba9876543210" * 2
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def session_token(secret: str = JWT_SECRET, **overrides: object) -> str:
    claims: dict[str, object] = {
        "iss": "https://shop-name.myshopify.com/admin",
        "dest": "https://shop-name.myshopify.com",
        "aud": API_KEY,
        "sub": "42",
        "exp": int(NOW.timestamp()) + 60,
        "nbf": int(NOW.timestamp()) - 5,
        "iat": int(NOW.timestamp()) - 5,
        "jti": "f8912129-1af6-4cad-9ca3-76b0f7621087",
        "sid": "aaea182f2732d44c23057c0fea584021a4485b2bd25d3eb7fd349313ad24c685",
    }
    claims.update(overrides)
    return jwt.encode(claims, secret, algorithm="HS256")


def test_session_token_returns_the_shop_it_is_for() -> None:
    assert verify_session_token(session_token(), API_KEY, [JWT_SECRET], NOW) == "shop-name.myshopify.com"


def test_session_token_signed_with_the_previous_secret_is_accepted() -> None:
    token = session_token(JWT_OLD_SECRET)
    assert verify_session_token(token, API_KEY, [JWT_SECRET, JWT_OLD_SECRET], NOW) == "shop-name.myshopify.com"


def test_session_token_for_another_app_is_refused() -> None:
    with pytest.raises(InvalidSignature, match="another app"):
        verify_session_token(session_token(aud="someone-else"), API_KEY, [JWT_SECRET], NOW)


def test_session_token_expired_beyond_the_leeway_is_refused() -> None:
    token = session_token(exp=int(NOW.timestamp()) - 11)
    with pytest.raises(InvalidSignature, match="expired"):
        verify_session_token(token, API_KEY, [JWT_SECRET], NOW)


def test_session_token_expired_within_the_10_second_leeway_is_accepted() -> None:
    token = session_token(exp=int(NOW.timestamp()) - 9)
    assert verify_session_token(token, API_KEY, [JWT_SECRET], NOW)


def test_session_token_not_yet_valid_is_refused() -> None:
    token = session_token(nbf=int(NOW.timestamp()) + 11)
    with pytest.raises(InvalidSignature, match="not yet valid"):
        verify_session_token(token, API_KEY, [JWT_SECRET], NOW)


def test_session_token_with_a_wrong_signature_is_refused() -> None:
    with pytest.raises(InvalidSignature, match="signature"):
        verify_session_token(session_token("not-our-secret-" + "x" * 32), API_KEY, [JWT_SECRET], NOW)


def test_session_token_whose_iss_and_dest_differ_is_refused() -> None:
    token = session_token(iss="https://other-shop.myshopify.com/admin")
    with pytest.raises(InvalidSignature, match="different shops"):
        verify_session_token(token, API_KEY, [JWT_SECRET], NOW)


def test_session_token_for_a_foreign_host_is_refused() -> None:
    token = session_token(iss="https://evil.com/admin", dest="https://evil.com")
    with pytest.raises(InvalidSignature, match="myshopify"):
        verify_session_token(token, API_KEY, [JWT_SECRET], NOW)


def test_session_token_signed_with_none_algorithm_is_refused() -> None:
    token = jwt.encode({"aud": API_KEY}, None, algorithm="none")
    with pytest.raises(InvalidSignature):
        verify_session_token(token, API_KEY, [JWT_SECRET], NOW)
