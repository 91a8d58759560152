"""WooCommerce REST v3 JSON -> the common model and webhook events. Imports the domain and ports only.

Amounts become Money here and nowhere later. WooCommerce stores line `subtotal`
(before discounts) and `total` (after coupons) before tax even when the shop enters
prices with tax, so the discount allocated to a line is `subtotal - total` and the
tax is `total_tax`, split per tax rate id in `taxes[]`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.domain.errors import DomainError
from connector.domain.money import Money, total
from connector.domain.orders import Customer, Order, OrderLine, ShippingLine
from connector.domain.rounding import unit_price
from connector.domain.shops import language_of
from connector.ports import (
    Ignored,
    OrderChanged,
    OrderDeleted,
    OrderRefreshRequested,
    PlatformEvent,
    RefundRecorded,
    StoreCreditReleased,
    StoreCreditSpent,
    StoreIdentity,
)

PLATFORM = "woocommerce"
# Written on every refund, coupon and order we create, so a retry can find it again.
REFERENCE_META_KEY = "_returns_connector_reference"
FEE_PRODUCT_TYPE = "fee"

# Codes of the balance coupons the app issues as store credit (WooCommerce lower-cases codes).
STORE_CREDIT_PREFIX = "rcsc-"
# An order in these statuses has used its coupons for good (paid, or waiting for a manual payment).
_SPENDING_STATUSES = frozenset({"processing", "completed", "on-hold"})
# An order in these gave back what it was paid with: the store credit it took returns to the ledger.
_RELEASING_STATUSES = frozenset({"cancelled", "refunded"})

ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})
REFUNDED_ACTION_TOPIC = "action.woocommerce_order_refunded"

Json = Mapping[str, Any]


class MappingError(ValueError):
    """WooCommerce JSON that is not the resource we expected; the message says what is off."""


def money(value: Any, currency: str) -> Money:
    """A WooCommerce amount ("12.30", 12, 71.1 or "") as Money; empty means zero."""
    if value is None or value == "":
        return Money.zero(currency)
    if isinstance(value, bool):
        raise MappingError(f"not an amount: {value!r}")
    try:
        # Some fields (line `price`) arrive as JSON numbers: go through their shortest repr.
        return Money.of(Decimal(str(value)), currency)
    except (InvalidOperation, DomainError) as exc:
        raise MappingError(f"not an amount: {value!r}") from exc


def parse_gmt(value: Any) -> datetime | None:
    """A `*_gmt` field ("2026-11-22T01:31:40", no offset, UTC by name) as an aware datetime."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise MappingError(f"not a date: {value!r}") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _id(value: Any) -> str | None:
    """A WooCommerce id as text; 0 and empty mean none (guest customer, no variation)."""
    if value in (None, "", 0, "0"):
        return None
    return str(value)


def meta_value(resource: Json, key: str) -> Any:
    for entry in resource.get("meta_data") or ():
        if isinstance(entry, Mapping) and entry.get("key") == key:
            return entry.get("value")
    return None


def reference_marker(reference: str) -> str:
    """How a reference appears in free text (refund reason, note): bracketed so R-1/1 never matches R-1/12."""
    return f"[{reference}]"


def carries_reference(resource: Json, reference: str, *text_fields: str) -> bool:
    """True if a refund, coupon or order was made for `reference` (meta, or text as fallback)."""
    if meta_value(resource, REFERENCE_META_KEY) == reference:
        return True
    marker = reference_marker(reference)
    return any(marker in str(resource.get(name) or "") for name in text_fields)


def refunded_quantities(refunds: Iterable[Json]) -> dict[str, int]:
    """Quantity refunded per order line id, from full refund resources (GET .../refunds).

    Refund lines carry negative quantities and point at the order line through the
    `_refunded_item_id` meta.
    """
    counts: dict[str, int] = defaultdict(int)
    for refund in refunds:
        for item in refund.get("line_items") or ():
            original = meta_value(item, "_refunded_item_id")
            if original is not None:
                counts[str(original)] += abs(int(item.get("quantity") or 0))
    return dict(counts)


