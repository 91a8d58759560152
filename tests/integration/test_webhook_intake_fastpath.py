"""The WSGI fast path in front of Flask is the one webhook edge: it keeps the contract, never a 500."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import OperationalError

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


def test_the_fast_path_is_installed_in_front_of_flask(app: Flask) -> None:
    assert isinstance(app.wsgi_app, WebhookFastPath)


CASES: list[tuple[str, dict[str, str], bytes, int, str]] = [
    ("fake", headers(signature="nope"), BODY, 401, "invalid signature"),
    ("fake", {k: v for k, v in headers().items() if k != "X-Fake-Signature"}, BODY, 401, "invalid signature"),
    ("fake", headers(shop="other.example"), BODY, 404, "unknown shop other.example"),
    ("prestashop", headers(), BODY, 404, "unknown platform prestashop"),
    ("fake", {"X-Fake-Signature": SECRET}, BODY, 400, ""),
    ("fake", headers(), b"not json", 400, "body is not JSON"),
    ("fake", headers(), b"[1, 2]", 400, "body is not a JSON object"),
    ("fake", headers(topic="t" * 500), BODY, 400, ""),
]


@pytest.mark.parametrize(("platform", "sent", "body", "status", "message"), CASES)
def test_refusals_are_json_errors_in_jsonify_form_and_record_nothing(
    client: FlaskClient, services: Services, shop: Shop,
    platform: str, sent: dict[str, str], body: bytes, status: int, message: str,
) -> None:
    answer = client.post(f"/webhooks/{platform}", data=body, headers=sent)
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/json"
    error = answer.get_json()["error"]
    assert error["code"] == str(status)
    assert error["message"] == message or (not message and error["message"])
    # What Flask's jsonify writes outside debug mode: sorted keys, compact, a final newline.
    assert answer.get_data() == json.dumps(answer.get_json(), sort_keys=True, separators=(",", ":")).encode() + b"\n"
    assert count(services) == 0


def test_a_body_over_5_mib_is_413(client: FlaskClient, services: Services, shop: Shop) -> None:
    answer = client.post("/webhooks/fake", data=b'{"x": "' + b"a" * MAX_WEBHOOK_BODY + b'"}', headers=headers())
    assert answer.status == "413 REQUEST ENTITY TOO LARGE"
    assert answer.get_data() == b'{"error":{"code":"too_large","message":"body over 5 MiB"}}\n'
    assert count(services) == 0


def test_accepted_and_repeated_answers(client: FlaskClient, services: Services, shop: Shop) -> None:
    first = client.post("/webhooks/fake", data=BODY, headers=headers("e1"))
    second = client.post("/webhooks/fake", data=BODY, headers=headers("e2"))
    assert (first.status, second.status) == ("200 OK", "200 OK")
    assert first.get_data() == b'{"delivery":%d,"status":"accepted"}\n' % first.get_json()["delivery"]
    assert second.get_json()["delivery"] == first.get_json()["delivery"] + 1
    again = client.post("/webhooks/fake", data=BODY, headers=headers("e1"))
    assert again.get_data() == b'{"delivery":null,"status":"duplicate delivery, already accepted"}\n'
    assert count(services) == 2


def test_another_method_is_405_naming_post_as_a_post_only_route_would(client: FlaskClient, shop: Shop) -> None:
    answer = client.get("/webhooks/fake")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "OPTIONS, POST"
    assert answer.get_json() == {"error": {"code": "method_not_allowed",
                                           "message": "The method is not allowed for the requested URL."}}
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert client.put("/webhooks/fake", data=BODY).status_code == 405
    options = client.options("/webhooks/fake")
    assert (options.status_code, options.headers["Allow"]) == (200, "OPTIONS, POST")


def test_other_requests_still_go_to_flask(client: FlaskClient, shop: Shop) -> None:
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
