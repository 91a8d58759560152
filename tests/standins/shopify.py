"""A Shopify Admin GraphQL stand-in of our own on 127.0.0.1 that keeps Shopify's rules.

Every request is checked the way Shopify checks it, in this order:
- the access token of the shop in the path (`/{shop}/admin/api/{version}/graphql.json`);
- the document against the real 2026-10 Admin schema (validation and variables);
- its requested cost (tests/shopify_cost.py, Shopify's rules): above 1,000 points the
  answer is MAX_COST_EXCEEDED and nothing runs;
- the shop's leaky bucket (`maximum` points, refilled at `restore_rate` a second, per
  plan): a query whose requested cost is not available is answered THROTTLED;
- `@idempotent(key:)` on a mutation: the same key gives back the first answer; it is
  required on refundCreate (mandatory since 2026-04).
Then the document is executed by graphql-core over the shop's state
(tests/standins/shopify_state.py) with real connections (first/after/last, cursors),
the actual cost is taken from the bucket, and every answer carries `extensions.cost`
(requestedQueryCost, actualQueryCost, throttleStatus). Mutations change the state
as Shopify documents and queue HMAC-signed webhooks, delivered to the subscribed
addresses by a thread of their own.

    with ShopifyStandIn(app_secret="...", maximum=1000, restore_rate=100) as standin:
        shop = standin.add_shop("my-shop.myshopify.com", "shpat_x")
        shop.add_order(1001, "claire@example.com", [("Robe", 1, "40.00")])
        standin.admin_url   # SHOPIFY_ADMIN_URL for the app

Test support only.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import graphql
import requests
from graphql import GraphQLObjectType

from tests.shopify_cost import MAX_SINGLE_QUERY_COST, actual_cost, requested_cost
from tests.standins.shopify_api import MUTATIONS, QUERIES, new_return
from tests.standins.shopify_state import JSON, ShopState, UserError, Webhook, bag, return_webhook

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "shared" / "shopify" / "admin_2026-10.graphql"
_PATH = re.compile(r"^/(?P<shop>[^/]+)/admin/api/(?P<version>[^/]+)/graphql\.json$")
IDEMPOTENT_REQUIRED = frozenset({"refundCreate"})


@functools.cache
def admin_schema() -> graphql.GraphQLSchema:
    """Shopify's Admin schema 2026-10, built once per process."""
    return graphql.build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))


@functools.cache
def _parsed(document: str) -> tuple[graphql.DocumentNode | None, tuple[str, ...]]:
    """Parse and validate once per document text (validation of the big schema is slow)."""
    try:
        parsed = graphql.parse(document)
    except graphql.GraphQLError as exc:
        return None, (exc.message,)
    errors = graphql.validate(admin_schema(), parsed)
    return parsed, tuple(e.message for e in errors)


# ---- the bucket ----

@dataclass
class Bucket:
    """Shopify's leaky bucket of one shop."""

    maximum: float
    restore_rate: float
    available: float = -1.0
    updated: float = field(default_factory=time.monotonic)
    spent: float = 0.0
    throttled: int = 0

    def __post_init__(self) -> None:
        if self.available < 0:
            self.available = self.maximum

    def refill(self) -> None:
        now = time.monotonic()
        self.available = min(self.maximum, self.available + (now - self.updated) * self.restore_rate)
        self.updated = now

    def status(self) -> JSON:
        return {"maximumAvailable": self.maximum, "currentlyAvailable": round(self.available, 2),
                "restoreRate": self.restore_rate}


# ---- connections ----

def _is_connection(type_: Any) -> bool:
    named = graphql.get_named_type(type_)
    return isinstance(named, GraphQLObjectType) and named.name.endswith("Connection") and "pageInfo" in named.fields


def _is_list(type_: Any) -> bool:
    while isinstance(type_, graphql.GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, graphql.GraphQLList)


