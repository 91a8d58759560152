"""Shopify Admin GraphQL transport: auth, timeouts, cost throttle, retries, errors. Imports requests and ports.

Every call goes through `AdminClient.execute`; mutations through `AdminClient.mutate`,
which turns `userErrors` into a PlatformError a merchant can read. Retrying a call
re-sends exactly the same document and variables, so an `@idempotent(key:)` mutation
carries the same key on every attempt.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Mapping
from typing import Any

import requests

from connector.ports import PlatformError
from platforms.shopify import queries
from platforms.shopify.throttle import CostLimiter, InProcessLimiter, Sleep, ThrottleStatus

DEFAULT_ADMIN_URL = "https://{shop}/admin/api/{version}"
DEFAULT_API_VERSION = "2026-10"
# (connect, read): refunds go through payment gateways and can take a while to answer.
DEFAULT_TIMEOUT = (5.0, 30.0)
# Cost assumed for a document neither priced in queries.REQUESTED_COSTS nor sent yet;
# replaced by Shopify's own figure after the first answer.
DEFAULT_QUERY_COST = 50.0
# Idempotency user errors that mean "same request still running": worth trying again.
_RETRYABLE_USER_ERROR_CODES = frozenset({"IDEMPOTENCY_CONCURRENT_REQUEST"})

JSON = dict[str, Any]


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds; Shopify sends e.g. "2.0", so floats are accepted."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # an HTTP-date: Shopify does not send those; fall back to backoff
    return seconds if seconds >= 0 else None


class AdminClient:
    """One shop's Admin GraphQL endpoint."""

    # What each document cost last time, shared by all clients of the process, so the
    # limiter can reserve the right amount before sending it again.
    _known_costs: dict[str, float] = {}

    def __init__(
        self,
        shop: str,
        access_token: str,
        *,
        admin_url: str = DEFAULT_ADMIN_URL,
        api_version: str = DEFAULT_API_VERSION,
        limiter: CostLimiter | None = None,
        session: requests.Session | None = None,
        sleep: Sleep = time.sleep,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        max_attempts: int = 5,
    ) -> None:
        self.shop = shop
        self.url = admin_url.format(shop=shop, version=api_version).rstrip("/") + "/graphql.json"
        self._token = access_token
        self._limiter = limiter or InProcessLimiter(sleep=sleep)
        self._session = session or requests.Session()
        self._sleep = sleep
        self._timeout = timeout
        self._max_attempts = max_attempts

    # ---- public ----

    def execute(self, document: str, variables: Mapping[str, Any] | None = None) -> JSON:
        """Run a query or mutation and return its `data`; raises PlatformError."""
        body = {"query": document, "variables": dict(variables or {})}
        doc_key = hashlib.sha256(document.encode()).hexdigest()
        # Shopify's last figure for this document, else the one priced in advance.
        estimate = queries.requested_cost_of(document) or DEFAULT_QUERY_COST
        last_error = "no attempt made"
        for attempt in range(1, self._max_attempts + 1):
            self._limiter.acquire(self.shop, self._known_costs.get(doc_key, estimate))
            try:
                response = self._session.post(
                    self.url,
                    json=body,
                    headers={
                        "X-Shopify-Access-Token": self._token,
                        "Content-Type": "application/json",
                        "Accept": "application/json",
                    },
                    timeout=self._timeout,
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                # The request may have reached Shopify: only safe to repeat because the
                # same body (and idempotency key) goes again.
                last_error = f"network error: {exc.__class__.__name__}"
                self._backoff(attempt, None)
                continue

            status = response.status_code
            if status == 429 or status >= 500:
                last_error = f"HTTP {status}"
                self._backoff(attempt, _parse_retry_after(response.headers.get("Retry-After")))
                continue
            if status in (401, 403):
                raise PlatformError(
                    f"Shopify refused our access token for {self.shop} (HTTP {status}); "
                    "the app may have been uninstalled or lack a scope",
                    retryable=False,
                    status=status,
                )
            if status >= 400:
                raise PlatformError(
                    f"Shopify answered HTTP {status} for {self.shop}: {response.text[:300]}",
                    retryable=False,
                    status=status,
                )
            try:
                payload = response.json()
            except ValueError:
                last_error = "answer was not JSON"
                self._backoff(attempt, None)
                continue
            if not isinstance(payload, dict):
                raise PlatformError("Shopify answered with JSON that is not an object", status=status)

            cost = self._record_cost(doc_key, payload)
            errors = payload.get("errors") or []
            if errors:
                if any(_error_code(e) == "THROTTLED" for e in errors):
                    last_error = "THROTTLED"
                    # The limiter now holds Shopify's bucket: waiting in `acquire` at the
                    # top of the loop is exactly "until the cost fits". If Shopify sent no
                    # throttle status, fall back to plain backoff.
                    if cost is None:
                        self._backoff(attempt, None)
                    continue
                messages = "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict))
                # A missing scope answers 200 with ACCESS_DENIED: give it the status a
                # caller checks for (403), with Shopify's message naming the scope.
                denied = any(_error_code(e) == "ACCESS_DENIED" for e in errors)
                raise PlatformError(
                    f"Shopify GraphQL error: {messages or errors}", retryable=False, status=403 if denied else None
                )
            data = payload.get("data")
            if not isinstance(data, dict):
                raise PlatformError("Shopify answered without data", retryable=True)
            return data
        raise PlatformError(
            f"Shopify did not answer after {self._max_attempts} attempts ({last_error})", retryable=True
        )

    def mutate(self, document: str, variables: Mapping[str, Any], field: str) -> JSON:
        """Run a mutation and return its payload object; `userErrors` become a PlatformError."""
        data = self.execute(document, variables)
        payload = data.get(field)
        if not isinstance(payload, dict):
            raise PlatformError(f"{field}: Shopify returned no payload", retryable=False)
        user_errors = payload.get("userErrors") or []
        if user_errors:
            raise PlatformError(
                f"{field} refused by Shopify: " + "; ".join(_describe(e) for e in user_errors),
                retryable=all(e.get("code") in _RETRYABLE_USER_ERROR_CODES for e in user_errors),
            )
        return payload

    # ---- helpers ----

    def _record_cost(self, doc_key: str, payload: JSON) -> ThrottleStatus | None:
        cost = (payload.get("extensions") or {}).get("cost") or {}
        requested = cost.get("requestedQueryCost")
        if isinstance(requested, int | float):
            self._known_costs[doc_key] = float(requested)
        throttle = cost.get("throttleStatus")
        if not isinstance(throttle, dict):
            return None
        try:
            status = ThrottleStatus(
                maximum_available=float(throttle["maximumAvailable"]),
                currently_available=float(throttle["currentlyAvailable"]),
                restore_rate=float(throttle["restoreRate"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        self._limiter.update(self.shop, status)
        return status

    def _backoff(self, attempt: int, retry_after: float | None) -> None:
        if attempt >= self._max_attempts:
            return  # no further attempt: do not sleep for nothing
        if retry_after is not None:
            self._sleep(retry_after)
            return
        # Exponential with jitter so workers that failed together do not retry together.
        self._sleep(min(30.0, 2 ** (attempt - 1)) * (1 + random.random() / 4))  # noqa: S311


def _error_code(error: object) -> str | None:
    if not isinstance(error, dict):
        return None
    extensions = error.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    return str(code) if code else None


def _describe(error: Mapping[str, Any]) -> str:
    field = ".".join(str(part) for part in error.get("field") or [])
    code = error.get("code")
    text = str(error.get("message", json.dumps(error)))
    return f"{field + ': ' if field else ''}{text}{f' ({code})' if code else ''}"
