"""The system test stack: the Procfile's processes, for real, on PostgreSQL and a Redis of their own.

`Stack` runs what production runs: `release`, `web` and `worker` are read from the
Procfile and started through bash as separate processes (gunicorn, `returns-connector
worker`), on the PostgreSQL of DATABASE_URL (its `public` schema emptied first, then
built by `release`) and on a `redis-server` started here on a free port, so a test can
stop it and start it again. Every process binds 127.0.0.1, runs in a session of its
own and is ended by its pid (its process group); nothing outlives `stop()`.

The API (stable: other system tests build on it; keep it small):

    stack = Stack.start(tmp_path, env={"SHOPIFY_ADMIN_URL": ...})   # release, redis, web, worker
    stack.base_url, stack.env                  # gunicorn's address; the processes' environment
    stack.services()                           # Services on the same database (builders, workflow calls)
    stack.shopify_shop(domain) / stack.woocommerce_shop(url, secret)   # connected shops
    stack.send_shopify(domain, topic, body, webhook_id=None)            # signed POST, a requests.Response
    stack.send_woocommerce(url, topic, body, secret, delivery_id=None)  # signed POST
    stack.sql("SELECT ... WHERE id = %(id)s", id=1)                     # rows as tuples
    stack.wait_for(lambda: ..., timeout=60, what="...")                 # the first truthy value, or AssertionError
    stack.worker_log(), stack.web_log()        # everything every worker / web process wrote
    stack.kill_worker(signal.SIGKILL), stack.start_worker()
    stack.stop_redis(), stack.start_redis()    # same port; appendonly, as a production Redis for RQ
    stack.terminate_database_connections()     # pg_terminate_backend of this database's other sessions
    stack.stop()                               # every process, by pid

Helpers for bodies: `shopify_order(n)` and `woocommerce_order(n)` give an order webhook
body for order number n, from the recorded fixtures.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import requests

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
TOKEN_KEY = "Yb3VxH8sY0mG2lq0M9-1cXoJc4kzqfW5cZ2y7zY3m0A="
SHOPIFY_SECRET = "system-shopify-secret"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def procfile(path: Path = REPO / "Procfile") -> dict[str, str]:
    """The Procfile's process types and their commands."""
    kinds: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            name, _, command = raw.partition(":")
            kinds[name.strip()] = command.strip()
    return kinds


def libpq_url(url: str) -> str:
    """A DATABASE_URL as psycopg takes it (without SQLAlchemy's `+driver`)."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "postgresql+"))


def shopify_order(n: int) -> dict[str, Any]:
    """Shopify's documented orders/create body as order number n."""
    body: dict[str, Any] = json.loads((FIXTURES / "shopify" / "webhooks" / "orders__create.json").read_text())
    order_id = 7_000_000 + n
    body.update(id=order_id, admin_graphql_api_id=f"gid://shopify/Order/{order_id}", name=f"#S{n}",
                order_number=n, number=n)
    return body


def woocommerce_order(n: int) -> dict[str, Any]:
    """A recorded WooCommerce order.created body as order number n."""
    recorded = json.loads((FIXTURES / "woocommerce" / "webhooks" /
                           "20261122T013213-order_created-506308.json").read_text())
    body: dict[str, Any] = json.loads(recorded["body_raw"])
    body = copy.deepcopy(body)
    body.update(id=100_000 + n, number=str(100_000 + n))
    return body


