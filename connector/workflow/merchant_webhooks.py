"""Webhooks to merchants' own systems: endpoints, emission in the caller's commit, signed sending.

`emit` writes one delivery row per subscribed endpoint and one outbox row each, in the
transaction of the change it announces, so an event is sent if and only if the change
was committed. `deliver_merchant_webhook` (an outbox job) signs and POSTs one delivery,
retrying with exponential backoff. Imports the domain and the standard library at run
time; storage comes in through the shop scope's `merchant_webhooks` port, HTTP through
`WebhookTransport`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from connector.domain.errors import DomainError
from connector.domain.shops import Shop
from connector.workflow.errors import NotFound
from connector.workflow.outbox import Failed, Finish, Limits, OutboxKind, consume

if TYPE_CHECKING:
    from connector.ports.services import Services
    from connector.ports.storage import DeliveryRecord as DeliveryRecord
    from connector.ports.storage import Endpoint as Endpoint
    from connector.ports.storage import OutgoingDelivery, ShopScope, UnitOfWork

log = logging.getLogger(__name__)

RETURN_CREATED = "return.created"
RETURN_STATUS_CHANGED = "return.status_changed"
RESOLUTION_PUSHED = "resolution.pushed"
EVENTS = (RETURN_CREATED, RETURN_STATUS_CHANGED, RESOLUTION_PUSHED)

OUTBOX_TASK = "merchant_webhook"
SIGNATURE_HEADER = "X-Returns-Signature"
# A receiver should refuse signatures older than this (replays); `verify_signature` does.
SIGNATURE_TOLERANCE = timedelta(minutes=5)
TIMEOUT_SECONDS = 10.0
# Retried 30 s, 1 min, 2 min... after each failed attempt (at most 6 hours apart), given up after the tenth.
MAX_ATTEMPTS = 10
MAX_ENDPOINTS = 20
ANSWER_EXCERPT = 2000


class EndpointLimitReached(DomainError):
    """The shop already has as many endpoints as it may: a conflict with what exists, not a bad request."""

    code = "endpoint_limit"


class InvalidEndpoint(DomainError):
    """A webhook endpoint the app will not send to; `field` names what is wrong."""

    code = "invalid_endpoint"

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


class TransportError(Exception):
    """The endpoint could not be reached (refused, timeout, TLS, not allowed)."""


class WebhookTransport(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Answer: ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect could lead a delivery to an address we refuse to call directly.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class UrllibTransport:
    """POST with the standard library; refuses addresses that are not public unless told otherwise.

    The address check (no loopback, private, link-local...) keeps a merchant's URL from
    reaching services inside our network. RETURNS_WEBHOOKS_ALLOW_PRIVATE=1 lifts it (development).
    """

    def __init__(self, allow_private: bool = False) -> None:
        self.allow_private = allow_private
        self._opener = urllib.request.build_opener(_NoRedirect)

    def _check_address(self, url: str) -> None:
        host = urlsplit(url).hostname or ""
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError as exc:
            raise TransportError(f"cannot resolve {host}: {exc}") from None
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if not address.is_global:
                raise TransportError(f"{host} resolves to {address}, which is not a public address")

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Answer:
        if not self.allow_private:
            self._check_address(url)
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310 - http(s) checked at creation
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return Answer(response.status, response.read(ANSWER_EXCERPT).decode("utf-8", "replace"))
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, exc.read(ANSWER_EXCERPT).decode("utf-8", "replace"))
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TransportError(str(getattr(exc, "reason", exc))) from None


def default_transport(svc: Services) -> WebhookTransport:
    allow = svc.settings.extra.get("RETURNS_WEBHOOKS_ALLOW_PRIVATE", "") in ("1", "true", "yes")
    return UrllibTransport(allow_private=allow)


# ---- signatures ----

def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Returns-Signature value: HMAC-SHA256 of `<timestamp>.<body>` with the endpoint's secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: str, header: str, body: bytes, now: datetime,
                     tolerance: timedelta = SIGNATURE_TOLERANCE) -> bool:
    """What a receiver does: recompute over the raw body, compare in constant time, refuse old ones."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# ---- endpoints ----

