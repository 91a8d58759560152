"""The WSGI fast path in front of Flask answers exactly what the blueprint answers, and keeps the contract."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import OperationalError
from werkzeug.test import Client, TestResponse

from connector.bootstrap import Services
from connector.domain.shops import Shop
from connector.persistence.tables import ShopRow, WebhookDeliveryRow
from tests import builders
from tests.conftest import is_postgres
from tests.fakes import FakePlatform
from webhooks.fastpath import MAX_WEBHOOK_BODY, WebhookFastPath, read_body, request_headers

SECRET = "fake-webhook-secret"
DOMAIN = "fake.example"
BODY = b'{"order_id": "1001"}'


@pytest.fixture
def shop(services: Services) -> Shop:
    services.adapters["fake"] = FakePlatform()
    found = builders.shop(services, platform="fake", domain=DOMAIN, webhook_secret=SECRET)
    order = builders.stored_order(services, found)
    services.adapters["fake"].state.orders[order.platform_order_id] = order  # type: ignore[attr-defined]
    return found


def headers(event: str = "evt-1", topic: str = "orders/updated", signature: str = SECRET,
            shop: str = DOMAIN) -> dict[str, str]:
    return {"X-Fake-Shop": shop, "X-Fake-Topic": topic, "X-Fake-Event": event, "X-Fake-Signature": signature}


def count(services: Services) -> int:
    with services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(WebhookDeliveryRow)).scalar_one())


def flask_only(app: Flask) -> Client:
    """A client of the Flask app behind the fast path: the blueprint answers."""
    fast = app.wsgi_app
    assert isinstance(fast, WebhookFastPath)
    return Client(fast.app, TestResponse)


def test_the_fast_path_is_installed_in_front_of_flask(app: Flask) -> None:
    assert isinstance(app.wsgi_app, WebhookFastPath)


CASES: list[tuple[str, dict[str, str], bytes]] = [
    ("fake", headers(signature="nope"), BODY),                       # 401
    ("fake", {k: v for k, v in headers().items() if k != "X-Fake-Signature"}, BODY),  # 401
    ("fake", headers(shop="other.example"), BODY),                   # 404 shop
    ("prestashop", headers(), BODY),                                 # 404 platform
    ("fake", {"X-Fake-Signature": SECRET}, BODY),                    # 400 headers
    ("fake", headers(), b"not json"),                                # 400 body
    ("fake", headers(), b"[1, 2]"),                                  # 400 not an object
    ("fake", headers(topic="t" * 500), BODY),                        # 400 topic
    ("fake", headers(), b'{"x": "' + b"a" * MAX_WEBHOOK_BODY + b'"}'),  # 413
]


@pytest.mark.parametrize(("platform", "sent", "body"), CASES)
def test_refusals_are_the_blueprints_answers_byte_for_byte(
    app: Flask, client: FlaskClient, services: Services, shop: Shop,
    platform: str, sent: dict[str, str], body: bytes,
) -> None:
    fast = client.post(f"/webhooks/{platform}", data=body, headers=sent)
    slow = flask_only(app).post(f"/webhooks/{platform}", data=body, headers=sent)
    assert fast.status == slow.status
    assert fast.status_code in (400, 401, 404, 413)
    assert fast.get_data() == slow.get_data()
    assert fast.headers["Content-Type"] == slow.headers["Content-Type"]
    assert count(services) == 0


def test_accepted_and_repeated_answers_are_the_blueprints(
    app: Flask, client: FlaskClient, services: Services, shop: Shop,
) -> None:
    fast = client.post("/webhooks/fake", data=BODY, headers=headers("e1"))
    slow = flask_only(app).post("/webhooks/fake", data=BODY, headers=headers("e2"))
    assert (fast.status_code, slow.status_code) == (200, 200)
    assert fast.get_json()["status"] == slow.get_json()["status"] == "accepted"
    assert fast.get_json()["delivery"] + 1 == slow.get_json()["delivery"]
    assert fast.get_data() == slow.get_data().replace(
        str(slow.get_json()["delivery"]).encode(), str(fast.get_json()["delivery"]).encode())
    again_fast = client.post("/webhooks/fake", data=BODY, headers=headers("e2"))
    again_slow = flask_only(app).post("/webhooks/fake", data=BODY, headers=headers("e1"))
    assert again_fast.get_data() == again_slow.get_data()
    assert again_fast.get_json() == {"delivery": None, "status": "duplicate delivery, already accepted"}
    assert count(services) == 2


def test_other_requests_still_go_to_flask(client: FlaskClient, shop: Shop) -> None:
    assert client.get("/webhooks/fake").status_code == 405
    assert client.post("/webhooks/", data=BODY, headers=headers()).status_code == 404
    assert client.post("/webhooks/fake/extra", data=BODY, headers=headers()).status_code == 404
    assert client.get("/healthz").status_code == 200


def test_database_away_is_503_and_nothing_is_acknowledged(
    client: FlaskClient, services: Services, shop: Shop, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def away(**_values: Any) -> int:
        raise OperationalError("INSERT", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(services.intake, "record", away)
    answer = client.post("/webhooks/fake", data=BODY, headers=headers())
    assert answer.status_code == 503
    assert answer.get_json() == {"error": {"code": "unavailable", "message": "try again later"}}
    monkeypatch.undo()
    assert client.post("/webhooks/fake", data=BODY, headers=headers()).status_code == 200  # the retry lands
    assert count(services) == 1


def test_a_shop_removed_while_cached_is_404_not_500(client: FlaskClient, services: Services, shop: Shop) -> None:
    assert client.post("/webhooks/fake", data=BODY, headers=headers("e1")).status_code == 200  # cached now
    with services.engine.begin() as conn:
        conn.execute(delete(WebhookDeliveryRow))
        conn.execute(delete(ShopRow).where(ShopRow.id == shop.id))
    assert client.post("/webhooks/fake", data=BODY, headers=headers("e2")).status_code == 404
    assert count(services) == 0


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL's raw intake connections")
def test_a_pooled_connection_that_died_is_replaced_without_a_refusal(
    client: FlaskClient, services: Services, shop: Shop,
) -> None:
    assert client.post("/webhooks/fake", data=BODY, headers=headers("e1")).status_code == 200
    with services.engine.begin() as conn:  # the database restarts: every intake session ends
        ended = conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                                  "AND query LIKE 'INSERT INTO webhook_deliveries%'")).scalars().all()
    assert ended
    assert all(ended)
    assert client.post("/webhooks/fake", data=BODY, headers=headers("e2")).status_code == 200
    assert count(services) == 2


def test_an_unreachable_database_is_503(client: FlaskClient, services: Services, shop: Shop,
                                        tmp_path: Path) -> None:
    from connector.persistence.database import make_engine
    from connector.persistence.queue_tables import WebhookIntakeStore

    # Shops are read through the live session factory; the inserts go to a database that is not
    # there: a port nobody listens on, or a SQLite file in a folder that does not exist.
    dead = make_engine(services.engine.url.set(port=1).render_as_string(hide_password=False) if is_postgres()
                       else f"sqlite:///{tmp_path / 'gone' / 'returns.db'}")
    services._intake = WebhookIntakeStore(dead, services.session_factory, services.box)
    try:
        answer = client.post("/webhooks/fake", data=BODY, headers=headers())
    finally:
        dead.dispose()
    assert answer.status_code == 503
    assert count(services) == 0


def _environ(body: bytes, **extra: Any) -> dict[str, Any]:
    return {"wsgi.input": io.BytesIO(body), **extra}


def test_read_body_caps_checks_length_and_reads_terminated_streams() -> None:
    assert read_body(_environ(b"abc", CONTENT_LENGTH="3")) == b"abc"
    assert read_body(_environ(b"abc", CONTENT_LENGTH=str(MAX_WEBHOOK_BODY + 1))) is None
    assert read_body(_environ(b"abc")) == b""  # no length and not terminated: no body
    assert read_body(_environ(b"abc", **{"wsgi.input_terminated": True})) == b"abc"  # chunked
    assert read_body(_environ(b"a" * (MAX_WEBHOOK_BODY + 1), **{"wsgi.input_terminated": True})) is None
    assert read_body(_environ(b"abc", CONTENT_LENGTH="nonsense")) == b""


def test_a_body_shorter_than_its_length_is_400(app: Flask, shop: Shop) -> None:
    started: list[str] = []
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/webhooks/fake", "CONTENT_LENGTH": "100",
               "wsgi.input": io.BytesIO(BODY), **{f"HTTP_{k.upper().replace('-', '_')}": v
                                                  for k, v in headers().items()}}

    def start_response(status: str, _headers: list[tuple[str, str]], _exc: Any = None) -> Callable[[bytes], object]:
        started.append(status)
        return lambda _data: None

    answer = b"".join(app.wsgi_app(environ, start_response))
    assert started == ["400 BAD REQUEST"]
    assert b"incomplete" in answer


def test_headers_are_named_as_werkzeug_names_them() -> None:
    environ = {"HTTP_X_SHOPIFY_HMAC_SHA256": "h", "HTTP_X_WC_WEBHOOK_ID": "7", "CONTENT_TYPE": "application/json",
               "CONTENT_LENGTH": "2", "SERVER_NAME": "x"}
    assert request_headers(environ) == {"X-Shopify-Hmac-Sha256": "h", "X-Wc-Webhook-Id": "7",
                                        "Content-Type": "application/json", "Content-Length": "2"}
