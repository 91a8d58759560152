"""Colissimo, La Poste and DHL Express answers, as karrio parses them, through our transport.

We have no carrier contract, so these answers are NOT recordings of live traffic: they are
written by hand from the carriers' documented formats (Colissimo's SLS web service
`generateLabel` multipart answer, La Poste's Suivi v2 JSON, DHL's XML-PI ShipmentResponse,
ShipmentValidateErrorResponse and TrackingResponse) in the shape karrio's parsers read.
They prove our side (requests, URLs, headers, the mapping to our dataclasses, error
classification); they cannot prove that a carrier answers exactly so today.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import responses

from carriers.colissimo import ColissimoCarrier
from carriers.dhl_express import DhlExpressCarrier
from connector.domain.shipping import LabelRequest, ParcelSize, ParcelStep
from connector.ports.carriers import CarrierAccount, CarrierError, LookupUnsupported
from tests.label_support import RETURN_ADDRESS, SHOPPER

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "carriers"
COLISSIMO = "https://colissimo.stand-in.test/sls"
LAPOSTE = "https://laposte.stand-in.test/suivi/v2"
DHL = "https://dhl.stand-in.test"
REQUEST = LabelRequest(reference="R-7KQ2MX-L1", sender=SHOPPER, recipient=RETURN_ADDRESS,
                       parcel=ParcelSize(Decimal("1.2")))


def _colissimo() -> object:
    carrier = ColissimoCarrier({"RETURNS_COLISSIMO_URL": COLISSIMO, "RETURNS_LAPOSTE_TRACKING_URL": LAPOSTE})
    return carrier.gateway(CarrierAccount("colissimo", {"contract_number": "123456", "password": "secret",
                                                        "laposte_api_key": "okapi-key"}))


def _dhl() -> object:
    carrier = DhlExpressCarrier({"RETURNS_DHL_EXPRESS_URL": DHL})
    return carrier.gateway(CarrierAccount("dhl_express", {"site_id": "site", "password": "pw",
                                                          "account_number": "950000000",
                                                          "account_country_code": "FR"}))


@responses.activate
def test_colissimo_label_created_gives_the_parcel_number_and_the_pdf() -> None:
    responses.post(f"{COLISSIMO}/generateLabel", body=(FIXTURES / "colissimo_label_created.multipart").read_bytes(),
                   content_type="multipart/mixed; boundary=uuid:5f0c7d2e-0b4b-4e59-9a53-2b2f6a1d0c11")
    label = _colissimo().buy_label(REQUEST)  # type: ignore[attr-defined]
    assert label.tracking_number == "8R00000012345"
    assert label.pdf == (FIXTURES / "label.pdf").read_bytes()  # every byte of the PDF, none altered
    assert label.price is None  # Colissimo's answer has no price: the contract rate applies
    assert not label.specimen
    sent = json.loads(responses.calls[0].request.body)
    assert sent["contractNumber"] == "123456"
    assert sent["letter"]["service"]["productCode"] == "CORE"  # Colissimo Retour France
    assert sent["letter"]["sender"]["address"]["zipCode"] == "75016"
    assert sent["letter"]["addressee"]["address"]["city"] == "Lyon"
    assert sent["letter"]["sender"]["senderParcelRef"] == "R-7KQ2MX-L1"


@responses.activate
def test_colissimo_invalid_address_is_refused_with_its_message_and_not_retried() -> None:
    responses.post(f"{COLISSIMO}/generateLabel",
                   body=(FIXTURES / "colissimo_invalid_address.multipart").read_bytes(), status=400)
    with pytest.raises(CarrierError) as refused:
        _colissimo().buy_label(REQUEST)  # type: ignore[attr-defined]
    assert refused.value.invalid_address
    assert not refused.value.retryable
    assert "code postal de l'expéditeur" in str(refused.value)


@responses.activate
def test_colissimo_unreachable_is_retryable_and_a_timeout_may_have_bought() -> None:
    import requests

    responses.post(f"{COLISSIMO}/generateLabel", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(CarrierError) as lost:
        _colissimo().buy_label(REQUEST)  # type: ignore[attr-defined]
    assert lost.value.retryable
    assert lost.value.maybe_bought
    responses.replace(responses.POST, f"{COLISSIMO}/generateLabel", status=503)
    with pytest.raises(CarrierError) as down:
        _colissimo().buy_label(REQUEST)  # type: ignore[attr-defined]
    assert down.value.retryable
    assert not down.value.maybe_bought


def test_colissimo_cannot_find_a_label_by_reference() -> None:
    with pytest.raises(LookupUnsupported):
        _colissimo().find_label("R-7KQ2MX-L1")  # type: ignore[attr-defined]


@responses.activate
def test_laposte_tracking_events_become_steps_oldest_first() -> None:
    responses.get(f"{LAPOSTE}/idships/8R00000012345", body=(FIXTURES / "laposte_tracking.json").read_text(),
                  content_type="application/json")
    found = _colissimo().track(["8R00000012345"])  # type: ignore[attr-defined]
    events = list(found["8R00000012345"])
    assert [e.code for e in events] == ["PC1", "ET1", "DI1"]
    # karrio keeps the carrier's wall-clock time and drops its offset: 09:05 in Paris reads 09:05.
    assert events[0].occurred_at == datetime(2026, 6, 16, 9, 5, tzinfo=UTC)
    assert events[-1].step is ParcelStep.DELIVERED
    assert events[0].step is ParcelStep.IN_TRANSIT
    assert responses.calls[0].request.headers["X-Okapi-Key"] == "okapi-key"


@responses.activate
def test_laposte_unknown_number_is_left_out() -> None:
    responses.get(f"{LAPOSTE}/idships/8R99999999999", body=(FIXTURES / "laposte_tracking_unknown.json").read_text(),
                  status=404, content_type="application/json")
    assert _colissimo().track(["8R99999999999"]) == {}  # type: ignore[attr-defined]


@responses.activate
def test_dhl_label_created_carries_its_price() -> None:
    responses.post(f"{DHL}/XMLShippingServlet", body=(FIXTURES / "dhl_label_created.xml").read_text(),
                   content_type="application/xml")
    label = _dhl().buy_label(REQUEST)  # type: ignore[attr-defined]
    assert label.tracking_number == "4012345678"
    assert label.pdf == (FIXTURES / "label.pdf").read_bytes()
    assert label.price is not None
    assert (label.price.amount, label.price.currency) == (Decimal("38.74"), "EUR")
    body = responses.calls[0].request.body
    assert b"<SiteID>site</SiteID>" in body
    assert b"R-7KQ2MX-L1" in body


@responses.activate
def test_dhl_rate_error_is_a_clear_refusal() -> None:
    responses.post(f"{DHL}/XMLShippingServlet", body=(FIXTURES / "dhl_rate_error.xml").read_text(),
                   content_type="application/xml")
    with pytest.raises(CarrierError) as refused:
        _dhl().buy_label(REQUEST)  # type: ignore[attr-defined]
    assert refused.value.code == "PLT006"
    assert "no rate is available" in str(refused.value)
    assert not refused.value.retryable
    assert not refused.value.invalid_address


@responses.activate
def test_dhl_tracking_events() -> None:
    responses.post(f"{DHL}/XMLShippingServlet", body=(FIXTURES / "dhl_tracking.xml").read_text(),
                   content_type="application/xml")
    found = _dhl().track(["4012345678"])  # type: ignore[attr-defined]
    events = list(found["4012345678"])
    assert [e.code for e in events] == ["PU", "AF"]
    assert all(e.step is ParcelStep.IN_TRANSIT for e in events)
