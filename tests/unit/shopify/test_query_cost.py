"""The query-cost calculator follows Shopify's rules, checked on documents priced by hand."""

from __future__ import annotations

from pathlib import Path

import graphql
import pytest

from tests.shopify_cost import CostError, actual_cost, requested_cost

BEFORE = Path(__file__).resolve().parents[2] / "fixtures" / "shopify" / "documents_before_issue12"


def test_a_scalar_is_free_and_an_object_costs_one(admin_schema: graphql.GraphQLSchema) -> None:
    assert requested_cost(admin_schema, "{ shop { name currencyCode } }") == 1
    assert requested_cost(admin_schema, "{ shop { name billingAddress { zip } } }") == 2


def test_a_connection_costs_two_plus_first_times_one_node(admin_schema: graphql.GraphQLSchema) -> None:
    # 2 + 3 x (order 1 + customer 1); pageInfo is inside the 2.
    doc = "{ orders(first: 3) { pageInfo { hasNextPage } nodes { id customer { id } } } }"
    assert requested_cost(admin_schema, doc) == 8
    edges = "{ orders(first: 3) { edges { cursor node { id customer { id } } } } }"
    assert requested_cost(admin_schema, edges) == 8
    assert requested_cost(admin_schema, "{ orders(last: 7) { nodes { id } } }") == 2 + 7


def test_nested_connections_multiply(admin_schema: graphql.GraphQLSchema) -> None:
    # 2 + 10 x (1 + (2 + 100 x (1 + variant 1)))
    doc = "{ orders(first: 10) { nodes { lineItems(first: 100) { nodes { id variant { id } } } } } }"
    assert requested_cost(admin_schema, doc) == 2 + 10 * (1 + 2 + 100 * 2)


def test_a_list_taking_first_is_sized_by_it_and_one_without_counts_once(admin_schema: graphql.GraphQLSchema) -> None:
    # order 1 + fulfillments 4 x 1
    assert requested_cost(admin_schema, 'query { order(id: "gid://shopify/Order/1") { fulfillments(first: 4) { id } } }') == 5
    # order 1 + lineItems 2 + 2 x (line 1 + taxLines: one element (1 + priceSet 1))
    doc = 'query { order(id: "gid://shopify/Order/1") { lineItems(first: 2) { nodes { taxLines { priceSet { __typename } } } } } }'
    assert requested_cost(admin_schema, doc) == 1 + 2 + 2 * (1 + 2)


def test_an_interface_costs_its_dearest_branch(admin_schema: graphql.GraphQLSchema) -> None:
    # Return 1 + returnLineItems 2 + 5 x (1 + ReturnLineItem's fulfillmentLineItem { lineItem } = 2)
    doc = """query { return(id: "gid://shopify/Return/1") { returnLineItems(first: 5) { nodes {
      id quantity
      ... on ReturnLineItem { fulfillmentLineItem { lineItem { id } } }
      ... on UnverifiedReturnLineItem { unitPrice { amount } }
    } } } }"""
    assert requested_cost(admin_schema, doc) == 1 + 2 + 5 * 3


def test_a_union_costs_its_dearest_branch(admin_schema: graphql.GraphQLSchema) -> None:
    # node 1 + codeDiscount: DiscountCodeBasic (1 + codes 2 + 4 x 1) beats DiscountCodeBxgy (1)
    doc = """query { codeDiscountNodeByCode(code: "X") { id codeDiscount {
      ... on DiscountCodeBasic { title codes(first: 4) { nodes { code } } }
      ... on DiscountCodeBxgy { title }
    } } }"""
    assert requested_cost(admin_schema, doc) == 1 + 1 + 2 + 4


def test_a_mutation_costs_ten_plus_its_selection(admin_schema: graphql.GraphQLSchema) -> None:
    doc = 'mutation { returnClose(id: "gid://shopify/Return/1") { return { id } userErrors { field } } }'
    # 10 + return 1 + userErrors (a list, one element) 1
    assert requested_cost(admin_schema, doc) == 12


def test_variables_count_with_the_values_sent(admin_schema: graphql.GraphQLSchema) -> None:
    doc = "query Q($n: Int = 4) { orders(first: $n) { nodes { id } } }"
    assert requested_cost(admin_schema, doc, {"n": 50}) == 52
    assert requested_cost(admin_schema, doc) == 6  # the declared default
    with pytest.raises(CostError):
        requested_cost(admin_schema, "query Q($n: Int) { orders(first: $n) { nodes { id } } }")


def test_a_connection_without_a_size_cannot_be_priced(admin_schema: graphql.GraphQLSchema) -> None:
    with pytest.raises(CostError):
        requested_cost(admin_schema, "{ orders { nodes { id } } }")


def test_the_actual_cost_counts_the_nodes_returned(admin_schema: graphql.GraphQLSchema) -> None:
    doc = "{ orders(first: 10) { nodes { id customer { id } } } }"
    data = {"orders": {"nodes": [{"id": "1", "customer": {"id": "c"}}, {"id": "2", "customer": None}]}}
    assert actual_cost(admin_schema, doc, {}, data) == 2 + 2 + 1
    assert actual_cost(admin_schema, doc, {}, {"orders": {"nodes": []}}) == 2


@pytest.mark.parametrize(("name", "variables", "cost"), [
    ("ORDERS_PAGE", {"first": 10}, 96_292),
    ("ORDER_SEARCH", {}, 48_147),
    ("ORDER_BY_ID", {}, 9_629),
    ("RETURNABLE_FULFILLMENTS", {}, 6_062),
    ("RETURNS_SINCE", {"first": 10}, 2_232),
    ("ORDER_RETURNS", {}, 1_283),
    ("RETURN_BY_ID", {}, 1_182),
])
def test_the_calculator_gives_the_costs_issue_12_reported(
    name: str, variables: dict[str, int], cost: int, admin_schema: graphql.GraphQLSchema
) -> None:
    document = (BEFORE / f"{name}.graphql").read_text()
    assert requested_cost(admin_schema, document, variables) == cost
