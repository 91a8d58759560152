"""The admin's own sign-in resists password guessing."""

from __future__ import annotations

from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.web.auth import create_merchant_user
from tests import builders
from tests.integration.test_admin_support import PASSWORD, csrf_from


def _try(client: FlaskClient, slug: str, password: str) -> int:
    page = client.get(f"/admin/{slug}/login")
    return client.post(f"/admin/{slug}/login", data={
        "email": "owner@boutique.example", "password": password, "mode": "password",
        "csrf_token": csrf_from(page.get_data(as_text=True))}).status_code


def test_the_eleventh_attempt_in_a_quarter_hour_is_refused_even_with_the_right_password(
    client: FlaskClient, services: Services
) -> None:
    shop = builders.shop(services)
    create_merchant_user(services, shop.id, "owner@boutique.example", PASSWORD)
    assert [_try(client, shop.slug, "guess") for _ in range(10)] == [401] * 10
    assert _try(client, shop.slug, PASSWORD) == 429


def test_a_right_password_signs_in_within_the_budget(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    create_merchant_user(services, shop.id, "owner@boutique.example", PASSWORD)
    assert _try(client, shop.slug, "guess") == 401
    assert _try(client, shop.slug, PASSWORD) == 302
