"""Return requests, their items and the workflow state machine. Standard library only.

Vocabulary after Solidus: an item has a reception track (received or not) and an
acceptance track (accepted or rejected quantity at inspection), kept apart.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from connector.domain.errors import IllegalTransition, InvalidReturn


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    INSPECTED = "inspected"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Channel(StrEnum):
    PORTAL = "portal"
    WEBHOOK = "webhook"
    ADMIN = "admin"
    API = "api"


class ResolutionKind(StrEnum):
    REFUND = "refund"
    STORE_CREDIT = "store_credit"
    COUPON = "coupon"
    EXCHANGE = "exchange"


class Condition(StrEnum):
    AS_NEW = "as_new"
    OPENED = "opened"
    DAMAGED = "damaged"
    MISSING = "missing"


# Conditions in which an accepted unit can be sold again; a damaged or missing one never is.
SELLABLE_CONDITIONS = frozenset({Condition.AS_NEW, Condition.OPENED})


class RejectedItemHandling(StrEnum):
    """What happens to an item refused at inspection (the policy chooses)."""

    SEND_BACK_AT_SHOPPER_COST = "send_back"
    KEEP = "keep"


S = ReturnStatus

# action -> (statuses it may start from, status it leads to). The single source of truth.
TRANSITIONS: dict[str, tuple[frozenset[ReturnStatus], ReturnStatus]] = {
    "approve": (frozenset({S.REQUESTED}), S.APPROVED),
    "reject": (frozenset({S.REQUESTED}), S.REJECTED),
    "mark_in_transit": (frozenset({S.APPROVED}), S.IN_TRANSIT),
    "receive": (frozenset({S.APPROVED, S.IN_TRANSIT}), S.RECEIVED),
    "inspect": (frozenset({S.RECEIVED}), S.INSPECTED),
    "resolve": (frozenset({S.INSPECTED}), S.RESOLVED),
    "close": (frozenset({S.RESOLVED, S.REJECTED}), S.CLOSED),
    # The shopper may cancel until the parcel is on its way.
    "cancel": (frozenset({S.REQUESTED, S.APPROVED}), S.CANCELLED),
}

TERMINAL = frozenset({S.CLOSED, S.CANCELLED})

# Unambiguous alphabet for references read aloud on the phone: no 0/O, 1/I/L.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    """A public return reference such as R-7KQ2MX."""
    return "R-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


def new_tracking_token() -> str:
    """The secret in a shopper's private tracking link: not guessable."""
    return secrets.token_urlsafe(24)


def allowed_actions(status: ReturnStatus) -> list[str]:
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


@dataclass
class TimelineEvent:
    at: datetime
    kind: str
    actor: str
    message: str = ""
    from_status: ReturnStatus | None = None
    to_status: ReturnStatus | None = None
    private: bool = False


@dataclass
class Inspection:
    condition: Condition
    accepted_quantity: int
    rejected_quantity: int
    restock: bool
    rejection_reason: str = ""

    @property
    def restocked(self) -> bool:
        """Units go back on the shelf only when some are accepted in a condition that can be sold."""
        return self.restock and self.accepted_quantity > 0 and self.condition in SELLABLE_CONDITIONS


@dataclass
class ReturnItem:
    order_line_id: str
    quantity: int
    reason: str
    resolution: ResolutionKind
    comment: str = ""
    photos: list[str] = field(default_factory=list)
    exchange_variant_id: str | None = None
    inspection: Inspection | None = None
    exchange_variant_title: str = ""  # the wanted variant as the shopper saw it: "M", "Bleu / L"

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise InvalidReturn("a returned item needs a quantity of at least 1")
        if self.resolution is ResolutionKind.EXCHANGE and not self.exchange_variant_id:
            raise InvalidReturn("an exchange needs the variant wanted in its place")

    @property
    def accepted_quantity(self) -> int:
        return self.inspection.accepted_quantity if self.inspection else 0


