"""The WooCommerce REST client: both auth modes, the query-string fallback, retries, pages, diagnoses."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from platforms.woocommerce.client import OutcomeUnknown, WooCommerceClient, WooCommerceError
from tests.unit.woocommerce.recordings import rest

HTTPS_STORE = "https://127.0.0.1:8443"
HTTP_STORE = "http://127.0.0.1:8088"
CK, CS = "ck_test", "cs_test"
ORDERS = "/wp-json/wc/v3/orders"


def client(store: str = HTTPS_STORE, sleeps: list[float] | None = None) -> WooCommerceClient:
    record = sleeps if sleeps is not None else []
    return WooCommerceClient(store, CK, CS, sleep=record.append)


def query(request: requests.PreparedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(request.url)).query)


@responses.activate
def test_plain_http_store_is_called_with_oauth1_signature_in_the_query() -> None:
    recorded = rest("orders-list-oauth1-http")["response"]
    responses.get(HTTP_STORE + ORDERS, json=recorded["body"], headers={"X-WP-TotalPages": "1"})
    orders = client(HTTP_STORE).get("orders", {"per_page": 5})
    assert [o["id"] for o in orders] == [22, 21, 20]
    sent = responses.calls[0].request
    params = query(sent)
    assert params["oauth_consumer_key"] == [CK]
    assert params["oauth_signature_method"] == ["HMAC-SHA256"]
    assert params["oauth_signature"][0]
    assert "Authorization" not in sent.headers
    assert "consumer_secret" not in params  # the secret itself never travels over http


@responses.activate
def test_https_store_is_called_with_basic_auth() -> None:
    recorded = rest("orders-list-basic-auth-https")["response"]
    responses.get(HTTPS_STORE + ORDERS, json=recorded["body"])
    api = client()
    api.get("orders")
    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(f"{CK}:{CS}".encode()).decode()
    assert "consumer_key" not in query(sent)
    assert api.auth_mode == "basic"


@responses.activate
def test_stripped_authorization_header_switches_to_query_string_auth_and_remembers_it() -> None:
    rejected = rest("orders-list-basic-auth-plain-http-REJECTED")["response"]
    accepted = rest("orders-list-basic-auth-https")["response"]

    def store(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        # This host drops the Authorization header before PHP sees it.
        if query(request).get("consumer_key") == [CK] and query(request).get("consumer_secret") == [CS]:
            return 200, {}, json.dumps(accepted["body"])
        return 401, {}, json.dumps(rejected["body"])

    responses.add_callback(responses.GET, HTTPS_STORE + ORDERS, callback=store)
    api = client()
    assert len(api.get("orders")) == 3
    assert api.query_string_auth
    assert api.auth_mode == "query_string"
    api.get("orders")
    assert len(responses.calls) == 3  # one refusal, then straight to the query string


@responses.activate
def test_bad_key_is_not_retried_in_query_string_mode() -> None:
    responses.get(
        HTTPS_STORE + ORDERS, status=401,
        json={"code": "woocommerce_rest_authentication_error", "message": "Consumer key is invalid.",
              "data": {"status": 401}},
    )
    api = client()
    with pytest.raises(WooCommerceError, match="refused the API key") as caught:
        api.get("orders")
    assert caught.value.status == 401
    assert not caught.value.retryable
    assert not api.query_string_auth


@responses.activate
def test_reads_are_retried_after_429_with_retry_after() -> None:
    responses.get(HTTPS_STORE + ORDERS, status=429, headers={"Retry-After": "7"}, json={})
    responses.get(HTTPS_STORE + ORDERS, json=[{"id": 1}])
    sleeps: list[float] = []
    assert client(sleeps=sleeps).get("orders") == [{"id": 1}]
    assert sleeps == [7.0]


@responses.activate
def test_reads_are_retried_after_a_5xx_and_a_dropped_connection() -> None:
    responses.get(HTTPS_STORE + ORDERS, status=502, body="<html>bad gateway</html>")
    responses.get(HTTPS_STORE + ORDERS, body=requests.ConnectionError("reset"))
    responses.get(HTTPS_STORE + ORDERS, json=[])
    sleeps: list[float] = []
    assert client(sleeps=sleeps).get("orders") == []
    assert len(sleeps) == 2


@responses.activate
def test_reads_give_up_with_a_retryable_error() -> None:
    responses.get(HTTPS_STORE + ORDERS, status=503, body="down")
    with pytest.raises(WooCommerceError) as caught:
        client().get("orders")
    assert caught.value.retryable
    assert len(responses.calls) == 4


@responses.activate
def test_refund_error_500_is_not_retried_and_reads_clearly() -> None:
    recorded = rest("refunds-create-over-amount-ERROR")
    responses.post(HTTPS_STORE + ORDERS + "/20/refunds", status=500, json=recorded["response"]["body"])
    with pytest.raises(WooCommerceError, match="more than what is left to refund") as caught:
        client().post("orders/20/refunds", recorded["request"]["body"])
    assert caught.value.code == "woocommerce_rest_cannot_create_order_refund"
    assert not isinstance(caught.value, OutcomeUnknown)
    assert len(responses.calls) == 1


@responses.activate
def test_post_timeout_is_an_unknown_outcome_not_a_retry() -> None:
    responses.post(HTTPS_STORE + ORDERS + "/20/refunds", body=requests.ReadTimeout("slow gateway"))
    with pytest.raises(OutcomeUnknown) as caught:
        client().post("orders/20/refunds", {"amount": "1.00"})
    assert caught.value.retryable
    assert len(responses.calls) == 1


@responses.activate
def test_pages_are_followed_as_x_wp_totalpages_says() -> None:
    for page in (1, 2, 3):
        responses.get(
            HTTPS_STORE + ORDERS,
            match=[responses.matchers.query_param_matcher({"page": str(page), "per_page": "2"}, strict_match=False)],
            json=[{"id": page * 10 + 1}, {"id": page * 10 + 2}][: 1 if page == 3 else 2],
            headers={"X-WP-Total": "5", "X-WP-TotalPages": "3"},
        )
    seen: list[tuple[int, int | None]] = []
    items = list(client().iter_all("orders", per_page=2, progress=lambda done, total: seen.append((done, total))))
    assert [i["id"] for i in items] == [11, 12, 21, 22, 31]
    assert seen[-1] == (5, 5)


@responses.activate
def test_check_connection_reports_the_order_count() -> None:
    recorded = rest("orders-list-basic-auth-https")["response"]
    responses.get(HTTPS_STORE + ORDERS, json=recorded["body"][:1], headers={"X-WP-Total": "3"})
    diagnosis = client().check_connection()
    assert diagnosis.ok
    assert diagnosis.order_count == 3
    assert "HTTP Basic" in diagnosis.message


@pytest.mark.parametrize(
    ("status", "body", "content_type", "words"),
    [
        (401, '{"code":"woocommerce_rest_authentication_error","message":"Consumer key is invalid.",'
              '"data":{"status":401}}', "application/json", "refused the API key"),
        (401, '{"code":"woocommerce_rest_authentication_error","message":"The API key provided does not '
              'have write permissions.","data":{"status":401}}', "application/json", "read-only"),
        (404, "<html><body>Page not found</body></html>", "text/html", "pretty permalinks"),
        (404, '{"code":"rest_no_route","message":"No route was found matching the URL and request method.",'
              '"data":{"status":404}}', "application/json", "WooCommerce installed"),
        (403, '{"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list resources.",'
              '"data":{"status":403}}', "application/json", "shop manager"),
    ],
)
@responses.activate
def test_check_connection_diagnoses(status: int, body: str, content_type: str, words: str) -> None:
    responses.get(HTTPS_STORE + ORDERS, status=status, body=body, content_type=content_type)
    diagnosis = client().check_connection()
    assert not diagnosis.ok
    assert words in diagnosis.message


@responses.activate
def test_check_connection_when_the_store_is_unreachable() -> None:
    responses.get(HTTPS_STORE + ORDERS, body=requests.ConnectionError("refused"))
    diagnosis = client().check_connection()
    assert not diagnosis.ok
    assert diagnosis.code == "unreachable"
