"""Webhooks to merchants' systems: endpoints over the API, emission in the caller's commit, signed retried sends."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.domain.shops import Shop
from connector.workflow import merchant_webhooks as hooks
from tests.conftest import FrozenClock
from tests.integration.test_api import Caller, assert_error, caller_for


class RecordingTransport:
    """Answers from a script (status codes, or an exception) and keeps every request."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, bytes, dict[str, str]]] = []

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> hooks.Answer:
        self.requests.append((url, body, dict(headers)))
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        return hooks.Answer(answer, "ok" if answer < 300 else "server trouble")


@pytest.fixture
def api(services: Services, client: FlaskClient) -> Caller:
    return caller_for(services, client, "boutique.example")


def emit(services: Services, shop: Shop, event: str = hooks.RETURN_CREATED, **data: Any) -> list[int]:
    """Emit in a transaction of our own, as the workflow does in its; the outbox ids written."""
    with services.uow() as uow:
        before = {item.id for item in uow.all_outbox.pending(services.clock.now(), limit=10_000)}
        hooks.emit(uow.scope(shop), event, data or {"reference": "R-TEST22"},
                   services.clock.now())
        uow.commit()
        after = uow.all_outbox.pending(services.clock.now(), limit=10_000)
    return [item.id for item in after if item.id not in before and item.task == hooks.OUTBOX_TASK]


def deliver(services: Services, outbox_id: int, transport: Any) -> str:
    return hooks.deliver_merchant_webhook(services, outbox_id,
                                          transport=transport)


def add_endpoint(api: Caller, url: str = "https://erp.example.com/hooks", **fields: Any) -> dict[str, Any]:
    response = api.post("/webhook-endpoints", {"url": url, **fields})
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


# ---- endpoints ----

def test_an_endpoint_secret_is_shown_once_at_creation(api: Caller) -> None:
    created = add_endpoint(api, description="ERP")
    assert created["secret"].startswith("whsec_")
    assert created["events"] == list(hooks.EVENTS)
    [listed] = api.get("/webhook-endpoints").get_json()["data"]
    assert listed["id"] == created["id"]
    assert "secret" not in listed
    assert api.delete(f"/webhook-endpoints/{created['id']}").status_code == 204
    assert api.get("/webhook-endpoints").get_json()["data"] == []
    assert_error(api.delete(f"/webhook-endpoints/{created['id']}"), 404, "not_found")


def test_an_endpoint_must_be_an_http_url_and_name_known_events(api: Caller) -> None:
    # The document's pattern for `url` says it; the request is refused before the endpoint rules run.
    for url in ("ftp://erp.example.com/", "erp.example.com/hooks", "https://user:pw@erp.example.com/"):
        error = assert_error(api.post("/webhook-endpoints", {"url": url}), 422, "validation_error")
        assert error["field"] == "url"
    error = assert_error(api.post("/webhook-endpoints", {"url": "https://erp.example.com", "events": ["order.paid"]}),
                         422, "validation_error")
    assert error["field"].startswith("events")


# ---- emission and sending ----

def test_an_event_is_delivered_signed_and_the_signature_verifies(services: Services, api: Caller) -> None:
    endpoint = add_endpoint(api)
    [outbox_id] = emit(services, api.shop, hooks.RETURN_CREATED, reference="R-ABC234", status="requested")
    transport = RecordingTransport(200)
    assert deliver(services, outbox_id, transport) == "delivered"
    [(url, body, headers)] = transport.requests
    assert url == endpoint["url"]
    assert headers["X-Returns-Event"] == "return.created"
    signature = headers["X-Returns-Signature"]
    timestamp = int(services.clock.now().timestamp())
    assert signature.startswith(f"t={timestamp},v1=")
    assert hooks.verify_signature(endpoint["secret"], signature, body, services.clock.now())
    assert not hooks.verify_signature(endpoint["secret"], signature, body + b" ", services.clock.now())
    assert not hooks.verify_signature("whsec_other", signature, body, services.clock.now())
    assert not hooks.verify_signature(endpoint["secret"], signature, body, services.clock.now() + timedelta(minutes=6))
    event = json.loads(body)
    assert event["type"] == "return.created"
    assert event["data"] == {"reference": "R-ABC234", "status": "requested"}
    assert headers["X-Returns-Event-Id"] == event["id"]
    [logged] = api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").get_json()["data"]
    assert logged["status"] == "delivered"
    assert logged["attempts"] == 1
    assert logged["last_status_code"] == 200
    assert deliver(services, outbox_id, transport) == "skipped"  # a second run sends nothing
    assert len(transport.requests) == 1


def test_an_event_goes_only_to_the_endpoints_that_want_it(services: Services, api: Caller) -> None:
    add_endpoint(api, events=["resolution.pushed"])
    wants_all = add_endpoint(api, url="https://crm.example.com/hooks")
    assert len(emit(services, api.shop, hooks.RETURN_STATUS_CHANGED)) == 1
    assert len(emit(services, api.shop, hooks.RESOLUTION_PUSHED)) == 2
    statuses = [d["event"] for d in api.get(f"/webhook-endpoints/{wants_all['id']}/deliveries").get_json()["data"]]
    assert statuses == ["resolution.pushed", "return.status_changed"]


