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
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import graphql
import requests
from graphql import GraphQLObjectType

from tests.shopify_cost import MAX_SINGLE_QUERY_COST, actual_cost, requested_cost
from tests.standins.shopify_state import (
    JSON,
    ShopState,
    UserError,
    Webhook,
    bag,
    money,
    numeric,
    refund_webhook,
    return_webhook,
)

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
        root = _QUERIES if info.parent_type is admin_schema().query_type else _MUTATIONS
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


# ---- root queries ----

def _get(shop: ShopState, gid: str, kind: str) -> JSON | None:
    node = shop.objects.get(gid)
    return node if node is not None and node.get("__typename") == kind else None


def _orders(_s: ShopifyStandIn, shop: ShopState, query: str | None = None, sortKey: str | None = None,  # noqa: N803
            **_args: Any) -> list[JSON]:
    found = shop.search(query)
    if sortKey == "UPDATED_AT":
        found.sort(key=lambda o: (o["updatedAt"], numeric(o["id"])))
    return found


def _orders_count(_s: ShopifyStandIn, shop: ShopState, query: str | None = None, **_args: Any) -> JSON:
    return {"count": len(shop.search(query)), "precision": "EXACT"}


def _returnable_fulfillments(_s: ShopifyStandIn, shop: ShopState, orderId: str, **_args: Any) -> list[JSON]:  # noqa: N803
    order = shop.order(orderId)
    return shop.returnable(order) if order else []


def _returnable_fulfillment(_s: ShopifyStandIn, shop: ShopState, id: str) -> JSON | None:  # noqa: A002
    fulfillment = shop.objects.get(f"gid://shopify/Fulfillment/{numeric(id)}")
    if fulfillment is None:
        return None
    order = next(o for o in shop.orders if fulfillment in o["fulfillments"])
    return next((r for r in shop.returnable(order) if r["id"] == id), None)


def _customer(_s: ShopifyStandIn, shop: ShopState, id: str) -> JSON | None:  # noqa: A002
    customer = _get(shop, id, "Customer")
    if customer is None:
        return None
    return {**customer, "metafield": lambda namespace, key: customer["metafields"].get((namespace, key))}


def _gift_cards(_s: ShopifyStandIn, shop: ShopState, query: str | None = None, **_args: Any) -> list[JSON]:
    wanted = (query or "").strip().lower()
    return [node for node in shop.objects.values()
            if node["__typename"] == "GiftCard" and (not wanted or node["code"].lower() == wanted)]


def _code_discount(_s: ShopifyStandIn, shop: ShopState, code: str) -> JSON | None:
    return next((node for node in shop.objects.values() if node["__typename"] == "DiscountCodeNode"
                 and any(c["code"].lower() == code.lower() for c in node["codeDiscount"]["codes"])), None)


def _product(_s: ShopifyStandIn, shop: ShopState, id: str) -> JSON | None:  # noqa: A002
    for order in shop.orders:
        for line in order["lineItems"]:
            if line["product"]["id"] == id:
                return {"__typename": "Product", "id": id, "variants": [
                    {"__typename": "ProductVariant", "id": line["variant"]["id"], "title": "M",
                     "availableForSale": True}]}
    return None


_QUERIES: dict[str, Callable[..., Any]] = {
    "order": lambda _s, shop, id: shop.order(id),
    "orders": _orders,
    "ordersCount": _orders_count,
    "fulfillment": lambda _s, shop, id: _get(shop, id, "Fulfillment"),
    "refund": lambda _s, shop, id: _get(shop, id, "Refund"),
    "return": lambda _s, shop, id: _get(shop, id, "Return"),
    "reverseFulfillmentOrder": lambda _s, shop, id: _get(shop, id, "ReverseFulfillmentOrder"),
    "returnableFulfillments": _returnable_fulfillments,
    "returnableFulfillment": _returnable_fulfillment,
    "location": lambda _s, shop, **_a: shop.location,
    "customer": _customer,
    "giftCards": _gift_cards,
    "codeDiscountNodeByCode": _code_discount,
    "product": _product,
    "bulkOperation": lambda _s, shop, id: None,
    "shop": lambda _s, shop: {"name": shop.name, "currencyCode": shop.currency, "myshopifyDomain": shop.domain,
                              "contactEmail": f"owner@{shop.domain}"},
    "shopLocales": lambda _s, shop, **_a: [{"locale": "fr", "primary": True}],
    "currentAppInstallation": lambda _s, shop: {"accessScopes": [{"handle": s} for s in shop.scopes]},
}


