"""A worker killed with SIGKILL in the middle of a push, then restarted, leaves one refund at the platform.

The worker is a real subprocess on the real Redis at 127.0.0.1:6379 (its own database
number, in both CI runs: a subprocess cannot share a fakeredis) and the test's database
(the SQLite file or PostgreSQL). The platform is a small HTTP stand-in served by this
test process: it counts creations, finds them by reference, and holds the first
creation's answer until the worker is dead, so the refund exists but the worker never
hears about it. Run as `python -m tests.integration.test_jobs_sigkill URL` it is the worker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from redis import Redis
from sqlalchemy import select

from connector.bootstrap import Services
from connector.domain.orders import Order
from connector.domain.returns import Channel, Condition, Inspection, ResolutionKind
from connector.persistence.tables import OutboxRow
from connector.ports import (
    BadWebhook,
    PlatformEvent,
    PushResult,
    ResolutionPush,
    ShopConnection,
    WebhookEnvelope,
)
from connector.workflow import returns as flow
from tests import builders
from tests.conftest import TEST_KEY

WORKER_REDIS = "redis://127.0.0.1:6379/13"  # a database number of its own on the machine's Redis
LEASE_SECONDS = "2"


class StandInShop:
    """The platform's side: refunds by reference, the first creation held until released."""

    def __init__(self) -> None:
        self.refunds: dict[str, str] = {}
        self.creations = 0
        self.first_create_arrived = threading.Event()
        self.release_first = threading.Event()
        self.lock = threading.Lock()


def _handler(shop: StandInShop) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
            pass

        def _answer(self, data: dict[str, Any]) -> None:
            body = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            reference = parse_qs(urlparse(self.path).query).get("reference", [""])[0]
            with shop.lock:
                found = shop.refunds.get(reference)
            self._answer({"refund": found})

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with shop.lock:
                shop.creations += 1
                first = shop.creations == 1
                refund_id = f"refund-{shop.creations}"
                shop.refunds[data["reference"]] = refund_id
            if first:
                # Created, but the answer never reaches the worker: it is killed meanwhile.
                shop.first_create_arrived.set()
                shop.release_first.wait(30)
            try:
                self._answer({"refund": refund_id})
            except OSError:
                pass  # the worker is gone

    return Handler


