"""Schemathesis against the merchant API: the API and its OpenAPI document agree, with every check.

`test_schemathesis_with_every_check_finds_no_mismatch` runs Schemathesis as a user would, its CLI
against a live server on 127.0.0.1 with a seeded shop: every check (server errors, schemas, status
codes, content types, headers, undeclared methods, schema-valid data accepted and schema-invalid
data refused, authentication) over the examples, coverage, fuzzing and stateful phases. What a JSON
Schema cannot say is in tests/integration/schemathesis.toml. The same against a running server:
    st --config-file tests/integration/schemathesis.toml run http://127.0.0.1:5000/api/v1/openapi.json \
        -H "Authorization: Bearer $TOKEN" --checks all
The parametrized test below aims hypothesis at rows that exist, so actions get past 404.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from connector.bootstrap import Services
from connector.domain.returns import Channel, ResolutionKind
from connector.web.api.auth import RateLimiter
from connector.workflow import merchant_webhooks as hooks
from connector.workflow import returns as flow
from connector.workflow.api_tokens import create_token
from tests import builders

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@dataclass
class Seed:
    headers: dict[str, str]
    known: dict[str, list[Any]]  # path parameter -> ids that exist in the seeded shop


@pytest.fixture
def seeded(services: Services, app: Flask) -> Seed:
    """A shop with orders, returns in several states and an endpoint; the token to reach them."""
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    builders.stored_order(services, shop, order_id="1002")
    references = []
    for line_id in ("L1", "L2"):
        opened = flow.open_return_request(services, shop.id, "1001", [
            flow.WantedItem(line_id, 1, "size_too_small", ResolutionKind.REFUND)], channel=Channel.API)
        references.append(opened.ret.reference)
    flow.approve(services, shop.id, references[-1], "test")
    endpoint, _secret = hooks.create_endpoint(services, shop.id, "https://erp.example.com/hooks")
    app.extensions["returns_api_limiter"] = RateLimiter(10**9)  # the run is many requests a minute
    return Seed(headers={"Authorization": f"Bearer {create_token(services, shop.id, 'schemathesis')}"},
                known={"reference": references, "platform_order_id": ["1001", "1002"],
                       "endpoint_id": [endpoint.id]})


def _operations() -> list[tuple[str, str]]:
    import connector.web.api  # noqa: F401 - the routes register their operations on import
    from connector.web.api.spec import OPERATIONS

    return [(op.method.upper(), op.path) for op in OPERATIONS]


@pytest.mark.parametrize(("method", "path"), _operations())
def test_the_api_keeps_to_its_openapi_document(method: str, path: str, app: Flask, seeded: Seed) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]
    positive = operation.as_strategy(GenerationMode.POSITIVE)

    @st.composite
    def aimed(draw: st.DrawFn) -> Any:
        """A positive case pointed at rows that exist, so actions and reads get past 404."""
        case = draw(positive)
        for name in case.path_parameters:
            case.path_parameters[name] = draw(st.sampled_from(seeded.known[name]))
        if isinstance(case.body, dict) and "order_id" in case.body:
            case.body["order_id"] = draw(st.sampled_from(seeded.known["platform_order_id"]))
            for item in case.body.get("items", []):
                item.update(line_id=draw(st.sampled_from(["L1", "L2"])), quantity=1,
                            reason=draw(st.sampled_from(["size_too_small", "changed_mind"])),
                            resolution=draw(st.sampled_from(["refund", "store_credit"])))
                item.pop("exchange_variant_id", None)
        if isinstance(case.body, dict) and "url" in case.body:
            case.body["url"] = "https://erp.example.com/hooks"
        return case

    strategy = st.one_of(positive, aimed(), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=strategy)
    @settings(max_examples=40, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def run(case: Any) -> None:
        case.call_and_validate(headers=seeded.headers, checks=CHECKS)

    run()


CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture
def live_api(app: Flask, seeded: Seed) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_schemathesis_with_every_check_finds_no_mismatch(live_api: str, seeded: Seed, tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("st")
    run = subprocess.run(  # noqa: S603 - our own virtualenv's schemathesis, against our own server
        [str(cli), "--no-color", "--config-file", str(CONFIG), "run", f"{live_api}/api/v1/openapi.json",
         "-H", f"Authorization: {seeded.headers['Authorization']}", "--checks", "all",
         "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", "25", "--seed", "13",
         "--generation-deterministic", "--no-shrink"],
        capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path,  # its cache goes there
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Authentication failed" not in run.stdout  # every operation was really reached