# ---- mutations ----

def _need(node: JSON | None, what: str, field_path: Iterable[str]) -> JSON:
    if node is None:
        raise UserError(f"{what} does not exist", field_path, "NOT_FOUND")
    return node


def _order_of(shop: ShopState, node: JSON, key: str) -> JSON:
    return next(o for o in shop.orders if any(item is node for item in o[key]))


def _return_create(standin: ShopifyStandIn, shop: ShopState, returnInput: JSON) -> JSON:  # noqa: N803
    order = _need(shop.order(returnInput["orderId"]), "Order", ["returnInput", "orderId"])
    available = {line["fulfillmentLineItem"]["id"]: line["quantity"]
                 for r in shop.returnable(order) for line in r["returnableFulfillmentLineItems"]}
    for index, item in enumerate(returnInput["returnLineItems"]):
        if item["quantity"] > available.get(item["fulfillmentLineItemId"], 0):
            raise UserError("Quantity is not available for return", ["returnInput", "returnLineItems", str(index)])
    ret = _new_return(shop, order, "OPEN", [
        (shop.objects[i["fulfillmentLineItemId"]], i["quantity"], i.get("returnReasonNote") or "", "")
        for i in returnInput["returnLineItems"]])
    for exchange in returnInput.get("exchangeLineItems") or []:
        ret["exchangeLineItems"].append(shop.keep("ExchangeLineItem", {
            "quantity": exchange["quantity"], "processedQuantity": 0, "variantId": exchange["variantId"]}))
    _open_reverse_order(shop, ret)
    return {"return": ret, "userErrors": []}


def _new_return(shop: ShopState, order: JSON, status: str, lines: Iterable[tuple[JSON, int, str, str]]) -> JSON:
    ret = shop.keep("Return", {
        "name": f"{order['name']}-R{len(order['returns']) + 1}", "status": status, "order": order,
        "requestApprovedAt": None, "decline": None, "returnLineItems": [], "exchangeLineItems": [],
        "reverseFulfillmentOrders": [], "refunds": [],
    })
    for fli, quantity, note, customer_note in lines:
        ret["returnLineItems"].append(shop.keep("ReturnLineItem", {
            "quantity": quantity, "returnReasonNote": note, "customerNote": customer_note, "processedQuantity": 0,
            "fulfillmentLineItem": fli, "returnReasonDefinition": None}))
    order["returns"].append(ret)
    order["updatedAt"] = shop.tick()
    return ret


def _open_reverse_order(shop: ShopState, ret: JSON) -> None:
    ret["reverseFulfillmentOrders"].append(shop.keep("ReverseFulfillmentOrder", {"lineItems": [
        shop.keep("ReverseFulfillmentOrderLineItem", {
            "totalQuantity": item["quantity"], "dispositions": [], "fulfillmentLineItem": item["fulfillmentLineItem"]})
        for item in ret["returnLineItems"]]}))


def _return_status(ret: JSON, allowed: Iterable[str], action: str) -> None:
    if ret["status"] not in allowed:
        raise UserError(f"Return cannot be {action} in status {ret['status']}", ["id"], "INVALID_STATE")


def _approve(standin: ShopifyStandIn, shop: ShopState, input: JSON) -> JSON:  # noqa: A002
    ret = _need(_get(shop, input["id"], "Return"), "Return", ["input", "id"])
    _return_status(ret, ("REQUESTED",), "approved")
    ret["status"], ret["requestApprovedAt"] = "OPEN", shop.tick()
    _open_reverse_order(shop, ret)
    standin.emit(shop, Webhook("returns/approve", return_webhook(ret)))
    return {"return": ret, "userErrors": []}


