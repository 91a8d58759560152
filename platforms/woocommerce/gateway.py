"""WooCommerce PlatformGateway: orders in; refunds, coupons, exchanges out, exactly once. Domain, ports, this package.

There is no idempotency key in
WooCommerce's REST API, so every write is preceded by a look for what a previous
attempt may have created (the reference is in its meta data) and followed, when its
answer was lost, by the same look before anyone may try again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connector.domain.money import Money
from connector.domain.orders import Order
from connector.domain.resolutions import settle_exchange
from connector.domain.returns import ResolutionKind
from connector.ports import ProductVariant, Progress, PushResult, ResolutionPush, StoreIdentity
from platforms.woocommerce import mapping, payloads
from platforms.woocommerce.client import (
    ConnectionDiagnosis,
    OutcomeUnknown,
    WooCommerceClient,
    WooCommerceError,
)

log = logging.getLogger(__name__)

WEBHOOK_TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored")
WEBHOOK_PATH = "/webhooks/woocommerce"
_INACTIVE = frozenset({"disabled", "paused"})


@dataclass(frozen=True)
class WebhookChange:
    """What `ensure_webhooks` or `reactivate_disabled_webhooks` did to one webhook (to tell the merchant)."""

    webhook_id: str
    topic: str
    action: str  # created, adopted, updated, reactivated
    previous_status: str = ""


def delivery_url(app_url: str) -> str:
    return app_url.rstrip("/") + WEBHOOK_PATH


def _refused(exc: payloads.PushRefused) -> WooCommerceError:
    return WooCommerceError(str(exc), code="push_refused")


class WooCommerceGateway:
    """PlatformGateway for one WooCommerce store."""

    def __init__(
        self,
        client: WooCommerceClient,
        *,
        gateway_refunds: bool = False,
        app_url: str = "",
        webhook_secret: str = "",
    ) -> None:
        self.client = client
        # Refunding through the payment gateway is the merchant's choice (shop option
        # gateway_refunds == "yes"); off, WooCommerce records the refund and the
        # merchant returns the money by hand (the recorded default, BACS/COD).
        self.gateway_refunds = gateway_refunds
        self.app_url = app_url
        self.webhook_secret = webhook_secret

    # ---- orders ----

    def _order_json(self, platform_order_id: str) -> dict[str, Any] | None:
        try:
            body: Any = self.client.get(f"orders/{int(platform_order_id)}")
        except ValueError:
            return None  # not a WooCommerce order id
        except WooCommerceError as exc:
            if exc.status == 404:
                return None
            raise
        return body if isinstance(body, dict) else None

    def _refunds(self, platform_order_id: str) -> list[dict[str, Any]]:
        return list(self.client.iter_all(f"orders/{int(platform_order_id)}/refunds"))

    def _to_order(self, body: Mapping[str, Any]) -> Order:
        # Only the refunds list says which lines were refunded (the order lists totals).
        refunds = self._refunds(str(body["id"])) if body.get("refunds") else []
        try:
            return mapping.order_from_rest(body, refunds)
        except mapping.MappingError as exc:
            raise WooCommerceError(f"WooCommerce sent an order we cannot read: {exc}", code="bad_response") from exc

    def fetch_order(self, platform_order_id: str) -> Order | None:
        body = self._order_json(platform_order_id)
        return self._to_order(body) if body is not None else None

    def variants_of(self, product_id: str) -> list[ProductVariant]:
        """A variable product's variations in stock, for an exchange (none for a simple product)."""
        try:
            body: Any = self.client.get(f"products/{int(product_id)}/variations", {"per_page": 100})
        except ValueError:
            return []
        except WooCommerceError as exc:
            if exc.status == 404:
                return []
            raise
        variants = []
        for variation in body if isinstance(body, list) else []:
            if variation.get("stock_status", "instock") == "outofstock" or not variation.get("purchasable", True):
                continue
            title = " / ".join(str(a.get("option", "")) for a in variation.get("attributes") or [] if a.get("option"))
            # stock_quantity counts only when the variation manages its stock and refuses backorders.
            managed = variation.get("manage_stock") is True and variation.get("backorders", "no") == "no"
            quantity = variation.get("stock_quantity")
            variants.append(ProductVariant(str(variation["id"]), title or f"#{variation['id']}",
                                           stock=max(quantity, 0) if managed and isinstance(quantity, int) else None,
                                           image_url=mapping.picture(variation.get("image"))))
        return variants

    def find_order(self, name: str, email: str) -> Order | None:
        """The order a shopper names (#1001 or 1001) if its billing email is theirs.

        The number is usually the id; plugins (sequential numbers) make it differ, so
        a search for the number follows. The email check is what stops a shopper
        from opening someone else's order by guessing numbers.
        """
        number = name.strip().lstrip("#").strip()
        wanted = email.strip().lower()
        if not number or not wanted:
            return None
        candidates: list[dict[str, Any]] = []
        if number.isdigit():
            body = self._order_json(number)
            if body is not None:
                candidates.append(body)
        if not any(str(c.get("number")) == number for c in candidates):
            found: Any = self.client.get("orders", {"search": number, "per_page": 20})
            candidates += [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []
        for body in candidates:
            billing = body.get("billing") or {}
            if str(body.get("number")) == number and str(billing.get("email") or "").strip().lower() == wanted:
                return self._to_order(body)
        return None

    def orders_since(self, since: datetime | None, progress: Progress | None = None) -> Iterator[Order]:
        """Every order changed after `since` (all orders when None), oldest change first."""
        params: dict[str, Any] = {"orderby": "modified", "order": "asc"}
        if since is not None:
            params["modified_after"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
            params["dates_are_gmt"] = "true"
        for body in self.client.iter_all("orders", params, progress=progress):
            yield self._to_order(body)

    # ---- the store's identity ----

    def store_identity(self) -> StoreIdentity:
        """Name, currency, language and address, from the store's own settings."""
        general: Any = self.client.get("settings/general")
        status: Any = self.client.get("system_status")
        return mapping.store_identity(general, status)

    # ---- pushes ----

    def push(self, push: ResolutionPush) -> PushResult:
        try:
            if push.kind is ResolutionKind.REFUND:
                return self._refund(push)
            if push.kind in (ResolutionKind.COUPON, ResolutionKind.STORE_CREDIT):
                return self._coupon(push)
            if push.kind is ResolutionKind.EXCHANGE:
                return self._exchange(push)
        except payloads.PushRefused as exc:
            raise _refused(exc) from exc
        raise WooCommerceError(f"WooCommerce cannot carry out a {push.kind.value} resolution", code="push_refused")

    def _existing_refund(self, push: ResolutionPush) -> dict[str, Any] | None:
        for refund in self._refunds(push.platform_order_id):
            if mapping.carries_reference(refund, push.reference, "reason"):
                return refund
        return None

    def _refund(self, push: ResolutionPush) -> PushResult:
        """One refund, or two when restocked and kept items are mixed (see payloads.split_by_restock)."""
        parts = payloads.split_by_restock(push)
        results = [self._one_refund(part) for part in parts]
        if len(results) == 1:
            return results[0]
        return PushResult(
            ",".join(r.platform_reference for r in results), adopted=all(r.adopted for r in results)
        )

    def _one_refund(self, push: ResolutionPush) -> PushResult:
        existing = self._existing_refund(push)
        if existing is not None:
            return PushResult(str(existing["id"]), adopted=True)
        body = payloads.refund_body(push, api_refund=self.gateway_refunds)
        try:
            created: Any = self.client.post(f"orders/{int(push.platform_order_id)}/refunds", body)
        except WooCommerceError as exc:
            if not isinstance(exc, OutcomeUnknown) and (exc.status or 0) < 500:
                raise
            # A lost answer, or a 500 that WooCommerce may send even after the refund
            # was saved: look before anyone tries again.
            existing = self._existing_refund(push)
            if existing is not None:
                log.info("refund for %s was made despite %s; adopted", push.reference, exc.code)
                return PushResult(str(existing["id"]), adopted=True)
            if isinstance(exc, OutcomeUnknown):
                raise WooCommerceError(
                    f"The refund for {push.reference} got no answer and is not in WooCommerce: "
                    "it will be tried again",
                    code=exc.code, status=exc.status, retryable=True,
                ) from exc
            raise
        return PushResult(str(created["id"]), adopted=False)

    def _find_coupon(self, code: str, reference: str) -> dict[str, Any] | None:
        found: Any = self.client.get("coupons", {"code": code})
        for coupon in found if isinstance(found, list) else []:
            if str(coupon.get("code", "")).lower() != code:
                continue
            if not mapping.carries_reference(coupon, reference, "description"):
                raise WooCommerceError(
                    f"The coupon code {code!r} already exists in WooCommerce for something else: "
                    "choose another code",
                    code="coupon_code_taken",
                )
            return dict(coupon)
        return None

    def _coupon(self, push: ResolutionPush) -> PushResult:
        code = payloads.coupon_code(push)
        existing = self._find_coupon(code, push.reference)
        if existing is not None:
            return PushResult(str(existing["id"]), adopted=True, code=str(existing["code"]))
        body = payloads.coupon_body(push, code)
        try:
            created: Any = self.client.post("coupons", body)
        except WooCommerceError as exc:
            lost = isinstance(exc, OutcomeUnknown) or exc.code == "woocommerce_rest_coupon_code_already_exists"
            if not lost:
                raise
            existing = self._find_coupon(code, push.reference)
            if existing is None:
                raise
            return PushResult(str(existing["id"]), adopted=True, code=str(existing["code"]))
        return PushResult(str(created["id"]), adopted=False, code=str(created.get("code") or code))

    def _find_exchange(self, reference: str) -> dict[str, Any] | None:
        # Core REST cannot filter orders by meta. Its `search` looks into order item
        # names (both post and HPOS storage), so the credit fee line's name carries the
        # bracketed reference; the meta then confirms it is ours.
        found: Any = self.client.get("orders", {"search": reference, "per_page": 20})
        for order in found if isinstance(found, list) else []:
            if mapping.carries_reference(order, reference, "customer_note"):
                return dict(order)
        return None

    def _exchange(self, push: ResolutionPush) -> PushResult:
        """Find or make the exchange order, then settle it: the credit is taken off the new order's
        total; a dearer item leaves it awaiting payment, a cheaper one refunds the difference."""
        existing = self._find_exchange(push.reference)
        adopted = existing is not None
        if existing is None:
            existing = self._create_exchange(push)
        return self._settle_exchange(push, existing, adopted)

    def _create_exchange(self, push: ResolutionPush) -> dict[str, Any]:
        original = self._order_json(push.platform_order_id)
        if original is None:
            raise WooCommerceError(f"order {push.platform_order_id} is not in WooCommerce any more", status=404)
        body = payloads.exchange_order_body(push, original)
        try:
            created: Any = self.client.post("orders", body)
        except OutcomeUnknown as exc:
            existing = self._find_exchange(push.reference)
            if existing is not None:
                return existing
            raise WooCommerceError(
                f"The exchange order for {push.reference} got no answer and is not in WooCommerce: "
                "it will be tried again",
                code=exc.code, status=exc.status, retryable=True,
            ) from exc
        self._note_exchange(original, created, push.reference)
        return dict(created)

    def _settle_exchange(self, push: ResolutionPush, order: dict[str, Any], adopted: bool) -> PushResult:
        new_total, credit_on_it = payloads.exchange_totals(order, push.reference)
        settlement = settle_exchange(push.amount, new_total)
        if credit_on_it != settlement.credit_used or (
                settlement.due.is_zero() and str(order.get("status")) == "pending"):
            order = dict(self.client.put(f"orders/{int(order['id'])}", payloads.exchange_settlement_body(
                order, push.reference, settlement.credit_used, settlement.due)))
            adopted = False
        if not settlement.refund.is_zero():
            self._refund_difference(push, settlement.refund)
        due = settlement.due if not settlement.due.is_zero() else None
        return PushResult(str(order["id"]), adopted=adopted, payment_due=due,
                          payment_url=str(order.get("payment_url") or "") if due else "")

    def _refund_difference(self, push: ResolutionPush, amount: Money) -> None:
        reference = push.reference + payloads.DIFFERENCE_SUFFIX
        if any(mapping.carries_reference(r, reference, "reason") for r in self._refunds(push.platform_order_id)):
            return
        try:
            self.client.post(f"orders/{int(push.platform_order_id)}/refunds",
                             payloads.exchange_difference_refund_body(push, amount))
        except WooCommerceError as exc:
            if not isinstance(exc, OutcomeUnknown) and (exc.status or 0) < 500:
                raise
            if not any(mapping.carries_reference(r, reference, "reason") for r in self._refunds(push.platform_order_id)):
                raise WooCommerceError(f"the exchange difference for {push.reference} was not refunded: "
                                       "it will be tried again", code=exc.code, status=exc.status,
                                       retryable=True) from exc

    def _note_exchange(self, original: Mapping[str, Any], created: Mapping[str, Any], reference: str) -> None:
        note = (
            f"Return {mapping.reference_marker(reference)}: exchanged, new order "
            f"#{created.get('number') or created.get('id')}."
        )
        try:
            self.client.post(f"orders/{int(original['id'])}/notes", {"note": note, "customer_note": False})
        except WooCommerceError as exc:
            # A courtesy for the merchant: the exchange order already links back through
            # its customer note and meta, so a lost note must not fail the exchange.
            log.warning("could not add the exchange note to order %s: %s", original.get("id"), exc)

    # ---- store credit (WooCommerce core has no wallet: the app's ledger is issued as a coupon) ----

    def credit_coupon_code(self, key: str) -> str:
        """The balance coupon's code for a ledger movement: the same on every retry, not guessable."""
        return payloads.store_credit_code(key, self.webhook_secret)

    def issue_credit_coupon(self, key: str, amount: Money, customer_email: str,
                            expires_at: datetime | None = None) -> PushResult:
        """The customer's balance as a one-use coupon locked to their email; adopted if it exists."""
        push = ResolutionPush(
            reference=key, idempotency_key=key, kind=ResolutionKind.STORE_CREDIT, amount=amount,
            platform_order_id="", customer_email=customer_email, customer_platform_id=None,
            coupon_code=self.credit_coupon_code(key), expires_at=expires_at, note="(balance)",
        )
        try:
            return self._coupon(push)
        except payloads.PushRefused as exc:
            raise _refused(exc) from exc

    def retire_credit_coupon(self, code: str) -> bool:
        """Delete one of our balance coupons (spent, or replaced by a new balance); False if absent."""
        wanted = code.strip().lower()
        if not wanted.startswith(mapping.STORE_CREDIT_PREFIX):
            raise ValueError(f"{code!r} is not a store-credit coupon of this app")
        found: Any = self.client.get("coupons", {"code": wanted})
        for coupon in found if isinstance(found, list) else []:
            if str(coupon.get("code", "")).lower() == wanted:
                # Coupons go to the trash by default, where their code still blocks a new one.
                self.client.request("DELETE", f"coupons/{int(coupon['id'])}", params={"force": "true"})
                return True
        return False

    # ---- webhooks and connection ----

    def _our_webhooks(self, app_url: str) -> list[dict[str, Any]]:
        target = delivery_url(app_url)
        return [w for w in self.client.iter_all("webhooks") if str(w.get("delivery_url", "")).rstrip("/") == target]

    def ensure_webhooks(self, app_url: str | None = None, secret: str | None = None) -> list[WebhookChange]:
        """Order webhooks to APP_URL/webhooks/woocommerce, active, with our secret.

        Existing ones are updated rather than duplicated; the secret is always written
        because WooCommerce never shows it back, so we cannot check it.
        """
        url, key = app_url or self.app_url, secret or self.webhook_secret
        if not url or not key:
            raise ValueError("ensure_webhooks needs the app URL and the webhook secret")
        existing = {str(w.get("topic")): w for w in reversed(self._our_webhooks(url))}
        changes = []
        for topic in WEBHOOK_TOPICS:
            hook = existing.get(topic)
            if hook is None:
                changes.append(self._create_webhook(topic, url, key))
            else:
                self.client.put(f"webhooks/{int(hook['id'])}", {"status": "active", "secret": key})
                changes.append(WebhookChange(str(hook["id"]), topic, "updated", str(hook.get("status", ""))))
        return changes

    def _create_webhook(self, topic: str, app_url: str, secret: str) -> WebhookChange:
        """POST one webhook; when the answer is lost, adopt the one that was made rather than add a twin."""
        try:
            created: Any = self.client.post("webhooks", payloads.webhook_body(topic, delivery_url(app_url), secret))
        except OutcomeUnknown:
            made = [w for w in self._our_webhooks(app_url) if str(w.get("topic")) == topic]
            if not made:
                raise
            hook = made[-1]
            # The secret WooCommerce saved cannot be read back: write ours to be sure.
            self.client.put(f"webhooks/{int(hook['id'])}", {"status": "active", "secret": secret})
            return WebhookChange(str(hook["id"]), topic, "adopted", str(hook.get("status", "")))
        return WebhookChange(str(created["id"]), topic, "created")

    def reactivate_disabled_webhooks(self, app_url: str | None = None) -> list[WebhookChange]:
        """Turn our disabled or paused webhooks back on; the merchant should be told which.

        WooCommerce disables a webhook after more than five failed deliveries in a row
        and never retries a delivery, so orders changed meanwhile need a sync too.
        """
        url = app_url or self.app_url
        if not url:
            raise ValueError("reactivate_disabled_webhooks needs the app URL")
        changes = []
        for hook in self._our_webhooks(url):
            status = str(hook.get("status", ""))
            if status in _INACTIVE:
                self.client.put(f"webhooks/{int(hook['id'])}", {"status": "active"})
                changes.append(WebhookChange(str(hook["id"]), str(hook.get("topic", "")), "reactivated", status))
        return changes

    def check_connection(self) -> ConnectionDiagnosis:
        return self.client.check_connection()
