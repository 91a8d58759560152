"""The API's one error shape, `{"error": {"code", "message"}}`, and what each failure answers."""

from __future__ import annotations

from typing import Any

from flask import Response
from pydantic import ValidationError

from connector.domain.errors import DomainError, IllegalTransition
from connector.domain.policy import InvalidPolicy
from connector.workflow.errors import NotFound
from connector.workflow.merchant_webhooks import EndpointLimitReached, InvalidEndpoint
from connector.workflow.returns import ReturnRefused, decision_snapshot


class ApiError(Exception):
    """An answer other than success; raised anywhere in a view, rendered by the blueprint."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        error.update(self.extra)
        return {"error": error}


def unauthorized(message: str) -> ApiError:
    # RFC 6750: a missing or bad bearer token says which scheme is expected.
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def from_validation(exc: ValidationError, *, where: str) -> ApiError:
    """Pydantic's complaint as one message naming the first field; 400 for params, 422 for bodies."""
    first = exc.errors(include_url=False)[0]
    loc = tuple(first.get("loc", ()))
    if where == "body" and (first.get("type") == "json_invalid" or not loc):
        return ApiError(400, "malformed_json", f"the body is not the JSON object expected: {first.get('msg', '')}")
    field = _location(loc)
    message = f"{field}: {first.get('msg', 'invalid')}"
    if where == "body":
        return ApiError(422, "validation_error", message, field=field)
    return ApiError(400, "invalid_parameter", message, field=field)


def from_domain(exc: Exception) -> ApiError | None:
    """The answer for a workflow or domain failure, or None for one we do not know (a bug: 500)."""
    if isinstance(exc, NotFound):
        return ApiError(404, "not_found", str(exc))
    if isinstance(exc, EndpointLimitReached):
        return ApiError(409, exc.code, str(exc))
    if isinstance(exc, IllegalTransition):
        return ApiError(409, "illegal_transition", str(exc), extra={"status": exc.status, "action": exc.action})
    if isinstance(exc, ReturnRefused):
        return ApiError(422, "return_refused", str(exc), extra={"decision": decision_snapshot(exc.decision)})
    if isinstance(exc, InvalidPolicy | InvalidEndpoint):
        return ApiError(422, exc.code, str(exc), field=exc.field)
    if isinstance(exc, DomainError):
        return ApiError(422, exc.code, str(exc))
    return None


def render(error: ApiError) -> Response:
    import json

    response = Response(json.dumps(error.body(), ensure_ascii=False), status=error.status,
                        mimetype="application/json")
    for name, value in error.headers.items():
        response.headers[name] = value
    return response