@dataclass
class ReturnRequest:
    """One shopper's request to return items of one order."""

    shop_id: int
    order_id: str
    customer_email: str
    items: list[ReturnItem]
    channel: Channel
    reference: str = field(default_factory=new_reference)
    tracking_token: str = field(default_factory=new_tracking_token)
    status: ReturnStatus = ReturnStatus.REQUESTED
    locale: str = "fr"
    tracking_number: str = ""
    merchant_message: str = ""
    timeline: list[TimelineEvent] = field(default_factory=list)
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.items:
            raise InvalidReturn("a return needs at least one item")

    def can(self, action: str) -> bool:
        sources, _ = TRANSITIONS[action]
        return self.status in sources

    def _transition(
        self, action: str, at: datetime, actor: str, message: str = ""
    ) -> TimelineEvent:
        sources, target = TRANSITIONS[action]
        if self.status not in sources:
            raise IllegalTransition(action, self.status.value)
        event = TimelineEvent(
            at=at, kind=action, actor=actor, message=message,
            from_status=self.status, to_status=target,
        )
        self.status = target
        self.timeline.append(event)
        return event

    def record_request(self, at: datetime, actor: str = "shopper") -> TimelineEvent:
        """The first timeline event, written when the request is opened."""
        event = TimelineEvent(at=at, kind="requested", actor=actor, to_status=self.status)
        self.timeline.append(event)
        return event

    def approve(self, at: datetime, actor: str, message: str = "") -> TimelineEvent:
        self.merchant_message = message or self.merchant_message
        return self._transition("approve", at, actor, message)

    def reject(self, at: datetime, actor: str, message: str) -> TimelineEvent:
        if self.status is ReturnStatus.REQUESTED and not message.strip():
            raise InvalidReturn("a rejection needs a message for the shopper")
        event = self._transition("reject", at, actor, message)
        self.merchant_message = message
        return event

    def mark_in_transit(self, at: datetime, actor: str, tracking_number: str = "") -> TimelineEvent:
        event = self._transition("mark_in_transit", at, actor, tracking_number)
        self.tracking_number = tracking_number
        return event

    def receive(self, at: datetime, actor: str) -> TimelineEvent:
        return self._transition("receive", at, actor)

    def inspect(
        self, at: datetime, actor: str, outcomes: dict[str, Inspection]
    ) -> TimelineEvent:
        """Record the inspection of every item, keyed by order line id."""
        if not self.can("inspect"):
            raise IllegalTransition("inspect", self.status.value)
        by_line = {item.order_line_id: item for item in self.items}
        if set(outcomes) != set(by_line):
            raise InvalidReturn("every returned item must be inspected, and only those")
        for line_id, outcome in outcomes.items():
            item = by_line[line_id]
            if outcome.accepted_quantity < 0 or outcome.rejected_quantity < 0:
                raise InvalidReturn("inspected quantities cannot be negative")
            if outcome.accepted_quantity + outcome.rejected_quantity != item.quantity:
                raise InvalidReturn(
                    f"accepted and rejected quantities of {line_id} must add up to {item.quantity}"
                )
        for line_id, outcome in outcomes.items():
            by_line[line_id].inspection = outcome
        return self._transition("inspect", at, actor)

    def resolve(self, at: datetime, actor: str, message: str = "") -> TimelineEvent:
        return self._transition("resolve", at, actor, message)

    def close(self, at: datetime, actor: str) -> TimelineEvent:
        return self._transition("close", at, actor)

    def cancel(self, at: datetime, actor: str, message: str = "") -> TimelineEvent:
        return self._transition("cancel", at, actor, message)

    def note(self, at: datetime, actor: str, message: str, private: bool = True) -> TimelineEvent:
        """A note on the timeline that changes no status."""
        event = TimelineEvent(at=at, kind="note", actor=actor, message=message, private=private)
        self.timeline.append(event)
        return event

    @property
    def allowed_actions(self) -> list[str]:
        return allowed_actions(self.status)
