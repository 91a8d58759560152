"""Every document the adapter sends is valid against Shopify's real Admin schema."""

from __future__ import annotations

import graphql
import pytest

from platforms.shopify import queries

DOCUMENTS = {**queries.ALL_DOCUMENTS, "bulk_orders_query": queries.bulk_orders_query("updated_at:>='2025-01-01'")}


def test_the_module_lists_every_document() -> None:
    assert {"REFUND_CREATE", "ORDER_BY_ID", "RETURN_PROCESS", "BULK_OPERATION_RUN_QUERY"} <= set(DOCUMENTS)
    assert len(DOCUMENTS) >= 25


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_document_validates_against_the_admin_schema(
    name: str, admin_schema: graphql.GraphQLSchema
) -> None:
    errors = graphql.validate(admin_schema, graphql.parse(DOCUMENTS[name]))
    assert [e.message for e in errors] == []


def test_refund_create_carries_the_idempotency_directive() -> None:
    document = graphql.parse(queries.REFUND_CREATE)
    operation = document.definitions[0]
    assert isinstance(operation, graphql.OperationDefinitionNode)
    field = operation.selection_set.selections[0]
    assert isinstance(field, graphql.FieldNode)
    assert [d.name.value for d in field.directives or ()] == ["idempotent"]


def test_bulk_query_search_is_escaped_as_a_string_literal(admin_schema: graphql.GraphQLSchema) -> None:
    document = queries.bulk_orders_query('name:"#1001" \\ evil } {')
    assert graphql.validate(admin_schema, graphql.parse(document)) == []
