"""Declaring an API operation once: the Flask route, its parsing with pydantic, and its OpenAPI entry.

`operation(...)` registers a view; `openapi_document()` builds the OpenAPI 3.1 document from
the same pydantic models that parse requests and shape answers, so the two cannot drift.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from connector.web.api.errors import ApiError, from_validation
from connector.web.api.schemas import Error

PREFIX = "/api/v1"
INT_MAX = 2**31 - 1  # ids are 32-bit columns; a larger one cannot exist

# Every authenticated operation can answer these; the rest are declared per operation.
COMMON_ERRORS = {
    400: "Malformed JSON or an invalid query parameter.",
    401: "Missing, unknown or revoked bearer token.",
    429: "Too many requests for this token; see Retry-After.",
}
ERROR_TEXTS = {
    404: "Not found in this shop (or a `cursor` this API never gave).",
    409: "The return's status does not allow this action, or the shop already has 20 endpoints.",
    422: "The request is well-formed but refused; `error.field` names what is wrong.",
}


@dataclass
class Operation:
    method: str
    path: str
    name: str
    summary: str
    tag: str
    status: int
    answer: type[BaseModel] | None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    description: str = ""


OPERATIONS: list[Operation] = []

# A view gets the shop, the path parameters, then `body` and `query` when declared.
Authenticate = Callable[[], int]
Result = BaseModel | tuple[BaseModel, dict[str, str]] | None
View = Callable[..., Any]


def string_param(max_length: int, description: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length, "description": description}


def id_param(description: str) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": INT_MAX, "description": description}


def _check_path_value(value: Any) -> None:
    # A path value we could never have stored is simply not found (NUL, lone surrogates, huge ids).
    if isinstance(value, int) and not 1 <= value <= INT_MAX:
        raise ApiError(404, "not_found", "no such resource in this shop")
    if isinstance(value, str):
        if "\x00" in value or len(value) > 100:
            raise ApiError(404, "not_found", "no such resource in this shop")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ApiError(404, "not_found", "no such resource in this shop") from None


def _parse_body(model: type[BaseModel]) -> BaseModel:
    raw = request.get_data(cache=True)
    if not raw.strip():
        raw = b"{}"  # an action without parameters may be POSTed with no body at all
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise from_validation(exc, where="body") from None


def _parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise from_validation(exc, where="query") from None


def _respond(result: Result, status: int) -> Response:
    if result is None:
        return Response(status=status)
    headers: dict[str, str] = {}
    if isinstance(result, tuple):
        result, headers = result
    response = Response(result.model_dump_json(), status=status, mimetype="application/json")
    response.headers.update(headers)
    return response


def operation(
    bp: Blueprint, authenticate: Authenticate, method: str, path: str, *, summary: str, tag: str,
    answer: type[BaseModel] | None, status: int = 200, body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None, path_params: dict[str, dict[str, Any]] | None = None,
    errors: tuple[int, ...] = (), description: str = "",
) -> Callable[[View], View]:
    """Route `method PREFIX+path` to the view, parsing and answering as declared."""
    path_params = path_params or {}

    def register(view: View) -> View:
        flask_path = PREFIX + path
        for name, schema in path_params.items():
            converter = "int:" if schema.get("type") == "integer" else ""
            flask_path = flask_path.replace("{" + name + "}", f"<{converter}{name}>")

        @functools.wraps(view)
        def handle(**params: Any) -> Response:
            shop_id = authenticate()
            for value in params.values():
                _check_path_value(value)
            kwargs: dict[str, Any] = dict(params)
            if query is not None:
                kwargs["query"] = _parse_query(query)
            if body is not None:
                kwargs["body"] = _parse_body(body)
            return _respond(view(shop_id, **kwargs), status)

        bp.add_url_rule(flask_path, endpoint=view.__name__, view_func=handle, methods=[method])
        OPERATIONS.append(Operation(method=method.lower(), path=PREFIX + path, name=view.__name__,
                                    summary=summary, tag=tag, status=status, answer=answer, body=body,
                                    query=query, path_params=path_params, errors=errors,
                                    description=description or (view.__doc__ or "").strip()))
        return view

    return register


# ---- the document ----

def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is left out rather than null: drop the null branch pydantic writes."""
    schema = {k: v for k, v in schema.items() if k not in ("default", "title")} | (
        {"default": schema["default"]} if schema.get("default") is not None else {})
    options = schema.get("anyOf")
    if options:
        kept = [option for option in options if option != {"type": "null"}]
        if len(kept) == 1:
            del schema["anyOf"]
            schema.update(kept[0])
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def openapi_document(title: str, version: str) -> dict[str, Any]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Error, "serialization")]
    for op in OPERATIONS:
        modes: tuple[tuple[type[BaseModel] | None, JsonSchemaMode], ...] = (
            (op.body, "validation"), (op.query, "validation"), (op.answer, "serialization"))
        for model, mode in modes:
            if model is not None and (model, mode) not in wanted:
                wanted.append((model, mode))
    refs, defs = models_json_schema(wanted, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))

    def named(model: type[BaseModel], mode: JsonSchemaMode) -> str:
        return str(refs[(model, mode)]["$ref"]).rsplit("/", 1)[1]

    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        parameters: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True, "schema": schema}
            for name, schema in op.path_params.items()
        ]
        if op.query is not None:
            query_schema = schemas.pop(named(op.query, "validation"), None) or {}
            required = set(query_schema.get("required", ()))
            for name, prop in query_schema.get("properties", {}).items():
                parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required,
                                             "schema": _without_null(prop)}
                if "description" in prop:
                    parameter["description"] = prop["description"]
                parameters.append(parameter)
        responses: dict[str, Any] = {}
        if op.answer is None:
            responses[str(op.status)] = {"description": "Done; no content."}
        else:
            responses[str(op.status)] = {"description": op.summary, "content": {
                "application/json": {"schema": _ref(named(op.answer, "serialization"))}}}
        error_codes = dict(COMMON_ERRORS)
        error_codes.update({code: ERROR_TEXTS[code] for code in op.errors})
        if op.path_params:
            error_codes[404] = ERROR_TEXTS[404]
        if op.body is not None:
            error_codes[422] = ERROR_TEXTS[422]
        for code in sorted(error_codes):
            responses[str(code)] = {"description": error_codes[code], "content": {
                "application/json": {"schema": _ref(named(Error, "serialization"))}}}
        entry: dict[str, Any] = {"operationId": op.name, "summary": op.summary, "tags": [op.tag],
                                 "parameters": parameters, "responses": responses}
        if op.description:
            entry["description"] = op.description
        if op.body is not None:
            # Actions without parameters may be POSTed with no body at all.
            needed = any(f.is_required() for f in op.body.model_fields.values())
            entry["requestBody"] = {"required": needed, "content": {
                "application/json": {"schema": _ref(named(op.body, "validation"))}}}
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "The merchant API of returns-connector. Every answer is scoped to the shop "
                                "of the bearer token; errors are `{\"error\": {\"code\", \"message\"}}`."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "A token from `returns-connector api-token create --shop SHOP`."}}},
        "security": [{"bearer": []}],
    }
