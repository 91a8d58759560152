"""POST /webhooks/<platform>: the one webhook edge, a thin WSGI layer in front of Flask.

A webhook needs none of what Flask sets up for a request (request and app contexts,
Babel, CSRF, the session, routing, jsonify): this reads the raw body from `wsgi.input`
(5 MiB cap), hands headers and body to the intake use case (`receive_webhook`: verify,
de-duplicate, record), and answers a small JSON body built here. Another method on
/webhooks/<platform> is answered here too (405, or OPTIONS), as a Flask route taking
POST only would; every other request goes to Flask unchanged. The intake store is the
services' `intake` (a port); this edge never names storage.

Answers (DESIGN.md contract): 200 accepted or a repeat, 400 bad input, 401 signature,
404 unknown platform or shop, 413 over 5 MiB; 503 when the database is away (the
platform retries; nothing was acknowledged). Never a 500 for bad input.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from connector.web.security_headers import NOBODY, content_security_policy
from connector.workflow.webhooks import receive_webhook

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from connector.web.context import Services

log = logging.getLogger(__name__)

MAX_WEBHOOK_BODY = 5 * 1024 * 1024
PREFIX = "/webhooks/"
# Werkzeug's status lines, so an answer reads the same whichever layer gave it.
_STATUS = {code: f"{code} {HTTPStatus(code).phrase.upper()}" for code in (200, 400, 401, 404, 405, 413, 503)}
_JSON = "application/json"


def _json(payload: dict[str, Any]) -> bytes:
    # What Flask's jsonify writes outside debug mode: sorted keys, compact, a final newline.
    return (json.dumps(payload, sort_keys=True, separators=(",", ":")) + "\n").encode()


_TOO_LARGE = _json({"error": {"code": "too_large", "message": "body over 5 MiB"}})
_INCOMPLETE = _json({"error": {"code": "incomplete", "message": "the body ended early"}})
_UNAVAILABLE = _json({"error": {"code": "unavailable", "message": "try again later"}})
# What the app's JSON error handler answers for a method a POST-only route does not take.
_NOT_ALLOWED = _json({"error": {"code": "method_not_allowed",
                                "message": "The method is not allowed for the requested URL."}})
_ALLOWED = "OPTIONS, POST"
# The headers the app's after_request adds to every answer of its own (security_headers).
_SECURITY = [("Content-Security-Policy", content_security_policy(NOBODY)), ("X-Frame-Options", "DENY"),
             ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "strict-origin-when-cross-origin")]


def answer_body(status: int, message: str, delivery_id: int | None) -> bytes:
    """The JSON answered for an intake result, as Flask's jsonify would write it."""
    if status == 200:
        if message == "accepted" and delivery_id is not None:
            return b'{"delivery":%d,"status":"accepted"}\n' % delivery_id
        return _json({"delivery": delivery_id, "status": message})
    return _json({"error": {"code": str(status), "message": message}})


def _content_length(environ: WSGIEnvironment) -> int | None:
    raw = environ.get("CONTENT_LENGTH")
    if not raw:
        return None
    try:
        length = int(raw)
    except ValueError:
        return None
    return length if length >= 0 else None


class _Incomplete(Exception):
    """The client sent less than its Content-Length (or went away)."""


def read_body(environ: WSGIEnvironment) -> bytes | None:
    """The raw body, or None when it is over the cap; _Incomplete when it ends early."""
    stream = environ["wsgi.input"]
    length = _content_length(environ)
    if length is None:
        # No length: only a terminated stream (chunked, the server knows its end) has a body.
        if not environ.get("wsgi.input_terminated"):
            return b""
        try:
            body = bytes(stream.read(MAX_WEBHOOK_BODY + 1))
        except Exception as exc:
            raise _Incomplete from exc
        return body if len(body) <= MAX_WEBHOOK_BODY else None
    if length > MAX_WEBHOOK_BODY:
        return None
    try:
        body = bytes(stream.read(length))
        while len(body) < length:
            more = stream.read(length - len(body))
            if not more:
                raise _Incomplete
            body += more
    except _Incomplete:
        raise
    except Exception as exc:
        raise _Incomplete from exc
    return body


def request_headers(environ: WSGIEnvironment) -> dict[str, str]:
    """The request headers as Werkzeug names them (`X-Shopify-Topic`), without its wrapper."""
    headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
               if key[:5] == "HTTP_" and key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH")}
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["Content-Length"] = environ["CONTENT_LENGTH"]
    return headers


class WebhookFastPath:
    """WSGI middleware: answers POST /webhooks/<platform> itself, passes the rest on."""

    def __init__(self, app: WSGIApplication, services: Services,
                 after_intake: Callable[[Services], None] | None = None) -> None:
        self.app = app
        self.services = services
        self._after_intake = after_intake

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return self.app(environ, start_response)
        platform = path[len(PREFIX):]
        if not platform or "/" in platform:
            return self.app(environ, start_response)  # Flask's 404 (or its redirect), as before
        method = environ.get("REQUEST_METHOD")
        if method != "POST":
            return self._other_method(method, start_response)
        if not platform.isascii():
            # PATH_INFO is latin-1 text of the raw bytes; Flask's routing decodes it as UTF-8.
            platform = platform.encode("latin-1").decode("utf-8", "replace")
        status, body = self.handle(environ, platform)
        start_response(_STATUS[status], [("Content-Type", _JSON), ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _other_method(method: str | None, start_response: StartResponse) -> Iterable[bytes]:
        if method == "OPTIONS":
            start_response("200 OK", [("Allow", _ALLOWED), ("Content-Type", "text/html; charset=utf-8"),
                                      ("Content-Length", "0"), *_SECURITY])
            return [b""]
        start_response(_STATUS[405], [("Allow", _ALLOWED), ("Content-Type", _JSON),
                                      ("Content-Length", str(len(_NOT_ALLOWED))), *_SECURITY])
        return [b"" if method == "HEAD" else _NOT_ALLOWED]

    def handle(self, environ: WSGIEnvironment, platform: str) -> tuple[int, bytes]:
        try:
            raw = read_body(environ)
        except _Incomplete:
            return 400, _INCOMPLETE
        if raw is None:
            return 413, _TOO_LARGE
        svc = self.services
        try:
            intake = receive_webhook(svc, platform, request_headers(environ), raw)
        except Exception:
            # Bad input is answered inside receive_webhook; what reaches here is the database
            # being away. 503 makes the platform retry; nothing was accepted.
            log.exception("webhook intake failed")
            return 503, _UNAVAILABLE
        if self._after_intake is not None:
            self._after_intake(svc)
        return intake.status, answer_body(intake.status, intake.message, intake.delivery_id)

