"""Shopify test support: the real Admin schema (built once) and a stand-in checking each document's schema and cost."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphql
import pytest
import requests
import responses
from graphql.execution.values import get_variable_values

from platforms.shopify.client import AdminClient
from platforms.shopify.throttle import InProcessLimiter
from tests.shopify_cost import MAX_SINGLE_QUERY_COST, requested_cost

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "shopify"
SHOP = "test-shop.myshopify.com"
ADMIN_URL = "https://{shop}/admin/api/{version}"
GRAPHQL_URL = f"https://{SHOP}/admin/api/2026-10/graphql.json"


def schema_path() -> Path:
    override = os.environ.get("SHOPIFY_SCHEMA")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "shopify" / "admin_2026-10.graphql"


@functools.cache
def cached_admin_schema() -> graphql.GraphQLSchema:
    """Shopify's Admin GraphQL schema 2026-10, built once per process (it takes seconds).

    A plain function as well as a fixture, so integration tests reuse the same build.
    """
    path = schema_path()
    if not path.exists():
        pytest.fail(f"Shopify schema not found at {path}; set SHOPIFY_SCHEMA")
    return graphql.build_schema(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def admin_schema() -> graphql.GraphQLSchema:
    return cached_admin_schema()


def load_fixture(name: str) -> dict[str, Any]:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class FakeTime:
    """A clock that moves only when someone sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 10_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass(frozen=True)
class Call:
    """One GraphQL request the stand-in received."""

    operation: str  # the first root field, e.g. "refundCreate"
    query: str
    variables: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Raw:
    """A reply given as is: status, JSON body and headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Reply = dict[str, Any] | Raw | Exception | Callable[[Call], Any]

GENEROUS_BUCKET = {"maximumAvailable": 2000.0, "currentlyAvailable": 1990.0, "restoreRate": 100.0}


class FakeShopify:
    """Answers Admin GraphQL calls by root field, after checking each document against the schema.

    A reply that is a dict is the value of the root field (wrapped in data/extensions);
    replies queue up per field and the last one repeats.
    """

    def __init__(self, rsps: responses.RequestsMock, schema: graphql.GraphQLSchema) -> None:
        self.schema = schema
        self.rsps = rsps  # for other hosts a test needs (bulk export files, token endpoint)
        self.calls: list[Call] = []
        self.invalid: list[str] = []
        self.costs: list[int] = []
        self._replies: dict[str, list[Reply]] = {}
        rsps.add_callback(responses.POST, GRAPHQL_URL, callback=self._answer)

    def on(self, operation: str, *replies: Reply) -> None:
        self._replies.setdefault(operation, []).extend(replies)

    def calls_to(self, operation: str) -> list[Call]:
        return [c for c in self.calls if c.operation == operation]

    def _check(self, query: str, variables: dict[str, Any]) -> str:
        document = graphql.parse(query)
        errors = graphql.validate(self.schema, document)
        operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
        assert len(operations) == 1
        operation = operations[0]
        coerced = get_variable_values(self.schema, operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            errors = [*errors, *coerced]
        if errors:
            self.invalid.append(query)
            raise AssertionError("document refused by the Shopify schema: " + "; ".join(e.message for e in errors))
        # Shopify would refuse it (MAX_COST_EXCEEDED) with the variables actually sent.
        cost = requested_cost(self.schema, document, variables)
        self.costs.append(cost)
        if cost > MAX_SINGLE_QUERY_COST:
            self.invalid.append(query)
            raise AssertionError(f"Shopify would refuse this query: it requests {cost} points")
        first = operation.selection_set.selections[0]
        assert isinstance(first, graphql.FieldNode)
        return first.name.value

    def _answer(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body or b"{}")
        variables = body.get("variables") or {}
        name = self._check(body["query"], variables)
        call = Call(name, body["query"], variables, dict(request.headers))
        self.calls.append(call)
        queue = self._replies.get(name)
        if not queue:
            raise AssertionError(f"the stand-in has no reply for {name}")
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(reply) and not isinstance(reply, Exception):
            reply = reply(call)
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, Raw):
            return reply.status, reply.headers, json.dumps(reply.body)
        return 200, {}, json.dumps(
            {"data": {name: reply}, "extensions": {"cost": {"requestedQueryCost": 10, "throttleStatus": GENEROUS_BUCKET}}}
        )


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def shopify(admin_schema: graphql.GraphQLSchema) -> Iterator[FakeShopify]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeShopify(rsps, admin_schema)
        yield fake
    assert not fake.invalid, "a document failed schema validation"


@pytest.fixture
def client(shopify: FakeShopify, fake_time: FakeTime) -> AdminClient:
    return AdminClient(
        SHOP,
        "shpat_test",
        admin_url=ADMIN_URL,
        limiter=InProcessLimiter(sleep=fake_time.sleep, clock=fake_time.clock),
        sleep=fake_time.sleep,
    )