def connection(items: Iterable[Any], first: int | None = None, after: str | None = None, last: int | None = None,
               before: str | None = None, reverse: bool = False, **_ignored: Any) -> JSON:
    """A GraphQL connection over a list, with Shopify-like opaque cursors."""
    nodes = list(items)
    if reverse:
        nodes.reverse()
    start, end = 0, len(nodes)
    if after:
        start = _cursor_index(after) + 1
    if before:
        end = _cursor_index(before)
    window = list(enumerate(nodes))[start:end]
    if first is not None:
        page, has_next, has_previous = window[:first], len(window) > first, start > 0
    elif last is not None:
        page, has_next, has_previous = window[-last:] if last else [], end < len(nodes), len(window) > last
    else:
        page, has_next, has_previous = window, False, start > 0
    cursors = [_cursor(i) for i, _ in page]
    return {
        "nodes": [n for _, n in page],
        "edges": [{"node": n, "cursor": c} for (_, n), c in zip(page, cursors, strict=True)],
        "pageInfo": {"hasNextPage": has_next, "hasPreviousPage": has_previous,
                     "startCursor": cursors[0] if cursors else None, "endCursor": cursors[-1] if cursors else None},
    }


def _cursor(index: int) -> str:
    return base64.b64encode(json.dumps({"last_id": index}).encode()).decode()


