"""The shopper's journey in a real chromium, phone and desktop, French and English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connector.bootstrap import Services
from connector.domain.policy import ReturnPolicy
from connector.domain.shops import Shop
from tests import builders

pytestmark = pytest.mark.e2e

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 512
WORDS = {
    "fr": {"find": "Trouver ma commande", "review": "Vérifier mon retour", "confirm": "Confirmer mon retour",
           "final_sale": "vente finale", "photo": "ajouter une photo", "requested": "Votre demande de retour est enregistrée",
           "follow": "Suivre mon retour", "tracked": "Retour demandé", "cancel": "Annuler mon retour",
           "cancel_yes": "Oui, annuler mon retour", "cancelled": "Votre retour est annulé.", "free": "Frais de retour", "exchange": "Échange"},
    "en": {"find": "Find my order", "review": "Review my return", "confirm": "Confirm my return",
           "final_sale": "final sale", "photo": "add a photo", "requested": "Your return is requested",
           "follow": "Follow my return", "tracked": "Return requested", "cancel": "Cancel my return",
           "cancel_yes": "Yes, cancel my return", "cancelled": "Your return is cancelled.", "free": "Return shipping", "exchange": "Exchange"},
}


@pytest.fixture
def shop(services: Services) -> Shop:
    found = builders.shop(services, name="Boutique Claire", policy=ReturnPolicy(
        allowed_resolutions=("refund", "store_credit", "exchange"),  # type: ignore[arg-type]
        store_credit_bonus_percent="10", return_shipping_fee="5.90",  # type: ignore[arg-type]
    ).to_dict())
    with services.uow() as uow:
        found = uow.shops.update(found.id, return_address="Boutique Claire\n12 rue des Lilas\n75011 Paris")
        uow.commit()
    builders.stored_order(services, found, lines=(
        builders.line("L1", title="Robe lin", price="40.00"),
        builders.line("L2", title="Ceinture soldée", price="25.00", product_tags=("final-sale",)),
    ))
    return found


def _page(browser: Any, size: str, lang: str) -> Any:
    context = browser.new_context(viewport=SIZES[size], locale="fr-FR" if lang == "fr" else "en-GB")
    return context.new_page()


def _find_order(page: Any, base: str, lang: str) -> None:
    page.goto(f"{base}?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    page.get_by_label("Numéro de commande" if lang == "fr" else "Order number").fill("1001")
    page.locator("#contact").fill("claire@example.com")
    page.get_by_role("button", name=WORDS[lang]["find"]).click()


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_journey_with_a_photo_from_lookup_to_tracking(
    browser: Any, live_url: str, shop: Shop, size: str, lang: str, screenshots: Path, tmp_path: Path
) -> None:
    words = WORDS[lang]
    page = _page(browser, size, lang)
    base = f"{live_url}/portal/{shop.slug}/"
    page.goto(f"{base}?lang={lang}")
    page.screenshot(path=str(screenshots / f"1-lookup-{size}-{lang}.png"), full_page=True)
    _find_order(page, base, lang)

    # The items page: the final-sale belt is explained, not offered.
    page.wait_for_url("**/order*")
    belt = page.locator("#item-1")
    assert words["final_sale"] in belt.inner_text()
    assert belt.locator("select").count() == 0
    page.screenshot(path=str(screenshots / f"2-items-{size}-{lang}.png"), full_page=True)

    # A defect needs a photo: first without, the form says so; then with one.
    page.locator("#qty-0").select_option("1")
    page.locator("#reason-0").select_option("defective")
    page.get_by_role("button", name=words["review"]).click()
    assert words["photo"] in page.locator("#errors-0").inner_text()
    page.screenshot(path=str(screenshots / f"3-photo-needed-{size}-{lang}.png"), full_page=True)
    photo = tmp_path / "defaut.jpg"
    photo.write_bytes(JPEG)
    page.locator("#qty-0").select_option("1")
    page.locator("#reason-0").select_option("defective")
    page.locator("#photos-0").set_input_files(str(photo))
    page.get_by_role("button", name=words["review"]).click()

    # The review shows the amounts before anything is sent.
    review = page.locator("main").inner_text()
    assert ("40,00\u00a0€" if lang == "fr" else "€40.00") in review
    page.screenshot(path=str(screenshots / f"4-review-{size}-{lang}.png"), full_page=True)
    page.get_by_role("button", name=words["confirm"]).click()

    page.wait_for_url("**/confirmation*")
    assert words["requested"] in page.locator("h1").inner_text()
    reference = page.locator(".ref").first.inner_text()
    assert reference.startswith("R-")
    assert "12 rue des Lilas" in page.locator("main").inner_text()
    page.screenshot(path=str(screenshots / f"5-confirmation-{size}-{lang}.png"), full_page=True)

    page.get_by_role("link", name=words["follow"]).first.click()
    page.wait_for_url("**/track/*")
    assert words["tracked"] in page.locator(".timeline").inner_text()
    assert reference in page.locator("h1").inner_text()
    page.screenshot(path=str(screenshots / f"6-tracking-{size}-{lang}.png"), full_page=True)
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.context.close()


@pytest.mark.parametrize(("size", "lang"), [("phone", "fr"), ("desktop", "en"), ("phone", "en"), ("desktop", "fr")])
def test_exchange_then_cancel(
    browser: Any, live_url: str, shop: Shop, size: str, lang: str, screenshots: Path, services: Services
) -> None:
    words = WORDS[lang]
    page = _page(browser, size, lang)
    base = f"{live_url}/portal/{shop.slug}/"
    _find_order(page, base, lang)
    page.wait_for_url("**/order*")
    page.locator("#qty-0").select_option("1")
    page.locator("#reason-0").select_option("size_too_small")
    page.locator("#resolution-0-exchange").check()
    page.locator("#exchange-0").fill("M")
    page.screenshot(path=str(screenshots / f"7-exchange-{size}-{lang}.png"), full_page=True)
    page.get_by_role("button", name=words["review"]).click()
    assert words["exchange"] in page.locator("main").inner_text()
    page.get_by_role("button", name=words["confirm"]).click()
    page.wait_for_url("**/confirmation*")
    page.get_by_role("link", name=words["follow"]).first.click()
    page.wait_for_url("**/track/*")
    page.get_by_role("link", name=words["cancel"]).click()
    page.wait_for_url("**/cancel*")  # a question first: nothing is cancelled by one tap
    with services.uow() as uow:
        [asked] = uow.scope(shop).returns.for_order("1001")
    assert asked.status.value == "requested"
    page.screenshot(path=str(screenshots / f"8-cancel-question-{size}-{lang}.png"), full_page=True)
    page.get_by_role("button", name=words["cancel_yes"]).click()
    page.wait_for_url("**done=cancelled*")
    assert words["cancelled"] in page.locator("main").inner_text()
    page.screenshot(path=str(screenshots / f"8-cancelled-{size}-{lang}.png"), full_page=True)
    with services.uow() as uow:
        [ret] = uow.scope(shop).returns.for_order("1001")
    assert ret.status.value == "cancelled"
    assert ret.items[0].resolution.value == "exchange"
    page.context.close()


def test_policy_page_reads_well_on_a_phone(browser: Any, live_url: str, shop: Shop, screenshots: Path) -> None:
    page = _page(browser, "phone", "fr")
    page.goto(f"{live_url}/portal/{shop.slug}/policy")
    assert "5,90\u00a0€" in page.locator("main").inner_text()
    page.screenshot(path=str(screenshots / "9-policy-phone-fr.png"), full_page=True)
    page.context.close()
