"""A shop's return policy and the engine that applies it to a return request. Standard library only.

The engine is pure: `evaluate` and `line_eligibility` take the policy, the order, the
customer's history and today's date, and say what the shopper may return, at what
cost, and whether the request is approved without a person looking at it.
`policy_summary` renders the public policy page from the same data, so the page can
never disagree with the decisions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from typing import Any, TypeVar

from connector.domain.errors import DomainError, InvalidReturn
from connector.domain.messages import Reason, join_words, language, quote, resolution_name
from connector.domain.money import Money, total
from connector.domain.orders import Order, OrderLine
from connector.domain.resolutions import ResolutionPlan, ReturnedUnits, plan_resolution, returned_line_amount
from connector.domain.returns import RejectedItemHandling, ResolutionKind

POLICY_FORMAT_VERSION = 1


class InvalidPolicy(DomainError):
    """A policy setting the engine cannot apply; `field` names the setting."""

    code = "invalid_policy"

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


class WindowStart(StrEnum):
    """The date the return window counts from; a missing date falls back to the next one."""

    DELIVERY = "delivery"
    FULFILLMENT = "fulfillment"
    ORDER = "order"


class ShippingPayer(StrEnum):
    SHOPPER = "shopper"
    MERCHANT = "merchant"


@dataclass(frozen=True)
class ReturnReason:
    """A reason the shopper can pick, as the shop words it."""

    code: str
    label_fr: str
    label_en: str
    needs_photo: bool = False

    def label(self, locale: str) -> str:
        return self.label_fr if language(locale) == "fr" else self.label_en


DEFAULT_REASONS = (
    ReturnReason("size_too_small", "Taille trop petite", "Too small"),
    ReturnReason("size_too_large", "Taille trop grande", "Too large"),
    ReturnReason("not_as_described", "Ne correspond pas à la description", "Not as described"),
    # The shop pays shipping and waives fees for these two, so it asks for proof.
    ReturnReason("defective", "Article défectueux", "Defective item", needs_photo=True),
    ReturnReason("wrong_item", "Mauvais article reçu", "Wrong item received", needs_photo=True),
    ReturnReason("changed_mind", "J'ai changé d'avis", "Changed my mind"),
    ReturnReason("other", "Autre", "Other"),
)

_SHOP_AT_FAULT = ("defective", "wrong_item")
_Choice = TypeVar("_Choice", bound=Enum)
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


# ---- coercion and validation of settings: one place, used by the constructor ----

def _whole(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidPolicy(name, f"must be a whole number, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise InvalidPolicy(name, f"must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise InvalidPolicy(name, f"must be between {low} and {high}, got {number}")
    return number


def _percent(name: str, value: object) -> Decimal:
    # Floats are refused: 0.1 is not one tenth in binary. JSON callers parse with Decimal.
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidPolicy(name, f"must be a percentage given as a string or Decimal, got {value!r}")
    try:
        rate = Decimal(value)
    except InvalidOperation:
        raise InvalidPolicy(name, f"must be a percentage, got {value!r}") from None
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100):
        raise InvalidPolicy(name, f"must be a percentage between 0 and 100, got {value!r}")
    return rate


def _money(name: str, value: object, currency: str) -> Money:
    if isinstance(value, Money):
        if value.currency != currency:
            if not value.is_zero():
                raise InvalidPolicy(name, f"must be in the policy's currency {currency}, got {value}")
            value = Money.zero(currency)  # a zero default follows the policy's currency
        money = value
    elif isinstance(value, Decimal | int | str) and not isinstance(value, bool):
        try:
            money = Money(Decimal(value), currency)
        except (InvalidOperation, DomainError):
            raise InvalidPolicy(name, f"must be an amount such as \"5.90\", got {value!r}") from None
    else:
        raise InvalidPolicy(name, f"must be an amount given as a string or Decimal, got {value!r}")
    if money.is_negative():
        raise InvalidPolicy(name, f"cannot be negative, got {money}")
    return money


def _words(name: str, values: object, *, lower: bool = False) -> tuple[str, ...]:
    """Trimmed, non-empty, without repeats (compared case-insensitively)."""
    if isinstance(values, str) or not isinstance(values, Sequence | frozenset | set):
        raise InvalidPolicy(name, f"must be a list of words, got {values!r}")
    seen: set[str] = set()
    kept: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise InvalidPolicy(name, f"must be a list of words, got {value!r} in it")
        word = value.strip().lower() if lower else value.strip()
        if word and word.casefold() not in seen:
            seen.add(word.casefold())
            kept.append(word)
    return tuple(kept)


def _choice(name: str, kind: type[_Choice], value: object) -> _Choice:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in kind)
        raise InvalidPolicy(name, f"must be one of {allowed}, got {value!r}") from None


def _reason(value: object) -> ReturnReason:
    if isinstance(value, ReturnReason):
        reason = value
    elif isinstance(value, Mapping):
        try:
            reason = ReturnReason(
                code=str(value["code"]).strip(),
                label_fr=str(value["label_fr"]).strip(),
                label_en=str(value["label_en"]).strip(),
                needs_photo=value.get("needs_photo", False),
            )
        except KeyError as missing:
            raise InvalidPolicy("reasons", f"each reason needs {missing}") from None
    else:
        raise InvalidPolicy("reasons", f"not a reason: {value!r}")
    if not _CODE.match(reason.code):
        raise InvalidPolicy(
            "reasons", f"a reason code is lowercase letters, digits, - and _: {reason.code!r}"
        )
    if not reason.label_fr or not reason.label_en:
        raise InvalidPolicy("reasons", f"reason {reason.code} needs a French and an English label")
    if not isinstance(reason.needs_photo, bool):
        raise InvalidPolicy("reasons", f"needs_photo of {reason.code} must be true or false")
    return reason


@dataclass(frozen=True)
class ReturnPolicy:
    """Every rule a shop applies to returns. Defaults: a French shop, 30 days from delivery, EUR.

    The constructor accepts the plain forms of `to_dict()` (strings for amounts and
    percentages, lists, enum values) and normalises them, so a policy that exists is valid.
    """

    currency: str = "EUR"
    window_days: int = 30
    window_starts_from: WindowStart = WindowStart.DELIVERY
    non_returnable_tags: tuple[str, ...] = ()
    non_returnable_product_types: tuple[str, ...] = ()
    non_returnable_skus: tuple[str, ...] = ()
    final_sale_tag: str = "final-sale"
    allowed_resolutions: tuple[ResolutionKind, ...] = (
        ResolutionKind.REFUND, ResolutionKind.STORE_CREDIT, ResolutionKind.EXCHANGE,
    )
    restocking_fee_percent: Decimal = Decimal(0)
    restocking_fee_waived_reasons: tuple[str, ...] = _SHOP_AT_FAULT
    # The price of the return label the shop provides; zero: the shopper posts it themselves.
    return_shipping_fee: Money = Money.zero("EUR")
    return_shipping_paid_by: ShippingPayer = ShippingPayer.SHOPPER
    merchant_pays_shipping_reasons: tuple[str, ...] = _SHOP_AT_FAULT
    # 0: no free returns. Otherwise this many returns per period waive the shipping fee.
    free_returns_limit: int = 0
    free_returns_period_days: int = 365
    free_returns_tags: tuple[str, ...] = ()  # empty: every product
    store_credit_bonus_percent: Decimal = Decimal(0)
    auto_approve_max_order_value: Money | None = None
    auto_approve_reasons: tuple[str, ...] = ()
    auto_approve_max_previous_returns: int | None = None
    reasons: tuple[ReturnReason, ...] = DEFAULT_REASONS
    rejected_items: RejectedItemHandling = RejectedItemHandling.SEND_BACK_AT_SHOPPER_COST
    rejected_item_return_fee: Money = Money.zero("EUR")
    goodwill_coupon_percent: Decimal = Decimal(0)
    blocked_emails: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        try:
            currency = Money.zero(str(self.currency)).currency
        except DomainError:
            raise InvalidPolicy("currency", f"not an ISO 4217 currency code: {self.currency!r}") from None
        put("currency", currency)
        put("window_days", _whole("window_days", self.window_days, 1, 3650))
        put("window_starts_from", _choice("window_starts_from", WindowStart, self.window_starts_from))
        for name in ("non_returnable_tags", "non_returnable_product_types", "non_returnable_skus",
                     "free_returns_tags"):
            put(name, _words(name, getattr(self, name)))
        if not isinstance(self.final_sale_tag, str):
            raise InvalidPolicy("final_sale_tag", "must be a tag, or empty for none")
        put("final_sale_tag", self.final_sale_tag.strip())
        offered = self.allowed_resolutions
        if isinstance(offered, str) or not isinstance(offered, Sequence):
            raise InvalidPolicy("allowed_resolutions", f"must be a list of resolutions, got {offered!r}")
        kinds = tuple(dict.fromkeys(_choice("allowed_resolutions", ResolutionKind, kind) for kind in offered))
        if not kinds:
            raise InvalidPolicy("allowed_resolutions", "at least one resolution must be offered")
        put("allowed_resolutions", kinds)
        for name in ("restocking_fee_percent", "store_credit_bonus_percent", "goodwill_coupon_percent"):
            put(name, _percent(name, getattr(self, name)))
        for name in ("return_shipping_fee", "rejected_item_return_fee"):
            put(name, _money(name, getattr(self, name), currency))
        if self.auto_approve_max_order_value is not None:
            put("auto_approve_max_order_value",
                _money("auto_approve_max_order_value", self.auto_approve_max_order_value, currency))
        put("return_shipping_paid_by",
            _choice("return_shipping_paid_by", ShippingPayer, self.return_shipping_paid_by))
        put("rejected_items", _choice("rejected_items", RejectedItemHandling, self.rejected_items))
        put("free_returns_limit", _whole("free_returns_limit", self.free_returns_limit, 0, 1000))
        put("free_returns_period_days",
            _whole("free_returns_period_days", self.free_returns_period_days, 1, 3650))
        if self.auto_approve_max_previous_returns is not None:
            cap = self.auto_approve_max_previous_returns
            put("auto_approve_max_previous_returns",
                _whole("auto_approve_max_previous_returns", cap, 0, 100_000))
        emails = _words("blocked_emails", self.blocked_emails, lower=True)
        for email in emails:
            if "@" not in email:
                raise InvalidPolicy("blocked_emails", f"not an email address: {email!r}")
        put("blocked_emails", emails)
        self._check_reasons()
        if self.free_returns_limit and (
            self.return_shipping_paid_by is ShippingPayer.MERCHANT or self.return_shipping_fee.is_zero()
        ):
            raise InvalidPolicy(
                "free_returns_limit",
                "free returns waive the return shipping fee: set a fee paid by the shopper first",
            )

    def _check_reasons(self) -> None:
        if isinstance(self.reasons, str | Mapping) or not isinstance(self.reasons, Sequence):
            raise InvalidPolicy("reasons", "must be a list of reasons")
        reasons = tuple(_reason(value) for value in self.reasons)
        if not reasons:
            raise InvalidPolicy("reasons", "the shopper needs at least one reason to choose from")
        codes = [reason.code for reason in reasons]
        if len(set(codes)) != len(codes):
            raise InvalidPolicy("reasons", "two reasons have the same code")
        object.__setattr__(self, "reasons", reasons)
        for name in ("restocking_fee_waived_reasons", "merchant_pays_shipping_reasons",
                     "auto_approve_reasons"):
            listed = _words(name, getattr(self, name))
            unknown = [code for code in listed if code not in codes]
            if unknown:
                raise InvalidPolicy(name, f"{', '.join(unknown)} is not one of the shop's reasons")
            object.__setattr__(self, name, listed)

    # ---- storage ----

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; amounts and percentages as strings, never floats."""
        data: dict[str, Any] = {"version": POLICY_FORMAT_VERSION}
        for setting in fields(self):
            data[setting.name] = _plain(getattr(self, setting.name))
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReturnPolicy:
        """The policy stored by `to_dict()`; a missing setting takes its default."""
        known = {setting.name for setting in fields(cls)}
        unknown = sorted(set(data) - known - {"version"})
        if unknown:
            raise InvalidPolicy(unknown[0], "is not a policy setting")
        version = data.get("version", POLICY_FORMAT_VERSION)
        if version != POLICY_FORMAT_VERSION:
            raise InvalidPolicy("version", f"unknown policy format {version!r}")
        return cls(**{name: value for name, value in data.items() if name in known})

    # ---- questions the engine and the pages ask ----

    def reason(self, code: str) -> ReturnReason | None:
        return next((reason for reason in self.reasons if reason.code == code), None)

    def is_blocked(self, email: str) -> bool:
        return email.strip().lower() in self.blocked_emails

    def restocking_percent_for(self, reason_code: str) -> Decimal:
        if reason_code in self.restocking_fee_waived_reasons:
            return Decimal(0)
        return self.restocking_fee_percent

    @property
    def auto_approval_configured(self) -> bool:
        return (
            self.auto_approve_max_order_value is not None
            or bool(self.auto_approve_reasons)
            or self.auto_approve_max_previous_returns is not None
        )

    def window_start(self, order: Order) -> date:
        """The day the window opens: the chosen date, else the next one known."""
        chain = {
            WindowStart.DELIVERY: (order.delivered_at, order.fulfilled_at, order.placed_at),
            WindowStart.FULFILLMENT: (order.fulfilled_at, order.placed_at),
            WindowStart.ORDER: (order.placed_at,),
        }[self.window_starts_from]
        return next(moment for moment in chain if moment is not None).date()

    def last_day(self, order: Order) -> date:
        """The last day a return may be asked for, included."""
        return self.window_start(order) + timedelta(days=self.window_days)


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Money):
        return str(value.amount)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, ReturnReason):
        return {"code": value.code, "label_fr": value.label_fr, "label_en": value.label_en,
                "needs_photo": value.needs_photo}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


