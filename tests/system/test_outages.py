"""Redis stopped for a minute, every PostgreSQL connection cut: the web answers right, the worker rides it out."""

from __future__ import annotations

import time

import requests

from connector.jobs.worker import LANES
from tests.system.stack import Stack, shopify_order

SHOP = "outage-shop.myshopify.com"


def _statuses(stack: Stack) -> dict[str, int]:
    return dict(stack.sql("SELECT status, count(*) FROM webhook_deliveries GROUP BY status"))


def _send(stack: Stack, first: int, count: int) -> list[int]:
    return [stack.send_shopify(SHOP, "orders/create", shopify_order(n)).status_code
            for n in range(first, first + count)]


def test_redis_down_for_a_minute_webhooks_still_accepted_worker_survives_and_all_processed_once(
    stack: Stack,
) -> None:
    stack.shopify_shop(SHOP)
    assert _send(stack, 0, 20) == [200] * 20
    stack.wait_for(lambda: _statuses(stack) == {"processed": 20}, timeout=60, what="20 deliveries processed")
    worker_pid = stack.worker.pid if stack.worker else 0

    stack.stop_redis()
    answers: list[int] = []
    down_until = time.monotonic() + 60
    n = 20
    while time.monotonic() < down_until:
        answers += _send(stack, n, 5)
        n += 5
        time.sleep(1.0)
    assert stack.worker is not None
    assert stack.worker.alive(), stack.worker_log()[-3000:]
    assert answers == [200] * len(answers)
    assert _statuses(stack).get("received") == len(answers)  # recorded in PostgreSQL, waiting

    stack.start_redis()
    stack.wait_for(lambda: _statuses(stack) == {"processed": n}, timeout=90,
                   what=f"all {n} deliveries processed after Redis returned")
    assert stack.worker.pid == worker_pid
    assert stack.worker.alive()
    # Each applied once: a delivery's claim counts an attempt only while it is still waiting.
    assert stack.sql("SELECT count(*) FROM webhook_deliveries WHERE attempts <> 1") == [(0,)]
    assert stack.sql("SELECT count(*) FROM orders") == [(n,)]
    # Told once per process (each lane of the worker, its relay), not at every reconnection try.
    lanes = len(LANES)
    # A lane that lost Redis says it is back at its next look (its backoff is at most 10 s).
    stack.wait_for(lambda: stack.worker_log().count("Redis is back") == stack.worker_log().count(
        "Redis is unreachable"), timeout=30, what="every lane that lost Redis saying it is back")
    log = stack.worker_log()
    assert 1 <= log.count("Redis is unreachable") <= lanes, log[-3000:]
    assert log.count("relay: Redis unreachable") == 1
    assert log.count("could not connect to Redis") <= lanes


def test_every_database_connection_terminated_the_app_recovers_by_itself(stack: Stack) -> None:
    stack.shopify_shop(SHOP)
    assert _send(stack, 0, 20) == [200] * 20
    stack.wait_for(lambda: _statuses(stack) == {"processed": 20}, timeout=60, what="20 deliveries processed")

    assert stack.terminate_database_connections() > 0
    assert _send(stack, 20, 20) == [200] * 20
    stack.wait_for(lambda: _statuses(stack) == {"processed": 40}, timeout=90,
                   what="the deliveries after the cut processed")
    assert stack.worker is not None
    assert stack.worker.alive()
    health = requests.get(stack.base_url + "/healthz", timeout=10)
    assert (health.status_code, health.json()) == (200, {"database": "ok", "queue": "ok"})
    assert stack.sql("SELECT count(*) FROM orders") == [(40,)]
