"""Domain pushes -> WooCommerce REST v3 request bodies (refund, coupon, exchange order, webhook). Domain and ports only.

Every body carries the resolution's reference twice: in `meta_data` under
`_returns_connector_reference` (exact) and bracketed in a text field WooCommerce
shows and searches (refund reason, coupon description, a fee line name), so the
merchant sees why it exists and a retry can find it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC
from decimal import Decimal
from typing import Any

from connector.domain.money import Money, total
from connector.domain.returns import ResolutionKind
from connector.ports import PushLine, ResolutionPush
from platforms.woocommerce.mapping import REFERENCE_META_KEY, STORE_CREDIT_PREFIX, reference_marker

# Copied from the original order to an exchange order (WooCommerce's address fields).
_ADDRESS_FIELDS = (
    "first_name", "last_name", "company", "address_1", "address_2", "city", "state",
    "postcode", "country", "email", "phone",
)


# The fees kept from a refund, for the merchant's own reading of the refund.
FEE_META_KEY = "_returns_connector_fees_kept"


class PushRefused(ValueError):
    """A push that cannot be expressed in WooCommerce; the message says why, for the merchant."""


def amount_text(amount: Money) -> str:
    """WooCommerce takes amounts as strings; Money already holds them at the minor unit."""
    return str(amount.amount)


def reference_meta(reference: str) -> list[dict[str, str]]:
    return [{"key": REFERENCE_META_KEY, "value": reference}]


def _line_taxes(line: PushLine) -> list[dict[str, Any]]:
    """`refund_tax` for one line: per rate id, exactly as the domain split it (the store keeps it as sent)."""
    if not line.tax_by_rate and not line.tax.is_zero():
        raise PushRefused(
            f"the tax of order line {line.platform_line_id} cannot be refunded: WooCommerce needs "
            "it per tax rate and the order line has none"
        )
    return [{"id": int(rate_id), "refund_total": amount_text(amount)} for rate_id, amount in line.tax_by_rate]


def lines_total(lines: Sequence[PushLine], currency: str) -> Money:
    """What a refund's lines send back: their amounts before tax plus their tax per rate."""
    return total((line.amount + total((a for _, a in line.tax_by_rate), currency)
                  if line.tax_by_rate else line.total for line in lines), currency)


def fees_kept(lines: Sequence[PushLine], currency: str) -> Money:
    return total((line.fee for line in lines if line.fee is not None), currency)


RESTOCK_SUFFIX = "/restock"
KEPT_SUFFIX = "/kept"
DIFFERENCE_SUFFIX = "/difference"


def split_by_restock(push: ResolutionPush) -> list[ResolutionPush]:
    """One refund push per api_restock value: WooCommerce restocks all or none of a refund's items.

    A push whose lines agree is returned unchanged (its reference too, so refunds made
    before this split existed are still adopted). Otherwise each part carries the
    reference with a suffix, so a retry adopts each part on its own, and its amount is
    what its own lines send back (the fees are already kept on the lines).
    """
    restocked = tuple(line for line in push.lines if line.restock)
    kept = tuple(line for line in push.lines if not line.restock)
    if not restocked or not kept:
        return [push]
    currency = push.amount.currency
    _check_adds_up(push)
    parts = [
        replace(push, reference=push.reference + RESTOCK_SUFFIX, amount=lines_total(restocked, currency),
                lines=restocked),
        replace(push, reference=push.reference + KEPT_SUFFIX, amount=lines_total(kept, currency), lines=kept),
    ]
    # A part whose fees kept all of it has nothing to send back: WooCommerce refuses a zero refund.
    return [part for part in parts if not part.amount.is_zero()]


def _check_adds_up(push: ResolutionPush) -> None:
    """WooCommerce keeps `amount` even when the lines disagree: refuse to send parts that do not add up."""
    if not push.lines:
        return
    parts = lines_total(push.lines, push.amount.currency)
    if parts != push.amount:
        raise PushRefused(
            f"the refund of {push.amount} does not match its lines ({parts}): not sent, so the store's "
            "books are not left disagreeing; carry it out by hand in WooCommerce and mark it done"
        )