# ---- the engine ----

@dataclass(frozen=True)
class RequestedItem:
    """What the shopper asks to return from one order line."""

    line_id: str
    quantity: int
    reason: str
    resolution: ResolutionKind
    has_photo: bool = False


@dataclass(frozen=True)
class CustomerHistory:
    """What the engine needs to know of the customer's past, gathered by storage."""

    free_returns_used: int = 0  # within the policy's free_returns_period_days, up to today
    previous_returns: int = 0
    # For this order: units already returned or in an open request, per order line id.
    returned_quantities: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LineEligibility:
    line_id: str
    returnable: bool
    returnable_quantity: int
    already_returned: int
    last_day: date
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class ItemDecision:
    """The verdict on one requested item. `amount` is what was paid for its units, tax included."""

    line_id: str
    quantity: int
    reason_code: str
    resolution: ResolutionKind
    eligible: bool
    reasons: tuple[Reason, ...]
    amount: Money
    restocking_fee: Money
    already_returned: int = 0
    notes: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class PolicyDecision:
    """The verdict on a whole request: items, fees, free return, auto-approval.

    `reasons` are refusals of the whole request; `notes` tell the shopper about fees.
    """

    items: tuple[ItemDecision, ...]
    reasons: tuple[Reason, ...]
    free_return: bool
    return_shipping_fee: Money
    auto_approved: bool
    auto_approval_reasons: tuple[Reason, ...]
    notes: tuple[Reason, ...] = ()

    @property
    def eligible(self) -> bool:
        return not self.reasons and any(item.eligible for item in self.items)

    @property
    def eligible_items(self) -> tuple[ItemDecision, ...]:
        return tuple(item for item in self.items if item.eligible)

    @property
    def restocking_fees(self) -> Money:
        return total((item.restocking_fee for item in self.items), self.return_shipping_fee.currency)


