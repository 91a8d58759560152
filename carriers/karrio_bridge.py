"""What the karrio-backed carriers share: karrio builds and parses the carrier's messages, we send them.

karrio's own transport is urllib with fixed carrier hosts; ours is `requests` with a base URL
from the settings, so every carrier can be pointed at a stand-in (and `responses` sees the
calls in tests). Imports karrio lazily: loading its plugins costs a second, paid on first use.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from connector.domain.shipping import LabelRequest, ParcelStep, PostalAddress, TrackingEvent
from connector.ports.carriers import CarrierError

log = logging.getLogger(__name__)

TIMEOUT = 30.0
# Words the carriers use in messages about an address they refuse (French and English).
_ADDRESS_WORDS = ("adresse", "address", "code postal", "postal", "zipcode", "zip code", "ville", "city",
                  "pays", "country", "commune")


def karrio_gateway(carrier: str, settings: Any) -> Any:
    import karrio.sdk as karrio

    return karrio.gateway[carrier].create(settings)


def karrio_address(address: PostalAddress) -> Any:
    from karrio.core.models import Address

    return Address(person_name=address.name, company_name=address.company or None,
                   address_line1=address.line1, address_line2=address.line2 or None,
                   postal_code=address.postal_code, city=address.city, country_code=address.country_code.upper(),
                   email=address.email or None, phone_number=address.phone or None)


def karrio_shipment(request: LabelRequest, service: str) -> Any:
    from karrio.core.models import Parcel, ShipmentRequest

    size = request.parcel
    return ShipmentRequest(
        service=service, shipper=karrio_address(request.sender), recipient=karrio_address(request.recipient),
        parcels=[Parcel(weight=float(size.weight_kg), weight_unit="KG", length=float(size.length_cm),
                        width=float(size.width_cm), height=float(size.height_cm), dimension_unit="CM",
                        reference_number=request.reference)],
        reference=request.reference, label_type="PDF", is_return=True,
    )


def send(method: str, url: str, *, body: str | bytes | None = None, headers: dict[str, str] | None = None,
         carrier: str) -> requests.Response:
    """One carrier call; network trouble and 5xx are retryable, other answers are the caller's."""
    try:
        response = requests.request(method, url, data=body, headers=headers or {}, timeout=TIMEOUT)
    except (requests.ConnectionError, requests.ConnectTimeout) as exc:
        if isinstance(exc, requests.ReadTimeout):
            raise CarrierError(f"{carrier} did not answer in time", retryable=True, maybe_bought=True) from exc
        raise CarrierError(f"{carrier} could not be reached: {type(exc).__name__}", retryable=True) from exc
    except requests.RequestException as exc:
        if isinstance(exc, requests.ReadTimeout):
            raise CarrierError(f"{carrier} did not answer in time", retryable=True, maybe_bought=True) from exc
        raise CarrierError(f"{carrier} could not be reached: {type(exc).__name__}", retryable=True) from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise CarrierError(f"{carrier} answered {response.status_code}", retryable=True, code=str(response.status_code))
    return response


def raise_messages(messages: Sequence[Any], carrier: str) -> None:
    """karrio's error messages as one CarrierError, telling an address refused from other refusals."""
    if not messages:
        return
    texts = [f"{m.code}: {m.message}" if m.code else str(m.message) for m in messages]
    lowered = " ".join(texts).lower()
    raise CarrierError(f"{carrier} refused: " + "; ".join(texts),
                       invalid_address=any(word in lowered for word in _ADDRESS_WORDS),
                       code=str(messages[0].code or ""))


def parse_label_pdf(encoded: str | None, carrier: str) -> bytes:
    if not encoded:
        raise CarrierError(f"{carrier} answered without a label", retryable=True)
    try:
        return base64.b64decode(encoded)
    except ValueError as exc:
        raise CarrierError(f"{carrier} sent a label that is not base64", retryable=True) from exc


def decimal_or_none(value: object) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _when(event: Any) -> datetime:
    """The event's time. karrio gives the carrier's local wall-clock time with its offset dropped
    (09:05+02:00 becomes 09:05Z): we keep it so, and pages show the time the carrier printed."""
    for raw, formats in ((event.timestamp, ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S%z")),
                         (f"{event.date} {event.time or '00:00'}", ("%Y-%m-%d %H:%M", "%Y-%m-%d %I:%M %p"))):
        for fmt in formats:
            try:
                parsed = datetime.strptime(str(raw), fmt)  # noqa: DTZ007 - the zone is set just below
            except (TypeError, ValueError):
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime(1970, 1, 1, tzinfo=UTC)


def tracking_events(details: Sequence[Any], step_of: Callable[[Any, Any], ParcelStep]
                    ) -> dict[str, list[TrackingEvent]]:
    """karrio's TrackingDetails as our events, oldest first; `step_of(detail, event)` is per carrier."""
    found: dict[str, list[TrackingEvent]] = {}
    for detail in details:
        events = [TrackingEvent(occurred_at=_when(e), code=str(e.code or ""), description=str(e.description or ""),
                                step=step_of(detail, e), location=str(e.location or ""))
                  for e in detail.events or []]
        found[str(detail.tracking_number)] = sorted(events, key=lambda e: (e.occurred_at, e.code))
    return found


def karrio_step(detail: Any, event: Any) -> ParcelStep:
    """karrio's normalised status of one event, in our steps."""
    status = str(event.status or "")
    if status == "delivered":
        return ParcelStep.DELIVERED
    if status in ("delivery_failed", "return_to_sender", "cancelled", "on_hold"):
        return ParcelStep.PROBLEM
    return ParcelStep.IN_TRANSIT
