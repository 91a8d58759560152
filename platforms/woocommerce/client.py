"""WooCommerce REST v3 transport on `woocommerce.API`: auth modes, retries, pages, clear errors. No domain, no Flask.

Auth: over https WooCommerce takes HTTP Basic with the consumer key and secret; some
hosts (CGI/FastCGI PHP, some proxies) drop the Authorization header, and WooCommerce
then answers 401 as if no key had been sent. We retry such a call once with the key
in the query string and keep that mode. Over plain http WooCommerce ignores Basic
(recorded: 401 woocommerce_rest_cannot_view) and wants OAuth 1.0a one-legged
signing, which `woocommerce.API` does for http URLs.

Retries: reads and PUTs are retried on 429, 5xx and dropped connections. POSTs are
not (a refund or an order created twice is money lost); only a 429, which means the
request was refused before it ran, is retried. A POST whose outcome we did not see
raises OutcomeUnknown so the caller can look for what it meant to create.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from woocommerce import API

from connector.ports import PlatformError
from platforms.woocommerce.urls import normalise_store_url

log = logging.getLogger(__name__)

# Read timeout long enough for a refund through the payment gateway, which waits on
# the payment provider inside WooCommerce's request; connecting should be quick.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
MAX_ATTEMPTS = 4
MAX_RETRY_WAIT = 60.0
PER_PAGE = 100
USER_AGENT = "returns-connector (WooCommerce REST v3)"

# Codes WooCommerce/WordPress give when the request carried no usable credentials at
# all: with Basic over https that means the Authorization header never reached PHP.
_NOT_AUTHENTICATED = frozenset(
    {
        "woocommerce_rest_cannot_view",
        "woocommerce_rest_cannot_create",
        "woocommerce_rest_cannot_edit",
        "woocommerce_rest_cannot_delete",
        "rest_not_logged_in",
        "rest_forbidden",
    }
)


class WooCommerceError(PlatformError):
    """WooCommerce refused or failed a call; `code` is WooCommerce's error code when it sent one."""

    def __init__(
        self, message: str, *, code: str = "", status: int | None = None, retryable: bool = False
    ) -> None:
        super().__init__(message, retryable=retryable, status=status)
        self.code = code


class OutcomeUnknown(WooCommerceError):
    """A write whose answer we never saw (timeout, dropped connection, a 5xx page): it may have happened."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message, code="outcome_unknown", status=status, retryable=True)


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int | None
    total_pages: int | None


@dataclass(frozen=True)
class ConnectionDiagnosis:
    """What `check_connection` found, in words for the merchant."""

    ok: bool
    message: str
    code: str = ""
    query_string_auth: bool = False
    order_count: int | None = None


def _int_header(response: requests.Response, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None


def _retry_after(response: requests.Response | None, attempt: int) -> float:
    """Seconds to wait: the server's Retry-After (seconds or HTTP date) or exponential backoff."""
    value = response.headers.get("Retry-After") if response is not None else None
    if value:
        try:
            wait = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
                wait = (when - datetime.now(UTC)).total_seconds()
            except (TypeError, ValueError):
                wait = 2.0**attempt
        return min(max(wait, 0.0), MAX_RETRY_WAIT)
    return min(2.0 ** (attempt - 1), MAX_RETRY_WAIT)


def _error_body(response: requests.Response) -> tuple[str, str] | None:
    """(code, message) of a WordPress REST error body, or None if it is not one (an HTML page)."""
    try:
        body: Any = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        return body["code"], str(body.get("message") or "")
    return None