def _shipped_quantity(order: Order, line: OrderLine) -> int:
    # Some platforms count fulfilment per line (Shopify); others only say the order left
    # (WooCommerce). When any line is counted, an uncounted line has not shipped.
    if any(other.fulfilled_quantity > 0 for other in order.lines):
        return min(line.fulfilled_quantity, line.quantity)
    return line.quantity if (order.fulfilled_at or order.delivered_at) else 0


def _product_refusals(policy: ReturnPolicy, line: OrderLine) -> list[Reason]:
    tags = {tag.strip().casefold(): tag for tag in line.product_tags}
    refusals = []
    if line.final_sale or (policy.final_sale_tag and policy.final_sale_tag.casefold() in tags):
        refusals.append(Reason.of("final_sale"))
    if line.sku and line.sku.strip().casefold() in {sku.casefold() for sku in policy.non_returnable_skus}:
        refusals.append(Reason.of("non_returnable_sku", sku=line.sku))
    excluded_types = {kind.casefold() for kind in policy.non_returnable_product_types}
    if line.product_type.strip().casefold() in excluded_types:
        refusals.append(Reason.of("non_returnable_type", product_type=line.product_type))
    refusals.extend(
        Reason.of("non_returnable_tag", tag=tag)
        for tag in policy.non_returnable_tags if tag.casefold() in tags
    )
    return refusals


