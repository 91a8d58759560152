"""In a browser: the shopper of an approved return gives her address and prints the specimen label."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connector.bootstrap import Services
from connector.jobs.relay import wait_idle
from connector.workflow import returns as flow
from tests import builders
from tests.integration.test_admin_support import request_return
from tests.label_support import connect_carrier

pytestmark = pytest.mark.e2e

WORDS = {
    "fr": {"title": "Votre étiquette de retour prépayée", "street": "Numéro et rue", "city": "Ville",
           "get": "Obtenir mon étiquette", "print": "Imprimer mon étiquette (PDF)", "specimen": "SPÉCIMEN"},
    "en": {"title": "Your prepaid return label", "street": "Street and number", "city": "City",
           "get": "Get my label", "print": "Print my label (PDF)", "specimen": "SPECIMEN"},
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_shopper_gets_and_prints_her_label(browser: Any, live_url: str, services: Services, screenshots: Path,
                                           lang: str) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    connect_carrier(services, shop, carrier="specimen")
    ret = flow.approve(services, shop.id, request_return(services, shop), "merchant")
    page = browser.new_context(viewport={"width": 390, "height": 844},
                               locale="fr-FR" if lang == "fr" else "en-GB").new_page()
    track = f"{live_url}/portal/{shop.slug}/track/{ret.tracking_token}"
    page.goto(f"{track}?lang={lang}")
    words = WORDS[lang]
    assert page.get_by_role("heading", name=words["title"]).is_visible()
    assert words["specimen"] in page.locator("#label").inner_text()
    page.get_by_label(words["street"]).fill("3 avenue Foch")
    page.get_by_label(words["city"]).fill("Paris")
    page.get_by_role("button", name=words["get"]).click()
    page.wait_for_load_state()
    wait_idle(services)  # the worker's part: the outbox row buys (draws) the label
    page.goto(f"{track}?lang={lang}")
    assert page.locator("#label svg").count() == 1  # the QR code the specimen carrier takes
    page.screenshot(path=str(screenshots / f"label-ready-{lang}.png"), full_page=True)
    href = page.get_by_role("link", name=words["print"]).get_attribute("href")
    assert href is not None
    pdf = page.request.get(f"{live_url}{href}" if href.startswith("/") else href)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-1.4")
