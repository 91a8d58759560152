"""A signed delivery whose body is not its topic's shape is answered 400 and recorded nowhere (DESIGN contract);
every body Shopify and WooCommerce really send passes the same check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from connector.bootstrap import Services
from connector.domain.shops import Shop
from connector.persistence.tables import WebhookDeliveryRow
from platforms.shopify.shapes import body_problem as shopify_problem
from platforms.shopify.signatures import webhook_hmac
from platforms.woocommerce.mapping import body_problem as woocommerce_problem
from tests import builders
from tests.conftest import SHARED
from tests.unit.shopify.conftest import SHOP

SECRET = "test-api-secret"
REPO = Path(__file__).resolve().parents[2]
_events = iter(range(1, 10_000))


def post(client: FlaskClient, topic: str, body: Any) -> Any:
    raw = json.dumps(body).encode()
    return client.post("/webhooks/shopify", data=raw, content_type="application/json", headers={
        "X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": webhook_hmac(raw, SECRET),
        "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": f"w-{next(_events)}",
        "X-Shopify-Event-Id": f"e-{next(_events)}",
    })


@pytest.fixture
def shop(services: Services) -> Shop:
    return builders.shop(services, platform="shopify", domain=SHOP, credentials={"access_token": "shpat_test"})


def recorded(services: Services) -> int:
    with services.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(WebhookDeliveryRow)) or 0


@pytest.mark.parametrize(("topic", "body"), [
    ("orders/create", {}),
    ("orders/updated", {"id": 1, "name": "#1", "currency": "EUR", "line_items": "none"}),
    ("orders/paid", {"id": True, "name": "#1", "currency": "EUR", "line_items": []}),
    ("orders/delete", {"name": "#1"}),
    ("orders/edited", {"order_edit": {"id": 3}}),
    ("refunds/create", {"id": 5}),
    ("returns/request", {"id": 5, "order": 7, "return_line_items": []}),
    ("returns/approve", {"status": "OPEN"}),
    ("customers/redact", {"customer": "john@example.com"}),
    ("customers/redact", {"customer": {"id": 1}, "orders_to_redact": 5}),
    ("customers/data_request", {"customer": {"id": 1}}),
    ("shop/redact", {"shop_id": 1}),
])
def test_a_signed_body_of_the_wrong_shape_is_400_and_not_recorded(
    client: FlaskClient, services: Services, shop: Shop, topic: str, body: dict[str, Any],
) -> None:
    answer = post(client, topic, body)
    assert answer.status_code == 400
    assert topic in answer.get_json()["error"]["message"]
    assert recorded(services) == 0


def test_the_same_body_of_the_right_shape_is_accepted(client: FlaskClient, services: Services, shop: Shop) -> None:
    assert post(client, "orders/delete", {"id": 820982911946154508}).status_code == 200
    assert post(client, "products/update", {}).status_code == 200  # a topic the app does not read: no shape asked
    assert recorded(services) == 2


@pytest.mark.parametrize("path", sorted((SHARED / "shopify" / "webhooks").glob("[a-z]*.json")), ids=lambda p: p.stem)
def test_every_example_body_shopify_documents_has_its_topics_shape(path: Path) -> None:
    topic = path.stem.replace("__", "/")
    assert shopify_problem(topic, json.loads(path.read_text())) == ""


@pytest.mark.parametrize("path", sorted((REPO / "tests" / "fixtures" / "woocommerce" / "webhooks").glob("2*.json")),
                         ids=lambda p: p.stem)
def test_every_body_a_real_woocommerce_store_sent_has_its_topics_shape(path: Path) -> None:
    recording = json.loads(path.read_text())
    topic = recording["headers"].get("X-WC-Webhook-Topic") or ""
    body = recording.get("body_json")
    if isinstance(body, dict):
        assert woocommerce_problem(topic, body) == ""


def test_a_woocommerce_order_without_lines_is_not_an_order() -> None:
    assert "line_items" in woocommerce_problem("order.created", {"id": 5, "currency": "EUR"})
    assert "arg" in woocommerce_problem("action.woocommerce_order_refunded", {"action": "x"})
