"""Money as Decimal with an ISO 4217 currency, rounded to its minor unit. Standard library only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation

from connector.domain.errors import CurrencyMismatch, DomainError

# Currencies whose minor unit is not 2 (ISO 4217). Everything else has cents.
_MINOR_UNITS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}


def minor_units(currency: str) -> int:
    """How many decimal places the currency's smallest coin has (EUR 2, JPY 0, KWD 3)."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def _exponent(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


@dataclass(frozen=True, order=False)
class Money:
    """An amount in one currency, always held at the currency's minor unit."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, float):
            raise TypeError("Money never takes a float: pass a Decimal or a string")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise DomainError(f"not an ISO 4217 currency code: {self.currency!r}")
        object.__setattr__(self, "currency", self.currency.upper())
        try:
            amount = Decimal(self.amount)
        except (InvalidOperation, ValueError) as exc:
            raise DomainError(f"not an amount: {self.amount!r}") from exc
        if not amount.is_finite():
            raise DomainError(f"not an amount: {self.amount!r}")
        object.__setattr__(
            self, "amount", amount.quantize(_exponent(self.currency), rounding=ROUND_HALF_EVEN)
        )

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        return cls(Decimal(str(amount)) if not isinstance(amount, Decimal) else amount, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        return cls(Decimal(minor).scaleb(-minor_units(currency)), currency)

    @property
    def minor(self) -> int:
        """The amount in the currency's smallest unit (cents), as an integer."""
        return int(self.amount.scaleb(minor_units(self.currency)))

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def times(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    def percent(self, rate: Decimal, *, round_down: bool = False) -> Money:
        """This amount times rate/100; rounded down when it is money we give back."""
        raw = self.amount * Decimal(rate) / Decimal(100)
        if round_down:
            return Money(raw.quantize(_exponent(self.currency), rounding=ROUND_DOWN), self.currency)
        return Money(raw, self.currency)

    def min(self, other: Money) -> Money:
        return self if self <= other else other

    def max(self, other: Money) -> Money:
        return self if self >= other else other

    def is_zero(self) -> bool:
        return self.amount == 0

    def is_negative(self) -> bool:
        return self.amount < 0

    def allocate(self, weights: Sequence[int | Decimal]) -> list[Money]:
        """Split into parts proportional to weights, in minor units, losing nothing.

        Largest remainder method: the parts always add up to exactly this amount.
        """
        if not weights:
            return []
        total_weight = sum(Decimal(w) for w in weights)
        if total_weight <= 0:
            return [Money.zero(self.currency) for _ in weights]
        total_minor = self.minor
        raw = [Decimal(total_minor) * Decimal(w) / total_weight for w in weights]
        floors = [int(r.to_integral_value(rounding=ROUND_DOWN)) for r in raw]
        left = total_minor - sum(floors)
        # Hand the leftover minor units to the largest remainders, first index on ties.
        order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
        step = 1 if left >= 0 else -1
        for i in order[: abs(left)]:
            floors[i] += step
        return [Money.from_minor(m, self.currency) for m in floors]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def total(amounts: Iterable[Money], currency: str) -> Money:
    """Sum of amounts, all in currency; zero for none."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