def explain(status: int, code: str, message: str, store: str, *, is_json: bool = True) -> str:
    """WooCommerce's answer in words a merchant can act on."""
    lowered = message.lower()
    if status == 404 and not is_json:
        return (
            f"{store}/wp-json/ was not found (HTTP 404): the WordPress REST API is off. Turn on "
            "pretty permalinks (Settings > Permalinks, any choice but Plain) and check that no "
            "security plugin disables the REST API."
        )
    if code == "rest_no_route":
        return (
            f"{store} has a REST API but no WooCommerce v3 routes: is WooCommerce installed, "
            "active and recent (3.5 or later)?"
        )
    if code == "woocommerce_rest_authentication_error":
        if "write permission" in lowered:
            return (
                "The WooCommerce API key is read-only: give it Read/Write in WooCommerce > Settings > "
                "Advanced > REST API, or connect the store again."
            )
        if "read permission" in lowered:
            return "The WooCommerce API key may not read: give it Read/Write or connect the store again."
        return (
            f"WooCommerce refused the API key ({message}): it was revoked or mistyped; "
            "connect the store again or paste a valid ck_/cs_ pair."
        )
    if status == 401 and code in _NOT_AUTHENTICATED:
        return (
            f"WooCommerce did not receive the API key ({message}), even in the query string: the "
            "web server or a security plugin strips credentials; allow the Authorization header."
        )
    if status == 403:
        return (
            f"The WordPress user owning the API key may not do this ({message}): use a key created "
            "by a shop manager or administrator."
        )
    if code == "woocommerce_rest_cannot_create_order_refund":
        if "invalid refund amount" in lowered:
            return (
                f"WooCommerce refused the refund: the amount is more than what is left to refund on "
                f"the order ({message})"
            )
        if "automatic refund" in lowered:
            return (
                f"WooCommerce refused the refund: {message} Turn off refunds through the payment "
                "gateway for this shop and return the money by hand."
            )
        return f"WooCommerce refused the refund: {message}"
    if status == 404:
        return f"Not found in WooCommerce ({code or 'HTTP 404'}): {message}".rstrip(": ")
    if status == 429:
        return "WooCommerce is rate limiting the app (HTTP 429): it will be tried again later."
    if status >= 500:
        return f"WooCommerce failed (HTTP {status}{', ' + code if code else ''}): {message or 'server error'}"
    return f"WooCommerce answered HTTP {status} {code}: {message}".strip()


