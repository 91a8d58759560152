"""A shop's return policy: every rule it applies to returns, validated. Standard library only.

`connector.domain.eligibility` applies it to a request; `connector.domain.policy_page`
renders it as the public page, from the same data, so the page can never disagree with
the decisions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from typing import Any, TypeVar

from connector.domain.errors import DomainError
from connector.domain.messages import Reason, Words, language
from connector.domain.money import Money
from connector.domain.orders import Order
from connector.domain.returns import RejectedItemHandling, ResolutionKind

POLICY_FORMAT_VERSION = 1


class InvalidPolicy(DomainError):
    """A policy setting the engine cannot apply; `field` names the setting."""

    code = "invalid_policy"

    def __init__(self, field_name: str, message: str, reason: Reason | None = None) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.reason = reason  # the same problem in the merchant's language, when it has a text

    def text(self, words: Words) -> str:
        """What the merchant reads next to the setting: translated, without the setting's code name."""
        return words.say(self.reason) if self.reason else str(self).removeprefix(f"{self.field}: ")


class WindowStart(StrEnum):
    """The date the return window counts from; a missing date falls back to the next one."""

    DELIVERY = "delivery"
    FULFILLMENT = "fulfillment"
    ORDER = "order"


class ShippingPayer(StrEnum):
    SHOPPER = "shopper"
    MERCHANT = "merchant"


class CouponType(StrEnum):
    """How the goodwill coupon's percentage is given."""

    FIXED = "fixed"  # that share of the refused items' value, as an amount
    PERCENT = "percent"  # that percentage off the shopper's next order


class OriginalShipping(StrEnum):
    """When the shipping the shopper paid on the order is refunded with a return."""

    NEVER = "never"
    SHOP_AT_FAULT = "shop_at_fault"  # a reason the shop pays return shipping for
    LAST_RETURN = "last_return"  # also with the return that brings the last unit of the order back


@dataclass(frozen=True)
class ReturnReason:
    """A reason the shopper can pick, as the shop words it."""

    code: str
    label_fr: str
    label_en: str
    needs_photo: bool = False

    def label(self, locale: str) -> str:
        # The merchant's own words in each language (data, not a translation): label_fr or label_en.
        return str(getattr(self, f"label_{language(locale)}"))


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
        raise InvalidPolicy(name, f"must be a whole number, got {value!r}", Reason.of("policy_whole_number"))
    try:
        number = int(value)
    except ValueError:
        raise InvalidPolicy(name, f"must be a whole number, got {value!r}",
                            Reason.of("policy_whole_number")) from None
    if not low <= number <= high:
        raise InvalidPolicy(name, f"must be between {low} and {high}, got {number}",
                            Reason.of("policy_between", low=low, high=high))
    return number


def _percent(name: str, value: object) -> Decimal:
    # Floats are refused: 0.1 is not one tenth in binary. JSON callers parse with Decimal.
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidPolicy(name, f"must be a percentage given as a string or Decimal, got {value!r}")
    try:
        rate = Decimal(value)
    except InvalidOperation:
        raise InvalidPolicy(name, f"must be a percentage, got {value!r}", Reason.of("policy_percent")) from None
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100):
        raise InvalidPolicy(name, f"must be a percentage between 0 and 100, got {value!r}",
                            Reason.of("policy_percent"))
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
            raise InvalidPolicy(name, f"must be an amount such as \"5.90\", got {value!r}",
                                Reason.of("policy_amount")) from None
    else:
        raise InvalidPolicy(name, f"must be an amount given as a string or Decimal, got {value!r}")
    if money.is_negative():
        raise InvalidPolicy(name, f"cannot be negative, got {money}", Reason.of("policy_negative"))
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
        raise InvalidPolicy(name, f"must be one of {allowed}, got {value!r}", Reason.of("policy_choice")) from None


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
    original_shipping_refund: OriginalShipping = OriginalShipping.NEVER
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
    goodwill_coupon_type: CouponType = CouponType.FIXED
    blocked_emails: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        try:
            currency = Money.zero(str(self.currency)).currency
        except DomainError:
            raise InvalidPolicy("currency", f"not an ISO 4217 currency code: {self.currency!r}",
                                Reason.of("policy_currency")) from None
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
            raise InvalidPolicy("allowed_resolutions", "at least one resolution must be offered",
                                Reason.of("policy_no_resolution"))
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
        put("goodwill_coupon_type", _choice("goodwill_coupon_type", CouponType, self.goodwill_coupon_type))
        put("original_shipping_refund",
            _choice("original_shipping_refund", OriginalShipping, self.original_shipping_refund))
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
            raise InvalidPolicy("reasons", "the shopper needs at least one reason to choose from",
                                Reason.of("policy_no_reason"))
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
