"""A WooCommerce store's refund endpoints, served on 127.0.0.1 by the test process: it counts refunds.

`WooRefundsStandIn` answers what the WooCommerce adapter asks when it pushes a refund:
the order's refunds (`GET /wp-json/wc/v3/orders/<id>/refunds`, how a retry finds and
adopts a refund already made) and a new refund (`POST` on the same path). It records each
refund when the POST arrives, before answering, and can hold that answer (`hold_first`)
so a test can kill the worker while the refund exists but the worker never heard of it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_REFUNDS = re.compile(r"^/wp-json/wc/v3/orders/(\d+)/refunds")


class WooRefundsStandIn:
    """Start with `with WooRefundsStandIn(hold_first=True) as store:`; `store.url` is the store's address."""

    def __init__(self, *, hold_first: bool = False, hold_seconds: float = 60.0) -> None:
        self.refunds: list[dict[str, Any]] = []
        self.arrivals: dict[str, float] = {}  # order id -> time.monotonic() of its first refund POST
        self.first_refund_arrived = threading.Event()
        self.release = threading.Event()
        self.hold_first = hold_first
        self.hold_seconds = hold_seconds
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="woo-standin", daemon=True)

    def __enter__(self) -> WooRefundsStandIn:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.refunds)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        store = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
                pass

            def _answer(self, status: int, data: Any) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-WP-Total", str(len(data)) if isinstance(data, list) else "1")
                self.send_header("X-WP-TotalPages", "1")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                found = _REFUNDS.match(self.path)
                if found is None:
                    self._answer(404, {"code": "rest_no_route", "message": "not in the stand-in"})
                    return
                with store._lock:
                    listed = [r for r in store.refunds if r["order_id"] == found.group(1)]
                self._answer(200, listed)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                found = _REFUNDS.match(self.path)
                sent = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if found is None:
                    self._answer(404, {"code": "rest_no_route", "message": "not in the stand-in"})
                    return
                with store._lock:
                    refund = {"id": 9000 + len(store.refunds), "order_id": found.group(1),
                              "amount": sent.get("amount"), "reason": sent.get("reason", ""),
                              "meta_data": sent.get("meta_data", []), "line_items": []}
                    store.refunds.append(refund)
                    store.arrivals.setdefault(found.group(1), time.monotonic())
                    first = len(store.refunds) == 1
                store.first_refund_arrived.set()
                if first and store.hold_first:
                    store.release.wait(store.hold_seconds)  # made, but the answer is late
                self._answer(201, refund)

        return Handler