def line_eligibility(
    policy: ReturnPolicy, order: Order, history: CustomerHistory, today: date
) -> list[LineEligibility]:
    """Per order line, whether it can be returned at all and why not: what the portal lists."""
    last_day = policy.last_day(order)
    verdicts = []
    for line in order.lines:
        shipped = _shipped_quantity(order, line)
        # A return we pushed is counted by the platform and by our history: take the
        # larger, not the sum, so it is not counted twice.
        already = max(line.refunded_quantity, history.returned_quantities.get(line.platform_line_id, 0))
        left = max(0, shipped - already)
        refusals = []
        if order.cancelled_at is not None:
            refusals.append(Reason.of("order_cancelled"))
        elif shipped == 0:
            refusals.append(Reason.of("not_shipped"))
        refusals.extend(_product_refusals(policy, line))
        if today > last_day:
            refusals.append(Reason.of("window_passed", last_day_date=last_day))
        if shipped and not left and order.cancelled_at is None:
            refusals.append(Reason.of("already_returned"))
        verdicts.append(LineEligibility(
            line_id=line.platform_line_id,
            returnable=not refusals,
            returnable_quantity=0 if refusals else left,
            already_returned=already,
            last_day=last_day,
            reasons=tuple(refusals),
        ))
    return verdicts