class WooCommerceClient:
    """One store's REST v3 API. Endpoints are relative to /wp-json/wc/v3/."""

    def __init__(
        self,
        store_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        query_string_auth: bool = False,
        read_timeout: float = READ_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        verify_ssl: bool = True,
    ) -> None:
        self.store_url = normalise_store_url(store_url)
        self._key = consumer_key
        self._secret = consumer_secret
        self._timeout = (CONNECT_TIMEOUT, read_timeout)
        self._max_attempts = max(1, max_attempts)
        self._sleep = sleep
        self._verify_ssl = verify_ssl
        self._query_string_auth = query_string_auth

    @property
    def is_https(self) -> bool:
        return self.store_url.startswith("https://")

    @property
    def query_string_auth(self) -> bool:
        """True once the store proved to drop the Authorization header; worth saving in the shop's options."""
        return self._query_string_auth

    @property
    def auth_mode(self) -> str:
        if not self.is_https:
            return "oauth1"
        return "query_string" if self._query_string_auth else "basic"

    def _api(self) -> Any:
        return API(
            url=self.store_url,
            consumer_key=self._key,
            consumer_secret=self._secret,
            version="wc/v3",
            timeout=self._timeout,
            verify_ssl=self._verify_ssl,
            query_string_auth=self._query_string_auth,
            user_agent=USER_AGENT,
        )

    def _send(
        self, method: str, endpoint: str, data: Any, params: Mapping[str, Any] | None
    ) -> requests.Response:
        api = self._api()
        # woocommerce.API mutates `params` in query-string mode: always hand it a copy.
        query = dict(params or {})
        if method == "GET":
            response: requests.Response = api.get(endpoint, params=query)
        elif method == "POST":
            response = api.post(endpoint, data, params=query)
        elif method == "PUT":
            response = api.put(endpoint, data, params=query)
        elif method == "DELETE":
            response = api.delete(endpoint, params=query)
        else:  # pragma: no cover - programming error
            raise ValueError(method)
        return response

    def request(
        self,
        method: str,
        endpoint: str,
        data: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> requests.Response:
        """One call with the retry rules above; a non-2xx answer raises WooCommerceError."""
        retries_writes = method != "POST"
        attempt = 0
        tried_query_string = False
        while True:
            attempt += 1
            try:
                response = self._send(method, endpoint, data, params)
            except requests.exceptions.SSLError as exc:
                raise WooCommerceError(
                    f"The HTTPS certificate of {self.store_url} was refused: {exc}", code="ssl_error"
                ) from exc
            except (requests.Timeout, requests.ConnectionError) as exc:
                if retries_writes and attempt < self._max_attempts:
                    log.warning("WooCommerce %s %s: %s; retrying", method, endpoint, exc)
                    self._sleep(_retry_after(None, attempt))
                    continue
                if method == "POST":
                    raise OutcomeUnknown(
                        f"No answer from {self.store_url} to POST {endpoint} ({type(exc).__name__}): "
                        "it may or may not have been done"
                    ) from exc
                raise WooCommerceError(
                    f"Could not reach {self.store_url} ({type(exc).__name__}): {exc}",
                    code="unreachable",
                    retryable=True,
                ) from exc

            status = response.status_code
            if 200 <= status < 300:
                return response
            error = _error_body(response)
            code = error[0] if error else ""
            if (
                status == 401
                and code in _NOT_AUTHENTICATED
                and self.is_https
                and not self._query_string_auth
                and not tried_query_string
            ):
                # Refused before anything ran, so even a POST is safe to repeat.
                log.warning("%s dropped the Authorization header: using query-string auth", self.store_url)
                self._query_string_auth = True
                tried_query_string = True
                attempt -= 1
                continue
            may_retry = status == 429 or (status >= 500 and retries_writes)
            if may_retry and attempt < self._max_attempts:
                log.warning("WooCommerce %s %s answered %s; retrying", method, endpoint, status)
                self._sleep(_retry_after(response, attempt))
                continue
            raise self._error(method, response, error)

    def _error(
        self, method: str, response: requests.Response, error: tuple[str, str] | None
    ) -> WooCommerceError:
        status = response.status_code
        if error is None:
            if method == "POST" and status >= 500:
                return OutcomeUnknown(
                    f"{self.store_url} answered HTTP {status} without a WooCommerce error: "
                    "the write may or may not have been done",
                    status=status,
                )
            return WooCommerceError(
                explain(status, "", response.reason or "", self.store_url, is_json=False),
                status=status,
                retryable=status == 429 or status >= 500,
            )
        code, message = error
        # A WooCommerce error code on a 5xx is a refusal (refunds answer 500), not an outage.
        retryable = status == 429 or (status >= 500 and code in {"internal_server_error", ""})
        return WooCommerceError(
            explain(status, code, message, self.store_url), code=code, status=status, retryable=retryable
        )

    # ---- conveniences ----

    def get(self, endpoint: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", endpoint, params=params).json()

    def post(self, endpoint: str, data: Any) -> Any:
        return self.request("POST", endpoint, data=data).json()

    def put(self, endpoint: str, data: Any) -> Any:
        return self.request("PUT", endpoint, data=data).json()

    def get_page(self, endpoint: str, params: Mapping[str, Any] | None = None, page: int = 1,
                 per_page: int = PER_PAGE) -> Page:
        response = self.request("GET", endpoint, params={**(params or {}), "page": page, "per_page": per_page})
        items: Any = response.json()
        if not isinstance(items, list):
            raise WooCommerceError(f"WooCommerce sent no list for {endpoint}", code="bad_response")
        return Page(items, _int_header(response, "X-WP-Total"), _int_header(response, "X-WP-TotalPages"))

    def iter_all(
        self,
        endpoint: str,
        params: Mapping[str, Any] | None = None,
        *,
        per_page: int = PER_PAGE,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint, page after page, as X-WP-TotalPages says.

        Without the header (a proxy stripped it) we go on until a short page.
        """
        page, done = 1, 0
        while True:
            result = self.get_page(endpoint, params, page, per_page)
            for item in result.items:
                yield item
                done += 1
                if progress is not None:
                    progress(done, result.total)
            if result.total_pages is not None:
                if page >= result.total_pages:
                    return
            elif len(result.items) < per_page:
                return
            if not result.items:
                return
            page += 1

    def check_connection(self) -> ConnectionDiagnosis:
        """Make one real authenticated call and say plainly whether the store can be used."""
        try:
            page = self.get_page("orders", page=1, per_page=1)
        except WooCommerceError as exc:
            return ConnectionDiagnosis(False, str(exc), exc.code, self._query_string_auth)
        mode = {"oauth1": "OAuth 1.0a over http", "basic": "HTTP Basic over https",
                "query_string": "the key in the query string (the server drops the Authorization header)"}
        return ConnectionDiagnosis(
            True,
            f"Connected to {self.store_url} using {mode[self.auth_mode]}.",
            "",
            self._query_string_auth,
            page.total,
        )