def _decline(standin: ShopifyStandIn, shop: ShopState, input: JSON) -> JSON:  # noqa: A002
    ret = _need(_get(shop, input["id"], "Return"), "Return", ["input", "id"])
    _return_status(ret, ("REQUESTED",), "declined")
    ret["status"], ret["decline"] = "DECLINED", {"reason": input["declineReason"]}
    standin.emit(shop, Webhook("returns/decline", return_webhook(ret)))
    return {"return": ret, "userErrors": []}


def _dispose(_s: ShopifyStandIn, shop: ShopState, dispositionInputs: list[JSON]) -> JSON:  # noqa: N803
    planned: list[tuple[JSON, JSON]] = []
    for index, entry in enumerate(dispositionInputs):
        line = _need(_get(shop, entry["reverseFulfillmentOrderLineItemId"], "ReverseFulfillmentOrderLineItem"),
                     "Reverse fulfillment order line item", ["dispositionInputs", str(index)])
        done = sum(d["quantity"] for d in line["dispositions"]) + sum(
            d["quantity"] for other, d in planned if other is line)
        if entry["quantity"] > line["totalQuantity"] - done:
            raise UserError("Quantity exceeds what is left to dispose", ["dispositionInputs", str(index), "quantity"])
        if entry["dispositionType"] == "RESTOCKED" and not entry.get("locationId"):
            raise UserError("A location is required to restock", ["dispositionInputs", str(index), "locationId"])
        planned.append((line, {"__typename": "ReverseFulfillmentOrderDisposition", "id": shop.new_id("Disposition"),
                               "quantity": entry["quantity"], "type": entry["dispositionType"]}))
    for line, disposition in planned:
        line["dispositions"].append(disposition)
    return {"reverseFulfillmentOrderLineItems": [line for line, _ in planned], "userErrors": []}


def _process(standin: ShopifyStandIn, shop: ShopState, input: JSON) -> JSON:  # noqa: A002
    ret = _need(_get(shop, input["returnId"], "Return"), "Return", ["input", "returnId"])
    _return_status(ret, ("OPEN",), "processed")
    order = ret["order"]
    lines = []
    for index, item in enumerate(input.get("returnLineItems") or []):
        line = _get(shop, item["id"], "ReturnLineItem")
        if line is None or line not in ret["returnLineItems"]:
            raise UserError("Return line item does not belong to the return", ["input", "returnLineItems", str(index)])
        if item["quantity"] > line["quantity"] - line["processedQuantity"]:
            raise UserError("Quantity exceeds the unprocessed quantity",
                            ["input", "returnLineItems", str(index), "quantity"], "INVALID")
        lines.append((line, item["quantity"]))
    exchanges = []
    for index, item in enumerate(input.get("exchangeLineItems") or []):
        exchange = _get(shop, item["id"], "ExchangeLineItem")
        if exchange is None or item["quantity"] > exchange["quantity"] - exchange["processedQuantity"]:
            raise UserError("Exchange line item cannot be processed", ["input", "exchangeLineItems", str(index)])
        exchanges.append((exchange, item["quantity"]))
    issue = (input.get("financialTransfer") or {}).get("issueRefund")
    total, parent = Decimal(0), None
    if issue:
        for index, tx in enumerate(issue.get("orderTransactions") or []):
            parent = _need(_get(shop, tx["parentId"], "OrderTransaction"), "Transaction",
                           ["input", "financialTransfer", "issueRefund", "orderTransactions", str(index)])
            if tx["transactionAmount"]["currencyCode"] != order["presentmentCurrencyCode"]:
                raise UserError("Refund currency must be the order's presentment currency",
                                ["input", "financialTransfer"], "INVALID")
            total += Decimal(str(tx["transactionAmount"]["amount"]))
        for method in issue.get("refundMethods") or []:
            credit = method.get("storeCreditRefund")
            if credit:
                total += Decimal(str(credit["amount"]["amount"]))
        _check_not_over_refunded(order, total)
    for line, quantity in lines:
        line["processedQuantity"] += quantity
    for exchange, quantity in exchanges:
        exchange["processedQuantity"] += quantity
    if issue:
        refund = shop.make_refund(order, [(line["fulfillmentLineItem"]["lineItem"], q) for line, q in lines],
                                  total, input.get("note") or "", parent)
        ret["refunds"].append(refund)
        standin.emit(shop, Webhook("refunds/create", refund_webhook(refund)))
    return {"return": ret, "userErrors": []}