def _item_decision(
    policy: ReturnPolicy, order: Order, asked: RequestedItem, line: LineEligibility | None, duplicate: bool
) -> ItemDecision:
    zero = Money.zero(order.currency)
    if line is None:
        return ItemDecision(asked.line_id, asked.quantity, asked.reason, asked.resolution, False,
                            (Reason.of("unknown_item"),), zero, zero)
    refusals = list(line.reasons)
    if duplicate:
        refusals.append(Reason.of("duplicate_item"))
    if asked.quantity < 1:
        refusals.append(Reason.of("invalid_quantity"))
    elif line.returnable and asked.quantity > line.returnable_quantity:
        refusals.append(Reason.of("quantity_too_high", max_quantity=line.returnable_quantity))
    reason = policy.reason(asked.reason)
    if reason is None:
        refusals.append(Reason.of("unknown_reason"))
    elif reason.needs_photo and not asked.has_photo:
        refusals.append(Reason.of("photo_needed"))
    if asked.resolution not in policy.allowed_resolutions:
        refusals.append(Reason.of("resolution_not_allowed", resolution_kind=asked.resolution))
    if refusals:
        return ItemDecision(asked.line_id, asked.quantity, asked.reason, asked.resolution, False,
                            tuple(refusals), zero, zero, line.already_returned)
    paid = returned_line_amount(order.line(asked.line_id), asked.quantity, line.already_returned).total
    rate = policy.restocking_percent_for(asked.reason)
    fee = paid.percent(rate, round_down=True)  # the same rounding as plan_resolution
    notes = []
    if not fee.is_zero():
        notes.append(Reason.of("restocking_fee", fee_amount=fee, rate_percent=rate))
    if asked.resolution is ResolutionKind.STORE_CREDIT and policy.store_credit_bonus_percent:
        notes.append(Reason.of("store_credit_bonus", bonus_percent=policy.store_credit_bonus_percent))
    return ItemDecision(asked.line_id, asked.quantity, asked.reason, asked.resolution, True,
                        (), paid, fee, line.already_returned, tuple(notes))


