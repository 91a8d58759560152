"""What the edges ask of the stored returns and figures: filters, sort keys, date ranges.

Plain values that cross from an edge through a use case to storage; storage turns them
into SQL (persistence.returns, persistence.analytics). Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