def _check_not_over_refunded(order: JSON, adding: Decimal) -> None:
    paid = sum((Decimal(t["amountSet"]["presentmentMoney"]["amount"]) for t in order["transactions"]
                if t["kind"] in ("SALE", "CAPTURE")), Decimal(0))
    refunded = sum((Decimal(r["totalRefundedSet"]["presentmentMoney"]["amount"]) for r in order["refunds"]),
                   Decimal(0))
    if refunded + adding > paid:
        raise UserError(f"Refund amount exceeds the refundable amount ({paid - refunded})", ["input"], "INVALID")


def _close(standin: ShopifyStandIn, shop: ShopState, id: str) -> JSON:  # noqa: A002
    ret = _need(_get(shop, id, "Return"), "Return", ["id"])
    _return_status(ret, ("OPEN",), "closed")
    ret["status"] = "CLOSED"
    standin.emit(shop, Webhook("returns/close", return_webhook(ret)))
    return {"return": ret, "userErrors": []}


def _cancel(standin: ShopifyStandIn, shop: ShopState, id: str, notifyCustomer: bool | None = None) -> JSON:  # noqa: A002, N803
    ret = _need(_get(shop, id, "Return"), "Return", ["id"])
    _return_status(ret, ("REQUESTED", "OPEN"), "canceled")
    ret["status"] = "CANCELED"
    standin.emit(shop, Webhook("returns/cancel", return_webhook(ret)))
    return {"return": ret, "userErrors": []}


def _refund_create(standin: ShopifyStandIn, shop: ShopState, input: JSON) -> JSON:  # noqa: A002
    order = _need(shop.order(input["orderId"]), "Order", ["input", "orderId"])
    if order["presentmentCurrencyCode"] != order["currencyCode"] and input.get("currency") != order[
            "presentmentCurrencyCode"]:
        raise UserError("currency must be the order's presentment currency", ["input", "currency"])
    total = sum((Decimal(str(t["amount"])) for t in input.get("transactions") or []), Decimal(0))
    _check_not_over_refunded(order, total)
    lines = [(_need(_get(shop, item["lineItemId"], "LineItem"), "Line item", ["input", "refundLineItems"]),
              item["quantity"]) for item in input.get("refundLineItems") or []]
    refund = shop.make_refund(order, lines, total, input.get("note") or "")
    standin.emit(shop, Webhook("refunds/create", refund_webhook(refund)))
    return {"refund": refund, "order": order, "userErrors": []}


def _store_credit(_s: ShopifyStandIn, shop: ShopState, id: str, creditInput: JSON) -> JSON:  # noqa: A002, N803
    customer = _need(_get(shop, id, "Customer"), "Customer", ["id"])
    amount = creditInput["creditAmount"]
    accounts = customer.setdefault("storeCreditAccounts", {})
    account = accounts.get(amount["currencyCode"]) or shop.keep("StoreCreditAccount", {
        "balance": money(0, amount["currencyCode"])})
    accounts[amount["currencyCode"]] = account
    balance = Decimal(account["balance"]["amount"]) + Decimal(str(amount["amount"]))
    account["balance"] = money(balance, amount["currencyCode"])
    transaction = shop.keep("StoreCreditAccountCreditTransaction", {
        "amount": money(amount["amount"], amount["currencyCode"]), "account": account})
    return {"storeCreditAccountTransaction": transaction, "userErrors": []}


