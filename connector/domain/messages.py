"""What the domain says: message codes with params; the words are in the Babel catalog. Standard library only.

The domain never translates: it names a text by code (`Reason.of("window_passed", last_day_date=...)`)
and its English msgid is marked here with `N_` (or `Nn_` for a text with plural forms) so that
`python scripts/i18n.py extract` puts it in the one catalog. `connector.i18n` says it in the
reader's language, at the edges (web pages, emails, the timeline note a use case writes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Protocol

from connector.domain.money import Money
from connector.domain.returns import ResolutionKind

LOCALES = ("fr", "en")


def N_(message: str) -> str:  # noqa: N802 - the name gettext's tools look for
    """Marks an English text for the catalog; it is translated where it is shown, not here."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802
    """Marks a text with plural forms (`ngettext` picks one for the count where it is shown)."""
    return singular, plural


def language(locale: str | None) -> str:
    """"fr", "fr_FR" or "fr-CA" -> "fr"; anything we have no texts for -> "en"."""
    base = (locale or "").replace("-", "_").split("_")[0].lower()
    return base if base in LOCALES else "en"


@dataclass(frozen=True)
class Wording:
    """A code's English msgid; `plural` and `count` (the param that counts) for a text with plural forms."""

    singular: str
    plural: str = ""
    count: str = ""


# The word for each resolution kind, read as "refund" or "avoir" (msgctxt "resolution" in the catalog).
RESOLUTION_NAMES: dict[ResolutionKind, str] = {
    ResolutionKind.REFUND: N_("refund"),
    ResolutionKind.STORE_CREDIT: N_("store credit"),
    ResolutionKind.COUPON: N_("coupon"),
    ResolutionKind.EXCHANGE: N_("exchange"),
}


