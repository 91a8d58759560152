"""A wrong order/email pair and a made-up order number take the same path: no platform call for either."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
import responses
from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.domain.shops import Shop
from tests import builders
from tests.integration.test_portal import _visible, find_order

SHOP_DOMAIN = "lookup-shop.myshopify.com"
GRAPHQL = f"https://{SHOP_DOMAIN}/admin/api/2026-10/graphql.json"


@pytest.fixture
def shopify_calls() -> Iterator[list[requests.PreparedRequest]]:
    """Every request to the shop's Admin API, answered as Shopify would for an order search with no match."""
    calls: list[requests.PreparedRequest] = []

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        calls.append(request)
        return 200, {}, json.dumps({"data": {"orders": {"nodes": []}}})

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.POST, GRAPHQL, callback=answer)
        yield calls


@pytest.fixture
def shopify_shop(services: Services) -> Shop:
    found = builders.shop(services, platform="shopify", domain=SHOP_DOMAIN,
                          credentials={"access_token": "shpat_lookup"})
    builders.stored_order(services, found, order_id="5001", name="#1001")
    return found


def test_a_made_up_number_and_a_wrong_email_ask_shopify_nothing(
    client: FlaskClient, shopify_shop: Shop, shopify_calls: list[requests.PreparedRequest], services: Services
) -> None:
    wrong_email = find_order(client, shopify_shop.slug, contact="someone@example.com", number="1001")
    made_up = find_order(client, shopify_shop.slug, contact="someone@example.com", number="9999")
    assert shopify_calls == []
    assert wrong_email.status_code == made_up.status_code == 200
    assert _visible(wrong_email, "1001") == _visible(made_up, "9999")
    with services.uow() as uow:
        assert uow.scope(shopify_shop).orders.find_by_name("9999") is None


def test_the_right_pair_is_found_from_the_stored_orders_alone(
    client: FlaskClient, shopify_shop: Shop, shopify_calls: list[requests.PreparedRequest]
) -> None:
    found = find_order(client, shopify_shop.slug, contact="claire@example.com", number="1001")
    assert found.status_code == 302
    assert shopify_calls == []
