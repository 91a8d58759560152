"""Every document the Shopify adapter can send fits Shopify's cost limits, priced from the real schema.

Shopify refuses a query above 1,000 requested points (MAX_COST_EXCEEDED) and runs
nothing; the adapter keeps routine reads at 500 or less so a page never waits for a
whole bucket. Sizes given by variables are priced with the values the code sends.
"""

from __future__ import annotations

import ast
from pathlib import Path

import graphql
import pytest

from platforms.shopify import gateway, queries
from tests.shopify_cost import MAX_SINGLE_QUERY_COST, requested_cost

ROUTINE_LIMIT = 500
PLATFORM = Path(__file__).resolve().parents[3] / "platforms" / "shopify"

# The values the code sends for variables that size a connection.
SIZES: dict[str, dict[str, int]] = {
    "ORDERS_PAGE": {"first": gateway.PAGE_SIZE},
    "RETURNS_SINCE": {"first": gateway.RETURNS_PAGE_SIZE},
}


def _sent_documents() -> set[str]:
    """Every `queries.X` the adapter names, after checking that each execute/mutate call sends one.

    A call may also forward a parameter named `document` (the transport, and the
    helper that pages a connection): its callers name the constant.
    """
    names: set[str] = set()
    for path in PLATFORM.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "queries":
                names.add(node.attr)
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("execute", "mutate") and node.args):
                first = node.args[0]
                named = isinstance(first, ast.Attribute) and isinstance(first.value, ast.Name) \
                    and first.value.id == "queries"
                forwarded = isinstance(first, ast.Name) and first.id == "document"
                assert named or forwarded, (
                    f"{path.name}:{node.lineno} sends a document that is not a queries constant: "
                    "it would escape the cost test")
    return {name for name in names if isinstance(getattr(queries, name), str) and name.isupper()
            and getattr(queries, name).lstrip().startswith(("query", "mutation"))}


def test_every_document_the_adapter_sends_is_a_listed_constant() -> None:
    sent = _sent_documents()
    assert len(sent) >= 30, sent
    assert sent <= set(queries.ALL_DOCUMENTS), sent - set(queries.ALL_DOCUMENTS)


@pytest.mark.parametrize("name", sorted(queries.ALL_DOCUMENTS))
def test_no_document_requests_more_than_shopify_allows(name: str, admin_schema: graphql.GraphQLSchema) -> None:
    cost = requested_cost(admin_schema, queries.ALL_DOCUMENTS[name], SIZES.get(name, {}))
    assert cost <= MAX_SINGLE_QUERY_COST, f"{name} requests {cost} points"
    assert cost <= ROUTINE_LIMIT, f"{name} requests {cost} points, more than a routine read may"


def test_a_backfill_page_and_an_order_head_stay_within_a_routine_read(admin_schema: graphql.GraphQLSchema) -> None:
    page = requested_cost(admin_schema, queries.ORDERS_PAGE, {"first": gateway.PAGE_SIZE})
    one_more = requested_cost(admin_schema, queries.ORDERS_PAGE, {"first": gateway.PAGE_SIZE + 1})
    assert page <= ROUTINE_LIMIT < one_more, "the page size is the largest that fits"
    assert requested_cost(admin_schema, queries.ORDER_BY_ID) <= ROUTINE_LIMIT


@pytest.mark.parametrize("name", sorted(queries.ALL_DOCUMENTS))
def test_the_cost_the_client_reserves_first_is_the_one_shopify_will_compute(
    name: str, admin_schema: graphql.GraphQLSchema
) -> None:
    expected = requested_cost(admin_schema, queries.ALL_DOCUMENTS[name], SIZES.get(name, {}))
    assert queries.REQUESTED_COSTS.get(name) == expected, f"set REQUESTED_COSTS[{name!r}] = {expected}"
    assert queries.requested_cost_of(queries.ALL_DOCUMENTS[name]) == expected
