"""WooCommerce connect in two clicks as a connect flow (connector.ports.platforms.ConnectFlow).

Mounted by the core web edge at /woocommerce/connect (begin), /woocommerce/callback (complete,
POST) and /woocommerce/return (landing). The merchant names their store; we check its REST API
is reachable, then send them to WooCommerce's /wc-auth/v1/authorize with a signed `user_id`.
WooCommerce's server POSTs the new read_write key to the callback (no browser session, so no
CSRF token: the signed user_id is what binds the key to the store that asked). The callback
must answer exactly 200 or WooCommerce deletes the key; every refusal is a non-200 so a key
we cannot use is deleted too. Then the merchant's browser comes back to the landing page.

Framework-free: imports the ports and this package only.
"""

from __future__ import annotations

from connector.ports.platforms import (
    ConnectFlowRoutes,
    FlowConnect,
    FlowContext,
    FlowForm,
    FlowLanded,
    FlowRedirect,
    FlowRefused,
    FlowStep,
    Query,
)
from platforms.woocommerce.probe import probe_store
from platforms.woocommerce.signatures import (
    USER_ID_TTL,
    ConnectError,
    authorize_url,
    parse_auth_callback,
    sign_user_id,
    verify_user_id,
)
from platforms.woocommerce.urls import normalise_store_url

APP_NAME = "returns-connector"


def _refused(status: int, code: str, message: str) -> FlowRefused:
    return FlowRefused(status, code, "The store cannot be connected", message)


class WooCommerceConnectFlow:
    routes = ConnectFlowRoutes(begin="connect", complete="callback", complete_method="POST", landing="return",
                               bind_max_age=int(USER_ID_TTL.total_seconds()))

    def unavailable(self) -> FlowRefused | None:
        return None

    def begin(self, query: Query, ctx: FlowContext) -> FlowStep:
        """Check the store URL and its REST API, then send the merchant to WooCommerce to approve."""
        given = dict(query).get("store_url", "").strip()
        if not given:
            return FlowForm()
        try:
            store = normalise_store_url(given)
        except ValueError as exc:
            return FlowForm(given, _refused(400, "bad_url", str(exc)))
        probe = probe_store(store)
        if not probe.ok:
            return FlowForm(store, _refused(400, probe.code, probe.message))
        user_id = sign_user_id(store, ctx.secret_key, ctx.now)
        try:
            target = authorize_url(store, APP_NAME, user_id, f"{ctx.app_url}/woocommerce/return",
                                   f"{ctx.app_url}/woocommerce/callback")
        except ConnectError as exc:
            return FlowForm(store, _refused(400, "bad_app_url", str(exc)))
        # The browser that started may set the admin sign-in once the store is connected.
        return FlowRedirect(target, bind=user_id)

    def complete(self, query: Query, body: bytes, bound: str, ctx: FlowContext) -> FlowStep:
        """WooCommerce's server posts the key: the store it is for is the one the signed user_id names."""
        try:
            keys = parse_auth_callback(body)
        except ConnectError as exc:
            return _refused(400, "bad_callback", str(exc))
        try:
            store = verify_user_id(keys.user_id, ctx.secret_key, ctx.now)
        except ConnectError as exc:
            return _refused(403, "bad_binding", str(exc))
        return FlowConnect(store, {"consumer_key": keys.consumer_key, "consumer_secret": keys.consumer_secret,
                                   "key_id": str(keys.key_id)})

    def landed(self, query: Query, ctx: FlowContext) -> FlowLanded:
        """Where WooCommerce sends the merchant's browser back, with success=1 or 0."""
        args = dict(query)
        user_id = args.get("user_id", "")
        if args.get("success") != "1":
            return FlowLanded(declined=True, token=user_id)
        try:
            return FlowLanded(domain=self.shop_of(user_id, ctx), token=user_id)
        except ConnectError as exc:
            return FlowLanded(token=user_id, error=str(exc))

    def shop_of(self, token: str, ctx: FlowContext) -> str:
        """The store a signed user_id names; ConnectError (a ValueError) when forged or expired."""
        return verify_user_id(token, ctx.secret_key, ctx.now)
