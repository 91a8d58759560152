"""Losing Redis loses nothing: webhooks are still accepted and recorded, and a drain hands them on."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.bootstrap import Services
from connector.jobs.queues import QUEUE_NAMES, RedisJobQueue, redis_from_url
from connector.jobs.relay import drain, relay_once
from connector.jobs.worker import run_worker
from connector.persistence.tables import WebhookDeliveryRow
from tests import builders
from tests.fakes import FakePlatform

SECRET = "fake-webhook-secret"


@pytest.fixture
def working_redis() -> Iterator[Redis]:
    """The Redis that comes back: CI's real one when REDIS_URL names it, else fakeredis."""
    url = os.environ.get("REDIS_URL", "")
    connection = redis_from_url(url if url.startswith("redis://") else "fakeredis://")
    queue = RedisJobQueue(connection)
    for name in QUEUE_NAMES:
        connection.delete(queue.queue(name).key)  # left-overs of another run would run here too
    yield connection
    for name in QUEUE_NAMES:
        connection.delete(queue.queue(name).key)


def _statuses(services: Services) -> list[tuple[str, object]]:
    with services.engine.connect() as conn:
        rows = conn.execute(select(WebhookDeliveryRow.status, WebhookDeliveryRow.queued_at)
                            .order_by(WebhookDeliveryRow.id))
        return [(status, queued_at) for status, queued_at in rows]


def test_webhooks_are_accepted_while_redis_is_down_and_all_processed_after_a_drain(
    client: FlaskClient, services: Services, working_redis: Redis,
) -> None:
    fake = FakePlatform()
    services.adapters["fake"] = fake
    shop = builders.shop(services, platform="fake", domain="fake.example", webhook_secret=SECRET)
    order = builders.stored_order(services, shop)
    fake.state.orders[order.platform_order_id] = order
    # A closed port: every Redis call fails, as when the server is stopped.
    services.queue = RedisJobQueue(Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))

    for n in range(20):
        answer = client.post("/webhooks/fake", data=b'{"order_id": "1001"}', headers={
            "X-Fake-Shop": "fake.example", "X-Fake-Topic": "orders/updated", "X-Fake-Event": f"evt-{n}",
            "X-Fake-Signature": SECRET})
        assert answer.status_code == 200
    assert _statuses(services) == [("received", None)] * 20

    # The relay keeps failing while Redis is away, and marks nothing as handed on.
    assert relay_once(services) == (0, 0)
    assert _statuses(services) == [("received", None)] * 20

    services.queue = RedisJobQueue(working_redis)  # Redis is back
    handed, _ = drain(services)
    assert handed == 20
    run_worker(services, burst=True, relay=False, fork=False, scheduler=False)
    assert [status for status, _ in _statuses(services)] == ["processed"] * 20
