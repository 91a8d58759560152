"""Embedded admin sign-in: App Bridge session tokens are verified on every request and bound to one shop."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.domain.returns import ReturnStatus
from tests import builders
from tests.conftest import FrozenClock
from tests.integration.test_admin_support import request_return, session_token, shopify_shop

# The tests' app secret is 15 bytes; real Shopify secrets are longer. PyJWT warns, we know.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def _status(services: Services, shop_id: int, reference: str) -> ReturnStatus:
    from connector.workflow.returns import load_return

    return load_return(services, shop_id, reference)[1].status


def test_a_valid_token_in_the_header_opens_the_returns_list(client: FlaskClient, services: Services,
                                                             clock: FrozenClock) -> None:
    shop = shopify_shop(services)
    response = client.get(f"/admin/{shop.slug}/", headers={"Authorization": f"Bearer {session_token(clock.now())}"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'src="https://cdn.shopify.com/shopifycloud/app-bridge.js" data-api-key="test-api-key"' in html


def test_a_valid_token_as_id_token_parameter_opens_the_page_and_links_carry_it(
        client: FlaskClient, services: Services, clock: FrozenClock) -> None:
    shop = shopify_shop(services)
    token = session_token(clock.now())
    response = client.get(f"/admin/{shop.slug}/?id_token={token}")
    assert response.status_code == 200
    assert f"id_token={token}" in response.get_data(as_text=True)


def test_an_expired_token_is_refused_with_the_retry_header(client: FlaskClient, services: Services,
                                                           clock: FrozenClock) -> None:
    shop = shopify_shop(services)
    token = session_token(clock.now(), issued_ago=120)  # expired 60 s ago, past the 10 s leeway
    response = client.get(f"/admin/{shop.slug}/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


def test_a_token_within_the_leeway_is_accepted(client: FlaskClient, services: Services, clock: FrozenClock) -> None:
    shop = shopify_shop(services)
    token = session_token(clock.now(), issued_ago=65)  # expired 5 s ago
    assert client.get(f"/admin/{shop.slug}/", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_token_for_another_app_is_refused(client: FlaskClient, services: Services, clock: FrozenClock) -> None:
    shop = shopify_shop(services)
    token = session_token(clock.now(), aud="another-app")
    assert client.get(f"/admin/{shop.slug}/", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_token_with_a_wrong_signature_is_refused(client: FlaskClient, services: Services,
                                                   clock: FrozenClock) -> None:
    shop = shopify_shop(services)
    token = session_token(clock.now(), secret="not-the-app-secret")
    assert client.get(f"/admin/{shop.slug}/", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_no_token_and_no_session_goes_to_the_sign_in_page(client: FlaskClient, services: Services) -> None:
    shop = shopify_shop(services)
    response = client.get(f"/admin/{shop.slug}/")
    assert response.status_code == 302
    assert f"/admin/{shop.slug}/login" in response.headers["Location"]


def test_another_shops_token_cannot_read_or_change_this_shops_return(
        client: FlaskClient, services: Services, clock: FrozenClock) -> None:
    mine = shopify_shop(services)
    shopify_shop(services, domain="rival.myshopify.com", name="Rival")
    builders.stored_order(services, mine)
    reference = request_return(services, mine)
    rival = {"Authorization": f"Bearer {session_token(clock.now(), dest='rival.myshopify.com')}"}
    assert client.get(f"/admin/{mine.slug}/returns/{reference}", headers=rival).status_code == 403
    response = client.post(f"/admin/{mine.slug}/returns/{reference}/approve", headers=rival, data={"message": "ok"})
    assert response.status_code == 403
    assert _status(services, mine.id, reference) is ReturnStatus.REQUESTED


def test_an_action_with_a_valid_token_needs_no_cookie_nor_csrf(client: FlaskClient, services: Services,
                                                               clock: FrozenClock) -> None:
    shop = shopify_shop(services)
    builders.stored_order(services, shop)
    reference = request_return(services, shop)
    token = session_token(clock.now())
    response = client.post(f"/admin/{shop.slug}/returns/{reference}/approve", data={"id_token": token})
    assert response.status_code == 302
    assert f"id_token={token}" in response.headers["Location"]
    assert _status(services, shop.id, reference) is ReturnStatus.APPROVED


def test_the_app_url_finds_the_shop_of_the_token(client: FlaskClient, services: Services, clock: FrozenClock) -> None:
    shop = shopify_shop(services)
    token = session_token(clock.now())
    response = client.get(f"/admin/?shop=claire.myshopify.com&id_token={token}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/admin/{shop.slug}/")