def _metafields_set(_s: ShopifyStandIn, shop: ShopState, metafields: list[JSON]) -> JSON:
    made = []
    for entry in metafields:
        owner = _need(shop.objects.get(entry["ownerId"]), "Owner", ["metafields", "ownerId"])
        metafield = {"__typename": "Metafield", "id": shop.new_id("Metafield"), "key": entry["key"],
                     "value": entry["value"]}
        owner.setdefault("metafields", {})[(entry["namespace"], entry["key"])] = metafield
        made.append(metafield)
    return {"metafields": made, "userErrors": []}


def _gift_card_create(_s: ShopifyStandIn, shop: ShopState, input: JSON) -> JSON:  # noqa: A002
    code = input.get("code") or uuid.uuid4().hex[:16]
    amount = input.get("initialAmount") or {"amount": input.get("initialValue"), "currencyCode": shop.currency}
    if any(n["__typename"] == "GiftCard" and n["code"].lower() == code.lower() for n in shop.objects.values()):
        raise UserError("Code has already been taken", ["input", "code"], "TAKEN")
    card = shop.keep("GiftCard", {"code": code, "note": input.get("note"), "lastCharacters": code[-4:],
                                  "balance": money(amount["amount"], amount["currencyCode"])})
    return {"giftCard": card, "giftCardCode": code, "userErrors": []}


def _discount_create(_s: ShopifyStandIn, shop: ShopState, basicCodeDiscount: JSON) -> JSON:  # noqa: N803
    code = basicCodeDiscount["code"]
    if _code_discount(_s, shop, code) is not None:
        raise UserError("Code must be unique", ["basicCodeDiscount", "code"], "TAKEN")
    node = shop.keep("DiscountCodeNode", {"codeDiscount": {
        "__typename": "DiscountCodeBasic", "title": basicCodeDiscount["title"],
        "codes": [{"__typename": "DiscountRedeemCode", "code": code}]}})
    return {"codeDiscountNode": node, "userErrors": []}


def _subscribe(_s: ShopifyStandIn, shop: ShopState, topic: str, webhookSubscription: JSON) -> JSON:  # noqa: N803
    name = topic.lower().replace("_", "/", 1)
    uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
    if shop.subscriptions.get(name) == uri:
        raise UserError("Address for this topic has already been taken", ["webhookSubscription", "callbackUrl"])
    shop.subscriptions[name] = str(uri)
    return {"webhookSubscription": {"id": shop.new_id("WebhookSubscription"), "topic": topic, "uri": uri},
            "userErrors": []}


def _bulk(_s: ShopifyStandIn, _shop: ShopState, query: str, **_args: Any) -> JSON:
    raise UserError("bulk operations are not offered by this stand-in: raise SHOPIFY_BULK_THRESHOLD", ["query"])


_MUTATIONS: dict[str, Callable[..., Any]] = {
    "returnCreate": _return_create,
    "returnApproveRequest": _approve,
    "returnDeclineRequest": _decline,
    "reverseFulfillmentOrderDispose": _dispose,
    "returnProcess": _process,
    "returnClose": _close,
    "returnCancel": _cancel,
    "refundCreate": _refund_create,
    "storeCreditAccountCredit": _store_credit,
    "metafieldsSet": _metafields_set,
    "giftCardCreate": _gift_card_create,
    "discountCodeBasicCreate": _discount_create,
    "webhookSubscriptionCreate": _subscribe,
    "bulkOperationRunQuery": _bulk,
}


def request_return(standin: ShopifyStandIn, shop: ShopState, order: JSON, lines: Iterable[tuple[JSON, int, str]]) -> JSON:
    """A shopper asks for a return in the shop (returnRequest): REQUESTED, and returns/request is sent."""
    with standin.lock:
        by_line = {fli["lineItem"]["id"]: fli for f in order["fulfillments"] for fli in f["fulfillmentLineItems"]}
        ret = _new_return(shop, order, "REQUESTED", [(by_line[line["id"]], q, "", note) for line, q, note in lines])
        standin.emit(shop, Webhook("returns/request", return_webhook(ret)))
        return ret


__all__ = ["Bucket", "ShopState", "ShopifyStandIn", "admin_schema", "bag", "connection", "request_return"]