def _return_shipping(
    policy: ReturnPolicy, order: Order, items: Sequence[ItemDecision], history: CustomerHistory
) -> tuple[Money, bool, list[Reason], bool]:
    """(fee, free return used, notes, fee left out because the order is in another currency)."""
    zero = Money.zero(order.currency)
    if not items:
        return zero, False, [], False
    if policy.return_shipping_paid_by is ShippingPayer.MERCHANT:
        return zero, False, [Reason.of("return_shipping_paid_by_shop")], False
    # One parcel: if the shop must pay for one item's return, the others travel free with it.
    if any(item.reason_code in policy.merchant_pays_shipping_reasons for item in items):
        return zero, False, [Reason.of("merchant_pays_shipping_for_reason")], False
    if policy.return_shipping_fee.is_zero():
        return zero, False, [Reason.of("return_shipping_own_cost")], False
    used_up = False
    if policy.free_returns_limit and all(_free_return_product(policy, order, item) for item in items):
        if history.free_returns_used < policy.free_returns_limit:
            return zero, True, [Reason.of("free_return")], False
        used_up = True
    if order.currency != policy.currency:
        return zero, False, [], True
    fee = policy.return_shipping_fee
    if used_up:
        note = Reason.of("free_returns_used_up", free_returns_limit=policy.free_returns_limit,
                         period_days=policy.free_returns_period_days, fee_amount=fee)
    else:
        note = Reason.of("return_shipping_fee", fee_amount=fee)
    return fee, False, [note], False


def _free_return_product(policy: ReturnPolicy, order: Order, item: ItemDecision) -> bool:
    if not policy.free_returns_tags:
        return True
    tags = {tag.strip().casefold() for tag in order.line(item.line_id).product_tags}
    return any(tag.casefold() in tags for tag in policy.free_returns_tags)