# Every text, by code. Placeholders are Reason params; their name's ending says how the
# translator renders them: *_date ISO date, *_amount "12.50 EUR", *_percent a decimal,
# *_kind a ResolutionKind value, *_days a whole number of days.
MESSAGES: dict[str, Wording] = {
    # Why an item or a request is refused (shopper-facing).
    "unknown_item": Wording(N_("This item is not part of the order.")),
    "duplicate_item": Wording(N_("This item is already in the request once.")),
    "invalid_quantity": Wording(N_("Choose at least one unit to return.")),
    # Policy settings the merchant typed that the engine cannot apply.
    "policy_whole_number": Wording(N_("Enter a whole number.")),
    "policy_between": Wording(N_("Enter a number from %(low)s to %(high)s.")),
    "policy_percent": Wording(N_("Enter a percentage from 0 to 100.")),
    "policy_amount": Wording(N_("Enter an amount, such as 5.90.")),
    "policy_negative": Wording(N_("An amount cannot be negative.")),
    "policy_choice": Wording(N_("Choose one of the options offered.")),
    "policy_currency": Wording(N_("Enter a currency code such as EUR.")),
    "policy_no_reason": Wording(N_("Keep at least one reason for the customer to choose.")),
    "policy_no_resolution": Wording(N_("Offer at least one resolution.")),
    # Timeline notes the app writes, in the shop's language.
    "note_resolution": Wording(N_("%(resolution_kind)s %(resolution_amount)s")),
    "note_nothing_to_pay": Wording(N_("nothing to pay back")),
    "note_done_by_hand": Wording(N_(
        "%(resolution_kind)s %(resolution_amount)s carried out by hand: %(note)s")),
    "order_cancelled": Wording(N_("This order was cancelled: there is nothing to return.")),
    "not_shipped": Wording(N_(
        "This item has not been shipped yet, so it cannot be returned. Contact us to cancel it.")),
    "already_returned": Wording(N_(
        "Every unit of this item has already been returned or is in a return request.")),
    "quantity_too_high": Wording(*Nn_(
        "You can return at most %(max_quantity)s of this item.",
        "You can return at most %(max_quantity)s of this item."), count="max_quantity"),
    "final_sale": Wording(N_("This item was sold as final sale: it cannot be returned.")),
    "non_returnable_tag": Wording(N_("Products marked “%(tag)s” cannot be returned.")),
    "non_returnable_type": Wording(N_("Products of type “%(product_type)s” cannot be returned.")),
    "non_returnable_sku": Wording(N_("This product (ref. %(sku)s) cannot be returned.")),
    "window_passed": Wording(N_("The return period for this item ended on %(last_day_date)s.")),
    "unknown_reason": Wording(N_("Please choose a return reason from the list.")),
    "photo_needed": Wording(N_("For this reason, please add a photo of the item.")),
    "resolution_not_allowed": Wording(N_("This shop does not offer this option: %(resolution_kind)s.")),
    "no_items": Wording(N_("Choose at least one item to return.")),
    "no_eligible_item": Wording(N_("None of the chosen items can be returned.")),
    # Deliberately says nothing of why: the merchant handles abuse cases in person.
    "customer_blocked": Wording(N_(
        "We cannot accept a return for this order online. Please contact our customer service.")),
    # What the shopper is told about fees (not refusals).
    "restocking_fee": Wording(N_(
        "A restocking fee of %(fee_amount)s (%(rate_percent)s) is deducted for this item.")),
    "store_credit_bonus": Wording(N_("Store credit: you receive %(bonus_percent)s more.")),
    "return_shipping_fee": Wording(N_(
        "Return shipping costs %(fee_amount)s, deducted from the amount returned to you.")),
    "return_shipping_own_cost": Wording(N_("You send the parcel back at your own cost.")),
    "return_shipping_paid_by_shop": Wording(N_("Return shipping is free: we pay for it.")),
    "merchant_pays_shipping_for_reason": Wording(N_("We pay the return shipping for this reason.")),
    "free_return": Wording(N_("This return is free: we pay the return shipping.")),
    "free_returns_used_up": Wording(N_(
        "You have already used your free returns (%(free_returns_limit)s every %(period_days)s): "
        "return shipping costs %(fee_amount)s, deducted from the amount returned to you.")),
    # Why a request was or was not approved automatically (merchant-facing).
    "auto_approved": Wording(N_("Approved automatically: every auto-approval rule holds.")),
    "auto_not_configured": Wording(N_("No auto-approval rule is set: the request waits for review.")),
    "auto_order_value_ok": Wording(N_("The order value, %(order_amount)s, is at most %(max_amount)s.")),
    "auto_order_value_too_high": Wording(N_("The order value, %(order_amount)s, is above %(max_amount)s.")),
    "auto_currency_differs": Wording(N_(
        "The order is in %(order_currency)s and the policy's amounts in %(policy_currency)s: check "
        "it by hand.")),
    "auto_reason_ok": Wording(N_("Every return reason is one that is approved automatically.")),
    "auto_reason_not_listed": Wording(N_("The reason “%(reason)s” is not approved automatically.")),
    "auto_history_ok": Wording(*Nn_(
        "The customer has %(previous_returns)s previous return, at most %(max_previous_returns)s.",
        "The customer has %(previous_returns)s previous returns, at most %(max_previous_returns)s."),
        count="previous_returns"),
    "auto_too_many_returns": Wording(*Nn_(
        "The customer has %(previous_returns)s previous return, more than %(max_previous_returns)s.",
        "The customer has %(previous_returns)s previous returns, more than "
        "%(max_previous_returns)s."), count="previous_returns"),
    "auto_items_not_eligible": Wording(N_(
        "Some items cannot be returned under the policy: the request needs review.")),
    "auto_customer_blocked": Wording(N_("The customer is on the shop's blocked list.")),
    # The public policy page: section titles, then section texts.
    "title_window": Wording(N_("Return period")),
    "title_not_returnable": Wording(N_("Items that cannot be returned")),
    "title_resolutions": Wording(N_("Refund, credit or exchange")),
    "title_shipping": Wording(N_("Return shipping")),
    "title_fees": Wording(N_("Restocking fee")),
    "title_photos": Wording(N_("Photos")),
    "title_rejected_items": Wording(N_("Items refused at inspection")),
    "policy_window_delivery": Wording(N_(
        "You have %(window_days)s from delivery to ask for a return (from shipment, or else from "
        "the order date, when the delivery date is not known).")),
    "policy_window_fulfillment": Wording(N_(
        "You have %(window_days)s from shipment to ask for a return (from the order date when the "
        "shipment date is not known).")),
    "policy_window_order": Wording(N_("You have %(window_days)s from the order date to ask for a return.")),
    "policy_final_sale": Wording(N_("Items sold as final sale cannot be returned.")),
    "policy_final_sale_tag": Wording(N_("Items sold as final sale, or marked %(tag)s, cannot be returned.")),
    "policy_not_returnable_tags": Wording(N_("Products marked %(tags)s cannot be returned.")),
    "policy_not_returnable_types": Wording(N_(
        "Products of these types cannot be returned: %(product_types)s.")),
    "policy_not_returnable_skus": Wording(N_("These product references cannot be returned: %(skus)s.")),
    "policy_all_returnable": Wording(N_("Every product can be returned.")),
    "policy_resolutions": Wording(N_("You can choose: %(resolutions)s.")),
    "policy_store_credit_bonus": Wording(N_("Choose store credit and receive %(bonus_percent)s more.")),
    "policy_restocking_fee": Wording(N_(
        "A restocking fee of %(fee_percent)s of the price paid is deducted for each returned item.")),
    "policy_restocking_fee_waived": Wording(N_("No restocking fee when the reason is: %(reasons)s.")),
    "policy_no_restocking_fee": Wording(N_("No restocking fee is deducted.")),
    "policy_shipping_paid_by_shop": Wording(N_("Return shipping is free: we pay for it.")),
    "policy_shipping_own_cost": Wording(N_("You send the parcel back at your own cost.")),
    "policy_shipping_fee": Wording(N_(
        "Return shipping costs %(fee_amount)s, deducted from the amount returned to you.")),
    "policy_shipping_reasons": Wording(N_("We pay the return shipping when the reason is: %(reasons)s.")),
    "policy_free_return_one": Wording(N_(
        "Your first return every %(period_days)s is free: we pay the return shipping.")),
    "policy_free_returns_many": Wording(N_(
        "Your first %(free_returns_limit)s returns every %(period_days)s are free: we pay the "
        "return shipping.")),
    "policy_free_returns_tags": Wording(N_("Free returns apply to products marked %(tags)s.")),
    "policy_photos": Wording(N_("Please add a photo of the item when the reason is: %(reasons)s.")),
    "policy_rejected_send_back": Wording(N_(
        "Items refused at inspection are sent back to you for %(fee_amount)s.")),
    "policy_rejected_send_back_free": Wording(N_(
        "Items refused at inspection are sent back to you at no cost.")),
    "policy_rejected_keep": Wording(N_(
        "Items refused at inspection are not sent back and are not refunded.")),
    "policy_goodwill_coupon": Wording(N_(
        "For an item refused at inspection, we offer you a coupon worth %(coupon_percent)s of its "
        "price.")),
    "policy_goodwill_coupon_off_next_order": Wording(N_(
        "For an item refused at inspection, we offer you a coupon of %(coupon_percent)s off your "
        "next order.")),
    "policy_order_shipping_shop_at_fault": Wording(N_(
        "When we are at fault (%(reasons)s), the shipping you paid on the order is refunded too.")),
    "policy_order_shipping_last_return": Wording(N_(
        "The shipping you paid on the order is refunded when we are at fault, or with the return of"
        " the order's last item.")),
}


