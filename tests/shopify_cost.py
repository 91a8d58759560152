"""Shopify's query cost, computed from the real Admin schema: requested cost before a call, actual cost after.

The rules (PLATFORMS.md B6; shopify.dev rate limits; Shopify engineering, "Rate limiting
GraphQL APIs by calculating query complexity"):
- a scalar or enum field costs 0;
- an object costs 1 plus what is selected inside it;
- a connection costs 2 plus `first`/`last` times the cost of one node (the node's own 1
  plus its selection); `pageInfo`, `edges` and `cursor` are covered by the 2;
- a list field that takes `first` is sized the same way (`first` times one element); a
  list without a size counts one element;
- an interface or union costs its most expensive possible selection;
- a mutation's root field costs 10 (in place of its payload object's 1) plus its selection;
- variables count with the values sent (else their declared default).

`actual_cost` prices an answer the same way with the nodes actually returned (what
Shopify takes from the bucket once the query ran). Test support: graphql-core only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import graphql
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

MAX_SINGLE_QUERY_COST = 1000
MUTATION_COST = 10
CONNECTION_COST = 2


class CostError(ValueError):
    """A document whose cost cannot be computed (unknown field, connection without a size)."""


def _is_list(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _is_connection(named: GraphQLNamedType) -> bool:
    return (
        isinstance(named, GraphQLObjectType)
        and named.name.endswith("Connection")
        and "pageInfo" in named.fields
    )


class _Pricer:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]) -> None:
        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.variables = dict(variables)
        self.defaults: dict[str, Any] = {}

    # ---- arguments ----

    def argument(self, field: FieldNode, name: str) -> Any:
        for arg in field.arguments or ():
            if arg.name.value != name:
                continue
            value = arg.value
            if isinstance(value, graphql.VariableNode):
                var = value.name.value
                if var in self.variables:
                    return self.variables[var]
                return self.defaults.get(var)
            return graphql.value_from_ast_untyped(value)
        return None

    def size(self, field: FieldNode, required: bool, where: str) -> int:
        first = self.argument(field, "first")
        last = self.argument(field, "last")
        size = first if first is not None else last
        if size is None:
            if required:
                raise CostError(f"{where}: a connection needs first or last")
            return 1
        return int(size)

    # ---- selections ----

    def _applies(self, condition: str | None, concrete: GraphQLObjectType) -> bool:
        if condition is None or condition == concrete.name:
            return True
        target = self.schema.get_type(condition)
        if isinstance(target, GraphQLInterfaceType | GraphQLUnionType):
            return self.schema.is_sub_type(target, concrete)
        return False

    def fields_for(self, selection_set: SelectionSetNode | None, concrete: GraphQLObjectType) -> list[FieldNode]:
        """The fields a selection asks of one concrete type, fragments expanded."""
        found: list[FieldNode] = []
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else None
                if self._applies(condition, concrete):
                    found.extend(self.fields_for(selection.selection_set, concrete))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                if self._applies(fragment.type_condition.name.value, concrete):
                    found.extend(self.fields_for(fragment.selection_set, concrete))
        return found

    def concrete_types(self, named: GraphQLNamedType) -> Sequence[GraphQLObjectType]:
        if isinstance(named, GraphQLObjectType):
            return [named]
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            return list(self.schema.get_possible_types(named))
        return []

    # ---- requested cost ----

    def inside(self, named: GraphQLNamedType, selection_set: SelectionSetNode | None) -> int:
        """What a selection inside an object of this type costs (without the object's own 1)."""
        best = 0
        for concrete in self.concrete_types(named):
            total = sum(self.field_cost(concrete, f) for f in self.fields_for(selection_set, concrete))
            best = max(best, total)
        return best

    def node_cost(self, named: GraphQLNamedType, selection_set: SelectionSetNode | None) -> int:
        return 1 + self.inside(named, selection_set)

    def field_def(self, parent: GraphQLObjectType, field: FieldNode) -> GraphQLField | None:
        if field.name.value.startswith("__"):
            return None
        definition = parent.fields.get(field.name.value)
        if definition is None:
            raise CostError(f"{parent.name} has no field {field.name.value}")
        return definition

    def field_cost(self, parent: GraphQLObjectType, field: FieldNode) -> int:
        definition = self.field_def(parent, field)
        if definition is None:
            return 0
        named = graphql.get_named_type(definition.type)
        where = f"{parent.name}.{field.name.value}"
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            return 0
        if _is_connection(named):
            assert isinstance(named, GraphQLObjectType)
            return CONNECTION_COST + self.size(field, True, where) * self.per_node(named, field.selection_set)
        node = self.node_cost(named, field.selection_set)
        if _is_list(definition.type):
            return self.size(field, False, where) * node
        return node

    def per_node(self, connection: GraphQLObjectType, selection_set: SelectionSetNode | None) -> int:
        """The cost of one node of a connection, as selected through `nodes` or `edges { node }`."""
        total = 0
        for field in self.fields_for(selection_set, connection):
            name = field.name.value
            if name == "nodes":
                node_type = graphql.get_named_type(connection.fields["nodes"].type)
                total += self.node_cost(node_type, field.selection_set)
            elif name == "edges":
                edge_type = graphql.get_named_type(connection.fields["edges"].type)
                assert isinstance(edge_type, GraphQLObjectType)
                for inner in self.fields_for(field.selection_set, edge_type):
                    if inner.name.value == "node":
                        node_type = graphql.get_named_type(edge_type.fields["node"].type)
                        total += self.node_cost(node_type, inner.selection_set)
        return total

    # ---- actual cost ----

    def actual_inside(self, named: GraphQLNamedType, selection_set: SelectionSetNode | None, value: Any) -> int:
        if not isinstance(value, Mapping):
            return 0
        concrete = self.concrete_types(named)
        if len(concrete) > 1:
            typename = value.get("__typename")
            picked = [c for c in concrete if c.name == typename]
            # Without __typename the answer does not say which branch it is: the dearest.
            concrete = picked or concrete
        best = 0
        for type_ in concrete:
            total = 0
            for field in self.fields_for(selection_set, type_):
                key = field.alias.value if field.alias else field.name.value
                if key in value:
                    total += self.actual_field(type_, field, value[key])
            best = max(best, total)
        return best

    def actual_field(self, parent: GraphQLObjectType, field: FieldNode, value: Any) -> int:
        definition = self.field_def(parent, field)
        if definition is None or value is None:
            return 0
        named = graphql.get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            return 0
        if _is_connection(named):
            assert isinstance(named, GraphQLObjectType)
            total = CONNECTION_COST
            for inner in self.fields_for(field.selection_set, named):
                key = inner.alias.value if inner.alias else inner.name.value
                items = value.get(key) or []
                if inner.name.value == "nodes":
                    node_type = graphql.get_named_type(named.fields["nodes"].type)
                    total += sum(1 + self.actual_inside(node_type, inner.selection_set, n) for n in items if n)
                elif inner.name.value == "edges":
                    edge_type = graphql.get_named_type(named.fields["edges"].type)
                    assert isinstance(edge_type, GraphQLObjectType)
                    node_type = graphql.get_named_type(edge_type.fields["node"].type)
                    for node_field in self.fields_for(inner.selection_set, edge_type):
                        if node_field.name.value == "node":
                            nkey = node_field.alias.value if node_field.alias else "node"
                            total += sum(1 + self.actual_inside(node_type, node_field.selection_set, e.get(nkey))
                                         for e in items if e and e.get(nkey))
            return total
        if isinstance(value, list):
            return sum(1 + self.actual_inside(named, field.selection_set, v) for v in value if v is not None)
        return 1 + self.actual_inside(named, field.selection_set, value)


def _operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        raise CostError("the document must hold exactly one operation (or name it)")
    return operations[0]


def _prepare(
    schema: GraphQLSchema, document: str | DocumentNode, variables: Mapping[str, Any] | None,
    operation_name: str | None,
) -> tuple[_Pricer, OperationDefinitionNode, GraphQLObjectType]:
    parsed = graphql.parse(document) if isinstance(document, str) else document
    operation = _operation(parsed, operation_name)
    pricer = _Pricer(schema, parsed, variables or {})
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            pricer.defaults[definition.variable.name.value] = graphql.value_from_ast_untyped(definition.default_value)
    root = schema.mutation_type if operation.operation is graphql.OperationType.MUTATION else schema.query_type
    if root is None:
        raise CostError(f"the schema has no {operation.operation.value} type")
    return pricer, operation, root


def requested_cost(
    schema: GraphQLSchema,
    document: str | DocumentNode,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> int:
    """The cost Shopify computes before running the document with these variables."""
    pricer, operation, root = _prepare(schema, document, variables, operation_name)
    total = 0
    for field in pricer.fields_for(operation.selection_set, root):
        if operation.operation is graphql.OperationType.MUTATION and not field.name.value.startswith("__"):
            definition = pricer.field_def(root, field)
            assert definition is not None
            total += MUTATION_COST + pricer.inside(graphql.get_named_type(definition.type), field.selection_set)
        else:
            total += pricer.field_cost(root, field)
    return total


def actual_cost(
    schema: GraphQLSchema,
    document: str | DocumentNode,
    variables: Mapping[str, Any] | None,
    data: Mapping[str, Any] | None,
    operation_name: str | None = None,
) -> int:
    """The cost of an answer: the same rules, counting the nodes actually returned."""
    pricer, operation, root = _prepare(schema, document, variables, operation_name)
    total = 0
    for field in pricer.fields_for(operation.selection_set, root):
        key = field.alias.value if field.alias else field.name.value
        value = (data or {}).get(key)
        if operation.operation is graphql.OperationType.MUTATION and not field.name.value.startswith("__"):
            definition = pricer.field_def(root, field)
            assert definition is not None
            total += MUTATION_COST + pricer.actual_inside(
                graphql.get_named_type(definition.type), field.selection_set, value
            )
        else:
            total += pricer.actual_field(root, field, value)
    return total
