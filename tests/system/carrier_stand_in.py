"""A Colissimo and La Poste stand-in on 127.0.0.1: answers label and tracking calls, counts them.

Its answers are the hand-made fixtures of tests/fixtures/carriers (written from the carriers'
documented formats, not recorded: we have no carrier contract). Runs in a thread of the test
process; `stop()` ends it.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "carriers"
BOUNDARY = "uuid:5f0c7d2e-0b4b-4e59-9a53-2b2f6a1d0c11"


class CarrierStandIn:
    def __init__(self) -> None:
        self.label_calls: list[bytes] = []
        self.tracking_calls: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path.endswith("/generateLabel"):
                    stand_in.label_calls.append(body)
                    self._answer(200, (FIXTURES / "colissimo_label_created.multipart").read_bytes(),
                                 f"multipart/mixed; boundary={BOUNDARY}")
                else:
                    self._answer(404, b"{}", "application/json")

            def do_GET(self) -> None:  # noqa: N802
                if "/idships/" in self.path:
                    stand_in.tracking_calls.append(self.path)
                    self._answer(200, (FIXTURES / "laposte_tracking.json").read_bytes(), "application/json")
                else:
                    self._answer(404, b"{}", "application/json")

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