def refund_body(push: ResolutionPush, *, api_refund: bool) -> dict[str, Any]:
    """POST /orders/<id>/refunds for a refund push.

    `api_refund` and `api_restock` must be JSON booleans: WooCommerce turns any
    non-boolean, even "false", into true (RestApiUtil), which would send money back
    through the gateway unasked. `amount` wins over the line totals in WooCommerce and
    the store keeps both as sent, so `amount` is exactly the lines' refund_total plus
    their refund_tax: a fee kept lowers the line's refund_total (WooCommerce ignores a
    refund's fee_lines), so the store's reports show the money that really went back.
    """
    if push.amount.is_negative() or push.amount.is_zero():
        raise PushRefused(f"a WooCommerce refund must be more than zero, not {push.amount}")
    restocks = {line.restock for line in push.lines}
    if len(restocks) > 1:
        # One refund has one api_restock flag for all its lines: split_by_restock first.
        raise PushRefused(
            "WooCommerce restocks all or none of a refund's items: push the restocked and the "
            "kept items as separate refunds"
        )
    _check_adds_up(push)
    kept = fees_kept(push.lines, push.amount.currency)
    # The store shows a refund's reason with it: a fee kept is said there, and the lines
    # (refund_total lowered by the fee) are what its reports count.
    fee_text = f" (fees kept: {amount_text(kept)})" if not kept.is_zero() else ""
    meta = reference_meta(push.reference)
    if not kept.is_zero():
        meta.append({"key": FEE_META_KEY, "value": amount_text(kept)})
    body: dict[str, Any] = {
        "amount": amount_text(push.amount),
        "reason": f"{push.note or 'Return'}{fee_text} {reference_marker(push.reference)}".strip(),
        "api_refund": bool(api_refund),
        "api_restock": bool(restocks == {True}),
        "meta_data": meta,
    }
    if push.lines:
        body["line_items"] = [_refund_item(line) for line in push.lines]
    return body


def _refund_item(line: PushLine) -> dict[str, Any]:
    """One entry of a refund's line_items. The order's shipping is refunded the same way, by its
    shipping item id and no quantity: WooCommerce ignores a refund's `shipping_lines` (recorded)."""
    if line.shipping and not line.platform_line_id.isdigit():
        raise PushRefused("the order's shipping cannot be refunded: WooCommerce did not give its shipping line id")
    item: dict[str, Any] = {"id": int(line.platform_line_id)}
    if not line.shipping:
        item["quantity"] = line.quantity
    item["refund_total"] = amount_text(line.amount)
    item["refund_tax"] = _line_taxes(line)
    return item


def coupon_code(push: ResolutionPush) -> str:
    """The push's code, or one derived from its idempotency key so every retry asks for the same.

    WooCommerce stores coupon codes in lower case (wc_format_coupon_code).
    """
    if push.coupon_code:
        return push.coupon_code.strip().lower()
    digest = hashlib.sha256((push.idempotency_key or push.reference).encode("utf-8")).hexdigest()
    prefix = "credit" if push.kind is ResolutionKind.STORE_CREDIT else "return"
    return f"{prefix}-{digest[:10]}"


