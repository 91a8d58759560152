"""Webhook intake benchmark: the full app under gunicorn on PostgreSQL and Redis, beside a trivial endpoint.

Prints, from one run: the most accepted deliveries per second for the app and for a
trivial Flask endpoint under the same gunicorn settings (the Procfile's `web` line), and
their ratio; p50 and p99 answer times at a steady 200 deliveries per second; and how many
accepted deliveries the database holds afterwards. Both servers run side by side and their
full-speed runs alternate (--rounds of each), so load from elsewhere on the machine falls
on both; the best run of each is reported, every run is printed. Not a test: numbers
depend on the machine.

    .venv/bin/python bench/webhooks.py            # see --help for the knobs

Needs PostgreSQL (it drops and creates the database named in --database-url), Redis,
gunicorn and wrk (`apt-get install wrk`). Signed Shopify webhooks: the HMAC covers the
body only, so one body is signed once and each request gets its own X-Shopify-Webhook-Id.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-shopify-secret"
KEY = "Yb3VxH8sY0mG2lq0M9-1cXoJc4kzqfW5cZ2y7zY3m0A="
SHOP = "bench-shop.myshopify.com"
BODY = (b'{"id": 820982911946154508, "name": "#1001", "email": "claire@example.com", '
        b'"currency": "EUR", "total_price": "65.00", "line_items": []}')

# Each wrk thread has its own Lua state: ids are made unique by a per-thread prefix set from
# the main state (globals, not locals, so that thread:set reaches them) and the run's clock.
LUA = """
counter = 0
prefix = "unset"
serial = 0
function setup(thread)
  serial = serial + 1
  thread:set("prefix", tostring(os.time()) .. "-" .. tostring(serial))
end
request = function()
  counter = counter + 1
  wrk.headers["X-Shopify-Webhook-Id"] = prefix .. "-" .. counter
  return wrk.format("POST", "/webhooks/shopify", nil, wrk.body)
end
"""


def procfile_gunicorn() -> list[str]:
    """The gunicorn options of the Procfile's `web` line (its ${VAR:-default}s filled in), less --bind and the app."""
    line = next(ln for ln in (ROOT / "Procfile").read_text().splitlines() if ln.startswith("web:"))
    line = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(m.group(1), m.group(2)), line)
    words = shlex.split(line.removeprefix("web:"))[1:-1]  # less "gunicorn" and the app module
    options: list[str] = []
    for word in words:
        if options[-1:] == ["--bind"]:
            options.pop()
        elif not word.startswith("--bind="):
            options.append(word)
    return options


def _with_option(options: list[str], name: str, value: str | None) -> list[str]:
    if value is None:
        return options
    if name in options:
        at = options.index(name)
        return [*options[:at], name, value, *options[at + 2:]]
    return [*options, name, value]


def _signature() -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()).decode()


def _headers(webhook_id: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json", "X-Shopify-Topic": "orders/updated",
        "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Hmac-Sha256": _signature(),
        "X-Shopify-Webhook-Id": webhook_id, "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
    }


def prepare_database(url: str) -> None:
    """A fresh database with the schema and one Shopify shop."""
    from connector.persistence.crypto import CredentialBox
    from connector.persistence.database import make_engine
    from connector.persistence.migrate import upgrade
    from connector.persistence.shops import ShopRepository
    from connector.persistence.unit_of_work import UnitOfWork

    base, name = url.rsplit("/", 1)
    admin = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(url)
    upgrade(engine)
    from connector.persistence.database import make_session_factory

    uow = UnitOfWork(make_session_factory(engine), CredentialBox(KEY))
    with uow:
        ShopRepository(uow.session, CredentialBox(KEY)).connect(
            platform="shopify", domain=SHOP, now=datetime.now(UTC), name="Bench", webhook_secret=SECRET,
            credentials={"access_token": "shpat_bench"})
        uow.commit()
    engine.dispose()


def count_deliveries(url: str) -> int:
    from connector.persistence.tables import WebhookDeliveryRow

    engine = create_engine(url)
    with engine.connect() as conn:
        found = int(conn.execute(select(func.count()).select_from(WebhookDeliveryRow)).scalar_one())
    engine.dispose()
    return found


class Server:
    """gunicorn with the Procfile's settings, on a port of its own."""

    def __init__(self, target: str, port: int, env: dict[str, str], options: list[str], chdir: Path) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *options,
             "--log-level", "warning", "--chdir", str(chdir), target],
            env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn {target} did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)