def _auto_approval(
    policy: ReturnPolicy, order: Order, items: Sequence[ItemDecision], eligible: bool,
    history: CustomerHistory, fee_not_converted: bool,
) -> tuple[bool, list[Reason]]:
    if not policy.auto_approval_configured:
        return False, [Reason.of("auto_not_configured")]
    why: list[Reason] = []
    approved = True

    def rule(holds: bool, reason: Reason) -> None:
        nonlocal approved
        approved = approved and holds
        why.append(reason)

    if policy.is_blocked(order.customer.email):
        rule(False, Reason.of("auto_customer_blocked"))
    if not eligible or not all(item.eligible for item in items):
        rule(False, Reason.of("auto_items_not_eligible"))
    limit = policy.auto_approve_max_order_value
    if fee_not_converted or (limit is not None and limit.currency != order.currency):
        rule(False, Reason.of("auto_currency_differs", order_currency=order.currency,
                              policy_currency=policy.currency))
    elif limit is not None:
        paid = order.total_paid
        code = "auto_order_value_ok" if paid <= limit else "auto_order_value_too_high"
        rule(paid <= limit, Reason.of(code, order_amount=paid, max_amount=limit))
    if policy.auto_approve_reasons:
        outside = [item.reason_code for item in items if item.reason_code not in policy.auto_approve_reasons]
        if outside:
            rule(False, Reason.of("auto_reason_not_listed", reason=outside[0]))
        else:
            rule(True, Reason.of("auto_reason_ok"))
    cap = policy.auto_approve_max_previous_returns
    if cap is not None:
        code = "auto_history_ok" if history.previous_returns <= cap else "auto_too_many_returns"
        rule(history.previous_returns <= cap,
             Reason.of(code, previous_returns=history.previous_returns, max_previous_returns=cap))
    if approved:
        why.insert(0, Reason.of("auto_approved"))
    return approved, why


def evaluate(
    policy: ReturnPolicy,
    order: Order,
    requested_items: Sequence[RequestedItem],
    history: CustomerHistory,
    today: date,
) -> PolicyDecision:
    """Apply the policy to a return request: per item, the fees, free return, auto-approval."""
    lines = {verdict.line_id: verdict for verdict in line_eligibility(policy, order, history, today)}
    seen: set[str] = set()
    items = []
    for asked in requested_items:
        items.append(_item_decision(policy, order, asked, lines.get(asked.line_id), asked.line_id in seen))
        seen.add(asked.line_id)
    eligible_items = [item for item in items if item.eligible]

    refusals = []
    if policy.is_blocked(order.customer.email):
        refusals.append(Reason.of("customer_blocked"))
    if not items:
        refusals.append(Reason.of("no_items"))
    elif not eligible_items:
        refusals.append(Reason.of("no_eligible_item"))

    fee, free, notes, fee_not_converted = _return_shipping(policy, order, eligible_items, history)
    approved, why = _auto_approval(policy, order, items, not refusals, history, fee_not_converted)
    return PolicyDecision(
        items=tuple(items),
        reasons=tuple(refusals),
        free_return=free and not refusals,
        return_shipping_fee=fee,
        auto_approved=approved,
        auto_approval_reasons=tuple(why),
        notes=tuple(notes),
    )


def resolution_plans(
    policy: ReturnPolicy,
    order: Order,
    decision: PolicyDecision,
    *,
    accepted: Mapping[str, int] | None = None,
    already_resolved: Mapping[str, int] | None = None,
) -> list[ResolutionPlan]:
    """The amounts for a decided request: a preview before inspection, the real ones after.

    `accepted`: units accepted at inspection per line id (default: as requested).
    `already_resolved`: units of each line resolved by earlier returns (default: what
    the decision counted as already returned).
    """
    units = []
    resolved = {}
    for item in decision.eligible_items:
        quantity = item.quantity if accepted is None else accepted.get(item.line_id, 0)
        if not 0 <= quantity <= item.quantity:
            raise InvalidReturn(f"line {item.line_id}: {quantity} accepted of {item.quantity} returned")
        resolved[item.line_id] = item.already_returned
        if quantity:
            units.append(ReturnedUnits(item.line_id, quantity, item.resolution,
                                       policy.restocking_percent_for(item.reason_code)))
    return plan_resolution(
        order,
        units,
        already_resolved=resolved if already_resolved is None else already_resolved,
        return_shipping_fee=decision.return_shipping_fee,
        store_credit_bonus_percent=policy.store_credit_bonus_percent,
    )


# ---- the public policy page ----