def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidEndpoint("url", "must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise InvalidEndpoint("url", "must not carry a user name or password; we sign every delivery")
    if len(url) > 2000:
        raise InvalidEndpoint("url", "must be at most 2000 characters")
    return url


def _check_events(events: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise InvalidEndpoint("events", f"unknown event {unknown[0]!r}; known: {', '.join(EVENTS)}")
    return tuple(dict.fromkeys(events)) or EVENTS


def _shop(uow: UnitOfWork, shop_id: int) -> Shop:
    shop = uow.shops.get(shop_id)
    if shop is None:
        raise NotFound(f"no shop {shop_id}")
    return shop


def create_endpoint(svc: Services, shop_id: int, url: str, events: tuple[str, ...] = (), description: str = "") -> tuple[Endpoint, str]:
    """A new endpoint and its signing secret; the secret is shown this once."""
    url, events = _check_url(url), _check_events(events)
    secret = "whsec_" + secrets.token_urlsafe(32)
    with svc.uow() as uow:
        store = uow.scope(_shop(uow, shop_id)).merchant_webhooks
        if len(store.endpoints()) >= MAX_ENDPOINTS:
            raise EndpointLimitReached(f"a shop has at most {MAX_ENDPOINTS} endpoints; delete one first")
        endpoint = store.add_endpoint(url=url, secret=secret, events=events, description=description.strip()[:255],
                                      now=svc.clock.now())
        uow.commit()
    return endpoint, secret


def list_endpoints(svc: Services, shop_id: int) -> list[Endpoint]:
    with svc.uow() as uow:
        return uow.scope(_shop(uow, shop_id)).merchant_webhooks.endpoints()


def delete_endpoint(svc: Services, shop_id: int, endpoint_id: int) -> None:
    with svc.uow() as uow:
        if not uow.scope(_shop(uow, shop_id)).merchant_webhooks.delete_endpoint(endpoint_id, svc.clock.now()):
            raise NotFound(f"no webhook endpoint {endpoint_id} in this shop")
        uow.commit()


def list_deliveries(svc: Services, shop_id: int, endpoint_id: int, *, before_id: int | None = None,
                    limit: int = 50) -> list[DeliveryRecord]:
    with svc.uow() as uow:
        store = uow.scope(_shop(uow, shop_id)).merchant_webhooks
        if store.endpoint(endpoint_id) is None:
            raise NotFound(f"no webhook endpoint {endpoint_id} in this shop")
        return store.deliveries(endpoint_id, before_id=before_id, limit=limit)


# ---- emission and sending ----

def emit(scope: ShopScope, event: str, payload: Mapping[str, Any], now: datetime) -> int:
    """Queue `event` for every endpoint of the shop that wants it, in the caller's transaction.

    Returns how many deliveries were written. The body is fixed now, so every retry sends
    the same bytes and a receiver can de-duplicate on the event id.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown merchant webhook event {event!r}")
    store = scope.merchant_webhooks
    wanted = [endpoint for endpoint in store.endpoints() if event in endpoint.events]
    if not wanted:
        return 0
    event_id = f"evt_{uuid.uuid4().hex}"
    body = json.dumps({"id": event_id, "type": event, "created_at": now.isoformat(), "shop_id": scope.shop.id,
                       "data": payload}, default=str, separators=(",", ":"), ensure_ascii=False)
    for endpoint in wanted:
        delivery_id = store.add_delivery(endpoint_id=endpoint.id, event=event, event_id=event_id, body=body, now=now)
        scope.outbox.add(OUTBOX_TASK, delivery_id, now)
    return len(wanted)


@dataclass(frozen=True)
class _Sending:
    outgoing: OutgoingDelivery


class _Deliver:
    """Merchant webhooks' part of the outbox consumer: one signed POST, and its answer kept."""

    def __init__(self, transport: WebhookTransport | None = None) -> None:
        self.transport = transport

    def prepare(self, svc: Services, uow: UnitOfWork, shop: Shop, subject_id: int) -> _Sending | Finish:
        outgoing = uow.scope(shop).merchant_webhooks.outgoing(subject_id)
        if outgoing is None or outgoing.status != "pending" or outgoing.endpoint_deleted:
            return Finish("skipped")
        return _Sending(outgoing)

    def call(self, svc: Services, shop: Shop, work: _Sending) -> Answer:
        outgoing = work.outgoing
        body = outgoing.body.encode()
        headers = {
            "Content-Type": "application/json", "User-Agent": "returns-connector-webhooks/1",
            "X-Returns-Event": outgoing.event, "X-Returns-Event-Id": outgoing.event_id,
            "X-Returns-Delivery": str(outgoing.id),
            # Signed at each attempt: the timestamp says when it was sent, so a receiver can refuse replays.
            SIGNATURE_HEADER: sign(outgoing.secret, int(svc.clock.now().timestamp()), body),
        }
        try:
            answer = (self.transport or default_transport(svc)).post(outgoing.url, body, headers, TIMEOUT_SECONDS)
        except TransportError as exc:
            raise Failed(str(exc) or "unreachable") from exc
        if not 200 <= answer.status < 300:
            raise Failed(f"answered {answer.status}", detail=answer)
        return answer

    def record(self, svc: Services, uow: UnitOfWork, shop: Shop, work: _Sending, answer: Answer) -> str:
        uow.scope(shop).merchant_webhooks.record_attempt(
            work.outgoing.id, status="delivered", status_code=answer.status, response=answer.body, error="",
            now=svc.clock.now(), next_attempt_at=None)
        return "delivered"

    def failed(self, svc: Services, uow: UnitOfWork, shop: Shop, work: _Sending, failure: Failed, final: bool,
               next_try: datetime | None) -> str | None:
        answer = failure.detail if isinstance(failure.detail, Answer) else None
        uow.scope(shop).merchant_webhooks.record_attempt(
            work.outgoing.id, status="failed" if final else "pending",
            status_code=answer.status if answer else None, response=answer.body if answer else "",
            error=failure.error, now=svc.clock.now(), next_attempt_at=next_try)
        return None


KIND: OutboxKind[_Sending, Answer] = OutboxKind(
    task=OUTBOX_TASK, queue="notify", handler=_Deliver(),
    limits=Limits(max_attempts=MAX_ATTEMPTS, first=timedelta(seconds=30), longest=timedelta(hours=6)))


def deliver_merchant_webhook(svc: Services, outbox_id: int, *, transport: WebhookTransport | None = None) -> str:
    """Send one delivery of the outbox. Returns delivered, retry, failed or skipped; safe to run twice."""
    kind = KIND if transport is None else replace(KIND, handler=_Deliver(transport))
    return consume(svc, outbox_id, kind)


# ---- what the events carry ----

def return_payload(reference: str, status: str, order_id: str, customer_email: str,
                   previous_status: str | None = None) -> dict[str, Any]:
    """The `data` of return.created and return.status_changed: enough to fetch the rest by reference."""
    data: dict[str, Any] = {"reference": reference, "status": status, "order_id": order_id,
                            "customer_email": customer_email}
    if previous_status is not None:
        data["previous_status"] = previous_status
    return data


def resolution_payload(reference: str, resolution_id: int, kind: str, amount: str, currency: str,
                       platform_reference: str, adopted: bool) -> dict[str, Any]:
    """The `data` of resolution.pushed: what the shop now holds for this return."""
    return {"reference": reference, "resolution_id": resolution_id, "kind": kind, "amount": amount,
            "currency": currency, "platform_reference": platform_reference, "adopted": adopted}
