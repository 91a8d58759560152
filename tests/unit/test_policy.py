"""The return policy as merchants set it, and what the engine decides for their shoppers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.domain import eligibility as eligibility_module
from connector.domain import policy as policy_module
from connector.domain import policy_page as policy_page_module
from connector.domain.eligibility import (
    CustomerHistory,
    PolicyDecision,
    RequestedItem,
    evaluate,
    line_eligibility,
    resolution_plans,
)
from connector.domain.errors import DomainError
from connector.domain.messages import MESSAGES, Reason
from connector.domain.money import Money
from connector.domain.orders import Customer, Order, OrderLine
from connector.domain.policy import InvalidPolicy, ReturnPolicy, ReturnReason, ShippingPayer, WindowStart
from connector.domain.policy_page import policy_summary
from connector.domain.returns import RejectedItemHandling, ResolutionKind
from connector.i18n import Translator, say

REFUND = ResolutionKind.REFUND
STORE_CREDIT = ResolutionKind.STORE_CREDIT
COUPON = ResolutionKind.COUPON
TODAY = date(2026, 3, 20)
NO_HISTORY = CustomerHistory()


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def on(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 14, 30, tzinfo=UTC)


def a_line(line_id: str = "L1", **overrides: Any) -> OrderLine:
    line = OrderLine(
        platform_line_id=line_id, title="Chemise en lin", quantity=1, unit_price=eur("40.00"),
        discount=eur("0"), tax=eur("0"), sku=f"SKU-{line_id}", product_type="Chemises",
    )
    return replace(line, **overrides)


def an_order(*lines: OrderLine, **overrides: Any) -> Order:
    order = Order(
        platform="shopify", platform_order_id="5001", name="#1001", currency="EUR",
        customer=Customer("c1", "camille@example.fr", "Camille", "Martin"),
        placed_at=on(date(2026, 3, 1)), fulfilled_at=on(date(2026, 3, 2)), delivered_at=on(date(2026, 3, 4)),
        lines=lines or (a_line(),),
    )
    return replace(order, **overrides)


def asking(line_id: str = "L1", quantity: int = 1, reason: str = "size_too_small",
           resolution: ResolutionKind = REFUND, has_photo: bool = False) -> RequestedItem:
    return RequestedItem(line_id, quantity, reason, resolution, has_photo)


def decide(policy: ReturnPolicy, order: Order | None = None, *items: RequestedItem,
           history: CustomerHistory = NO_HISTORY, today: date = TODAY) -> PolicyDecision:
    return evaluate(policy, order or an_order(), items or (asking(),), history, today)


def codes(reasons: Iterable[Reason]) -> list[str]:
    return [reason.code for reason in reasons]


def assert_readable(reasons: Iterable[Reason]) -> None:
    for reason in reasons:
        for locale in ("fr", "en"):
            text = say(reason, locale)
            assert text != reason.code
            assert "{" not in text, text


# ---- the window ----

def test_item_past_the_window_is_refused_with_the_last_day_in_the_reason() -> None:
    order = an_order(delivered_at=on(date(2026, 2, 10)))  # 30 days later: 12 March 2026

    decision = decide(ReturnPolicy(), order, today=date(2026, 3, 13))

    [item] = decision.items
    assert not item.eligible
    assert not decision.eligible
    assert codes(item.reasons) == ["window_passed"]
    assert "12 mars 2026" in say(item.reasons[0], "fr")
    assert "March 12, 2026" in say(item.reasons[0], "en")


def test_the_last_day_of_the_window_is_still_open() -> None:
    order = an_order(delivered_at=on(date(2026, 2, 10)))

    assert decide(ReturnPolicy(), order, today=date(2026, 3, 12)).eligible


def test_window_counts_from_delivery_then_fulfillment_then_order_date() -> None:
    from_delivery = ReturnPolicy(window_days=14)
    everything = an_order(placed_at=on(date(2026, 3, 1)), fulfilled_at=on(date(2026, 3, 2)),
                          delivered_at=on(date(2026, 3, 5)))
    not_delivered = replace(everything, delivered_at=None)
    not_shipped_date = replace(everything, delivered_at=None, fulfilled_at=None)

    assert from_delivery.last_day(everything) == date(2026, 3, 19)
    assert from_delivery.last_day(not_delivered) == date(2026, 3, 16)
    assert from_delivery.last_day(not_shipped_date) == date(2026, 3, 15)
    from_shipment = replace(from_delivery, window_starts_from=WindowStart.FULFILLMENT)
    assert from_shipment.last_day(everything) == date(2026, 3, 16)
    from_order = replace(from_delivery, window_starts_from=WindowStart.ORDER)
    assert from_order.last_day(everything) == date(2026, 3, 15)


# ---- products that cannot be returned ----

def test_final_sale_item_is_refused() -> None:
    order = an_order(a_line("L1", final_sale=True), a_line("L2", product_tags=("Soldes", "FINAL-SALE")),
                     a_line("L3"))

    decision = decide(ReturnPolicy(), order, asking("L1"), asking("L2"), asking("L3"))

    assert [codes(item.reasons) for item in decision.items] == [["final_sale"], ["final_sale"], []]
    assert decision.eligible  # the third item can still go back
    assert_readable(decision.items[0].reasons)


def test_products_the_shop_excludes_by_tag_type_or_sku_are_refused() -> None:
    policy = ReturnPolicy(non_returnable_tags=("hygiène",), non_returnable_product_types=("Sous-vêtements",),
                          non_returnable_skus=("GIFT-CARD",))
    order = an_order(
        a_line("L1", product_tags=("Hygiène",)),
        a_line("L2", product_type="sous-vêtements"),
        a_line("L3", sku="gift-card"),
    )

    decision = decide(policy, order, asking("L1"), asking("L2"), asking("L3"))

    assert [codes(item.reasons) for item in decision.items] == [
        ["non_returnable_tag"], ["non_returnable_type"], ["non_returnable_sku"]]
    assert not decision.eligible
    assert codes(decision.reasons) == ["no_eligible_item"]
    assert "«\u202fhygiène\u202f»" in say(decision.items[0].reasons[0], "fr")
    assert_readable(reason for item in decision.items for reason in item.reasons)


# ---- quantities ----

def test_quantity_more_than_still_returnable_is_refused() -> None:
    order = an_order(a_line(quantity=3, fulfilled_quantity=3))
    history = CustomerHistory(returned_quantities={"L1": 2})

    decision = decide(ReturnPolicy(), order, asking(quantity=2), history=history)

    [item] = decision.items
    assert codes(item.reasons) == ["quantity_too_high"]
    assert "au plus 1 exemplaire" in say(item.reasons[0], "fr")


def test_a_refund_already_counted_by_the_platform_and_our_history_is_not_counted_twice() -> None:
    order = an_order(a_line(quantity=3, refunded_quantity=1))

    [line] = line_eligibility(ReturnPolicy(), order, CustomerHistory(returned_quantities={"L1": 1}), TODAY)

    assert (line.returnable, line.returnable_quantity, line.already_returned) == (True, 2, 1)


def test_portal_lists_each_line_with_what_can_still_be_returned() -> None:
    order = an_order(
        a_line("L1", quantity=2, fulfilled_quantity=2),
        a_line("L2", quantity=1, fulfilled_quantity=0),  # still in the warehouse
        a_line("L3", quantity=1, fulfilled_quantity=1, refunded_quantity=1),
        a_line("L4", quantity=1, fulfilled_quantity=1, final_sale=True),
    )

    lines = line_eligibility(ReturnPolicy(), order, NO_HISTORY, TODAY)

    listed = [(ln.line_id, ln.returnable, ln.returnable_quantity, codes(ln.reasons)) for ln in lines]
    assert listed == [
        ("L1", True, 2, []),
        ("L2", False, 0, ["not_shipped"]),
        ("L3", False, 0, ["already_returned"]),
        ("L4", False, 0, ["final_sale"]),
    ]
    assert_readable(reason for line in lines for reason in line.reasons)


def test_an_order_the_platform_only_marks_as_shipped_counts_every_unit_shipped() -> None:
    order = an_order(a_line(quantity=2), delivered_at=None)  # WooCommerce: no per-line count

    [line] = line_eligibility(ReturnPolicy(), order, NO_HISTORY, TODAY)

    assert line.returnable_quantity == 2


def test_an_order_not_shipped_yet_cannot_be_returned() -> None:
    order = an_order(delivered_at=None, fulfilled_at=None)

    decision = decide(ReturnPolicy(), order)

    assert codes(decision.items[0].reasons) == ["not_shipped"]


def test_cancelled_order_has_nothing_to_return() -> None:
    decision = decide(ReturnPolicy(), an_order(cancelled_at=on(date(2026, 3, 3))))

    assert not decision.eligible
    assert codes(decision.items[0].reasons) == ["order_cancelled"]


# ---- what the shopper picked ----

def test_reason_needing_a_photo_without_one_is_refused() -> None:
    without = decide(ReturnPolicy(), None, asking(reason="defective"))
    with_photo = decide(ReturnPolicy(), None, asking(reason="defective", has_photo=True))

    assert codes(without.items[0].reasons) == ["photo_needed"]
    assert not without.eligible
    assert with_photo.eligible
    assert_readable(without.items[0].reasons)


def test_resolution_the_shop_does_not_offer_is_refused() -> None:
    decision = decide(ReturnPolicy(allowed_resolutions=(REFUND,)), None, asking(resolution=COUPON))

    assert codes(decision.items[0].reasons) == ["resolution_not_allowed"]
    assert "bon de réduction" in say(decision.items[0].reasons[0], "fr")


def test_unknown_reason_unknown_item_and_repeated_item_are_refused() -> None:
    decision = decide(ReturnPolicy(), None, asking(reason="bored"), asking("L9"), asking("L1"))

    assert [codes(item.reasons) for item in decision.items] == [
        ["unknown_reason"], ["unknown_item"], ["duplicate_item"]]
    assert_readable(reason for item in decision.items for reason in item.reasons)


def test_a_request_without_items_is_refused() -> None:
    decision = evaluate(ReturnPolicy(), an_order(), [], NO_HISTORY, TODAY)

    assert codes(decision.reasons) == ["no_items"]
    assert not decision.eligible


# ---- fees ----

def test_restocking_fee_is_charged_for_a_change_of_mind_and_waived_for_a_defect() -> None:
    policy = ReturnPolicy(restocking_fee_percent=Decimal("10"))
    order = an_order(a_line("L1"), a_line("L2"))

    decision = decide(policy, order, asking("L1", reason="changed_mind"),
                      asking("L2", reason="defective", has_photo=True))

    assert [item.restocking_fee for item in decision.items] == [eur("4.00"), eur("0")]
    assert decision.restocking_fees == eur("4.00")
    assert "4,00\u00a0€" in say(decision.items[0].notes[0], "fr")
    assert "10\u00a0%" in say(decision.items[0].notes[0], "fr")


def paid_label_policy(**overrides: Any) -> ReturnPolicy:
    return ReturnPolicy(return_shipping_fee=eur("5.90"), **overrides)


def test_the_shopper_pays_the_return_label_unless_the_shop_is_at_fault() -> None:
    changed_mind = decide(paid_label_policy(), None, asking(reason="changed_mind"))
    defective = decide(paid_label_policy(), None, asking(reason="defective", has_photo=True))

    assert changed_mind.return_shipping_fee == eur("5.90")
    assert codes(changed_mind.notes) == ["return_shipping_fee"]
    assert defective.return_shipping_fee == eur("0")
    assert codes(defective.notes) == ["merchant_pays_shipping_for_reason"]


def test_a_shop_that_pays_every_return_charges_no_shipping() -> None:
    decision = decide(paid_label_policy(return_shipping_paid_by=ShippingPayer.MERCHANT))

    assert decision.return_shipping_fee == eur("0")
    assert codes(decision.notes) == ["return_shipping_paid_by_shop"]


def test_second_free_return_in_a_year_is_charged_the_return_fee() -> None:
    policy = paid_label_policy(free_returns_limit=1, free_returns_period_days=365)

    first = decide(policy, history=CustomerHistory(free_returns_used=0))
    second = decide(policy, history=CustomerHistory(free_returns_used=1))

    assert first.free_return
    assert first.return_shipping_fee == eur("0")
    assert codes(first.notes) == ["free_return"]
    assert not second.free_return
    assert second.return_shipping_fee == eur("5.90")
    assert codes(second.notes) == ["free_returns_used_up"]
    assert "5,90\u00a0€" in say(second.notes[0], "fr")
    assert "365 days" in say(second.notes[0], "en")
    [plan] = resolution_plans(policy, an_order(), second)
    assert plan.net == eur("34.10")


def test_free_returns_only_cover_the_chosen_products() -> None:
    policy = paid_label_policy(free_returns_limit=1, free_returns_tags=("nouvelle-collection",))
    order = an_order(a_line("L1", product_tags=("Nouvelle-Collection",)), a_line("L2"))

    tagged_only = decide(policy, order, asking("L1"))
    with_untagged = decide(policy, order, asking("L1"), asking("L2"))

    assert tagged_only.free_return
    assert not with_untagged.free_return
    assert with_untagged.return_shipping_fee == eur("5.90")


def test_choosing_store_credit_adds_the_bonus() -> None:
    policy = ReturnPolicy(store_credit_bonus_percent=Decimal("10"))
    order = an_order(a_line("L1", unit_price=eur("60.00")), a_line("L2", unit_price=eur("25.00")))

    decision = decide(policy, order, asking("L1", resolution=STORE_CREDIT), asking("L2", resolution=REFUND))
    refund, credit = resolution_plans(policy, order, decision)

    assert (refund.kind, refund.bonus, refund.net) == (REFUND, eur("0"), eur("25.00"))
    assert (credit.kind, credit.bonus, credit.net) == (STORE_CREDIT, eur("6.00"), eur("66.00"))
    assert codes(decision.items[0].notes) == ["store_credit_bonus"]
    assert "10\u00a0% de plus" in say(decision.items[0].notes[0], "fr")


def test_amounts_are_planned_again_on_the_quantities_accepted_at_inspection() -> None:
    policy = ReturnPolicy(restocking_fee_percent=Decimal("10"))
    order = an_order(a_line(quantity=3, unit_price=eur("10.00"), discount=eur("0.01")))
    decision = decide(policy, order, asking(quantity=3, reason="changed_mind"))

    [plan] = resolution_plans(policy, order, decision, accepted={"L1": 2})

    assert (plan.gross, plan.restocking_fee, plan.net) == (eur("19.99"), eur("1.99"), eur("18.00"))
    assert resolution_plans(policy, order, decision, accepted={}) == []


# ---- auto-approval ----

def test_auto_approve_rule_approves_a_small_order_and_leaves_a_large_one_for_review() -> None:
    policy = ReturnPolicy(auto_approve_max_order_value=eur("80.00"))
    small = an_order(a_line(unit_price=eur("80.00")))
    large = an_order(a_line(unit_price=eur("80.01")))

    approved = decide(policy, small)
    for_review = decide(policy, large)

    assert approved.auto_approved
    assert codes(approved.auto_approval_reasons) == ["auto_approved", "auto_order_value_ok"]
    assert not for_review.auto_approved
    assert for_review.eligible  # still returnable: a person decides
    assert codes(for_review.auto_approval_reasons) == ["auto_order_value_too_high"]
    assert "80,01\u00a0€" in say(for_review.auto_approval_reasons[0], "fr")
    assert_readable(approved.auto_approval_reasons)


def test_no_auto_approve_rule_means_every_request_waits_for_review() -> None:
    decision = decide(ReturnPolicy())

    assert decision.eligible
    assert not decision.auto_approved
    assert codes(decision.auto_approval_reasons) == ["auto_not_configured"]


def test_auto_approval_needs_every_configured_rule_to_hold() -> None:
    policy = ReturnPolicy(auto_approve_reasons=("size_too_small", "size_too_large"),
                          auto_approve_max_previous_returns=2)

    assert decide(policy, history=CustomerHistory(previous_returns=2)).auto_approved
    too_many = decide(policy, history=CustomerHistory(previous_returns=3))
    other_reason = decide(policy, None, asking(reason="changed_mind"))

    assert codes(too_many.auto_approval_reasons) == ["auto_reason_ok", "auto_too_many_returns"]
    assert codes(other_reason.auto_approval_reasons) == ["auto_reason_not_listed", "auto_history_ok"]
    assert not too_many.auto_approved
    assert not other_reason.auto_approved


def test_a_request_with_a_refused_item_is_never_auto_approved() -> None:
    policy = ReturnPolicy(auto_approve_max_order_value=eur("500"))
    order = an_order(a_line("L1"), a_line("L2", final_sale=True))

    decision = decide(policy, order, asking("L1"), asking("L2"))

    assert decision.eligible
    assert not decision.auto_approved
    assert "auto_items_not_eligible" in codes(decision.auto_approval_reasons)


def test_blocked_customer_is_refused_and_never_auto_approved() -> None:
    policy = ReturnPolicy(blocked_emails=(" Camille@Example.FR ",), auto_approve_max_order_value=eur("500"))

    decision = decide(policy)

    assert policy.blocked_emails == ("camille@example.fr",)
    assert not decision.eligible
    assert codes(decision.reasons) == ["customer_blocked"]
    assert not decision.auto_approved
    assert "auto_customer_blocked" in codes(decision.auto_approval_reasons)
    assert "service client" in say(decision.reasons[0], "fr")


def test_an_order_in_another_currency_is_not_charged_a_euro_fee_and_waits_for_review() -> None:
    policy = paid_label_policy(auto_approve_max_order_value=eur("500"))
    order = an_order(a_line(unit_price=Money.of("40", "USD"), discount=Money.of("0", "USD"),
                            tax=Money.of("0", "USD")), currency="USD")

    decision = decide(policy, order)

    assert decision.return_shipping_fee == Money.of("0", "USD")
    assert not decision.auto_approved
    assert "auto_currency_differs" in codes(decision.auto_approval_reasons)


# ---- storing the policy ----

def a_full_policy() -> ReturnPolicy:
    return ReturnPolicy(
        currency="EUR", window_days=14, window_starts_from=WindowStart.FULFILLMENT,
        non_returnable_tags=("hygiène",), non_returnable_product_types=("Cartes cadeaux",),
        non_returnable_skus=("GIFT-50",), final_sale_tag="dernière-chance",
        allowed_resolutions=(REFUND, STORE_CREDIT), restocking_fee_percent=Decimal("7.5"),
        restocking_fee_waived_reasons=("defective",), return_shipping_fee=eur("5.90"),
        merchant_pays_shipping_reasons=("wrong_item",), free_returns_limit=2, free_returns_period_days=180,
        free_returns_tags=("vip",), store_credit_bonus_percent=Decimal("10"),
        auto_approve_max_order_value=eur("120.00"), auto_approve_reasons=("size_too_small",),
        auto_approve_max_previous_returns=3,
        reasons=(ReturnReason("size_too_small", "Trop petit", "Too small"),
                 ReturnReason("defective", "Défectueux", "Defective", needs_photo=True),
                 ReturnReason("wrong_item", "Erreur d'article", "Wrong item")),
        rejected_items=RejectedItemHandling.KEEP, rejected_item_return_fee=eur("4.50"),
        goodwill_coupon_percent=Decimal("15"), blocked_emails=("abuse@example.com",),
    )


def test_policy_survives_a_round_trip_through_json() -> None:
    policy = a_full_policy()

    stored = json.dumps(policy.to_dict())
    restored = ReturnPolicy.from_dict(json.loads(stored))

    assert restored == policy
    assert json.loads(stored)["return_shipping_fee"] == "5.90"
    assert json.loads(stored)["restocking_fee_percent"] == "7.5"


def test_default_policy_is_a_french_shops_thirty_days_from_delivery() -> None:
    policy = ReturnPolicy.from_dict({})

    assert policy.currency == "EUR"
    assert (policy.window_days, policy.window_starts_from) == (30, WindowStart.DELIVERY)
    assert [reason.code for reason in policy.reasons] == [
        "size_too_small", "size_too_large", "not_as_described", "defective", "wrong_item", "changed_mind",
        "other"]
    assert policy == ReturnPolicy()


def test_a_policy_in_another_currency_puts_its_amounts_in_that_currency() -> None:
    policy = ReturnPolicy.from_dict({"currency": "jpy", "return_shipping_fee": "800"})

    assert policy.return_shipping_fee == Money.of(800, "JPY")
    assert policy.rejected_item_return_fee == Money.of(0, "JPY")


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("window_days", 0, "between 1 and 3650"),
        ("window_days", "thirty", "whole number"),
        ("window_starts_from", "payment", "one of delivery, fulfillment, order"),
        ("currency", "EURO", "ISO 4217"),
        ("restocking_fee_percent", "150", "between 0 and 100"),
        ("store_credit_bonus_percent", 10.5, "string or Decimal"),
        ("return_shipping_fee", "-1", "cannot be negative"),
        ("return_shipping_fee", "cinq", "an amount"),
        ("auto_approve_max_order_value", Money.of("80", "USD"), "policy's currency EUR"),
        ("allowed_resolutions", [], "at least one resolution"),
        ("allowed_resolutions", ["cash"], "one of refund, store_credit, coupon, exchange"),
        ("restocking_fee_waived_reasons", ["broken"], "broken is not one of the shop's reasons"),
        ("reasons", [{"code": "a", "label_fr": "A", "label_en": "A"}] * 2, "same code"),
        ("reasons", [{"code": "Pas Bon", "label_fr": "x", "label_en": "x"}], "lowercase"),
        ("reasons", [{"code": "bad", "label_fr": "", "label_en": "Bad"}], "French and an English label"),
        ("reasons", [{"code": "bad"}], "needs 'label_fr'"),
        ("reasons", [{"code": "b", "label_fr": "x", "label_en": "x", "needs_photo": "yes"}], "true or false"),
        ("blocked_emails", ["not-an-email"], "not an email address"),
        ("blocked_emails", "a@b.c", "list of words"),
        ("free_returns_limit", 1, "set a fee paid by the shopper first"),
        ("colour", "blue", "is not a policy setting"),
        ("version", 2, "unknown policy format"),
    ],
)
def test_a_setting_the_engine_cannot_apply_is_refused_with_a_clear_message(
    setting: str, value: object, message: str
) -> None:
    data = ReturnPolicy().to_dict()
    if setting.endswith("waived_reasons") or setting == "reasons":
        data.update(restocking_fee_waived_reasons=[], merchant_pays_shipping_reasons=[])
    data[setting] = value

    with pytest.raises(InvalidPolicy, match=re.escape(message)) as refused:
        ReturnPolicy.from_dict(data)

    assert isinstance(refused.value, DomainError)
    assert refused.value.field == setting


# ---- the public page ----

def test_policy_page_says_what_the_engine_applies() -> None:
    policy = a_full_policy()

    french = dict(policy_summary(policy, Translator("fr")))
    english = dict(policy_summary(policy, Translator("en")))

    assert "14 jours à compter de l'expédition" in french["Délai de retour"]
    assert "«\u202fdernière-chance\u202f»" in french["Articles non repris"]
    assert "Cartes cadeaux" in french["Articles non repris"]
    assert "GIFT-50" in english["Items that cannot be returned"]
    assert "You can choose: refund or store credit." in english["Refund, credit or exchange"]
    assert "10\u00a0% de plus" in french["Remboursement, avoir ou échange"]
    assert "5,90\u00a0€" in french["Frais de retour"]
    assert "Your first 2 returns every 180 days are free" in english["Return shipping"]
    assert "“vip”" in english["Return shipping"]
    assert "“Wrong item”" in english["Return shipping"]
    assert "7,5\u00a0%" in french["Frais de remise en stock"]
    assert "«\u202fDéfectueux\u202f»" in french["Photos"]
    assert "not sent back" in english["Items refused at inspection"]
    assert "15\u00a0%" in french["Articles refusés à la vérification"]
    assert "abuse@example.com" not in " ".join(french.values())


def test_policy_page_of_the_default_policy_reads_in_both_languages() -> None:
    for locale in ("fr", "en"):
        sections = policy_summary(ReturnPolicy(), Translator(locale))
        assert len(sections) == 7  # photos: defective and wrong item need one
        for title, text in sections:
            assert title
            assert text
            assert "{" not in text

    english = dict(policy_summary(ReturnPolicy(), Translator("en")))
    assert "30 days from delivery" in english["Return period"]
    assert english["Return shipping"].startswith("You send the parcel back at your own cost.")


def test_policy_page_changes_when_the_policy_does() -> None:
    before = dict(policy_summary(ReturnPolicy(), Translator("fr")))
    after = dict(policy_summary(ReturnPolicy(window_days=60, window_starts_from=WindowStart.ORDER),
                                Translator("fr")))

    assert "30 jours" in before["Délai de retour"]
    assert "60 jours à compter de la date de commande" in after["Délai de retour"]


# ---- every code the engine gives has its texts ----

def _codes_the_engine_uses() -> set[str]:
    source = "".join(Path(str(module.__file__)).read_text(encoding="utf-8")
                     for module in (policy_module, eligibility_module, policy_page_module))
    found = set(re.findall(r'(?:Reason\.of|say)\(\s*"(\w+)"', source))
    found |= set(re.findall(r'code = "(\w+)" if', source)) | set(re.findall(r'else "(\w+)"', source))
    found |= {f"policy_window_{start.value}" for start in WindowStart}
    return found


def test_every_reason_the_engine_gives_has_a_french_and_an_english_text() -> None:
    found = _codes_the_engine_uses()
    assert len(found) > 40  # the scan found the engine's codes, not nothing

    # Each code has its English msgid in the domain and that msgid its French in the one catalog.
    assert sorted(code for code in found if code not in MESSAGES) == []
    assert all(say(Reason(code), "fr") != say(Reason(code), "en") for code in found if code != "title_photos")


def test_the_public_page_says_when_the_order_shipping_and_a_percent_goodwill_coupon_are_given() -> None:
    from connector.domain.policy import CouponType, OriginalShipping
    from connector.domain.policy_page import policy_summary

    policy = ReturnPolicy(original_shipping_refund=OriginalShipping.LAST_RETURN,
                          goodwill_coupon_percent=Decimal("15"), goodwill_coupon_type=CouponType.PERCENT)
    text = " ".join(body for _title, body in policy_summary(policy, Translator("en")))
    assert "with the return of the order's last item" in text
    assert "15% off your next order" in text
