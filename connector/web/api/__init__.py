"""The merchant JSON API under /api/v1: bearer token per shop, OpenAPI at /api/v1/openapi.json.

Views are thin: the `operation` decorator parses with pydantic, the view calls the
workflow, and the answer is a pydantic model. Registered by create_app via `register`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify

from connector.web.api import returns_views as returns_views  # noqa: F401 - registers the routes
from connector.web.api import shop_views as shop_views  # noqa: F401 - registers the routes
from connector.web.api.blueprint import bp
from connector.web.api.spec import PREFIX, openapi_document

API_VERSION = "1.0.0"


@bp.get(PREFIX + "/openapi.json")
def openapi() -> Response:
    """Public, like any API reference: it holds no shop data."""
    return jsonify(openapi_document("returns-connector merchant API", API_VERSION))


def register(app: Flask, csrf: Any) -> None:
    # Bearer tokens, not cookies, authenticate here: there is no session for CSRF to protect.
    csrf.exempt(bp)
    app.register_blueprint(bp)
