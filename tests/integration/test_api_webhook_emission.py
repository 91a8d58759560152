"""Events emitted by the return workflow itself reach the merchant's webhook endpoints."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.workflow import merchant_webhooks as hooks
from connector.workflow.push import push_resolution
from tests.fakes import FakePlatform
from tests.integration.test_api import Caller, caller_for, new_return
from tests.integration.test_api_webhooks import RecordingTransport, add_endpoint


@pytest.fixture
def api(services: Services, client: FlaskClient) -> Caller:
    return caller_for(services, client, "boutique.example")


def _sent(services: Services) -> list[dict[str, object]]:
    transport = RecordingTransport()
    with services.uow() as uow:
        due = [i.id for i in uow.all_outbox.pending(services.clock.now(), limit=1000) if i.task == hooks.OUTBOX_TASK]
    for outbox_id in due:
        hooks.deliver_merchant_webhook(services, outbox_id, transport=transport)
    return [json.loads(body) for _, body, _ in transport.requests]


def test_opening_and_approving_a_return_tells_the_merchants_systems(services: Services, api: Caller) -> None:
    add_endpoint(api)
    reference = new_return(api).get_json()["reference"]
    api.post(f"/returns/{reference}/approve")
    events = _sent(services)
    assert [(e["type"], e["data"]["status"]) for e in events] == [
        ("return.created", "requested"), ("return.status_changed", "approved")]
    assert events[1]["data"]["previous_status"] == "requested"


def test_a_pushed_resolution_tells_the_merchants_systems(services: Services, client: FlaskClient) -> None:
    services.adapters["fake"] = FakePlatform()
    api = caller_for(services, client, "fake.example", platform="fake")
    add_endpoint(api, events=["resolution.pushed"])
    reference = new_return(api).get_json()["reference"]
    for action in ("approve", "receive"):
        api.post(f"/returns/{reference}/{action}")
    api.post(f"/returns/{reference}/inspect", {"items": [
        {"line_id": "L1", "condition": "as_new", "accepted_quantity": 1, "rejected_quantity": 0, "restock": True}]})
    api.post(f"/returns/{reference}/resolve")
    with services.uow() as uow:
        pushes = [i.id for i in uow.all_outbox.pending(services.clock.now()) if i.task == "push_resolution"]
    assert [push_resolution(services, outbox_id) for outbox_id in pushes] == ["pushed"]
    [event] = _sent(services)
    assert event["type"] == "resolution.pushed"
    assert event["data"]["reference"] == reference
    assert event["data"]["amount"] == "40.00"