def _cursor_index(cursor: str) -> int:
    try:
        return int(json.loads(base64.b64decode(cursor))["last_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise graphql.GraphQLError(f"Invalid cursor for current pagination sort: {cursor!r}") from exc


# ---- the stand-in ----

class ShopifyStandIn:
    """The Admin GraphQL API of any number of shops, served on 127.0.0.1 (see the module docstring)."""

    def __init__(self, app_secret: str, *, maximum: float = 1000.0, restore_rate: float = 100.0,
                 webhook_delay: float = 0.2) -> None:
        self.app_secret = app_secret
        self.maximum = maximum
        self.restore_rate = restore_rate
        self.webhook_delay = webhook_delay
        self.shops: dict[str, ShopState] = {}
        self.buckets: dict[str, Bucket] = {}
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str, int, int | None]] = []  # (shop, root field, requested, actual)
        self.refused: list[tuple[str, str, str]] = []  # (shop, code, root field)
        self.deliveries: list[tuple[str, str, int]] = []  # (topic, webhook id, HTTP status or 0)
        self._idempotent: dict[tuple[str, str], JSON] = {}
        self._outbox: queue.Queue[tuple[str, Webhook] | None] = queue.Queue()
        # Called with (shop domain, root field) after a mutation ran, before its answer
        # leaves: a test can kill the app's worker at that moment.
        self.after_mutation: Callable[[str, str], None] | None = None
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        admin_schema()

    # ---- life ----

    def start(self) -> ShopifyStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    status, answer = standin.handle(self.path, dict(self.headers.items()), raw)
                except ConnectionAbortedError:
                    self.close_connection = True  # a test dropped the answer on purpose
                    return
                body = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller died waiting (a test killed it): Shopify did the work anyway

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        for target in (self._server.serve_forever, self._deliver_forever):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []

    def __enter__(self) -> ShopifyStandIn:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return int(self._server.server_address[1])

    @property
    def admin_url(self) -> str:
        """The value of SHOPIFY_ADMIN_URL that points the app here."""
        return f"http://127.0.0.1:{self.port}/{{shop}}/admin/api/{{version}}"

    def add_shop(self, domain: str, access_token: str, *, maximum: float | None = None,
                 restore_rate: float | None = None, currency: str = "EUR") -> ShopState:
        with self.lock:
            shop = ShopState(domain=domain, access_token=access_token, currency=currency)
            self.shops[domain] = shop
            self.buckets[domain] = Bucket(maximum or self.maximum, restore_rate or self.restore_rate)
            return shop

    # ---- a request ----

    def handle(self, path: str, headers: Mapping[str, str], raw: bytes) -> tuple[int, JSON]:
        matched = _PATH.match(path.split("?", 1)[0])
        shop = self.shops.get(matched.group("shop")) if matched else None
        if shop is None:
            return 404, {"errors": "Not Found"}
        token = next((v for k, v in headers.items() if k.lower() == "x-shopify-access-token"), "")
        if not hmac.compare_digest(token.encode(), shop.access_token.encode()):
            return 401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
        try:
            body = json.loads(raw)
            document = str(body["query"])
            variables = body.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}
        parsed, problems = _parsed(document)
        if parsed is None or problems:
            return 200, {"errors": [{"message": m, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
                                    for m in problems]}
        operation = next(d for d in parsed.definitions if isinstance(d, graphql.OperationDefinitionNode))
        root_field = next(s.name.value for s in operation.selection_set.selections
                          if isinstance(s, graphql.FieldNode))
        coerced = graphql.execution.values.get_variable_values(
            admin_schema(), operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            return 200, {"errors": [{"message": e.message, "extensions": {"code": "INVALID_VARIABLE"}}
                                    for e in coerced]}
        requested = requested_cost(admin_schema(), parsed, variables)
        with self.lock:
            bucket = self.buckets[shop.domain]
            bucket.refill()
            if requested > MAX_SINGLE_QUERY_COST:
                self.refused.append((shop.domain, "MAX_COST_EXCEEDED", root_field))
                return 200, {"errors": [{
                    "message": f"Query cost is {requested}, which exceeds the single query max cost limit "
                               f"({MAX_SINGLE_QUERY_COST}).",
                    "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested,
                                   "maxCost": MAX_SINGLE_QUERY_COST}}],
                    "extensions": self._cost(requested, None, bucket)}
            if requested > bucket.available:
                bucket.throttled += 1
                self.refused.append((shop.domain, "THROTTLED", root_field))
                return 200, {"errors": [{"message": "Throttled", "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                    "extensions": self._cost(requested, None, bucket)}
            is_mutation = operation.operation is graphql.OperationType.MUTATION
            key = self._idempotency_key(operation, variables) if is_mutation else None
            if is_mutation and key is None and root_field in IDEMPOTENT_REQUIRED:
                return 200, {"errors": [{"message": f"The @idempotent directive is required for {root_field}.",
                                         "extensions": {"code": "BAD_REQUEST"}}]}
            if key is not None and (shop.domain, key) in self._idempotent:
                data = self._idempotent[(shop.domain, key)]
            else:
                result = graphql.execute(
                    admin_schema(), parsed, root_value=_Root(self, shop), variable_values=variables,
                    field_resolver=_resolve, type_resolver=_type_of,
                )
                if result.errors:
                    return 200, {"errors": [e.formatted for e in result.errors],
                                 "extensions": self._cost(requested, None, bucket)}
                data = result.data or {}
                if key is not None:
                    self._idempotent[(shop.domain, key)] = data
            actual = actual_cost(admin_schema(), parsed, variables, data)
            bucket.available -= actual
            bucket.spent += actual
            self.requests.append((shop.domain, root_field, requested, actual))
            extensions = self._cost(requested, actual, bucket)
        if is_mutation and self.after_mutation is not None:
            self.after_mutation(shop.domain, root_field)
        return 200, {"data": data, "extensions": extensions}

    @staticmethod
    def _cost(requested: int, actual: int | None, bucket: Bucket) -> JSON:
        return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                         "throttleStatus": bucket.status()}}

    @staticmethod
    def _idempotency_key(operation: graphql.OperationDefinitionNode, variables: Mapping[str, Any]) -> str | None:
        for selection in operation.selection_set.selections:
            if not isinstance(selection, graphql.FieldNode):
                continue
            for directive in selection.directives or ():
                if directive.name.value != "idempotent":
                    continue
                for arg in directive.arguments or ():
                    if arg.name.value == "key":
                        value = arg.value
                        if isinstance(value, graphql.VariableNode):
                            return str(variables.get(value.name.value))
                        return str(graphql.value_from_ast_untyped(value))
        return None

    # ---- webhooks ----

    def emit(self, shop: ShopState, webhook: Webhook) -> None:
        self._outbox.put((shop.domain, webhook))

    def _deliver_forever(self) -> None:
        session = requests.Session()
        while True:
            item = self._outbox.get()
            if item is None:
                return
            domain, webhook = item
            time.sleep(self.webhook_delay)  # Shopify delivers after the answer, not during it
            shop = self.shops[domain]
            uri = shop.subscriptions.get(webhook.topic)
            if not uri:
                continue
            self._deliver(session, domain, uri, webhook)

    def _deliver(self, session: requests.Session, domain: str, uri: str, webhook: Webhook) -> None:
        raw = json.dumps(webhook.body).encode()
        digest = base64.b64encode(hmac.new(self.app_secret.encode(), raw, hashlib.sha256).digest()).decode()
        webhook_id = str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json", "X-Shopify-Topic": webhook.topic,
            "X-Shopify-Shop-Domain": domain, "X-Shopify-Hmac-Sha256": digest,
            "X-Shopify-Webhook-Id": webhook_id, "X-Shopify-Event-Id": webhook_id,
            "X-Shopify-API-Version": "2026-10",
            "X-Shopify-Triggered-At": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        # Shopify retries a failed delivery with the same body (8 times over 4 hours;
        # here 5 times over a few seconds).
        for attempt in range(5):
            try:
                status = session.post(uri, data=raw, headers=headers, timeout=5).status_code
            except requests.RequestException:
                status = 0
            self.deliveries.append((webhook.topic, webhook_id, status))
            if 200 <= status < 300:
                return
            time.sleep(0.5 * (attempt + 1))

    # ---- totals ----

    def refused_for(self, domain: str) -> list[tuple[str, str, str]]:
        return [r for r in self.refused if r[0] == domain]

    def calls_to(self, root_field: str) -> list[tuple[str, str, int, int | None]]:
        return [r for r in self.requests if r[1] == root_field]


class _Root:
    """The root value of an execution: the stand-in and the shop the request is for."""

    def __init__(self, standin: ShopifyStandIn, shop: ShopState) -> None:
        self.standin = standin
        self.shop = shop


def _type_of(value: Any, _info: graphql.GraphQLResolveInfo, _abstract: Any) -> str | None:
    return value.get("__typename") if isinstance(value, Mapping) else None


def _resolve(source: Any, info: graphql.GraphQLResolveInfo, **args: Any) -> Any:
    if isinstance(source, _Root):
        root = QUERIES if info.parent_type is admin_schema().query_type else MUTATIONS
        handler = root.get(info.field_name)
        if handler is None:
            raise graphql.GraphQLError(f"the stand-in does not implement {info.field_name}")
        if info.parent_type is admin_schema().mutation_type:
            try:
                return handler(source.standin, source.shop, **args)
            except UserError as exc:
                return {"userErrors": [_fit_code(exc.entry, info.return_type)]}
        value = handler(source.standin, source.shop, **args)
    elif isinstance(source, Mapping):
        value = source.get(info.field_name)
        if callable(value):
            value = value(**args)
    else:
        return None
    if _is_connection(info.return_type) and isinstance(value, list | tuple):
        return connection(value, **args)
    if _is_list(info.return_type) and isinstance(value, list) and args.get("first") is not None:
        return value[: args["first"]]
    return value


def _fit_code(entry: JSON, payload_type: Any) -> JSON:
    """A user error whose code is one the payload's error type can carry (each has its own enum)."""
    payload = graphql.get_named_type(payload_type)
    errors = payload.fields.get("userErrors") if isinstance(payload, GraphQLObjectType) else None
    error_type = graphql.get_named_type(errors.type) if errors else None
    code_field = error_type.fields.get("code") if isinstance(error_type, GraphQLObjectType) else None
    codes = graphql.get_named_type(code_field.type) if code_field else None
    if not isinstance(codes, graphql.GraphQLEnumType):
        return entry
    if entry["code"] in codes.values:
        return entry
    return {**entry, "code": "INVALID" if "INVALID" in codes.values else None}


def request_return(standin: ShopifyStandIn, shop: ShopState, order: JSON, lines: Iterable[tuple[JSON, int, str]]) -> JSON:
    """A shopper asks for a return in the shop (returnRequest): REQUESTED, and returns/request is sent."""
    with standin.lock:
        by_line = {fli["lineItem"]["id"]: fli for f in order["fulfillments"] for fli in f["fulfillmentLineItems"]}
        ret = new_return(shop, order, "REQUESTED", [(by_line[line["id"]], q, "", note) for line, q, note in lines])
        standin.emit(shop, Webhook("returns/request", return_webhook(ret)))
        return ret


__all__ = ["Bucket", "ShopState", "ShopifyStandIn", "admin_schema", "bag", "connection", "request_return"]