def _as_param(name: str, value: object) -> str:
    # The name's ending is how the text knows to render it: a mismatch is a bug to catch now.
    if isinstance(value, Money):
        if not name.endswith("_amount"):
            raise ValueError(f"a Money param is named *_amount, not {name!r}")
        return f"{value.amount} {value.currency}"
    if isinstance(value, date):
        if not name.endswith("_date"):
            raise ValueError(f"a date param is named *_date, not {name!r}")
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


@dataclass(frozen=True)
class Reason:
    """Why the engine decided something, as a code and string params; `connector.i18n.say` words it."""

    code: str
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, code: str, **params: object) -> Reason:
        """Build with dates, Money, enums or numbers as params; they are stored as strings."""
        return cls(code, {name: _as_param(name, value) for name, value in params.items()})

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Reason:
        params = data.get("params") or {}
        if not isinstance(params, Mapping):
            raise TypeError("a reason's params must be a mapping")
        return cls(str(data["code"]), {str(k): str(v) for k, v in params.items()})


class Words(Protocol):
    """What the domain needs from the translator at the edge to write a whole page (the policy page)."""

    locale: str

    def say(self, reason: Reason) -> str: ...

    def join(self, words: Sequence[str], *, last: str = "and") -> str: ...

    def quote(self, word: str) -> str: ...

    def resolution(self, kind: ResolutionKind | str) -> str: ...
