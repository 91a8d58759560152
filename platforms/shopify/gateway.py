"""ShopifyGateway: one shop's orders and resolution pushes over Admin GraphQL. Imports domain, ports, client, queries, mapping.

Every push first looks for what an earlier attempt may already have created (by a
marker carrying `push.reference`) and adopts it, so a job killed between Shopify's
answer and our commit never pays a shopper twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests

from connector.domain.money import Money, total
from connector.domain.orders import Order
from connector.domain.resolutions import settle_exchange
from connector.domain.returns import ResolutionKind
from connector.domain.rounding import convert, fraction
from connector.ports import (
    PlatformError,
    PlatformEvent,
    ProductVariant,
    Progress,
    PushLine,
    PushResult,
    ResolutionPush,
)
from platforms.shopify import queries
from platforms.shopify.bulk import rebuild_orders
from platforms.shopify.client import AdminClient
from platforms.shopify.mapping import gid, numeric_id, order_from_graphql, return_events_from_graphql
from platforms.shopify.orders import OrderReader, rest_of_connection
from platforms.shopify.returns import ShopifyReturn, ShopifyReturns

log = logging.getLogger(__name__)

# The topics the app subscribes to when a shop installs it.
# The compliance topics (customers/data_request, customers/redact, shop/redact) cannot
# be subscribed through the API: they are set in the app's configuration (shopify.app.toml
# `compliance_topics`) to the same address.
WEBHOOK_TOPICS = (
    "orders/create", "orders/updated", "orders/cancelled", "orders/fulfilled",
    "orders/partially_fulfilled", "orders/paid", "orders/edited", "orders/delete",
    "refunds/create", "returns/request", "returns/approve", "returns/decline",
    "returns/cancel", "returns/close", "app/uninstalled",
)
MARKER_NAMESPACE = "returns_connector"
# Orders per page of queries.ORDERS_PAGE: each light order head requests 158 points, so
# a page of 3 requests 476 (a routine read stays <= 500; Shopify refuses > 1,000).
PAGE_SIZE = 3
RETURNS_PAGE_SIZE = 4  # orders per page of queries.RETURNS_SINCE (494 points)
# Above this many orders a backfill is a bulk export (Shopify's advice for large reads):
# page by page a standard plan (100 points/s) reads about 2 orders a second
# (bench/shopify_backfill.py).
BULK_THRESHOLD = 2_000


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _slug(reference: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", reference.lower()).strip("-")


def _secret_digest(push: ResolutionPush, length: int) -> str:
    # From the idempotency key, which only our database knows: the public return
    # reference alone must not let anyone guess a gift card or coupon code.
    return hashlib.sha256(f"{push.idempotency_key}:{push.reference}".encode()).hexdigest()[:length].upper()


def coupon_code_for(push: ResolutionPush) -> str:
    """The discount code of a coupon push: the reference, readable, plus a secret suffix."""
    return push.coupon_code or f"{_slug(push.reference).upper()}-{_secret_digest(push, 6)}"


def gift_card_code_for(push: ResolutionPush) -> str:
    """A 16-character gift card code that a retry of the same push derives again."""
    return _secret_digest(push, 16)


def _marker_note(push: ResolutionPush) -> str:
    return f"Returns: {push.reference}" + (f" - {push.note}" if push.note else "")


def _amount(money: Money) -> str:
    return str(money.amount)


def refund_parts(push: ResolutionPush) -> tuple[list[PushLine], Money | None]:
    """(the order lines, the order's shipping before tax or None) of a refund push, checked to add up.

    Shopify prices the refunded lines itself; the money that goes back is the transactions,
    which are the push's amount: the domain's lines, fees kept and shipping, add up to it.
    """
    items = [line for line in push.lines if not line.shipping]
    shipping_lines = [line for line in push.lines if line.shipping]
    # Store credit carries its bonus on top of the lines: only a refund's lines are its whole amount.
    if push.kind is ResolutionKind.REFUND and push.lines and \
            total((line.total for line in push.lines), push.amount.currency) != push.amount:
        raise PlatformError(
            f"the refund of {push.amount} does not match its lines: not sent, so the shop's books are "
            "not left disagreeing; carry it out by hand in Shopify and mark it done",
            retryable=False,
        )
    shipping = total((line.amount for line in shipping_lines), push.amount.currency) if shipping_lines else None
    return items, shipping


# connector.workflow.markers.resolution_marker: "<return reference>-<resolution id>".
_MARKER = re.compile(r"^(R-[A-Z0-9]+)-\d+$")


def return_reference_of(push: ResolutionPush) -> str:
    """The return reference inside a push's marker (what our Shopify return's lines carry)."""
    match = _MARKER.match(push.reference)
    return match.group(1) if match else push.reference


class ShopifyGateway:
    """connector.ports.PlatformGateway for one Shopify shop."""

    def __init__(
        self,
        client: AdminClient,
        *,
        options: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = _utc_now,
        page_size: int = PAGE_SIZE,
        bulk_threshold: int = BULK_THRESHOLD,
        bulk_poll_seconds: float = 2.0,
        bulk_timeout_seconds: float = 6 * 3600.0,
        sleep: Callable[[float], None] = time.sleep,
        downloads: requests.Session | None = None,
    ) -> None:
        self.client = client
        self._options = dict(options or {})
        self._clock = clock
        self._page_size = page_size
        self._bulk_threshold = bulk_threshold
        self._bulk_poll = bulk_poll_seconds
        self._bulk_timeout = bulk_timeout_seconds
        self._sleep = sleep
        # The JSONL file is on Shopify's storage, not the Admin API: no token, no cost bucket.
        self._downloads = downloads or requests.Session()
        self._orders = OrderReader(client)

    # ---- orders ----

    def fetch_order(self, platform_order_id: str) -> Order | None:
        data = self.client.execute(queries.ORDER_BY_ID, {"id": gid("Order", platform_order_id)})
        node = data.get("order")
        return order_from_graphql(self._orders.whole(node, queries.ORDER_HEAD)) if node else None

    def variants_of(self, product_id: str) -> list[ProductVariant]:
        """The product's variants that can be sold now, for an exchange."""
        data = self.client.execute(queries.PRODUCT_VARIANTS, {"id": gid("Product", product_id)})
        nodes = ((data.get("product") or {}).get("variants") or {}).get("nodes") or []
        return [ProductVariant(numeric_id(node["id"]), str(node["title"]), bool(node.get("availableForSale")),
                               stock=_stock(node))
                for node in nodes if node.get("availableForSale")]

    def find_order(self, name: str, email: str) -> Order | None:
        """The order a shopper names (`#1001` or `1001`) with the email it was placed with."""
        wanted = name.strip() if name.strip().startswith("#") else f"#{name.strip()}"
        search = f"name:{json.dumps(wanted)} email:{json.dumps(email.strip())}"
        data = self.client.execute(queries.ORDER_SEARCH, {"query": search})
        # Shopify's search is fuzzy (prefixes, tokens): keep only the exact match, then
        # read that one whole.
        for node in (data.get("orders") or {}).get("nodes") or []:
            placed_with = node.get("email") or (
                ((node.get("customer") or {}).get("defaultEmailAddress") or {}).get("emailAddress")) or ""
            if node.get("name") == wanted and placed_with.lower() == email.strip().lower():
                return self.fetch_order(numeric_id(node["id"]))
        return None

    def orders_since(self, since: datetime | None, progress: Progress | None = None) -> Iterator[Order]:
        """Orders updated since `since` (all when None), oldest change first.

        Cursor pages up to `bulk_threshold` orders; above it a bulk export, which Shopify
        runs on its side without spending the shop's cost bucket page by page.
        """
        search = f"updated_at:>='{since.astimezone(UTC).isoformat()}'" if since else None
        counted = self.client.execute(queries.ORDERS_COUNT, {"query": search}).get("ordersCount") or {}
        total = int(counted["count"]) if counted.get("count") is not None else None
        if total is not None and total > self._bulk_threshold:
            yield from self._orders_by_bulk(since, total, progress)
            return
        if progress is not None:
            progress(0, total)
        after: str | None = None
        done = 0
        while True:
            data = self.client.execute(
                queries.ORDERS_PAGE, {"first": self._page_size, "after": after, "query": search}
            )
            page = data["orders"]
            for node in page["nodes"]:
                # Lines, fulfillments and refunds past the page's light head are read
                # by follow-up queries: every order is stored whole.
                yield order_from_graphql(self._orders.whole(node, queries.PAGE_HEAD))
                done += 1
            if progress is not None:
                progress(done, total)
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]

    def _orders_by_bulk(self, since: datetime | None, total: int, progress: Progress | None) -> Iterator[Order]:
        operation = self.start_bulk_export(since)
        if progress is not None:
            progress(0, total)
        waited = 0.0
        while True:
            status = self.bulk_export_status(operation)
            state = str(status.get("status") or "")
            if state == "COMPLETED":
                break
            if state in ("FAILED", "CANCELED", "CANCELING", "EXPIRED"):
                raise PlatformError(
                    f"Shopify bulk export {operation} {state.lower()} ({status.get('errorCode') or 'no error code'}); "
                    "run the sync again", retryable=True,
                )
            if waited >= self._bulk_timeout:
                raise PlatformError(f"Shopify bulk export {operation} still {state} after {waited:.0f} s",
                                    retryable=True)
            self._sleep(self._bulk_poll)
            waited += self._bulk_poll
        url = status.get("url")
        if not url:
            return  # COMPLETED with nothing to export: Shopify gives no file
        done = 0
        with self._downloads.get(str(url), stream=True, timeout=(5.0, 120.0)) as response:
            if response.status_code != 200:
                raise PlatformError(f"bulk export download answered HTTP {response.status_code}", retryable=True)
            for node in rebuild_orders(response.iter_lines()):
                yield order_from_graphql(node)
                done += 1
                if progress is not None and done % 100 == 0:
                    progress(done, total)
        if progress is not None:
            progress(done, max(total, done))

    # ---- returns (reconciliation) ----

    def return_events_since(self, since: datetime) -> list[PlatformEvent]:
        """The returns of orders updated since `since`, as the events their returns/* webhooks give.

        Shopify does not guarantee webhook delivery: the reconciliation job applies these
        with the same handlers, which leave a return already known, or a status already
        reached, alone.
        """
        search = f"updated_at:>='{since.astimezone(UTC).isoformat()}'"
        events: list[PlatformEvent] = []
        after: str | None = None
        while True:
            data = self.client.execute(
                queries.RETURNS_SINCE, {"first": RETURNS_PAGE_SIZE, "after": after, "query": search}
            )
            page = data["orders"]
            for order in page["nodes"]:
                order_id = numeric_id(order["id"])
                for node in self._returns_of(order):
                    events.extend(return_events_from_graphql(order_id, self._with_all_lines(node)))
            if not page["pageInfo"]["hasNextPage"]:
                return events
            after = page["pageInfo"]["endCursor"]

    def _returns_of(self, order: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        """Every return of an order node, paging on past the first few."""
        connection = order.get("returns") or {}
        while True:
            yield from connection.get("nodes") or []
            info = connection.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            data = self.client.execute(queries.ORDER_RETURNS_AFTER, {"id": order["id"], "after": info["endCursor"]})
            connection = (data.get("order") or {}).get("returns") or {}

    def _with_all_lines(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        lines = node.get("returnLineItems") or {}
        if not (lines.get("pageInfo") or {}).get("hasNextPage"):
            return node
        whole = rest_of_connection(self.client, None, queries.RETURN_LINES, str(node["id"]), "return",
                                   "returnLineItems", from_start=True)
        return {**node, "returnLineItems": {"nodes": whole}}

    def start_bulk_export(self, since: datetime | None) -> str:
        """Start a bulk export of orders (past the bulk threshold); returns its id."""
        search = f"updated_at:>='{since.astimezone(UTC).isoformat()}'" if since else ""
        payload = self.client.mutate(
            queries.BULK_OPERATION_RUN_QUERY, {"query": queries.bulk_orders_query(search)}, "bulkOperationRunQuery"
        )
        return str(payload["bulkOperation"]["id"])

    def bulk_export_status(self, operation_id: str) -> dict[str, Any]:
        """Status, object count and, once COMPLETED, the JSONL `url` of a bulk export."""
        node = self.client.execute(queries.BULK_OPERATION_STATUS, {"id": operation_id}).get("bulkOperation")
        if not node:
            raise PlatformError(f"bulk operation {operation_id} not found", retryable=False)
        return dict(node)

    # ---- pushes ----

    def push(self, push: ResolutionPush) -> PushResult:
        gift_card = self._options.get("store_credit_as") == "gift_card" or not push.customer_platform_id
        if push.kind is ResolutionKind.EXCHANGE or push.kind is ResolutionKind.REFUND or (
            push.kind is ResolutionKind.STORE_CREDIT and not gift_card
        ):
            # A return that exists in Shopify is paid back by processing it: Shopify warns
            # that refundCreate for returns has undesired effects (reports, restocking).
            through_return = self._through_return(push)
            if through_return is not None:
                return through_return
        if push.kind is ResolutionKind.REFUND:
            return self._refund(push)
        if push.kind is ResolutionKind.STORE_CREDIT:
            if gift_card:
                # Guests have no customer account to hold store credit: a gift card is
                # the credit they can still spend.
                return self._gift_card(push)
            return self._store_credit(push)
        if push.kind is ResolutionKind.COUPON:
            return self._coupon(push)
        raise PlatformError(
            "an exchange needs the return to exist in Shopify (it is mirrored there when approved); "
            "it was not found on the order",
            retryable=False,
        )

    # ---- resolutions through the Shopify return (returnProcess) ----

    def _shopify_return(self, push: ResolutionPush, returns: ShopifyReturns) -> ShopifyReturn | None:
        """Ours (by reference), else an open one the shopper requested that holds the pushed lines."""
        candidates, _ = returns.for_order(push.platform_order_id)
        reference = return_reference_of(push)
        ours = [r for r in candidates if r.carries(reference) and r.status in ("open", "closed")]
        if not ours and push.lines:
            wanted = {line.platform_line_id: line.quantity for line in push.lines}
            for candidate in candidates:
                held: dict[str, int] = {}
                for _id, order_line, quantity in candidate.lines:
                    held[order_line] = held.get(order_line, 0) + quantity
                if candidate.status == "open" and all(held.get(k, 0) >= q for k, q in wanted.items()):
                    ours = [candidate]
                    break
        return returns.fetch(ours[0].id) if ours else None

    def _through_return(self, push: ResolutionPush) -> PushResult | None:
        returns = ShopifyReturns(self.client)
        found = self._shopify_return(push, returns)
        if found is None:
            return None
        made = returns.refunds(found.id)
        for refund_id, note in made:
            if push.reference in note:
                return PushResult(platform_reference=refund_id, adopted=True)
        lines = self._lines_to_process(push, found)
        exchanges: list[tuple[str, int]] = []
        if push.kind is ResolutionKind.EXCHANGE:
            wanted_variant = numeric_id(push.exchange_variant_id) if push.exchange_variant_id else ""
            pending = [(i, q - done) for i, variant, q, done in found.exchange_lines
                       if variant == wanted_variant and q > done]
            if not pending:
                if any(variant == wanted_variant for _i, variant, _q, _d in found.exchange_lines):
                    # Processed by an earlier attempt whose answer was lost.
                    return PushResult(platform_reference=found.id, adopted=True)
                raise PlatformError(
                    f"the Shopify return {found.name or found.id} has no exchange for variant {wanted_variant}",
                    retryable=False,
                )
            exchanges = pending
        elif not lines and made:
            # Every line already processed with a refund: the lost answer of an earlier attempt.
            return PushResult(platform_reference=made[-1][0], adopted=True)
        refunds: list[tuple[str, Money]] = []
        store_credit: Money | None = None
        _items, shipping = refund_parts(push)
        difference = Money.zero(push.amount.currency)
        if push.kind is ResolutionKind.EXCHANGE:
            # A cheaper new item: the credit pays for it and the rest goes back, refunded by the
            # same returnProcess under our note, so a retry adopts it (the check above).
            # A dearer one Shopify itself holds until the shopper pays (AWAITING_PAYMENT).
            new_total = returns.exchange_total(found.id, [i for i, _q in exchanges], push.amount.currency)
            difference = settle_exchange(push.amount, new_total).refund
        if push.kind is ResolutionKind.REFUND or not difference.is_zero():
            to_refund = push.amount if push.kind is ResolutionKind.REFUND else difference
            order_gid = gid("Order", push.platform_order_id)
            order = self.client.execute(queries.ORDER_REFUNDS, {"id": order_gid}).get("order") or {}
            currency = order.get("presentmentCurrencyCode") or push.amount.currency
            if push.amount.currency != currency:
                raise PlatformError(
                    f"refund in {push.amount.currency} but the customer paid in {currency}", retryable=False
                )
            refunds = [
                (numeric_id(t["parentId"]), Money(Decimal(t["amount"]), push.amount.currency))
                for t in self._refund_transactions(order_gid, order.get("transactions") or [], to_refund)
            ]
        elif push.kind is ResolutionKind.STORE_CREDIT:
            store_credit = push.amount
        _status, after = returns.process(
            found.id, lines, refunds=refunds, store_credit=store_credit, exchanges=exchanges,
            note=_marker_note(push), shipping=shipping,
        )
        if push.kind is ResolutionKind.EXCHANGE and difference.is_zero():
            return PushResult(platform_reference=found.id, adopted=False)
        new = [r for r in after if push.reference in r[1]] or [r for r in after if r not in made]
        if not new:
            raise PlatformError("returnProcess answered without the refund it made", retryable=True)
        return PushResult(platform_reference=new[-1][0], adopted=False)

    @staticmethod
    def _lines_to_process(push: ResolutionPush, found: ShopifyReturn) -> list[tuple[str, int]]:
        """(return line item id, quantity) still unprocessed for the pushed order lines."""
        result = []
        for line in push.lines:
            if line.shipping:
                continue  # the order's shipping is refundShipping, not a return line
            wanted = line.quantity
            for (item_id, order_line, quantity), done in zip(found.lines, found.processed or (0,) * len(found.lines),
                                                            strict=True):
                if order_line != line.platform_line_id or wanted <= 0:
                    continue
                take = min(wanted, quantity - done)
                if take > 0:
                    result.append((item_id, take))
                    wanted -= take
        return result

    def _refund(self, push: ResolutionPush) -> PushResult:
        order_gid = gid("Order", push.platform_order_id)
        order = self.client.execute(queries.ORDER_REFUNDS, {"id": order_gid}).get("order")
        if not order:
            raise PlatformError(f"order {push.platform_order_id} not found in Shopify", retryable=False)
        for refund in order.get("refunds") or []:
            if push.reference in (refund.get("note") or ""):
                return PushResult(platform_reference=numeric_id(refund["id"]), adopted=True)

        currency = order["presentmentCurrencyCode"]
        if push.amount.currency != currency:
            raise PlatformError(
                f"refund in {push.amount.currency} but the customer paid in {currency}", retryable=False
            )
        items, shipping = refund_parts(push)
        refund_input: dict[str, Any] = {
            "orderId": order_gid,
            # Required by Shopify when shop and presentment currencies differ; always right.
            "currency": currency,
            "note": _marker_note(push),
            "notify": False,  # the returns app tells the shopper itself, in their language
            "refundLineItems": [
                {
                    "lineItemId": gid("LineItem", line.platform_line_id),
                    "quantity": line.quantity,
                    "restockType": "RETURN" if line.restock else "NO_RESTOCK",
                }
                for line in items
            ],
            "transactions": self._refund_transactions(order_gid, order.get("transactions") or [], push.amount),
        }
        if shipping is not None:
            # Before tax, in the presentment currency (`currency` above): Shopify adds the shipping's tax.
            refund_input["shipping"] = {"amount": _amount(shipping)}
        payload = self.client.mutate(
            queries.REFUND_CREATE,
            {"input": refund_input, "idempotencyKey": push.idempotency_key},
            "refundCreate",
        )
        return PushResult(platform_reference=numeric_id(payload["refund"]["id"]), adopted=False)

    @staticmethod
    def _refund_transactions(
        order_gid: str, transactions: Sequence[Mapping[str, Any]], amount: Money
    ) -> list[dict[str, Any]]:
        """Refund transactions against the captured payments, largest first, in presentment money."""
        paid = [
            t for t in transactions
            if t.get("kind") in ("SALE", "CAPTURE") and t.get("status") == "SUCCESS"
        ]
        if not paid:
            raise PlatformError("the order has no captured payment to refund", retryable=False)
        paid.sort(key=lambda t: Decimal(t["amountSet"]["presentmentMoney"]["amount"]), reverse=True)
        left = amount.amount
        result = []
        for parent in paid:
            if left <= 0:
                break
            part = min(left, Decimal(parent["amountSet"]["presentmentMoney"]["amount"]))
            result.append({
                "orderId": order_gid,
                "parentId": parent["id"],
                "kind": "REFUND",
                "gateway": parent["gateway"],
                "amount": str(Money(part, amount.currency).amount),
            })
            left -= part
        if left > 0:
            raise PlatformError(f"refund of {amount} exceeds what was captured", retryable=False)
        return result

    def _store_credit(self, push: ResolutionPush) -> PushResult:
        # storeCreditAccountCredit has neither a note nor an idempotency key, and its
        # transactions cannot be searched by anything we could set. So the reference is
        # kept in a metafield on the customer, written right after crediting: a retry
        # adopts the credit it finds there. Only a crash between the two calls could
        # repeat a credit; our outbox records the push before either call, and the
        # marker write is never allowed to fail the push (which would retry it).
        customer_gid = gid("Customer", str(push.customer_platform_id))
        key = f"credit-{_slug(push.reference)}"[:64]
        existing = self.client.execute(
            queries.CUSTOMER_MARKER, {"id": customer_gid, "namespace": MARKER_NAMESPACE, "key": key}
        ).get("customer") or {}
        marker = existing.get("metafield")
        if marker and marker.get("value"):
            return PushResult(platform_reference=str(marker["value"]), adopted=True)

        credit: dict[str, Any] = {
            "creditAmount": {"amount": _amount(push.amount), "currencyCode": push.amount.currency},
            "notify": False,
        }
        if push.expires_at is not None:
            credit["expiresAt"] = push.expires_at.astimezone(UTC).isoformat()
        payload = self.client.mutate(
            queries.STORE_CREDIT_ACCOUNT_CREDIT, {"id": customer_gid, "creditInput": credit}, "storeCreditAccountCredit"
        )
        transaction_id = numeric_id(payload["storeCreditAccountTransaction"]["id"])
        try:
            self.client.mutate(
                queries.METAFIELDS_SET,
                {"metafields": [{
                    "ownerId": customer_gid, "namespace": MARKER_NAMESPACE, "key": key,
                    "type": "single_line_text_field", "value": transaction_id,
                }]},
                "metafieldsSet",
            )
        except PlatformError:
            log.warning("store credit %s given but its marker was not written", push.reference, exc_info=True)
        return PushResult(platform_reference=transaction_id, adopted=False)

    def _gift_card(self, push: ResolutionPush) -> PushResult:
        code = gift_card_code_for(push)
        found = self.client.execute(queries.GIFT_CARD_LOOKUP, {"query": code}).get("giftCards") or {}
        for card in found.get("nodes") or []:
            if push.reference in (card.get("note") or "") and code.endswith(str(card.get("lastCharacters", "")).upper()):
                return PushResult(platform_reference=numeric_id(card["id"]), adopted=True, code=code)
        value = self.in_shop_currency(push)  # gift cards are issued in the shop's currency
        card_input: dict[str, Any] = {
            "initialAmount": {"amount": _amount(value), "currencyCode": value.currency},
            "code": code,
            "note": _marker_note(push),
        }
        if push.customer_platform_id:
            card_input["customerId"] = gid("Customer", push.customer_platform_id)
        if push.expires_at is not None:
            card_input["expiresOn"] = push.expires_at.astimezone(UTC).date().isoformat()
        payload = self.client.mutate(queries.GIFT_CARD_CREATE, {"input": card_input}, "giftCardCreate")
        return PushResult(platform_reference=numeric_id(payload["giftCard"]["id"]), adopted=False, code=code)

    def in_shop_currency(self, push: ResolutionPush) -> Money:
        """The push's amount in the shop's currency, at the rate the customer's order was paid at.

        Discount codes and gift cards hold fixed amounts in the shop's currency (Shopify
        converts them at checkout), while our amounts are in what the customer paid. The
        order's own captured payments give both figures, so the credit is worth what was
        paid; without them the push is refused rather than guessed.
        """
        order = self.client.execute(queries.ORDER_REFUNDS, {"id": gid("Order", push.platform_order_id)}).get("order")
        if not order:
            raise PlatformError(f"order {push.platform_order_id} not found in Shopify", retryable=False)
        shop_currency = str(order.get("currencyCode") or push.amount.currency)
        if shop_currency == push.amount.currency:
            return push.amount
        paid = [t for t in order.get("transactions") or []
                if t.get("kind") in ("SALE", "CAPTURE") and t.get("status") == "SUCCESS"]
        presentment = sum((Decimal(t["amountSet"]["presentmentMoney"]["amount"]) for t in paid), Decimal(0))
        shop = sum((Decimal(t["amountSet"]["shopMoney"]["amount"]) for t in paid), Decimal(0))
        if presentment <= 0 or shop <= 0 or any(
            t["amountSet"]["presentmentMoney"]["currencyCode"] != push.amount.currency for t in paid
        ):
            raise PlatformError(
                f"cannot convert {push.amount} to the shop's {shop_currency}: the order has no captured "
                f"payment in {push.amount.currency} to take the rate from; give a refund or store credit instead",
                retryable=False,
            )
        # The domain's conversion rule (connector.domain.rounding): the adapter only reads the figures.
        return convert(push.amount, Money(shop, shop_currency), Money(presentment, push.amount.currency))

    def _coupon(self, push: ResolutionPush) -> PushResult:
        code = coupon_code_for(push)
        node = self.client.execute(queries.DISCOUNT_CODE_LOOKUP, {"code": code}).get("codeDiscountNodeByCode")
        if node:
            return PushResult(platform_reference=numeric_id(node["id"]), adopted=True, code=code)
        context: dict[str, Any] = (
            {"customers": {"add": [gid("Customer", push.customer_platform_id)]}}
            if push.customer_platform_id
            else {"all": "ALL"}  # a guest: the secret suffix of the code is the only lock
        )
        discount: dict[str, Any] = {
            "title": f"Return {push.reference}",
            "code": code,
            "startsAt": self._clock().astimezone(UTC).isoformat(),
            "usageLimit": 1,
            "appliesOncePerCustomer": True,
            "context": context,
            "customerGets": {"value": self._coupon_value(push), "items": {"all": True}},
        }
        if push.expires_at is not None:
            discount["endsAt"] = push.expires_at.astimezone(UTC).isoformat()
        payload = self.client.mutate(
            queries.DISCOUNT_CODE_BASIC_CREATE, {"basicCodeDiscount": discount}, "discountCodeBasicCreate"
        )
        return PushResult(platform_reference=numeric_id(payload["codeDiscountNode"]["id"]), adopted=False, code=code)

    def _coupon_value(self, push: ResolutionPush) -> dict[str, Any]:
        if push.kind is ResolutionKind.COUPON and push.coupon_percent is not None:
            # A share of the next order: Shopify takes it as a fraction (0.1 for 10 %).
            return {"percentage": float(fraction(push.coupon_percent))}
        # Fixed amounts of code discounts are in the shop's currency; Shopify
        # converts them at checkout for shoppers paying in another.
        value = self.in_shop_currency(push)
        return {"discountAmount": {"amount": _amount(value), "appliesOnEachItem": False}}

    # ---- webhooks ----

    def subscribe_webhooks(self, app_url: str, topics: Sequence[str] = WEBHOOK_TOPICS) -> list[str]:
        """Subscribe the shop's webhooks to `{app_url}/webhooks/shopify`; returns subscription ids.

        A topic already subscribed to the same address is not an error (re-install).
        """
        uri = f"{app_url.rstrip('/')}/webhooks/shopify"
        ids = []
        for topic in topics:
            data = self.client.execute(
                queries.WEBHOOK_SUBSCRIPTION_CREATE,
                {"topic": topic.upper().replace("/", "_"), "webhookSubscription": {"uri": uri, "format": "JSON"}},
            )
            payload = data.get("webhookSubscriptionCreate") or {}
            errors = payload.get("userErrors") or []
            if errors and not all("already been taken" in str(e.get("message", "")) for e in errors):
                raise PlatformError(
                    f"webhookSubscriptionCreate {topic}: " + "; ".join(str(e.get("message")) for e in errors),
                    retryable=False,
                )
            if payload.get("webhookSubscription"):
                ids.append(str(payload["webhookSubscription"]["id"]))
        return ids


def _stock(variant: Mapping[str, Any]) -> int | None:
    """Units the shopper can have: Shopify's sellable quantity when it tracks stock and stops selling at
    zero (inventoryPolicy DENY); None (not counted) when it does not track, or sells on regardless."""
    tracked = bool((variant.get("inventoryItem") or {}).get("tracked"))
    quantity = variant.get("inventoryQuantity")
    if not tracked or variant.get("inventoryPolicy") == "CONTINUE" or not isinstance(quantity, int):
        return None
    return max(quantity, 0)
