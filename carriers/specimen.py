"""The specimen carrier of the demo shop: sample labels printed SPÉCIMEN, and a parcel that moves by itself.

No carrier is called and nothing is bought: the label is drawn here, its price is None, and
every label says `specimen=True`, so nothing else in the app treats it as real. The tracking
number carries the minute the label was drawn; tracking replays a short journey from it
(posted after 2 minutes, in transit after 5, delivered after 10) so the demo shows each step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from carriers.specimen_pdf import label_pdf
from connector.domain.shipping import Label, LabelRequest, ParcelStep, TrackingEvent
from connector.ports import Clock
from connector.ports.carriers import CarrierAccount

PREFIX = "SPEC"
JOURNEY = (
    (timedelta(minutes=2), "POSTED", "Colis déposé au bureau de poste (spécimen)", ParcelStep.IN_TRANSIT),
    (timedelta(minutes=5), "TRANSIT", "Colis en cours d'acheminement (spécimen)", ParcelStep.IN_TRANSIT),
    (timedelta(minutes=10), "DELIVERED", "Colis livré au marchand (spécimen)", ParcelStep.DELIVERED),
)


def _number(reference: str, at: datetime) -> str:
    digest = hashlib.sha256(reference.encode()).hexdigest()[:6].upper()
    return f"{PREFIX}{int(at.timestamp()) // 60:010d}{digest}"


def _drawn_at(tracking_number: str) -> datetime | None:
    if not tracking_number.startswith(PREFIX) or len(tracking_number) != len(PREFIX) + 16:
        return None
    try:
        return datetime.fromtimestamp(int(tracking_number[len(PREFIX):len(PREFIX) + 10]) * 60, UTC)
    except ValueError:
        return None


class SpecimenGateway:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now

    def buy_label(self, request: LabelRequest) -> Label:
        number = _number(request.reference, self._now())
        s, r = request.sender, request.recipient
        lines = ["DE / FROM:", s.name, s.line1, f"{s.postal_code} {s.city} {s.country_code}", "",
                 "A / TO:", r.company or r.name, r.line1, f"{r.postal_code} {r.city} {r.country_code}", "",
                 f"Ref. {request.reference}", f"{request.parcel.weight_kg} kg"]
        return Label(tracking_number=number, pdf=label_pdf(lines, number), price=None, specimen=True)

    def find_label(self, reference: str) -> Label | None:
        return None  # nothing is ever bought: drawing another sample costs nothing

    def track(self, tracking_numbers: Sequence[str]) -> Mapping[str, Sequence[TrackingEvent]]:
        now = self._now()
        found: dict[str, list[TrackingEvent]] = {}
        for number in tracking_numbers:
            drawn = _drawn_at(number)
            if drawn is None:
                continue
            found[number] = [TrackingEvent(occurred_at=drawn + after, code=code, description=text, step=step)
                             for after, code, text, step in JOURNEY if drawn + after <= now]
        return found


class SpecimenCarrier:
    name = "specimen"
    title = "Spécimen (demo)"
    fields: tuple[tuple[str, str, bool], ...] = ()
    poll_every = timedelta(minutes=1)
    offers_qr = True
    specimen = True

    def __init__(self, settings: Mapping[str, str]) -> None:
        # The app's clock, given by the composition root (tests freeze it); the system's until then.
        self.clock: Clock | None = None

    def _now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    def gateway(self, account: CarrierAccount) -> SpecimenGateway:
        return SpecimenGateway(self._now)


def create_carrier(settings: Mapping[str, str]) -> SpecimenCarrier:
    return SpecimenCarrier(settings)