class HttpGateway:
    """The adapter's side: look the reference up first, create only when it is not there."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def fetch_order(self, platform_order_id: str) -> Order | None:
        return None

    def find_order(self, name: str, email: str) -> Order | None:
        return None

    def orders_since(self, since: datetime | None, progress: Any = None) -> Iterator[Order]:
        return iter(())

    def push(self, push: ResolutionPush) -> PushResult:
        found = requests.get(f"{self.base_url}/refunds", params={"reference": push.reference}, timeout=30).json()
        if found["refund"]:
            return PushResult(platform_reference=found["refund"], adopted=True)
        created = requests.post(f"{self.base_url}/refunds", json={"reference": push.reference,
                                                                 "amount": str(push.amount.amount)}, timeout=60)
        return PushResult(platform_reference=created.json()["refund"], adopted=False)


class HttpStandInPlatform:
    name = "fake"
    automatic_resolutions = True

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def envelope(self, headers: Mapping[str, str], body: bytes) -> WebhookEnvelope:
        raise BadWebhook("this stand-in takes no webhooks")

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, shop: ShopConnection) -> bool:
        return False

    def parse_webhook(self, topic: str, body: bytes) -> list[PlatformEvent]:
        raise BadWebhook("this stand-in takes no webhooks")

    def gateway(self, shop: ShopConnection) -> HttpGateway:
        return HttpGateway(self.base_url)


@pytest.fixture
def stand_in() -> Iterator[tuple[StandInShop, str]]:
    shop = StandInShop()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(shop))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield shop, f"http://127.0.0.1:{server.server_address[1]}"
    shop.release_first.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def worker_redis() -> Iterator[Redis]:
    connection = Redis.from_url(WORKER_REDIS, socket_connect_timeout=2)
    try:
        connection.ping()
    except Exception as exc:  # the machine's Redis is part of the test bed
        pytest.fail(f"this test needs the Redis at 127.0.0.1:6379: {exc}")
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


def _start_worker(services: Services, base_url: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ, "DATABASE_URL": services.settings.database_url, "REDIS_URL": WORKER_REDIS,
        "TOKEN_ENCRYPTION_KEY": TEST_KEY, "SECRET_KEY": "test-secret", "INSTANCE_PATH": str(tmp_path / "worker"),
        "RETURNS_PUSH_LEASE_SECONDS": LEASE_SECONDS, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    log = (tmp_path / "worker.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "tests.integration.test_jobs_sigkill", base_url],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _family(pid: int) -> list[int]:
    """The process and its descendants (RQ's work horse runs in a session of its own)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            found += _family(int(child))
    return found


def _kill_all(pid: int, sig: signal.Signals) -> None:
    for member in _family(pid):
        try:
            os.kill(member, sig)
        except ProcessLookupError:
            pass


def _outbox(services: Services) -> tuple[str, int]:
    with services.engine.connect() as conn:
        row = conn.execute(select(OutboxRow.status, OutboxRow.attempts)
                           .where(OutboxRow.task == "push_resolution")).one()
        return str(row[0]), int(row[1])


def test_worker_killed_mid_push_then_restarted_ends_with_exactly_one_refund(
    services: Services, stand_in: tuple[StandInShop, str], worker_redis: Redis, tmp_path: Path,
) -> None:
    platform_shop, base_url = stand_in
    services.adapters["fake"] = HttpStandInPlatform(base_url)
    shop = builders.shop(services, platform="fake", domain="standin.example")
    builders.stored_order(services, shop)
    opened = flow.open_return_request(
        services, shop.id, "1001", [flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)],
        channel=Channel.PORTAL)
    reference = opened.ret.reference
    flow.approve(services, shop.id, reference, "merchant")
    flow.receive(services, shop.id, reference, "merchant")
    flow.inspect(services, shop.id, reference, "merchant", {"L1": Inspection(Condition.AS_NEW, 1, 0, restock=True)})
    [resolution] = flow.resolve(services, shop.id, reference, "merchant")

    first = _start_worker(services, base_url, tmp_path)
    try:
        assert platform_shop.first_create_arrived.wait(30), (tmp_path / "worker.log").read_text()
        # The worker and its work horse, mid-push, as an OOM kill or a lost machine would.
        _kill_all(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            _kill_all(first.pid, signal.SIGKILL)
    platform_shop.release_first.set()
    assert platform_shop.creations == 1
    assert _outbox(services) == ("pending", 1)  # claimed, never finished

    second = _start_worker(services, base_url, tmp_path)
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and _outbox(services)[0] == "pending":
            time.sleep(0.2)
    finally:
        _kill_all(second.pid, signal.SIGTERM)
        second.wait(20)

    assert platform_shop.creations == 1
    assert _outbox(services)[0] == "done", (tmp_path / "worker.log").read_text()
    with services.uow() as uow:
        stored = uow.scope(shop).resolutions.get(resolution.id)
        ret = uow.scope(shop).returns.get_by_reference(reference)
    assert stored is not None
    assert stored.push_status == "pushed"
    assert ret is not None
    assert "adopted existing" in ret.timeline[-1].message


def _run_worker(base_url: str) -> None:
    """The subprocess: the app's services from the environment, the stand-in as platform `fake`."""
    from connector.bootstrap import build_services, use_services
    from connector.config import Settings
    from connector.jobs.worker import run_worker

    svc = build_services(Settings.from_env())
    svc.adapters["fake"] = HttpStandInPlatform(base_url)
    use_services(svc)
    run_worker(svc)


if __name__ == "__main__":
    _run_worker(sys.argv[1])