def _variant_title(item: Json) -> str:
    if not _id(item.get("variation_id")):
        return ""
    values = [
        str(entry.get("display_value") or entry.get("value"))
        for entry in item.get("meta_data") or ()
        if isinstance(entry, Mapping) and not str(entry.get("key", "_")).startswith("_")
    ]
    return " / ".join(values)


def _tax_by_rate(item: Json, currency: str) -> tuple[tuple[str, Money], ...]:
    rates = []
    for tax in item.get("taxes") or ():
        amount = money(tax.get("total"), currency)
        if not amount.is_zero():
            rates.append((str(tax["id"]), amount))
    return tuple(rates)


def _priced(
    quantity: int, before_discount: Money, after_discount: Money
) -> tuple[Money, Money]:
    """(unit price, discount) such that unit*quantity - discount is exactly `after_discount`.

    The unit price is rounded to the currency; the rounding rest goes into the
    discount, so the domain's totals equal WooCommerce's to the cent.
    """
    if quantity <= 0:
        return before_discount, before_discount - after_discount
    unit = unit_price(before_discount, quantity)
    return unit, unit.times(quantity) - after_discount


def _line(
    item: Json, currency: str, taxes_included: bool, completed: bool, refunded: Mapping[str, int] | None
) -> OrderLine:
    line_id = str(item["id"])
    quantity = int(item.get("quantity") or 0)
    subtotal = money(item.get("subtotal"), currency)
    line_total = money(item.get("total"), currency)
    tax = money(item.get("total_tax"), currency)
    if taxes_included:
        subtotal = subtotal + money(item.get("subtotal_tax"), currency)
        line_total = line_total + tax
    unit_price, discount = _priced(quantity, subtotal, line_total)
    if refunded is not None:
        refunded_quantity = refunded.get(line_id, 0)
    else:
        # Without the refunds list only restocked refunds leave a trace on the line:
        # a lower bound, better than zero. The gateway always reads the full list.
        refunded_quantity = int(meta_value(item, "_restock_refunded_items") or 0)
    return OrderLine(
        platform_line_id=line_id,
        title=str(item.get("name") or ""),
        quantity=quantity,
        unit_price=unit_price,
        discount=discount,
        tax=tax,
        sku=str(item.get("sku") or ""),
        product_id=_id(item.get("product_id")),
        variant_id=_id(item.get("variation_id")),
        variant_title=_variant_title(item),
        image_url=picture(item.get("image")),
        # WooCommerce core has no partial fulfilment: a completed order was shipped whole.
        fulfilled_quantity=quantity if completed else 0,
        refunded_quantity=min(refunded_quantity, quantity),
        taxes_included=taxes_included,
        tax_by_rate=_tax_by_rate(item, currency),
    )


def picture(image: object) -> str:
    """The address of a WooCommerce image object ({"id", "src"}; empty strings when there is none), https only."""
    src = image.get("src") if isinstance(image, dict) else None
    return src if isinstance(src, str) and src.startswith("https://") and len(src) <= 1000 else ""


def _fee_line(fee: Json, currency: str, taxes_included: bool) -> OrderLine:
    """A fee (or a negative fee, a discount) as a line nobody can return.

    The common model has no fee lines; carrying them as final-sale lines keeps the
    order's total equal to WooCommerce's and their ids usable in a refund.
    """
    amount = money(fee.get("total"), currency)
    tax = money(fee.get("total_tax"), currency)
    price = amount + tax if taxes_included else amount
    return OrderLine(
        platform_line_id=str(fee["id"]),
        title=str(fee.get("name") or "Fee"),
        quantity=1,
        unit_price=price,
        discount=Money.zero(currency),
        tax=tax,
        product_type=FEE_PRODUCT_TYPE,
        final_sale=True,
        taxes_included=taxes_included,
        tax_by_rate=_tax_by_rate(fee, currency),
    )


