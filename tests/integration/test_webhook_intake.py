"""The webhook contract: answers, de-duplication under concurrency, and processing from the record."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from connector.bootstrap import Services
from connector.domain.shops import Shop
from connector.persistence.tables import WebhookDeliveryRow
from connector.persistence.unit_of_work import ShopScope, UnitOfWork
from connector.ports import Ignored, PlatformEvent
from connector.workflow import webhooks as flow
from tests import builders
from tests.fakes import FakePlatform

SECRET = "fake-webhook-secret"
DOMAIN = "fake.example"


@dataclass(frozen=True)
class Counted:
    """A test event whose handler counts how many times it was applied."""

    order_id: str


class CountingPlatform(FakePlatform):
    """The stand-in platform, whose `orders/counted` topic yields a Counted event."""

    def __init__(self) -> None:
        super().__init__()
        self.applied = 0
        self.lock = threading.Lock()

    def parse_webhook(self, topic: str, body: bytes) -> list[PlatformEvent]:
        if topic == "orders/counted":
            return [Counted("1001")]  # type: ignore[list-item]
        if topic == "orders/unknown":
            return [Ignored(topic)]
        return super().parse_webhook(topic, body)


@pytest.fixture
def fake(services: Services) -> CountingPlatform:
    platform = CountingPlatform()
    services.adapters["fake"] = platform

    def count(svc: Services, uow: UnitOfWork, scope: ShopScope, event: Counted) -> None:
        with platform.lock:
            platform.applied += 1

    flow.register_event_handler(Counted, count)
    return platform


@pytest.fixture
def shop(services: Services, fake: CountingPlatform) -> Shop:
    found = builders.shop(services, platform="fake", domain=DOMAIN, webhook_secret=SECRET)
    order = builders.stored_order(services, found)
    fake.state.orders[order.platform_order_id] = order
    return found


def headers(event: str = "evt-1", topic: str = "orders/updated", signature: str = SECRET,
            shop: str = DOMAIN) -> dict[str, str]:
    return {"X-Fake-Shop": shop, "X-Fake-Topic": topic, "X-Fake-Event": event, "X-Fake-Signature": signature}


BODY = b'{"order_id": "1001"}'


@dataclass(frozen=True)
class Recorded:
    id: int
    topic: str
    dedupe_key: str
    status: str
    attempts: int
    body: bytes


def deliveries(services: Services) -> list[Recorded]:
    t = WebhookDeliveryRow
    with services.engine.connect() as conn:
        rows = conn.execute(select(t.id, t.topic, t.dedupe_key, t.status, t.attempts, t.body).order_by(t.id))
        return [Recorded(*row) for row in rows]


class QueueThatKeeps:
    """A Redis-mode queue that keeps what it is given: intake must not enqueue at all."""

    mode = "redis"

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable[..., Any], tuple[int | str, ...]]] = []

    def enqueue(self, job: Callable[..., Any], *args: int | str, queue: str, job_id: str | None = None) -> None:
        self.jobs.append((job, args))

    def healthy(self) -> bool:
        return True


def test_accepted_delivery_is_recorded_and_processed(client: FlaskClient, services: Services, shop: Shop) -> None:
    answer = client.post("/webhooks/fake", data=BODY, headers=headers())
    assert answer.status_code == 200
    [row] = deliveries(services)
    assert (row.topic, row.dedupe_key, row.status, row.body) == ("orders/updated", "evt-1", "processed", BODY)


def test_repeat_delivery_answers_200_with_no_second_effect(
    client: FlaskClient, services: Services, shop: Shop, fake: CountingPlatform,
) -> None:
    for _ in range(3):
        answer = client.post("/webhooks/fake", data=BODY, headers=headers(topic="orders/counted"))
        assert answer.status_code == 200
    assert fake.applied == 1
    assert len(deliveries(services)) == 1


def test_wrong_signature_is_401_and_records_nothing(client: FlaskClient, services: Services, shop: Shop) -> None:
    assert client.post("/webhooks/fake", data=BODY, headers=headers(signature="nope")).status_code == 401
    missing = headers()
    del missing["X-Fake-Signature"]
    assert client.post("/webhooks/fake", data=BODY, headers=missing).status_code == 401
    assert deliveries(services) == []


def test_unknown_shop_and_platform_are_404(client: FlaskClient, services: Services, shop: Shop) -> None:
    assert client.post("/webhooks/fake", data=BODY, headers=headers(shop="other.example")).status_code == 404
    assert client.post("/webhooks/prestashop", data=BODY, headers=headers()).status_code == 404
    assert deliveries(services) == []


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", b'"text"', b"[" * 100_000])
def test_body_that_is_not_a_json_object_is_400(client: FlaskClient, services: Services, shop: Shop,
                                               body: bytes) -> None:
    assert client.post("/webhooks/fake", data=body, headers=headers()).status_code == 400
    assert deliveries(services) == []


def test_missing_headers_are_400(client: FlaskClient, services: Services, shop: Shop) -> None:
    assert client.post("/webhooks/fake", data=BODY, headers={"X-Fake-Signature": SECRET}).status_code == 400


def test_body_over_5_mib_is_413(client: FlaskClient, services: Services, shop: Shop) -> None:
    big = b'{"x": "' + b"a" * (5 * 1024 * 1024) + b'"}'
    assert client.post("/webhooks/fake", data=big, headers=headers()).status_code == 413
    assert deliveries(services) == []


def test_overlong_topic_is_400_and_overlong_event_id_is_still_deduplicated(
    client: FlaskClient, services: Services, shop: Shop,
) -> None:
    assert client.post("/webhooks/fake", data=BODY, headers=headers(topic="t" * 500)).status_code == 400
    long_id = "e" * 600
    assert client.post("/webhooks/fake", data=BODY, headers=headers(event=long_id)).status_code == 200
    assert client.post("/webhooks/fake", data=BODY, headers=headers(event=long_id)).status_code == 200
    [row] = deliveries(services)
    assert row.dedupe_key.startswith("sha256:")


def test_unknown_topic_is_recorded_and_acknowledged_as_ignored(
    client: FlaskClient, services: Services, shop: Shop,
) -> None:
    assert client.post("/webhooks/fake", data=BODY, headers=headers(topic="orders/unknown")).status_code == 200
    [row] = deliveries(services)
    assert row.status == "ignored"


def test_topic_outside_an_adapters_handler_table_is_ignored_without_a_job(
    client: FlaskClient, services: Services, shop: Shop, fake: CountingPlatform,
) -> None:
    fake.webhook_handlers = {"orders/counted": lambda body: [Counted("1001")]}  # type: ignore[attr-defined]
    answer = client.post("/webhooks/fake", data=BODY, headers=headers(topic="products/update"))
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "ignored"
    assert client.post("/webhooks/fake", data=BODY, headers=headers("e2", "orders/counted")).status_code == 200
    assert [r.status for r in deliveries(services)] == ["ignored", "processed"]
    assert fake.applied == 1


def test_rotated_webhook_secret_is_accepted_at_once(client: FlaskClient, services: Services, shop: Shop) -> None:
    assert client.post("/webhooks/fake", data=BODY, headers=headers("e1")).status_code == 200  # cached now
    builders.shop(services, platform="fake", domain=DOMAIN, webhook_secret="rotated")
    assert client.post("/webhooks/fake", data=BODY, headers=headers("e2", signature="rotated")).status_code == 200
    assert client.post("/webhooks/fake", data=BODY, headers=headers("e3")).status_code == 401


def test_unreadable_delivery_is_parked_as_failed_and_listed(
    client: FlaskClient, services: Services, shop: Shop,
) -> None:
    from connector.jobs.failures import list_failures, retry_failure

    # Signed and JSON, but the stand-in knows no order 999: its parse raises BadWebhook.
    assert client.post("/webhooks/fake", data=b'{"order_id": "999"}', headers=headers()).status_code == 200
    [row] = deliveries(services)
    assert row.status == "failed"
    [failure] = list_failures(services)
    assert (failure.kind, failure.id) == ("delivery", str(row.id))
    assert retry_failure(services, "delivery", str(row.id))
    assert deliveries(services)[0].status in ("received", "failed")


def _race(n: int, work: Callable[[int], object]) -> list[object]:
    """Run `work` on n threads released together; returns each result (or exception)."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # collected: the test asserts there are none
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_ten_concurrent_deliveries_of_one_webhook_id_create_exactly_one_effect(
    services: Services, shop: Shop, fake: CountingPlatform,
) -> None:
    # Ten request threads, each with its own connection, through the same intake the edge calls.
    results = _race(10, lambda i: flow.receive_webhook(services, "fake", headers(topic="orders/counted"), BODY))
    intakes = [r for r in results if isinstance(r, flow.Intake)]
    assert len(intakes) == 10, results
    assert all(i.status == 200 for i in intakes)
    assert len([i for i in intakes if i.delivery_id is not None]) == 1
    assert fake.applied == 1
    with services.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(WebhookDeliveryRow)) == 1


def test_ten_workers_processing_one_delivery_apply_it_once(
    services: Services, shop: Shop, fake: CountingPlatform,
) -> None:
    kept = QueueThatKeeps()
    services.queue = kept  # record only; the ten threads below are the workers
    intake = flow.receive_webhook(services, "fake", headers(topic="orders/counted"), BODY)
    assert intake.delivery_id is not None
    delivery_id = intake.delivery_id
    results = _race(10, lambda i: flow.process_delivery(services, delivery_id))
    assert kept.jobs == []  # Redis mode: the request path never enqueues
    assert sorted(str(r) for r in results) == ["processed"] + ["skipped"] * 9
    assert fake.applied == 1
    [row] = deliveries(services)
    assert (row.status, row.attempts) == ("processed", 1)
