"""The API blueprint and the `operation` decorator bound to it and to bearer authentication."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g

from connector.domain.errors import DomainError
from connector.web.api import spec
from connector.web.api.auth import authenticate
from connector.web.api.errors import ApiError, from_domain, render
from connector.workflow.errors import NotFound

bp = Blueprint("api", __name__)


def operation(method: str, path: str, **kwargs: Any) -> Callable[[spec.View], spec.View]:
    return spec.operation(bp, authenticate, method, path, **kwargs)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return render(exc)


@bp.errorhandler(NotFound)
@bp.errorhandler(DomainError)
def _domain_error(exc: Exception) -> Response:
    error = from_domain(exc)
    if error is None:  # cannot happen for these two types; keep the 500 path honest if it does
        raise exc
    return render(error)


@bp.after_request
def _rate_headers(response: Response) -> Response:
    rate = g.get("api_rate")
    if rate is not None:
        limit, remaining, reset = rate
        response.headers["X-RateLimit-Limit"] = str(limit)
        response.headers["X-RateLimit-Remaining"] = str(remaining)
        response.headers["X-RateLimit-Reset"] = str(reset)
    return response