def order_from_rest(body: Json, refunds: Sequence[Json] | None = None) -> Order:
    """A REST v3 order (GET /orders/<id> or an order webhook body) as a domain Order.

    `refunds` is the order's full refunds list (GET /orders/<id>/refunds): pass it
    whenever the order has refunds, it is the only exact source of refunded quantities.
    """
    try:
        currency = str(body["currency"])
        taxes_included = bool(body.get("prices_include_tax"))
        status = str(body.get("status") or "")
        refunded = refunded_quantities(refunds) if refunds is not None else None
        lines = [
            _line(item, currency, taxes_included, status == "completed", refunded)
            for item in body.get("line_items") or ()
        ]
        lines += [_fee_line(fee, currency, taxes_included) for fee in body.get("fee_lines") or ()]
        shipping = tuple(
            ShippingLine(
                title=str(s.get("method_title") or ""),
                price=money(s.get("total"), currency),
                tax=money(s.get("total_tax"), currency),
                platform_line_id=str(s.get("id") or ""),
                tax_by_rate=_tax_by_rate(s, currency),
            )
            for s in body.get("shipping_lines") or ()
        )
        billing: Json = body.get("billing") or {}
        customer = Customer(
            platform_customer_id=_id(body.get("customer_id")),
            email=str(billing.get("email") or "").strip(),
            first_name=str(billing.get("first_name") or ""),
            last_name=str(billing.get("last_name") or ""),
            postal_code=str(billing.get("postcode") or ""),
            # Core WooCommerce has no order language; WPML and Polylang keep it in the order's meta.
            locale=language_of(str(meta_value(body, "wpml_language") or meta_value(body, "pll_language") or "")),
        )
        placed_at = parse_gmt(body.get("date_created_gmt")) or parse_gmt(body.get("date_created"))
        if placed_at is None:
            raise MappingError("order without date_created_gmt")
        updated_at = parse_gmt(body.get("date_modified_gmt"))
        return Order(
            platform=PLATFORM,
            platform_order_id=str(body["id"]),
            name=f"#{body.get('number') or body['id']}",
            currency=currency,
            customer=customer,
            placed_at=placed_at,
            lines=tuple(lines),
            fulfilled_at=parse_gmt(body.get("date_completed_gmt")),
            # WooCommerce keeps no cancellation date: the last change is the best we have.
            cancelled_at=updated_at if status == "cancelled" else None,
            shipping_lines=shipping,
            financial_status=status,
            # Refund totals are negative in the order body.
            refunded=-total((money(r.get("total"), currency) for r in body.get("refunds") or ()), currency),
            updated_at=updated_at,
        )
    except MappingError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, DomainError) as exc:
        raise MappingError(f"not a WooCommerce order: {type(exc).__name__}: {exc}") from exc


def refund_from_rest(platform_order_id: str, refund: Json, currency: str) -> RefundRecorded:
    """A refund resource (GET /orders/<id>/refunds item) as a RefundRecorded event."""
    return RefundRecorded(
        platform_order_id=platform_order_id,
        platform_refund_id=str(refund["id"]),
        amount=money(refund.get("amount"), currency),
        note=str(refund.get("reason") or ""),
    )


def refunds_in_order(body: Json) -> list[RefundRecorded]:
    """The refunds an order body lists (`refunds`: id, reason, negative total)."""
    currency = str(body["currency"])
    return [
        RefundRecorded(
            platform_order_id=str(body["id"]),
            platform_refund_id=str(r["id"]),
            amount=-money(r.get("total"), currency),
            note=str(r.get("reason") or ""),
        )
        for r in body.get("refunds") or ()
    ]


def store_credit_spent(body: Json) -> list[StoreCreditSpent]:
    """Our store-credit coupons an order used, with the value taken from each.

    A fixed-cart coupon's `discount` is before tax; in a shop whose prices include tax the
    coupon's value covered the tax too (`discount_tax`), so that is part of what was spent.
    """
    if str(body.get("status") or "") not in _SPENDING_STATUSES:
        return []
    currency = str(body["currency"])
    includes_tax = bool(body.get("prices_include_tax"))
    email = str((body.get("billing") or {}).get("email") or "").strip().lower()
    spent = []
    for line in body.get("coupon_lines") or ():
        code = str(line.get("code") or "").strip().lower()
        if not code.startswith(STORE_CREDIT_PREFIX):
            continue
        amount = money(line.get("discount"), currency)
        if includes_tax:
            amount = amount + money(line.get("discount_tax"), currency)
        if not amount.is_zero():
            spent.append(StoreCreditSpent(str(body["id"]), email, code, amount))
    return spent


