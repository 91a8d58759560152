"""The one rounding rule for every amount that leaves the app. Standard library only.

Every division of money in the app happens here, in integer minor units (cents, yen, fils):

- a part of a whole (units of a line, a rate's tax for those units, shipping):
  ``floor(whole * upto / of) - floor(whole * done / of)``. Successive parts telescope, so
  any sequence of partial returns adds up to at most the whole and the last part makes it
  exact; each tax rate telescopes on its own, so the per-rate parts of every refund of a
  line add up to that line's tax per rate once every unit is back;
- a percentage we charge or give (restocking fee, store-credit bonus, goodwill coupon):
  rounded down, so nobody gets less or pays more than the stated rate;
- a whole split over weights (an order discount over lines, a fee over lines, a refund
  over payments): largest remainder, so the parts add up to exactly the whole;
- a conversion between currencies at the rate an order was paid at: half-even at the
  target currency's minor unit.

`floor` is Python's integer floor division: exact, no Decimal context involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from connector.domain.errors import CurrencyMismatch, InvalidReturn
from connector.domain.money import Money, minor_units


def part(whole: Money, done: int, upto: int, of: int) -> Money:
    """The share of `whole` for items done+1..upto out of `of`; telescopes over successive parts."""
    if of <= 0:
        if upto or done:
            raise InvalidReturn("a part of nothing: the whole has no units")
        return Money.zero(whole.currency)
    if not 0 <= done <= upto <= of:
        raise InvalidReturn(f"cannot take units {done + 1} to {upto} of {of}")
    minor = whole.minor
    return Money.from_minor(minor * upto // of - minor * done // of, whole.currency)


def rated_parts(
    rates: Sequence[tuple[str, Money]], done: int, upto: int, of: int
) -> tuple[tuple[str, Money], ...]:
    """`part` for each tax rate of a line, kept apart: each rate telescopes on its own."""
    return tuple((rate, part(amount, done, upto, of)) for rate, amount in rates)


def percent_down(amount: Money, rate: Decimal) -> Money:
    """`rate` percent of `amount`, rounded down: fees, bonuses and goodwill never exceed their rate."""
    if rate < 0:
        raise InvalidReturn("a percentage cannot be negative")
    raw = amount.amount * Decimal(rate) / Decimal(100)
    exponent = Decimal(1).scaleb(-minor_units(amount.currency))
    return Money(raw.quantize(exponent, rounding=ROUND_DOWN), amount.currency)


def split(whole: Money, weights: Sequence[int | Decimal]) -> list[Money]:
    """`whole` shared in proportion to `weights`; the parts add up to exactly `whole`."""
    return whole.allocate(weights)


def take_from(parts: Sequence[Money], amount: Money) -> tuple[list[Money], Money]:
    """Deduct `amount` from `parts` in order, none below zero: (what is left of each, what could not be taken)."""
    left = amount
    result = []
    for each in parts:
        taken = left.min(each).max(Money.zero(each.currency))
        result.append(each - taken)
        left = left - taken
    return result, left


def unit_price(line_total: Money, quantity: int) -> Money:
    """A unit price from a platform's line total (half-even at the minor unit); adapters only read it."""
    if quantity <= 0:
        return line_total
    exponent = Decimal(1).scaleb(-minor_units(line_total.currency))
    raw = (line_total.amount / quantity).quantize(exponent, rounding=ROUND_HALF_EVEN)
    return Money(raw, line_total.currency)


def convert(amount: Money, paid_here: Money, paid_there: Money) -> Money:
    """`amount` (in paid_there's currency) at the rate the order was paid at: paid_here per paid_there."""
    if amount.currency != paid_there.currency:
        raise CurrencyMismatch(f"cannot convert {amount.currency} at a {paid_there.currency} rate")
    if paid_there.amount <= 0 or paid_here.amount <= 0:
        raise InvalidReturn("no payment to take the exchange rate from")
    if amount.currency == paid_here.currency:
        return amount
    return Money(amount.amount * paid_here.amount / paid_there.amount, paid_here.currency)


def fraction(percent: Decimal) -> Decimal:
    """10 -> 0.1: a percentage as the fraction some platforms take (Shopify's discount percentage)."""
    if not Decimal(0) <= percent <= Decimal(100):
        raise InvalidReturn(f"a percentage is between 0 and 100, not {percent}")
    return percent / Decimal(100)