def store_credit_code(key: str, secret: str) -> str:
    """`rcsc-` and 16 hex digits of an HMAC of the ledger movement: stable for retries, unguessable
    without the shop's secret (the email restriction is the second lock)."""
    digest = hmac.new(secret.encode("utf-8"), key.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{STORE_CREDIT_PREFIX}{digest[:16]}"


def coupon_body(push: ResolutionPush, code: str) -> dict[str, Any]:
    """POST /coupons: a one-use, one-customer coupon, a fixed amount off the cart or a percentage
    (`percent`) of it (WooCommerce core has no store credit)."""
    percent = push.coupon_percent if push.kind is ResolutionKind.COUPON else None
    if percent is not None and not Decimal(0) < percent <= Decimal(100):
        raise PushRefused(f"a percentage coupon is between 0 and 100 %, not {percent}")
    if percent is None and (push.amount.is_negative() or push.amount.is_zero()):
        raise PushRefused(f"a coupon must be worth more than zero, not {push.amount}")
    what = "Store credit" if push.kind is ResolutionKind.STORE_CREDIT else "Coupon"
    body: dict[str, Any] = {
        "code": code,
        "discount_type": "percent" if percent is not None else "fixed_cart",
        "amount": str(percent.normalize()) if percent is not None else amount_text(push.amount),
        "individual_use": False,
        "usage_limit": 1,
        "usage_limit_per_user": 1,
        "email_restrictions": [push.customer_email] if push.customer_email else [],
        "description": f"{what} for return {reference_marker(push.reference)} {push.note}".strip(),
        "meta_data": reference_meta(push.reference),
    }
    if push.expires_at is not None:
        # A date: WooCommerce ends a coupon at the end of its expiry day, in the shop's timezone.
        body["date_expires"] = push.expires_at.astimezone(UTC).date().isoformat()
    return body


def exchange_fee_name(reference: str) -> str:
    """The credit line's name; order item names are what order search looks into."""
    return f"Exchange credit for return {reference_marker(reference)}"


def exchange_order_body(push: ResolutionPush, original: Mapping[str, Any]) -> dict[str, Any]:
    """POST /orders: the chosen variation, awaiting payment, with a credit line at zero for now.

    The store prices the new item (and its tax, from the shopper's address) when it makes the
    order; the credit is set once that total is known (exchange_settlement_body). The credit
    line carries the reference from the start, so a retry finds the order by search.
    """
    if not push.exchange_variant_id:
        raise PushRefused("an exchange needs the variation the shopper chose")
    quantity = sum(line.quantity for line in push.lines) or 1

    def address(kind: str) -> dict[str, Any]:
        found: Mapping[str, Any] = original.get(kind) or {}
        return {k: found[k] for k in _ADDRESS_FIELDS if k in found}

    marker = reference_marker(push.reference)
    return {
        "status": "pending",
        "set_paid": False,
        "customer_id": int(original.get("customer_id") or 0),
        "currency": push.amount.currency,
        "billing": address("billing"),
        "shipping": address("shipping"),
        "line_items": [{"variation_id": int(push.exchange_variant_id), "quantity": quantity}],
        "fee_lines": [
            {
                "name": exchange_fee_name(push.reference),
                "total": amount_text(Money.zero(push.amount.currency)),
                # Untaxed: the credit is what the shopper paid, tax included.
                "tax_status": "none",
            }
        ],
        "customer_note": f"Exchange for order #{original.get('number') or original.get('id')}, return {marker}",
        "meta_data": [
            *reference_meta(push.reference),
            {"key": "_returns_connector_original_order", "value": str(original.get("id"))},
        ],
    }


def credit_line(order: Mapping[str, Any], reference: str) -> Mapping[str, Any] | None:
    """The exchange order's credit line (named with the reference)."""
    name = exchange_fee_name(reference)
    return next((fee for fee in order.get("fee_lines") or () if str(fee.get("name") or "") == name), None)


def exchange_totals(order: Mapping[str, Any], reference: str) -> tuple[Money, Money]:
    """(the new order's total before our credit, the credit already on it), as the store computed them."""
    currency = str(order.get("currency") or "")
    fee = credit_line(order, reference)
    credit = -Money.of(str((fee or {}).get("total") or "0"), currency)
    return Money.of(str(order.get("total") or "0"), currency) + credit, credit


def exchange_settlement_body(order: Mapping[str, Any], reference: str, credit_used: Money,
                             due: Money) -> dict[str, Any]:
    """PUT /orders/<id>: the credit line set to what is used; paid and processing when nothing is due.

    With something due the order stays `pending`: WooCommerce ships nothing until the shopper pays.
    """
    fee = credit_line(order, reference)
    if fee is None:
        raise PushRefused(f"the exchange order {order.get('id')} has lost its credit line")
    body: dict[str, Any] = {"fee_lines": [{"id": int(fee["id"]), "total": amount_text(-credit_used)}]}
    if due.is_zero():
        body.update(status="processing", set_paid=True, payment_method="returns_connector_exchange",
                    payment_method_title="Exchange (returns)")
    return body


def exchange_difference_refund_body(push: ResolutionPush, amount: Money) -> dict[str, Any]:
    """POST /orders/<original>/refunds: the part of the returned value the cheaper item did not use.

    Money only (no lines): the returned lines are accounted for by the exchange order's credit.
    """
    if amount.is_negative() or amount.is_zero():
        raise PushRefused(f"an exchange difference to refund must be more than zero, not {amount}")
    reference = push.reference + DIFFERENCE_SUFFIX
    return {
        "amount": amount_text(amount),
        "reason": f"Exchange difference {reference_marker(reference)}",
        "api_refund": False,
        "api_restock": False,
        "meta_data": reference_meta(reference),
    }


def webhook_body(topic: str, delivery_url: str, secret: str) -> dict[str, Any]:
    return {
        "name": f"returns-connector {topic}",
        "topic": topic,
        "delivery_url": delivery_url,
        "secret": secret,
        "status": "active",
    }
