"""What a return gives back: paid price per unit, tax, fees, bonus, and the rounding across returns."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.domain.errors import CurrencyMismatch, IllegalTransition, InvalidReturn
from connector.domain.money import Money, total
from connector.domain.orders import Customer, Order, OrderLine
from connector.domain.resolutions import (
    PushStatus,
    Resolution,
    ResolutionPlan,
    ReturnedUnits,
    allocate_order_discount,
    plan_resolution,
    resolution_key,
    returned_line_amount,
)
from connector.domain.returns import ResolutionKind

REFUND = ResolutionKind.REFUND
STORE_CREDIT = ResolutionKind.STORE_CREDIT
EXCHANGE = ResolutionKind.EXCHANGE


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def a_line(line_id: str = "L1", *, quantity: int = 1, price: str = "40.00", discount: str = "0",
           tax: str = "0", currency: str = "EUR", taxes_included: bool = False) -> OrderLine:
    return OrderLine(
        platform_line_id=line_id, title=f"Item {line_id}", quantity=quantity,
        unit_price=Money.of(price, currency), discount=Money.of(discount, currency),
        tax=Money.of(tax, currency), fulfilled_quantity=quantity, taxes_included=taxes_included,
    )


def an_order(*lines: OrderLine, currency: str = "EUR") -> Order:
    return Order(
        platform="manual", platform_order_id="1001", name="#1001", currency=currency,
        customer=Customer("c1", "camille@example.fr"), placed_at=datetime(2026, 3, 1, tzinfo=UTC),
        lines=lines or (a_line(),), fulfilled_at=datetime(2026, 3, 2, tzinfo=UTC),
    )


# ---- order-level discounts ----

def test_order_discount_is_shared_in_proportion_to_each_lines_price() -> None:
    lines = [a_line("L1", price="30.00"), a_line("L2", price="10.00")]

    assert allocate_order_discount(lines, eur("10.00")) == [eur("7.50"), eur("2.50")]


def test_order_discount_shares_add_up_to_the_cent() -> None:
    lines = [a_line("L1", price="10.00"), a_line("L2", price="10.00"), a_line("L3", price="10.00")]

    shares = allocate_order_discount(lines, eur("10.00"))

    assert total(shares, "EUR") == eur("10.00")
    assert sorted(shares) == [eur("3.33"), eur("3.33"), eur("3.34")]


def test_a_line_already_discounted_gets_less_of_the_order_discount() -> None:
    # The weight is what is left to discount, so no line can end up below zero.
    lines = [a_line("L1", price="20.00", discount="19.00"), a_line("L2", price="20.00")]

    assert allocate_order_discount(lines, eur("21.00")) == [eur("1.00"), eur("20.00")]


def test_an_order_discount_larger_than_the_lines_is_refused() -> None:
    with pytest.raises(InvalidReturn, match="more than the lines cost"):
        allocate_order_discount([a_line(price="5.00")], eur("6.00"))


def test_an_order_discount_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        allocate_order_discount([a_line()], Money.of("1", "USD"))


# ---- price paid per returned unit ----

def test_returning_units_one_by_one_gives_back_exactly_what_was_paid() -> None:
    line = a_line(quantity=3, price="4.00", discount="2.00", tax="1.00")  # 10.00 + 1.00 tax

    parts = [returned_line_amount(line, 1, already) for already in range(3)]

    assert [part.amount for part in parts] == [eur("3.33"), eur("3.33"), eur("3.34")]
    assert [part.tax for part in parts] == [eur("0.33"), eur("0.33"), eur("0.34")]
    assert total((part.total for part in parts), "EUR") == line.paid_total


def test_tax_inside_the_price_is_not_added_twice() -> None:
    line = a_line(quantity=2, price="12.00", tax="4.00", taxes_included=True)

    both = returned_line_amount(line, 2)

    assert both.total == eur("24.00") == line.paid_total
    assert (both.amount, both.tax) == (eur("20.00"), eur("4.00"))


def test_returning_more_units_than_the_line_has_is_refused() -> None:
    with pytest.raises(InvalidReturn, match="cannot return 2 after 1"):
        returned_line_amount(a_line(quantity=2), 2, already_resolved=1)


def test_yen_have_no_cents_to_round_so_the_last_unit_takes_the_leftover_yen() -> None:
    line = a_line(quantity=3, price="1000", discount="2000", currency="JPY")  # 1000 yen paid

    parts = [returned_line_amount(line, 1, already).total for already in range(3)]

    assert parts == [Money.of(333, "JPY"), Money.of(333, "JPY"), Money.of(334, "JPY")]


def test_kuwaiti_dinars_round_to_the_fils() -> None:
    line = a_line(quantity=3, price="1.000", discount="0.001", currency="KWD")  # 2.999 paid

    parts = [returned_line_amount(line, 1, already).total for already in range(3)]

    assert parts == [Money.of("0.999", "KWD"), Money.of("1.000", "KWD"), Money.of("1.000", "KWD")]


# ---- plans: fees, bonus, never negative ----

def test_restocking_fee_is_a_percentage_of_the_price_paid_rounded_down() -> None:
    order = an_order(a_line(price="33.33"))

    [plan] = plan_resolution(order, [ReturnedUnits("L1", 1, REFUND, Decimal("10"))])

    assert plan.restocking_fee == eur("3.33")
    assert plan.net == eur("30.00")


def test_return_shipping_fee_is_charged_once_for_the_whole_return() -> None:
    order = an_order(a_line("L1", price="3.00"), a_line("L2", price="20.00"))

    plans = plan_resolution(
        order,
        [ReturnedUnits("L1", 1, REFUND), ReturnedUnits("L2", 1, STORE_CREDIT)],
        return_shipping_fee=eur("5.00"),
    )

    refund, credit = plans
    assert (refund.kind, refund.return_shipping_fee, refund.net) == (REFUND, eur("3.00"), eur("0.00"))
    assert (credit.kind, credit.return_shipping_fee, credit.net) == (STORE_CREDIT, eur("2.00"), eur("18.00"))


def test_fees_never_make_the_amount_negative() -> None:
    order = an_order(a_line(price="2.00"))

    [plan] = plan_resolution(order, [ReturnedUnits("L1", 1, REFUND, Decimal("50"))],
                             return_shipping_fee=eur("5.90"))

    assert plan.net == eur("0.00")
    assert plan.fees == eur("2.00")  # what was actually deducted, not what was asked


def test_store_credit_bonus_is_added_to_the_credit_after_fees() -> None:
    order = an_order(a_line(price="50.00"))

    [plan] = plan_resolution(order, [ReturnedUnits("L1", 1, STORE_CREDIT)],
                             return_shipping_fee=eur("5.00"), store_credit_bonus_percent=Decimal("10"))

    assert (plan.gross, plan.bonus, plan.net) == (eur("50.00"), eur("4.50"), eur("49.50"))


def test_a_refund_gets_no_store_credit_bonus() -> None:
    [plan] = plan_resolution(an_order(), [ReturnedUnits("L1", 1, REFUND)],
                             store_credit_bonus_percent=Decimal("10"))

    assert plan.bonus == eur("0")


def test_plans_come_one_per_kind_in_a_fixed_order() -> None:
    order = an_order(a_line("L1", quantity=3))

    plans = plan_resolution(order, [ReturnedUnits("L1", 1, EXCHANGE), ReturnedUnits("L1", 1, REFUND),
                                    ReturnedUnits("L1", 1, EXCHANGE)])

    assert [(plan.kind, len(plan.lines)) for plan in plans] == [(REFUND, 1), (EXCHANGE, 2)]


def test_a_fee_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        plan_resolution(an_order(), [ReturnedUnits("L1", 1, REFUND)],
                        return_shipping_fee=Money.of("5", "USD"))


def test_a_line_that_is_not_in_the_order_is_refused() -> None:
    with pytest.raises(InvalidReturn, match="no line L9"):
        plan_resolution(an_order(), [ReturnedUnits("L9", 1, REFUND)])


# ---- the recorded resolution ----

def test_resolution_records_the_plan_with_a_key_that_is_the_same_on_every_retry() -> None:
    [plan] = plan_resolution(an_order(), [ReturnedUnits("L1", 1, STORE_CREDIT, Decimal("10"))],
                             store_credit_bonus_percent=Decimal("5"))

    resolution = Resolution.from_plan(plan, "R-7KQ2MX")

    assert resolution.idempotency_key == resolution_key("R-7KQ2MX", STORE_CREDIT) == "R-7KQ2MX:store_credit"
    assert resolution.amount == eur("37.80")
    assert resolution.bonus == eur("1.80")
    assert resolution.fees_deducted == eur("4.00")
    assert resolution.push_status is PushStatus.PENDING


def test_a_failed_push_stays_retryable_and_a_pushed_one_is_never_pushed_again() -> None:
    resolution = Resolution(REFUND, eur("10"), eur("0"), eur("0"), eur("0"), eur("0"), "R-1:refund")

    resolution.mark_failed("HTTP 503")
    assert (resolution.push_status, resolution.last_error) == (PushStatus.FAILED, "HTTP 503")
    resolution.mark_pushed("gid://shopify/Refund/1")
    resolution.mark_pushed("gid://shopify/Refund/1")  # a retry adopting the same refund

    assert resolution.push_status is PushStatus.PUSHED
    assert resolution.last_error == ""
    with pytest.raises(IllegalTransition):
        resolution.mark_pushed("gid://shopify/Refund/2")
    with pytest.raises(IllegalTransition):
        resolution.mark_failed("late error")


def test_merchant_can_settle_a_resolution_by_hand() -> None:
    resolution = Resolution(REFUND, eur("10"), eur("0"), eur("0"), eur("0"), eur("0"), "R-1:refund")

    resolution.mark_done_by_merchant()

    assert resolution.settled
    assert resolution.push_status is PushStatus.DONE_BY_MERCHANT


# ---- properties: any order, any sequence of partial returns ----

CURRENCIES = ["EUR", "USD", "JPY", "KWD", "BHD", "GBP"]


@st.composite
def orders(draw: st.DrawFn) -> Order:
    """Random lines with line discounts, an order-level discount allocated, and taxes."""
    currency = draw(st.sampled_from(CURRENCIES))
    drafts = []
    for index in range(draw(st.integers(1, 5))):
        quantity = draw(st.integers(1, 7))
        price = draw(st.integers(0, 200_000))
        line_discount = draw(st.integers(0, price * quantity))
        drafts.append(replace(
            a_line(f"L{index}", quantity=quantity, currency=currency, price="0"),
            unit_price=Money.from_minor(price, currency),
            discount=Money.from_minor(line_discount, currency),
            taxes_included=draw(st.booleans()),
        ))
    room = sum((line.subtotal - line.discount).minor for line in drafts)
    order_discount = Money.from_minor(draw(st.integers(0, room)), currency)
    shares = allocate_order_discount(drafts, order_discount)
    lines = []
    for line, share in zip(drafts, shares, strict=True):
        discounted = line.discount + share
        left = (line.subtotal - discounted).minor
        # Included tax is part of what is left; added tax is up to the same again.
        tax = Money.from_minor(draw(st.integers(0, left)), currency)
        lines.append(replace(line, discount=discounted, tax=tax))
    return an_order(*lines, currency=currency)


@st.composite
def return_sequences(draw: st.DrawFn, order: Order) -> list[list[ReturnedUnits]]:
    """Several returns, each taking some of the units still kept, each unit a random kind."""
    kept = {line.platform_line_id: line.quantity for line in order.lines}
    returns = []
    for _ in range(draw(st.integers(1, 6))):
        units = []
        for line_id, left in kept.items():
            quantity = draw(st.integers(0, left))
            if quantity:
                units.append(ReturnedUnits(line_id, quantity, draw(st.sampled_from(list(ResolutionKind))),
                                           Decimal(draw(st.integers(0, 100)))))
                kept[line_id] = left - quantity
        returns.append(units)
    if draw(st.booleans()):  # and sometimes the shopper sends back all the rest
        returns.append([ReturnedUnits(line_id, left, REFUND) for line_id, left in kept.items() if left])
    return returns


def _run(
    order: Order, returns: list[list[ReturnedUnits]], fee_minor: int, bonus: int
) -> list[list[ResolutionPlan]]:
    resolved: dict[str, int] = {}
    all_plans = []
    for units in returns:
        plans = plan_resolution(
            order, units, already_resolved=resolved,
            return_shipping_fee=Money.from_minor(fee_minor, order.currency),
            store_credit_bonus_percent=Decimal(bonus),
        )
        for unit in units:
            resolved[unit.line_id] = resolved.get(unit.line_id, 0) + unit.quantity
        all_plans.append(plans)
    return all_plans


@settings(max_examples=300, deadline=None)
@given(data=st.data(), order=orders(), fee_minor=st.integers(0, 5000), bonus=st.integers(0, 100))
def test_no_sequence_of_partial_returns_gives_back_more_than_was_paid(
    data: st.DataObject, order: Order, fee_minor: int, bonus: int
) -> None:
    returns = data.draw(return_sequences(order))
    currency = order.currency
    paid = order.merchandise_total
    paid_tax = total((line.tax for line in order.lines), currency)

    plans = [plan for step in _run(order, returns, fee_minor, bonus) for plan in step]

    gross = total((plan.gross for plan in plans), currency)
    tax = total((plan.tax for plan in plans), currency)
    given_back = total((plan.net - plan.bonus for plan in plans), currency)
    assert gross <= paid
    assert tax <= paid_tax
    assert given_back <= gross
    for plan in plans:
        assert plan.currency == currency
        assert not plan.net.is_negative()
        assert not (plan.net - plan.bonus).is_negative()
        assert plan.fees <= plan.gross
        assert plan.gross == total((part.total for part in plan.lines), currency)
    returned = {line.platform_line_id: 0 for line in order.lines}
    for units in returns:
        for unit in units:
            returned[unit.line_id] += unit.quantity
    if all(returned[line.platform_line_id] == line.quantity for line in order.lines):
        assert gross == paid
        assert tax == paid_tax


@settings(max_examples=200, deadline=None)
@given(order=orders(), data=st.data())
def test_each_line_gives_back_exactly_its_paid_total_whatever_the_split(
    order: Order, data: st.DataObject
) -> None:
    for line in order.lines:
        cuts = sorted(data.draw(st.lists(st.integers(0, line.quantity), max_size=4)))
        bounds = [0, *cuts, line.quantity]
        steps = zip(bounds, bounds[1:], strict=False)
        parts = [returned_line_amount(line, upto - done, done) for done, upto in steps]

        assert total((part.total for part in parts), order.currency) == line.paid_total
        assert total((part.tax for part in parts), order.currency) == line.tax
        for part in parts:
            assert not part.amount.is_negative()
            assert not part.tax.is_negative()


# ---- per tax rate, and fees kept on the lines (what platforms record) ----

def test_each_tax_rate_telescopes_on_its_own_across_partial_returns() -> None:
    line = replace(a_line(quantity=3, price="10.00", tax="1.50"),
                   tax_by_rate=(("1", eur("1.00")), ("2", eur("0.50"))))
    first = returned_line_amount(line, 1)
    rest = returned_line_amount(line, 2, already_resolved=1)

    assert first.tax_by_rate == (("1", eur("0.33")), ("2", eur("0.16")))
    assert rest.tax_by_rate == (("1", eur("0.67")), ("2", eur("0.34")))
    assert (first.tax, rest.tax) == (eur("0.49"), eur("1.01"))


def test_fees_are_kept_on_the_lines_so_the_refund_lines_add_up_to_the_refund() -> None:
    order = an_order(a_line("L1", price="33.33", tax="3.33"), a_line("L2", price="10.00", tax="1.00"))

    [plan] = plan_resolution(order, [ReturnedUnits("L1", 1, REFUND, Decimal("10")), ReturnedUnits("L2", 1, REFUND)],
                             return_shipping_fee=eur("5.00"))

    assert total((line.total for line in plan.refund_lines), "EUR") == plan.net
    assert total((line.fee for line in plan.refund_lines), "EUR") == plan.fees
    # The tax is left whole: the fees come off the amounts before tax.
    assert [line.tax for line in plan.refund_lines] == [eur("3.33"), eur("1.00")]


def test_a_resolution_the_platform_cannot_carry_out_waits_for_the_merchant() -> None:
    [plan] = plan_resolution(an_order(), [ReturnedUnits("L1", 1, REFUND)])

    resolution = Resolution.from_plan(plan, "R-7KQ2MX", automatic=False)

    assert resolution.push_status is PushStatus.AWAITING_MERCHANT == "awaiting_merchant"
    resolution.mark_done_by_merchant("bank transfer")
    assert (resolution.push_status, resolution.platform_reference) == (PushStatus.DONE_BY_MERCHANT, "bank transfer")


def test_a_failed_try_stays_pending_until_the_last_and_only_a_failed_push_is_retried() -> None:
    resolution = Resolution(REFUND, eur("10"), eur("0"), eur("0"), eur("0"), eur("0"), "R-1:refund")

    resolution.mark_failed("HTTP 503", final=False)
    assert (resolution.push_status, resolution.attempts) == (PushStatus.PENDING, 1)
    resolution.retry()
    assert resolution.push_status is PushStatus.PENDING  # nothing to retry yet
    resolution.mark_failed("HTTP 503")
    assert (resolution.push_status, resolution.attempts) == (PushStatus.FAILED, 2)
    resolution.retry()
    assert resolution.push_status is PushStatus.PENDING


def test_the_lines_of_a_resolution_keep_restock_and_the_wanted_variant() -> None:
    [plan] = plan_resolution(an_order(), [ReturnedUnits("L1", 1, REFUND)])

    resolution = Resolution.from_plan(plan, "R-7KQ2MX", restocked={"L1": True}, exchange_variants={"L1": "V9"})

    [line] = resolution.lines
    assert (line.line_id, line.restock, line.exchange_variant_id) == ("L1", True, "V9")
    assert line.refund_line == plan.refund_lines[0]
    assert resolution.exchange_variant_id == "V9"
