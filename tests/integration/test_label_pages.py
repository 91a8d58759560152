"""The label in the admin (carrier account, sealed credentials) and in the portal (address, PDF, QR)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from connector.bootstrap import Services
from connector.domain.shipping import LabelMode
from connector.jobs.relay import wait_idle
from connector.persistence.shipping_tables import CarrierAccountRow
from connector.workflow import returns as flow
from tests import builders
from tests.integration.test_admin_support import request_return, signed_in
from tests.label_support import connect_carrier

ADDRESS = {"addr_company": "Boutique Exemple", "addr_name": "Service retours", "addr_line1": "12 rue des Lilas",
           "addr_postal_code": "69003", "addr_city": "Lyon", "addr_country_code": "fr"}


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_colissimo_account_is_saved_with_its_password_sealed(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    token = signed_in(client, services, shop)
    page = client.get(f"/admin/{shop.slug}/carrier")
    assert page.status_code == 200
    answer = client.post(f"/admin/{shop.slug}/carrier", data={
        "csrf_token": token, "carrier": "colissimo", "label_mode": "prepaid", "auto_receive": "yes",
        "cred_contract_number": "123456", "cred_password": "tres-secret", "cred_laposte_api_key": "okapi",
        "label_price": "5,45", "weight_kg": "1.5", **ADDRESS})
    assert answer.status_code == 302
    with services.uow() as uow:
        sealed = uow.session.scalar(select(CarrierAccountRow.credentials))
        settings = uow.scope(shop).carrier_account.get()
    assert sealed
    assert "tres-secret" not in sealed
    assert "123456" not in sealed
    assert settings is not None
    assert settings.account.credentials["password"] == "tres-secret"
    assert settings.label_mode is LabelMode.PREPAID
    assert settings.label_price is not None
    assert str(settings.label_price.amount) == "5.45"
    assert settings.return_address is not None
    assert settings.return_address.country_code == "FR"
    # Saving again with the password left empty keeps it.
    client.post(f"/admin/{shop.slug}/carrier", data={
        "csrf_token": token, "carrier": "colissimo", "label_mode": "prepaid", "cred_contract_number": "123456",
        "cred_password": "", "cred_laposte_api_key": "", **ADDRESS})
    with services.uow() as uow:
        kept = uow.scope(shop).carrier_account.get()
    assert kept is not None
    assert kept.account.credentials["password"] == "tres-secret"
    assert "tres-secret" not in client.get(f"/admin/{shop.slug}/carrier").get_data(as_text=True)


def test_bad_carrier_settings_are_refused_and_change_nothing(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    token = signed_in(client, services, shop)
    for data in ({"carrier": "pigeon", "label_mode": "prepaid", **ADDRESS},
                 {"carrier": "colissimo", "label_mode": "teleport", **ADDRESS},
                 {"carrier": "colissimo", "label_mode": "prepaid", **{**ADDRESS, "addr_postal_code": ""}},
                 {"carrier": "colissimo", "label_mode": "prepaid", "weight_kg": "-2", **ADDRESS},
                 {"carrier": "colissimo", "label_mode": "prepaid", "label_price": "abc", **ADDRESS}):
        answer = client.post(f"/admin/{shop.slug}/carrier", data={"csrf_token": token, **data})
        assert answer.status_code == 302, data
    with services.uow() as uow:
        assert uow.scope(shop).carrier_account.get() is None


def test_shopper_gives_her_address_and_prints_the_specimen_label(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    connect_carrier(services, shop, carrier="specimen")
    ret = flow.approve(services, shop.id, request_return(services, shop), "merchant")
    track = f"/portal/{shop.slug}/track/{ret.tracking_token}"
    page = client.get(track)
    html = page.get_data(as_text=True)
    assert 'id="label"' in html
    assert "SPECIMEN" in html or "SPÉCIMEN" in html
    assert client.get(f"{track}/label").status_code == 302  # nothing to print before the address
    refused = client.post(f"{track}/label-address", data={"csrf_token": _csrf(html), "name": "Claire"})
    assert refused.status_code == 422
    answer = client.post(f"{track}/label-address", data={
        "csrf_token": _csrf(html), "name": "Claire Martin", "line1": "3 avenue Foch", "postal_code": "75016",
        "city": "Paris", "country_code": "fr"})
    assert answer.status_code == 302
    wait_idle(services)
    ready = client.get(track).get_data(as_text=True)
    assert "<svg" in ready  # the specimen carrier takes a QR code at the counter
    pdf = client.get(f"{track}/label")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-1.4")
    with services.uow() as uow:
        emails = uow.scope(shop).emails.recent(return_id=ret.id)
    approve_mail = [e for e in emails if ret.reference in e.subject and "/label" in e.body]
    assert approve_mail, [e.body for e in emails]
