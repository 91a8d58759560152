"""Colissimo (La Poste) return labels through karrio, and tracking through La Poste's Suivi API.

Colissimo's label answer carries no price: the merchant's contract rate applies (typed in the
admin). Colissimo cannot find a label by our reference, so a lost answer is never adopted: the
workflow asks the merchant instead of buying again. Imports karrio and requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from carriers import karrio_bridge as bridge
from connector.domain.shipping import Label, LabelRequest, TrackingEvent
from connector.ports.carriers import CarrierAccount, CarrierError, LookupUnsupported

LABEL_URL = "https://ws.colissimo.fr/sls-ws/SlsServiceWSRest/2.0"
TRACKING_URL = "https://api.laposte.fr/suivi/v2"
# Colissimo Retour France, and Retour International for a parcel posted abroad to France.
RETURN_FRANCE = "colissimo_return_france"
RETURN_INTERNATIONAL = "colissimo_return_international_to_france"


class ColissimoGateway:
    def __init__(self, account: CarrierAccount, label_url: str, tracking_url: str) -> None:
        self._account = account
        self._label_url = label_url.rstrip("/")
        self._tracking_url = tracking_url.rstrip("/")

    def _karrio(self) -> Any:
        from karrio.mappers.colissimo.settings import Settings

        creds = self._account.credentials
        return bridge.karrio_gateway("colissimo", Settings(
            contract_number=creds.get("contract_number", ""), password=creds.get("password", ""),
            laposte_api_key=creds.get("laposte_api_key", ""), test_mode=self._account.test_mode))

    def buy_label(self, request: LabelRequest) -> Label:
        import json

        from karrio.core.utils import Deserializable
        from karrio.providers.colissimo.utils import parse_response

        gateway = self._karrio()
        service = request.service or (RETURN_FRANCE if request.sender.country_code.upper() == "FR"
                                      else RETURN_INTERNATIONAL)
        serializable = gateway.mapper.create_shipment_request(bridge.karrio_shipment(request, service))
        response = bridge.send("POST", f"{self._label_url}/generateLabel",
                               body=json.dumps(serializable.serialize()),
                               headers={"Content-Type": "application/json;charset=UTF-8"}, carrier="Colissimo")
        # The answer is multipart (JSON then the PDF's bytes): latin-1 keeps every byte as one character.
        details, messages = gateway.mapper.parse_shipment_response(
            Deserializable(response.content.decode("latin-1"), parse_response, serializable.ctx))
        bridge.raise_messages([_utf8(m) for m in messages], "Colissimo")
        if details is None:
            raise CarrierError(f"Colissimo answered {response.status_code} without a label", retryable=True)
        return Label(tracking_number=str(details.tracking_number),
                     pdf=bridge.parse_label_pdf(details.docs.label, "Colissimo"), price=None,
                     tracking_url=str((details.meta or {}).get("carrier_tracking_link") or ""))

    def find_label(self, reference: str) -> Label | None:
        raise LookupUnsupported("Colissimo cannot find a label by the sender's reference")

    def track(self, tracking_numbers: Sequence[str]) -> Mapping[str, Sequence[TrackingEvent]]:
        from karrio.core.models import TrackingRequest
        from karrio.core.utils import Deserializable

        if not tracking_numbers:
            return {}
        gateway = self._karrio()
        numbers = ",".join(gateway.mapper.create_tracking_request(
            TrackingRequest(tracking_numbers=list(tracking_numbers))).serialize())
        response = bridge.send("GET", f"{self._tracking_url}/idships/{numbers}?lang=fr_FR",
                               headers={"Accept": "application/json",
                                        "X-Okapi-Key": self._account.credentials.get("laposte_api_key", "")},
                               carrier="La Poste")
        if response.status_code in (401, 403):
            raise CarrierError("La Poste refused the tracking key (X-Okapi-Key)", code=str(response.status_code))
        details, _messages = gateway.mapper.parse_tracking_response(Deserializable(response.text, _json))
        # Unknown numbers come back as messages; they are left out, as the port says.
        return bridge.tracking_events(details, bridge.karrio_step)


def _utf8(message: Any) -> Any:
    """The JSON part was read as latin-1 (to keep the PDF's bytes): give its texts their accents back."""
    try:
        message.message = str(message.message).encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return message


def _json(text: str) -> Any:
    import json

    return json.loads(text) if text.strip() else {}


class ColissimoCarrier:
    name = "colissimo"
    title = "Colissimo"
    fields = (("contract_number", "Contract number", False), ("password", "Password", True),
              ("laposte_api_key", "La Poste tracking key (Okapi)", True))
    # La Poste's Suivi API allows a few calls a second per key; once an hour per parcel is plenty.
    poll_every = timedelta(hours=1)
    offers_qr = False
    specimen = False

    def __init__(self, settings: Mapping[str, str]) -> None:
        self._label_url = settings.get("RETURNS_COLISSIMO_URL") or LABEL_URL
        self._tracking_url = settings.get("RETURNS_LAPOSTE_TRACKING_URL") or TRACKING_URL

    def gateway(self, account: CarrierAccount) -> ColissimoGateway:
        return ColissimoGateway(account, self._label_url, self._tracking_url)


def create_carrier(settings: Mapping[str, str]) -> ColissimoCarrier:
    return ColissimoCarrier(settings)
