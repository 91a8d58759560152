"""The Admin GraphQL client: throttle, retries, Retry-After, timeouts and user errors."""

from __future__ import annotations

import pytest
import requests

from connector.ports import PlatformError
from platforms.shopify import queries
from platforms.shopify.client import AdminClient
from tests.unit.shopify.conftest import FakeShopify, FakeTime, Raw

ORDER = {"id": "gid://shopify/Order/1"}
GID = {"id": "gid://shopify/Order/1"}


def refund_reply(note: str = "") -> dict[str, object]:
    return {"refund": {"id": "gid://shopify/Refund/9", "note": note, "totalRefundedSet": None}, "userErrors": []}


def throttled(available: float, requested: float, restore: float = 50.0) -> Raw:
    return Raw(200, {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {"cost": {
            "requestedQueryCost": requested, "actualQueryCost": None,
            "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": available, "restoreRate": restore},
        }},
    })


def test_calls_carry_the_access_token(shopify: FakeShopify, client: AdminClient) -> None:
    shopify.on("order", ORDER)
    assert client.execute(queries.ORDER_BY_ID, GID) == {"order": ORDER}
    assert shopify.calls[0].headers["X-Shopify-Access-Token"] == "shpat_test"


def test_retry_after_given_as_a_float_string_is_honoured(
    shopify: FakeShopify, client: AdminClient, fake_time: FakeTime
) -> None:
    shopify.on("order", Raw(429, {"errors": "Too many"}, {"Retry-After": "2.0"}), ORDER)
    assert client.execute(queries.ORDER_BY_ID, GID) == {"order": ORDER}
    assert fake_time.slept == [2.0]
    assert len(shopify.calls_to("order")) == 2


def test_server_errors_are_retried(shopify: FakeShopify, client: AdminClient, fake_time: FakeTime) -> None:
    shopify.on("order", Raw(503, {}, {"Retry-After": "1"}), Raw(502, {}), ORDER)
    assert client.execute(queries.ORDER_BY_ID, GID) == {"order": ORDER}
    assert len(shopify.calls_to("order")) == 3
    assert fake_time.slept[0] == 1.0


def test_a_throttled_call_waits_for_the_bucket_then_succeeds(
    shopify: FakeShopify, client: AdminClient, fake_time: FakeTime
) -> None:
    # 1 point left, 101 wanted, 50 restored per second: the bucket holds 101 after 2 s.
    shopify.on("order", throttled(available=1, requested=101), ORDER)
    assert client.execute(queries.ORDER_BY_ID, GID) == {"order": ORDER}
    assert fake_time.slept == [pytest.approx(2.0)]
    assert len(shopify.calls_to("order")) == 2


def test_the_next_call_waits_before_shopify_would_throttle_it(
    shopify: FakeShopify, client: AdminClient, fake_time: FakeTime
) -> None:
    low_bucket = {"data": {"order": ORDER}, "extensions": {"cost": {
        "requestedQueryCost": 300, "actualQueryCost": 300,
        "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 100.0, "restoreRate": 50.0},
    }}}
    shopify.on("order", Raw(200, low_bucket))
    client.execute(queries.ORDER_BY_ID, GID)
    client.execute(queries.ORDER_BY_ID, GID)
    # 100 available, 300 wanted: 4 s of restore before the second call, no THROTTLED.
    assert fake_time.slept == [pytest.approx(4.0)]


def test_a_timeout_is_retried_with_the_same_idempotency_key(
    shopify: FakeShopify, client: AdminClient
) -> None:
    shopify.on("refundCreate", requests.exceptions.ReadTimeout("slow gateway"), refund_reply())
    variables = {"input": {"orderId": "gid://shopify/Order/1"}, "idempotencyKey": "key-123"}
    client.mutate(queries.REFUND_CREATE, variables, "refundCreate")
    calls = shopify.calls_to("refundCreate")
    assert len(calls) == 2
    assert [c.variables["idempotencyKey"] for c in calls] == ["key-123", "key-123"]


def test_user_errors_become_a_readable_platform_error(shopify: FakeShopify, client: AdminClient) -> None:
    shopify.on("refundCreate", {"refund": None, "userErrors": [
        {"field": ["input", "transactions"], "message": "Amount exceeds the refundable amount"},
    ]})
    with pytest.raises(PlatformError, match="input.transactions: Amount exceeds") as caught:
        client.mutate(queries.REFUND_CREATE, {"input": {"orderId": "gid://shopify/Order/1"}, "idempotencyKey": "k"}, "refundCreate")
    assert caught.value.retryable is False


def test_a_revoked_token_is_not_retried(shopify: FakeShopify, client: AdminClient) -> None:
    shopify.on("order", Raw(401, {"errors": "Invalid API key or access token"}))
    with pytest.raises(PlatformError) as caught:
        client.execute(queries.ORDER_BY_ID, GID)
    assert (caught.value.status, caught.value.retryable) == (401, False)
    assert len(shopify.calls) == 1


def test_giving_up_after_repeated_failures_is_retryable_later(
    shopify: FakeShopify, client: AdminClient
) -> None:
    shopify.on("order", Raw(500, {}))
    with pytest.raises(PlatformError, match="5 attempts") as caught:
        client.execute(queries.ORDER_BY_ID, GID)
    assert caught.value.retryable is True


def test_graphql_errors_other_than_throttling_are_not_retried(shopify: FakeShopify, client: AdminClient) -> None:
    shopify.on("order", Raw(200, {"errors": [{"message": "Access denied for order field"}]}))
    with pytest.raises(PlatformError, match="Access denied"):
        client.execute(queries.ORDER_BY_ID, GID)
    assert len(shopify.calls) == 1


def test_the_stand_in_refuses_a_document_shopify_would_refuse(shopify: FakeShopify, client: AdminClient) -> None:
    with pytest.raises(AssertionError, match="refused by the Shopify schema"):
        client.execute("query { order(id: \"gid://shopify/Order/1\") { noSuchField } }")
    shopify.invalid.clear()  # expected here; the fixture would otherwise fail the test


def test_the_stand_in_refuses_variables_of_the_wrong_shape(shopify: FakeShopify, client: AdminClient) -> None:
    with pytest.raises(AssertionError, match="refused by the Shopify schema"):
        client.mutate(queries.REFUND_CREATE, {"input": {"orderId": "1", "bogus": 1}, "idempotencyKey": "k"}, "refundCreate")
    shopify.invalid.clear()
