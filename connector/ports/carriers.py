"""Carrier ports: what the use cases need from a carrier (labels and tracking).

Carrier adapters live in the top-level `carriers` package and are registered under the
`returns_connector.carriers` entry point group, like platform adapters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, runtime_checkable

from connector.domain.shipping import Label, LabelRequest, TrackingEvent
from connector.ports.runtime import Clock


class CarrierError(Exception):
    """A carrier refused or failed. `retryable`: trying later may help; `invalid_address`: it never will.

    `maybe_bought`: the request may have reached the carrier and its answer was lost (a read
    timeout), so a label may exist: the next try looks for it before buying.
    """

    def __init__(self, message: str, *, retryable: bool = False, invalid_address: bool = False,
                 code: str = "", maybe_bought: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.maybe_bought = maybe_bought
        self.invalid_address = invalid_address
        self.code = code


class LookupUnsupported(Exception):
    """The carrier cannot find a label by our reference: a lost answer cannot be adopted."""


@dataclass(frozen=True)
class CarrierAccount:
    """One shop's carrier account. Credentials are already decrypted."""

    carrier: str
    credentials: Mapping[str, str] = field(default_factory=dict)
    test_mode: bool = False


@runtime_checkable
class CarrierGateway(Protocol):
    def buy_label(self, request: LabelRequest) -> Label:
        """Buy one label; raises CarrierError."""
        ...

    def find_label(self, reference: str) -> Label | None:
        """The label already bought under `reference`, or None; LookupUnsupported if it cannot tell."""
        ...

    def track(self, tracking_numbers: Sequence[str]) -> Mapping[str, Sequence[TrackingEvent]]:
        """Events per tracking number (numbers the carrier does not know are left out)."""
        ...


@runtime_checkable
class CarrierAdapter(Protocol):
    name: str
    title: str
    # Credential fields the merchant types in the admin, in order: (field name, label, secret?).
    fields: tuple[tuple[str, str, bool], ...]
    # Smallest wait between two tracking polls of one parcel (the carrier's own limits).
    poll_every: timedelta
    # The carrier accepts a QR code at the counter instead of a printed label.
    offers_qr: bool
    # A sample carrier: its labels are printed SPÉCIMEN and never count as real.
    specimen: bool

    def gateway(self, account: CarrierAccount) -> CarrierGateway: ...


@runtime_checkable
class ReadsOurClock(Protocol):
    """A carrier that draws its own events (the specimen): the composition root gives it the app's clock."""

    clock: Clock | None