def wrk(port: int, duration: int, connections: int, script: Path) -> tuple[int, int, float]:
    """(requests, non-2xx answers, seconds) from wrk at full speed."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-s", str(script),
         f"http://127.0.0.1:{port}/webhooks/shopify"], capture_output=True, text=True, check=True).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if total is None:
        raise RuntimeError(out)
    seconds = float(total.group(2)) * {"s": 1, "ms": 0.001, "m": 60}[total.group(3)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(bad.group(1)) if bad else 0
    if errors:
        failed += sum(int(g) for g in errors.groups())
    return int(total.group(1)), failed, seconds


def steady(port: int, rate: int, seconds: int) -> tuple[list[float], int]:
    """Send `rate` deliveries a second for `seconds`, each on its own connection (as platforms do).

    Returns the answer times in ms and how many were accepted (200).
    """
    latencies: list[float] = []
    accepted = 0
    lock = threading.Lock()
    start = time.perf_counter()
    prefix = f"steady-{time.time_ns()}"

    def one(n: int) -> None:
        nonlocal accepted
        began = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("POST", "/webhooks/shopify", body=BODY, headers=_headers(f"{prefix}-{n}"))
            answer = conn.getresponse()
            answer.read()
            status = answer.status
        finally:
            conn.close()
        took = (time.perf_counter() - began) * 1000
        with lock:
            latencies.append(took)
            accepted += status == 200

    threads: list[threading.Thread] = []
    for n in range(rate * seconds):
        # Open-loop pacing: the n-th request leaves at n/rate whatever the earlier ones do.
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=one, args=(n,))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return latencies, accepted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/rc_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each full-speed run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="full-speed runs of each server, alternating (trivial, app, trivial, app, ...)")
    parser.add_argument("--steady-seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=200, help="deliveries per second of the steady run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", help="instead of the Procfile's (WEB_CONCURRENCY)")
    parser.add_argument("--threads", help="instead of the Procfile's")
    args = parser.parse_args()
    options = _with_option(_with_option(procfile_gunicorn(), "--workers", args.workers), "--threads", args.threads)

    prepare_database(args.database_url)
    instance = Path(tempfile.mkdtemp(prefix="rc-bench-"))
    env = {**os.environ, "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
           "SECRET_KEY": "bench", "TOKEN_ENCRYPTION_KEY": KEY, "INSTANCE_PATH": str(instance),
           "SHOPIFY_API_KEY": "bench-key", "SHOPIFY_API_SECRET": SECRET, "PYTHONPATH": str(ROOT)}
    script = instance / "signed.lua"
    script.write_text(f"wrk.method = 'POST'\nwrk.body = [[{BODY.decode()}]]\n" + "".join(
        f"wrk.headers[{k!r}] = {v!r}\n" for k, v in _headers("x").items() if k != "X-Shopify-Webhook-Id") + LUA)

    # Both servers up at once (the idle one costs nothing) and their full-speed runs
    # alternating, so that a burst of load from elsewhere on the machine does not fall on
    # one side only. Each side's best run is its "most accepted per second".
    trivial = Server("webhooks_trivial:app", 8102, env, options, ROOT / "bench")
    app = Server("connector.wsgi:app", 8101, env, options, ROOT)
    t_rates: list[float] = []
    a_rates: list[float] = []
    a_failed = t_failed = 0
    accepted = 0
    try:
        wrk(8102, 2, args.connections, script)  # warm-up
        w_total, w_failed, _ = wrk(8101, 2, args.connections, script)  # warm-up: shop cache, pools
        accepted += w_total - w_failed
        for _ in range(args.rounds):
            total, failed, seconds = wrk(8102, args.duration, args.connections, script)
            t_rates.append((total - failed) / seconds)
            t_failed += failed
            total, failed, seconds = wrk(8101, args.duration, args.connections, script)
            a_rates.append((total - failed) / seconds)
            a_failed += failed
            accepted += total - failed
        trivial.stop()
        latencies, steady_accepted = steady(8101, args.rate, args.steady_seconds)
        accepted += steady_accepted
    finally:
        trivial.stop()
        app.stop()

    stored = count_deliveries(args.database_url)
    quantiles = statistics.quantiles(latencies, n=100)
    app_rate, trivial_rate = max(a_rates), max(t_rates)
    print(f"gunicorn {' '.join(options)} (the Procfile's); wrk -t2 -c{args.connections} -d{args.duration}s "
          f"x {args.rounds} rounds each, alternating; PostgreSQL {args.database_url.rsplit('@', 1)[-1]}, "
          f"Redis {args.redis_url}; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'':34}{'full app':>12}{'trivial':>12}")
    print(f"{'accepted deliveries per second':34}{app_rate:>12.0f}{trivial_rate:>12.0f}   "
          f"ratio {app_rate / trivial_rate:.2f}   (best run of each)")
    print(f"  each run: app {', '.join(f'{r:.0f}' for r in a_rates)}; trivial "
          f"{', '.join(f'{r:.0f}' for r in t_rates)}; ratio of the medians "
          f"{statistics.median(a_rates) / statistics.median(t_rates):.2f}")
    print(f"{'refused or failed answers':34}{a_failed:>12}{t_failed:>12}")
    print(f"steady {args.rate}/s for {args.steady_seconds}s: p50 {quantiles[49]:.1f} ms, "
          f"p99 {quantiles[98]:.1f} ms, max {max(latencies):.1f} ms, "
          f"{steady_accepted}/{len(latencies)} accepted")
    # wrk stops counting at its deadline: requests still in flight then are answered and
    # stored but not counted, so the database may hold a few more than were counted.
    verdict = "all" if stored >= accepted else f"MISSING {accepted - stored}"
    print(f"accepted deliveries (warm-up included) found in the database: {stored} for {accepted} "
          f"counted accepted: {verdict}")


if __name__ == "__main__":
    main()
