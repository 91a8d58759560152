"""GET /healthz answers the contract."""

from __future__ import annotations

from flask.testing import FlaskClient
from redis import Redis

from connector.bootstrap import Services
from connector.jobs.queues import RedisJobQueue


def test_health_reports_database_and_inline_queue(client: FlaskClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json() == {"database": "ok", "queue": "inline"}


def test_health_is_503_naming_the_queue_when_redis_is_down(client: FlaskClient, services: Services) -> None:
    services.queue = RedisJobQueue(Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json() == {"database": "ok", "queue": "down"}