def store_credit_released(body: Json) -> list[StoreCreditReleased]:
    """Our store-credit coupons on an order now cancelled or refunded: what they took goes back."""
    if str(body.get("status") or "") not in _RELEASING_STATUSES:
        return []
    email = str((body.get("billing") or {}).get("email") or "").strip().lower()
    return [StoreCreditReleased(str(body["id"]), email, code)
            for code in (str(line.get("code") or "").strip().lower() for line in body.get("coupon_lines") or ())
            if code.startswith(STORE_CREDIT_PREFIX)]


def resource_id(topic: str, body: Json) -> str:
    """The id of what a delivery is about: `id` for resources, `arg` for action.* topics."""
    value = body.get("arg") if topic.startswith("action.") else body.get("id")
    if value in (None, ""):
        raise MappingError(f"a {topic} delivery without {'arg' if topic.startswith('action.') else 'id'}")
    return str(value)


def _is_id(value: object) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool) and value != ""


def body_problem(topic: str, body: Json) -> str:
    """Why a body cannot be the topic's, checked in microseconds at intake; empty when it can.

    Only what events_from_webhook cannot do without; the full mapping runs later in a job.
    """
    if topic in ORDER_TOPICS:
        if not _is_id(body.get("id")):
            return f"{topic}: the body needs id"
        if not isinstance(body.get("currency"), str):
            return f"{topic}: the body needs currency (text)"
        if not isinstance(body.get("line_items"), list):
            return f"{topic}: the body needs line_items (list)"
    elif topic == "order.deleted" and not _is_id(body.get("id")):
        return f"{topic}: the body needs id"
    elif topic == REFUNDED_ACTION_TOPIC and not _is_id(body.get("arg")):
        return f"{topic}: the body needs arg (the order id)"
    return ""


def events_from_webhook(topic: str, body: Json) -> list[PlatformEvent]:
    """What a verified delivery means for the returns workflow.

    WooCommerce has no refund topic: a refund fires `order.updated` whose body lists
    the order's refunds, so each is reported (RefundRecorded is idempotent by id).
    """
    try:
        if topic in ORDER_TOPICS:
            return [OrderChanged(order_from_rest(body)), *refunds_in_order(body), *store_credit_spent(body),
                    *store_credit_released(body)]
        if topic == "order.deleted":
            return [OrderDeleted(resource_id(topic, body))]
        if topic == REFUNDED_ACTION_TOPIC:
            return [OrderRefreshRequested(platform_order_id=resource_id(topic, body))]
    except MappingError:
        raise
    except (KeyError, TypeError, ValueError, DomainError) as exc:
        raise MappingError(f"not a {topic} body: {type(exc).__name__}: {exc}") from exc
    return [Ignored(topic)]


def _settings(listing: Any) -> dict[str, str]:
    """A WooCommerce settings group (a list of {id, value, ...}) as id -> value."""
    found: dict[str, str] = {}
    for entry in listing if isinstance(listing, list) else ():
        if isinstance(entry, Mapping) and entry.get("id"):
            value = entry.get("value")
            found[str(entry["id"])] = value if isinstance(value, str) else ""
    return found


def store_identity(general: Any, system_status: Any) -> StoreIdentity:
    """The store's currency, language and address from GET /settings/general and /system_status.

    The language is WordPress's (`environment.language`, `en_US`); the address the store's
    own, country and state as `US:CA`. The name is not in either (the adapter reads the site
    title from the public /wp-json/ index).
    """
    settings = _settings(general)
    environment = system_status.get("environment") if isinstance(system_status, Mapping) else None
    language = str((environment or {}).get("language") or "")
    country, _, state = settings.get("woocommerce_default_country", "").partition(":")
    city_line = " ".join(part for part in (settings.get("woocommerce_store_postcode", "").strip(),
                                           settings.get("woocommerce_store_city", "").strip()) if part)
    region = " ".join(part for part in (state.strip(), country.strip()) if part)
    parts = [settings.get("woocommerce_store_address", ""), settings.get("woocommerce_store_address_2", ""),
             city_line, region]
    return StoreIdentity(
        currency=settings.get("woocommerce_currency", "").strip().upper(),
        locale=language_of(language),
        address="\n".join(part.strip() for part in parts if part.strip()),
    )
