"""Money: Decimal amounts at the currency's minor unit; never floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.domain.errors import CurrencyMismatch
from connector.domain.money import Money, minor_units


def test_amounts_are_held_at_the_currency_minor_unit() -> None:
    assert Money.of("10.005", "EUR").amount == Decimal("10.00")  # banker's rounding
    assert Money.of("10.015", "EUR").amount == Decimal("10.02")
    assert Money.of("1999.6", "JPY").amount == Decimal("2000")
    assert Money.of("1.2345", "KWD").amount == Decimal("1.234")
    assert (minor_units("EUR"), minor_units("JPY"), minor_units("KWD")) == (2, 0, 3)


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        Money(0.1, "EUR")  # type: ignore[arg-type]


def test_currencies_never_mix() -> None:
    with pytest.raises(CurrencyMismatch):
        _ = Money.of("1", "EUR") + Money.of("1", "USD")


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=20),
    st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_allocation_loses_nothing(minor: int, weights: list[int], currency: str) -> None:
    amount = Money.from_minor(minor, currency)
    parts = amount.allocate(weights)
    assert len(parts) == len(weights)
    if sum(weights):
        assert sum(p.minor for p in parts) == minor
        assert all(p.minor >= 0 for p in parts)