class _Process:
    def __init__(self, name: str, command: str, env: Mapping[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(  # noqa: S603 - our own Procfile command
                ["bash", "-c", f"exec {command}"], cwd=REPO, env=dict(env), stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def end(self, sig: int = signal.SIGTERM, grace: float = 10.0) -> None:
        """Signal the process group this process leads (its children too), then make sure."""
        if not self.alive():
            return
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


class Stack:
    """The Procfile stack of one test (see the module docstring for the API)."""

    def __init__(self, root: Path, database_url: str, env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.database_url = database_url
        self.redis_port = free_port()
        self.web_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        self.kinds = procfile()
        venv_bin = str(Path(sys.executable).parent)
        self.env: dict[str, str] = {
            k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))
        }
        self.env.update({
            "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
            "DATABASE_URL": database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "SECRET_KEY": "system-secret", "TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
            "APP_URL": self.base_url, "INSTANCE_PATH": str(root / "instance"),
            "SHOPIFY_API_KEY": "system-api-key", "SHOPIFY_API_SECRET": SHOPIFY_SECRET,
            "PORT": str(self.web_port), "WEB_BIND_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1",
            # No traffic outside 127.0.0.1: Shopify calls (reconciliation) go to a closed port
            # unless a test points them at a stand-in of its own.
            "SHOPIFY_ADMIN_URL": "http://127.0.0.1:9/{shop}/admin/api/{version}",
        })
        self.env.update(env or {})
        self.processes: list[_Process] = []
        self.redis: _Process | None = None
        self.web: _Process | None = None
        self.worker: _Process | None = None
        self._workers = 0
        self._http = requests.Session()
        self._services: Any = None

    # ---- life ----

    @classmethod
    def start(cls, root: Path, env: Mapping[str, str] | None = None, *, worker: bool = True) -> Stack:
        """Empty the database's schema, start Redis, run `release`, start `web` (and `worker`)."""
        url = os.environ.get("DATABASE_URL", "")
        if not is_postgres(url):
            raise RuntimeError("the system stack runs on PostgreSQL: set DATABASE_URL")
        stack = cls(root, url, env)
        try:
            stack._reset_schema()
            stack.start_redis()
            release = subprocess.run(  # noqa: S603 - our own Procfile command
                ["bash", "-c", stack.kinds["release"]], cwd=REPO, env=stack.env, capture_output=True,
                text=True, timeout=120, check=False)
            if release.returncode != 0:
                raise RuntimeError(f"release failed: {release.stdout}{release.stderr}")
            stack.web = stack._spawn("web")
            stack.wait_for(stack._web_answers, timeout=60, what="gunicorn answering /healthz")
            if worker:
                stack.start_worker()
        except BaseException:
            stack.stop()
            raise
        return stack

    def _spawn(self, kind: str, log_name: str | None = None) -> _Process:
        process = _Process(kind, self.kinds[kind], self.env, self.root / f"{log_name or kind}.log")
        self.processes.append(process)
        return process

    def _web_answers(self) -> bool:
        if self.web is not None and not self.web.alive():
            raise AssertionError(f"gunicorn exited:\n{self.web_log()[-3000:]}")
        try:
            return self._http.get(self.base_url + "/healthz", timeout=2).status_code in (200, 503)
        except requests.RequestException:
            return False

    def start_worker(self) -> None:
        """A new `worker` process (the Procfile's command); its log is kept beside the others'."""
        self._workers += 1
        self.worker = self._spawn("worker", f"worker-{self._workers}")

    def kill_worker(self, sig: int = signal.SIGKILL) -> None:
        """Signal the worker's process group (SIGKILL: no goodbye) and wait until it is gone."""
        if self.worker is not None:
            self.worker.end(sig, grace=30)

    def start_redis(self) -> None:
        data = self.root / "redis"
        data.mkdir(exist_ok=True)
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.redis = _Process("redis", (
            f"{server} --bind 127.0.0.1 --port {self.redis_port} --dir {data} --save '' "
            "--appendonly yes --appendfsync everysec --protected-mode yes"), self.env, self.root / "redis.log")
        self.processes.append(self.redis)
        self.wait_for(self._redis_answers, timeout=20, what="redis-server answering PING")

    def _redis_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.end(signal.SIGTERM)

    def stop(self) -> None:
        """End every process this stack started, by pid: workers and web first (newest first), Redis last."""
        for process in sorted(reversed(self.processes), key=lambda p: p.name == "redis"):
            process.end()
        if self._services is not None:
            self._services.engine.dispose()
            self._services = None
        self._http.close()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # ---- the database ----

    def _reset_schema(self) -> None:
        with psycopg.connect(libpq_url(self.database_url), autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")

    def sql(self, query: str, **params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(libpq_url(self.database_url), autocommit=True, connect_timeout=10) as conn:
            cursor = conn.execute(query, params or None)  # type: ignore[arg-type]
            return list(cursor.fetchall()) if cursor.description else []

    def terminate_database_connections(self) -> int:
        """End every other session on this database (only this one: others share the server)."""
        rows = self.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return int(rows[0][0])

    def services(self) -> Any:
        """The app's services on this database, in the test process (for builders and use cases)."""
        if self._services is None:
            from connector.bootstrap import build_services
            from connector.config import Settings
            settings = Settings.from_env({k: v for k, v in self.env.items() if k != "REDIS_URL"})
            # Work written here (outbox rows) is handed on by the stack's relay, never run here.
            self._services = build_services(settings, queue=_NoJobsHere())
        return self._services

    # ---- shops and webhooks ----

    def shopify_shop(self, domain: str = "system-shop.myshopify.com", **kwargs: Any) -> Any:
        svc = self.services()
        with svc.uow() as uow:
            shop = uow.shops.connect(platform="shopify", domain=domain, name=domain, now=svc.clock.now(),
                                     credentials={"access_token": "shpat_system"}, **kwargs)
            uow.commit()
        return shop

    def woocommerce_shop(self, url: str, secret: str, **kwargs: Any) -> Any:
        svc = self.services()
        with svc.uow() as uow:
            shop = uow.shops.connect(platform="woocommerce", domain=url, name="System store",
                                     now=svc.clock.now(), webhook_secret=secret,
                                     credentials={"consumer_key": "ck_system", "consumer_secret": "cs_system"},
                                     **kwargs)
            uow.commit()
        return shop

    def send_shopify(self, domain: str, topic: str, body: Mapping[str, Any] | bytes,
                     webhook_id: str | None = None, timeout: float = 30) -> requests.Response:
        from platforms.shopify.signatures import webhook_hmac

        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self._http.post(self.base_url + "/webhooks/shopify", data=raw, timeout=timeout, headers={
            "Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": domain,
            "X-Shopify-Hmac-Sha256": webhook_hmac(raw, SHOPIFY_SECRET),
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()), "X-Shopify-API-Version": "2026-10"})

    def send_woocommerce(self, url: str, topic: str, body: Mapping[str, Any] | bytes, secret: str,
                         delivery_id: str | None = None, timeout: float = 30) -> requests.Response:
        from platforms.woocommerce.signatures import webhook_signature

        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        resource, _, event = topic.partition(".")
        return self._http.post(self.base_url + "/webhooks/woocommerce", data=raw, timeout=timeout, headers={
            "Content-Type": "application/json", "X-WC-Webhook-Source": url.rstrip("/") + "/",
            "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": webhook_signature(raw, secret), "X-WC-Webhook-ID": "1",
            "X-WC-Webhook-Delivery-ID": delivery_id or uuid.uuid4().hex})

    # ---- watching ----

    def wait_for(self, predicate: Callable[[], T], timeout: float, what: str, every: float = 0.25) -> T:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise AssertionError(f"after {timeout:.0f} s still waiting for {what}")
            time.sleep(every)

    def worker_log(self) -> str:
        return "".join(p.log.read_text(errors="replace") for p in self.processes
                       if p.name == "worker" and p.log.exists())

    def web_log(self) -> str:
        return "".join(p.log.read_text(errors="replace") for p in self.processes
                       if p.name == "web" and p.log.exists())


class _NoJobsHere:
    """The test process's queue: jobs belong to the stack's worker (its relay hands them on)."""

    mode = "redis"

    def enqueue(self, job: Callable[..., Any], *args: int | str, queue: str, job_id: str | None = None) -> None:
        raise RuntimeError("the system stack's services do not run jobs")

    def healthy(self) -> bool:
        return True
