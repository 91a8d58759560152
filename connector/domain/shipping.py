"""Return labels and parcel tracking: addresses, parcels, labels and carrier events. Standard library only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from connector.domain.money import Money


class LabelMode(StrEnum):
    """What the shopper gets once a return is approved (chosen with the shop's policy)."""

    SHOPPER_SHIPS = "shopper_ships"  # she posts the parcel herself, at her cost
    PREPAID = "prepaid"  # a label bought by the shop; the policy's return fee is deducted, or not


class ParcelStep(StrEnum):
    """Where the parcel is, in the words the return workflow needs."""

    LABEL_CREATED = "label_created"  # nothing scanned yet
    IN_TRANSIT = "in_transit"  # the carrier scanned it at least once
    DELIVERED = "delivered"  # delivered to the return address
    PROBLEM = "problem"  # returned to sender, lost, refused


@dataclass(frozen=True)
class PostalAddress:
    name: str
    line1: str
    postal_code: str
    city: str
    country_code: str  # ISO 3166-1 alpha-2
    line2: str = ""
    company: str = ""
    email: str = ""
    phone: str = ""

    def missing(self) -> list[str]:
        """The fields a carrier refuses an address without, by name."""
        needed = {"name": self.name, "line1": self.line1, "postal_code": self.postal_code,
                  "city": self.city, "country_code": self.country_code}
        return [name for name, value in needed.items() if not value.strip()]


@dataclass(frozen=True)
class ParcelSize:
    """The merchant's default parcel for a return: weight in kilograms, sides in centimetres."""

    weight_kg: Decimal
    length_cm: Decimal = Decimal("30")
    width_cm: Decimal = Decimal("20")
    height_cm: Decimal = Decimal("10")

    def __post_init__(self) -> None:
        if self.weight_kg <= 0 or min(self.length_cm, self.width_cm, self.height_cm) <= 0:
            raise ValueError("a parcel has a positive weight and positive sides")


@dataclass(frozen=True)
class LabelRequest:
    """One return label: from the shopper to the shop. `reference` is deterministic per return."""

    reference: str
    sender: PostalAddress  # the shopper
    recipient: PostalAddress  # the shop's return address
    parcel: ParcelSize
    service: str = ""  # the carrier's service code; empty: the adapter's return service


@dataclass(frozen=True)
class Label:
    tracking_number: str
    pdf: bytes
    price: Money | None  # None when the carrier's answer carries no price (the contract rate applies)
    tracking_url: str = ""
    specimen: bool = False  # a sample printed SPÉCIMEN: never a real parcel, never a real cost


@dataclass(frozen=True)
class TrackingEvent:
    occurred_at: datetime
    code: str
    description: str
    step: ParcelStep
    location: str = ""


def parcel_step(events: Sequence[TrackingEvent]) -> ParcelStep:
    """The furthest step the carrier's events show: any scan means the parcel is on its way."""
    if not events:
        return ParcelStep.LABEL_CREATED
    steps = {event.step for event in events}
    if ParcelStep.DELIVERED in steps:
        return ParcelStep.DELIVERED
    if ParcelStep.PROBLEM in steps and max(events, key=lambda e: e.occurred_at).step is ParcelStep.PROBLEM:
        return ParcelStep.PROBLEM
    return ParcelStep.IN_TRANSIT


def label_reference(return_reference: str) -> str:
    """The reference written on the label: the same on every try, so a retry can find the label."""
    return f"{return_reference}-L1"