def policy_summary(policy: ReturnPolicy, locale: str) -> list[tuple[str, str]]:
    """The public policy page as (title, text) sections, in French or English."""
    lang = language(locale)

    def say(code: str, **params: object) -> str:
        return Reason.of(code, **params).text(lang)

    def labels(codes: Sequence[str]) -> str:
        found = (policy.reason(code) for code in codes)
        return join_words([quote(reason.label(lang), lang) for reason in found if reason], lang, last="or")

    def tags(words: Sequence[str]) -> str:
        return join_words([quote(word, lang) for word in words], lang, last="or")

    sections = [(say("title_window"),
                 say(f"policy_window_{policy.window_starts_from.value}", window_days=policy.window_days))]

    refused = [say("policy_final_sale_tag", tag=quote(policy.final_sale_tag, lang))
               if policy.final_sale_tag else say("policy_final_sale")]
    if policy.non_returnable_tags:
        refused.append(say("policy_not_returnable_tags", tags=tags(policy.non_returnable_tags)))
    if policy.non_returnable_product_types:
        refused.append(say("policy_not_returnable_types",
                           product_types=join_words(policy.non_returnable_product_types, lang)))
    if policy.non_returnable_skus:
        refused.append(say("policy_not_returnable_skus", skus=join_words(policy.non_returnable_skus, lang)))
    sections.append((say("title_not_returnable"), " ".join(refused)))

    offered = [say("policy_resolutions", resolutions=join_words(
        [resolution_name(kind, lang) for kind in policy.allowed_resolutions], lang, last="or"))]
    if ResolutionKind.STORE_CREDIT in policy.allowed_resolutions and policy.store_credit_bonus_percent:
        offered.append(say("policy_store_credit_bonus", bonus_percent=policy.store_credit_bonus_percent))
    sections.append((say("title_resolutions"), " ".join(offered)))

    if policy.return_shipping_paid_by is ShippingPayer.MERCHANT:
        shipping = [say("policy_shipping_paid_by_shop")]
    else:
        shipping = [say("policy_shipping_fee", fee_amount=policy.return_shipping_fee)
                    if not policy.return_shipping_fee.is_zero() else say("policy_shipping_own_cost")]
        if policy.merchant_pays_shipping_reasons:
            shipping.append(say("policy_shipping_reasons",
                                reasons=labels(policy.merchant_pays_shipping_reasons)))
        if policy.free_returns_limit:
            code = "policy_free_return_one" if policy.free_returns_limit == 1 else "policy_free_returns_many"
            shipping.append(say(code, free_returns_limit=policy.free_returns_limit,
                                period_days=policy.free_returns_period_days))
            if policy.free_returns_tags:
                shipping.append(say("policy_free_returns_tags", tags=tags(policy.free_returns_tags)))
    sections.append((say("title_shipping"), " ".join(shipping)))

    if policy.restocking_fee_percent:
        fees = [say("policy_restocking_fee", fee_percent=policy.restocking_fee_percent)]
        if policy.restocking_fee_waived_reasons:
            fees.append(say("policy_restocking_fee_waived",
                            reasons=labels(policy.restocking_fee_waived_reasons)))
    else:
        fees = [say("policy_no_restocking_fee")]
    sections.append((say("title_fees"), " ".join(fees)))

    photo_reasons = [reason.code for reason in policy.reasons if reason.needs_photo]
    if photo_reasons:
        sections.append((say("title_photos"), say("policy_photos", reasons=labels(photo_reasons))))

    if policy.rejected_items is RejectedItemHandling.KEEP:
        rejected = [say("policy_rejected_keep")]
    elif policy.rejected_item_return_fee.is_zero():
        rejected = [say("policy_rejected_send_back_free")]
    else:
        rejected = [say("policy_rejected_send_back", fee_amount=policy.rejected_item_return_fee)]
    if policy.goodwill_coupon_percent:
        rejected.append(say("policy_goodwill_coupon", coupon_percent=policy.goodwill_coupon_percent))
    sections.append((say("title_rejected_items"), " ".join(rejected)))
    return sections
