"""A return approved through the real web process gets exactly one Colissimo label from the real worker.

The carrier is a stand-in of our own on 127.0.0.1 (tests/system/carrier_stand_in.py): karrio
builds and parses the messages, our transport sends them to the base URL the settings give
(RETURNS_COLISSIMO_URL), so the Procfile's worker talks to it as it would to Colissimo.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from connector.domain.returns import Channel, ResolutionKind
from connector.workflow import returns as flow
from connector.workflow.api_tokens import create_token
from tests import builders
from tests.label_support import connect_carrier
from tests.system.carrier_stand_in import FIXTURES, CarrierStandIn
from tests.system.stack import Stack


@pytest.fixture
def carrier() -> Iterator[CarrierStandIn]:
    stand_in = CarrierStandIn()
    yield stand_in
    stand_in.stop()


def test_an_approved_return_gets_exactly_one_label_bought(tmp_path: Path, carrier: CarrierStandIn) -> None:
    env = {"RETURNS_COLISSIMO_URL": carrier.url, "RETURNS_LAPOSTE_TRACKING_URL": carrier.url}
    with Stack.start(tmp_path, env=env) as stack:
        svc = stack.services()
        shop = builders.shop(svc, domain="labels.example", name="Boutique Étiquettes")
        builders.stored_order(svc, shop)
        connect_carrier(svc, shop, carrier="colissimo", label_price="5.45", auto_receive=True,
                        credentials={"contract_number": "123456", "password": "secret", "laposte_api_key": "k"})
        opened = flow.open_return_request(svc, shop.id, "1001", [
            flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)], channel=Channel.PORTAL)
        reference, token = opened.ret.reference, opened.ret.tracking_token
        api = {"Authorization": f"Bearer {create_token(svc, shop.id)}"}

        # The merchant approves through the JSON API of the running web process, twice.
        first = requests.post(f"{stack.base_url}/api/v1/returns/{reference}/approve", json={}, headers=api, timeout=30)
        assert first.status_code == 200, first.text
        again = requests.post(f"{stack.base_url}/api/v1/returns/{reference}/approve", json={}, headers=api, timeout=30)
        assert again.status_code == 409

        # The shopper gives her address on the tracking page (twice: a double click).
        portal = requests.Session()
        track = f"{stack.base_url}/portal/{shop.slug}/track/{token}"
        page = portal.get(track, timeout=30).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf is not None
        address = {"csrf_token": csrf.group(1), "name": "Claire Martin", "line1": "3 avenue Foch",
                   "postal_code": "75016", "city": "Paris", "country_code": "FR"}
        for _ in range(2):
            assert portal.post(f"{track}/label-address", data=address, timeout=30, allow_redirects=False).status_code == 302

        stack.wait_for(lambda: stack.sql("SELECT status FROM shipments") == [("bought",)], timeout=90,
                       what="the label bought by the worker")
        time.sleep(3)  # time for a second purchase, were there one to happen
        assert len(carrier.label_calls) == 1
        assert stack.sql("SELECT count(*), min(tracking_number), min(price) FROM shipments") == [
            (1, "8R00000012345", Decimal("5.4500"))]  # Colissimo gives no price: the contract rate
        pdf = portal.get(f"{track}/label", timeout=30)
        assert pdf.headers["Content-Type"] == "application/pdf"
        assert pdf.content == (FIXTURES / "label.pdf").read_bytes()
        assert "8R00000012345" in portal.get(track, timeout=30).text