def test_nothing_is_written_for_a_shop_without_endpoints(services: Services, api: Caller) -> None:
    assert emit(services, api.shop) == []


def test_a_failed_delivery_is_retried_with_exponential_backoff(services: Services, api: Caller) -> None:
    clock: FrozenClock = services.clock  # type: ignore[assignment]
    endpoint = add_endpoint(api)
    [outbox_id] = emit(services, api.shop)
    transport = RecordingTransport(500, hooks.TransportError("connection refused"), 503, 200)
    waits = []
    for expected in ("retry", "retry", "retry", "delivered"):
        assert deliver(services, outbox_id, transport) == expected
        [logged] = api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").get_json()["data"]
        if expected == "retry":
            with services.uow() as uow:
                assert outbox_id not in {i.id for i in uow.all_outbox.pending(clock.now(), limit=10_000)}
            due = datetime.fromisoformat(logged["next_attempt_at"])
            waits.append(due)
            clock.current = due  # the relay hands it on when due, not before
            with services.uow() as uow:
                assert outbox_id in {i.id for i in uow.all_outbox.pending(clock.now(), limit=10_000)}
    gaps = [(later - earlier).total_seconds() for earlier, later in zip(waits, waits[1:], strict=False)]
    assert gaps == [60.0, 120.0]  # 30 s, then 60 s, then 120 s after each failure
    assert logged["status"] == "delivered"
    assert logged["attempts"] == 4
    assert len({headers["X-Returns-Signature"] for _, _, headers in transport.requests}) == 4
    assert len({body for _, body, _ in transport.requests}) == 1  # the same bytes every time


def test_a_delivery_gives_up_after_the_last_attempt(services: Services, api: Caller) -> None:
    clock: FrozenClock = services.clock  # type: ignore[assignment]
    endpoint = add_endpoint(api)
    [outbox_id] = emit(services, api.shop)
    transport = RecordingTransport(*([500] * hooks.MAX_ATTEMPTS))
    results = []
    for _ in range(hooks.MAX_ATTEMPTS):
        results.append(deliver(services, outbox_id, transport))
        clock.advance(hours=7)
    assert results == ["retry"] * (hooks.MAX_ATTEMPTS - 1) + ["failed"]
    [logged] = api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").get_json()["data"]
    assert logged["status"] == "failed"
    assert logged["last_error"] == "answered 500"
    assert logged["last_response"] == "server trouble"
    with services.uow() as uow:
        item = uow.all_outbox.get(outbox_id)
    assert item is not None
    assert item.status == "failed"


def test_a_deleted_endpoint_gets_nothing_more(services: Services, api: Caller) -> None:
    endpoint = add_endpoint(api)
    [outbox_id] = emit(services, api.shop)
    api.delete(f"/webhook-endpoints/{endpoint['id']}")
    transport = RecordingTransport()
    assert deliver(services, outbox_id, transport) == "skipped"
    assert transport.requests == []


def test_the_delivery_log_pages_with_a_cursor(services: Services, api: Caller) -> None:
    endpoint = add_endpoint(api)
    for n in range(5):
        emit(services, api.shop, reference=f"R-{n}")
    path = f"/webhook-endpoints/{endpoint['id']}/deliveries"
    first = api.get(path, limit=3).get_json()
    second = api.get(path, limit=3, cursor=first["next_cursor"]).get_json()
    ids = [d["id"] for d in first["data"] + second["data"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 5
    assert second["next_cursor"] is None


# ---- the real transport ----

class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[bytes, dict[str, str]]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, dict(self.headers.items())))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()
    server.server_close()


def test_a_real_post_reaches_the_merchant_and_verifies_on_the_raw_body(services: Services, api: Caller,
                                                                        receiver: str) -> None:
    endpoint = add_endpoint(api, url=receiver)
    [outbox_id] = emit(services, api.shop, reference="R-REAL22")
    assert deliver(services, outbox_id, hooks.UrllibTransport(allow_private=True)) == "delivered"
    [(body, headers)] = _Receiver.received
    assert hooks.verify_signature(endpoint["secret"], headers["X-Returns-Signature"], body, services.clock.now())


def test_the_real_transport_refuses_addresses_inside_our_network(services: Services, api: Caller,
                                                                 receiver: str) -> None:
    add_endpoint(api, url=receiver)
    [outbox_id] = emit(services, api.shop)
    assert deliver(services, outbox_id, hooks.UrllibTransport()) == "retry"
    assert _Receiver.received == []
    with services.uow() as uow:
        item = uow.all_outbox.get(outbox_id)
    assert item is not None
    assert "not a public address" in item.last_error
