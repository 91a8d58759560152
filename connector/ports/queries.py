"""What the edges ask of the stored returns and figures: filters, sort keys, date ranges.

Plain values that cross from an edge through a use case to storage; storage turns them
into SQL (persistence.returns, persistence.analytics). Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from connector.domain.charts import percent


@dataclass(frozen=True)
class ReturnListFilter:
    status: str | None = None
    reason: str | None = None
    resolution: str | None = None
    customer: str | None = None
    product: str | None = None
    search: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


# How the admin's list may be sorted; storage says how each sorts (persistence.returns.RETURN_SORTS).
RETURN_SORT_KEYS = ("-created", "created", "-updated", "updated", "status", "reference", "customer")

# How the dashboard groups its periods.
GRAINS = ("day", "week", "month")


@dataclass(frozen=True)
class Range:
    start: datetime  # included
    end: datetime  # excluded

    def previous(self) -> Range:
        """The range of the same length just before: 'this period vs the previous one'."""
        return Range(self.start - (self.end - self.start), self.start)


# The dashboard's figures, as storage answers them (persistence.analytics computes them in SQL).

class _Rates:
    """Units and value returned over sold; None where nothing was sold (no rate, not 0 %)."""

    units_sold: int
    value_sold: Decimal
    units_returned: int
    value_returned: Decimal

    @property
    def unit_rate(self) -> Decimal | None:
        return percent(self.units_returned, self.units_sold)

    @property
    def value_rate(self) -> Decimal | None:
        return percent(self.value_returned, self.value_sold)


@dataclass(frozen=True)
class PeriodRate(_Rates):
    period: str  # the first day of the bucket, YYYY-MM-DD
    orders: int
    units_sold: int
    value_sold: Decimal
    returns: int
    units_returned: int
    value_returned: Decimal


@dataclass(frozen=True)
class ProductRate(_Rates):
    product_id: str
    variant_id: str
    title: str
    variant_title: str
    units_sold: int
    value_sold: Decimal
    units_returned: int
    value_returned: Decimal


@dataclass(frozen=True)
class RisingProduct:
    product: ProductRate
    previous_rate: Decimal
    current_rate: Decimal

    @property
    def rise(self) -> Decimal:
        return self.current_rate - self.previous_rate


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    returns: int
    units: int


@dataclass(frozen=True)
class ResolutionShare:
    kind: str
    count: int
    amount: Decimal
    bonus: Decimal


@dataclass(frozen=True)
class RefundDelay:
    refunds: int
    average_days: Decimal | None
    median_days: Decimal | None
    p90_days: Decimal | None


@dataclass(frozen=True)
class FreeReturnCost:
    free_returns: int
    label_price: Decimal
    fees_recovered: Decimal
    # Free returns whose label was really bought, and what those labels cost (never specimens).
    labelled: int = 0
    label_total: Decimal = Decimal(0)

    @property
    def cost(self) -> Decimal:
        """Real label prices where a label was bought; the policy's fee as the estimate for the rest."""
        return self.label_total + max(0, self.free_returns - self.labelled) * self.label_price


@dataclass(frozen=True)
class SerialReturner:
    email: str
    returns: int
    free_returns: int
    orders: int
    units: int

    @property
    def returns_per_order(self) -> Decimal | None:
        return (Decimal(self.returns) / self.orders).quantize(Decimal("0.01")) if self.orders else None


@dataclass(frozen=True)
class Satisfaction:
    answers: int
    average: Decimal | None
    by_score: dict[int, int] = field(default_factory=dict)
    comments: list[tuple[datetime, int, str, str]] = field(default_factory=list)  # at, score, text, reference
