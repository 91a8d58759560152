"""The shopper's journeys in chromium, French on a phone and English on a desktop, on a manual shop with a
catalogue: refund in six actions, exchange to another size with its stock, store credit with its bonus,
a reason that needs a photo. Screenshots are kept under test-artifacts/screenshots/journeys/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connector.bootstrap import Services
from connector.domain.policy import ReturnPolicy
from connector.domain.shops import Shop
from platforms.manual import OPTION_KEY, catalogue_option, parse_catalogue_csv
from tests import builders

pytestmark = pytest.mark.e2e

PHONE_FR = {"viewport": {"width": 390, "height": 844}, "locale": "fr-FR", "lang": "fr"}
DESKTOP_EN = {"viewport": {"width": 1280, "height": 800}, "locale": "en-GB", "lang": "en"}
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6368686800000304010184e7fb8e0000000049454e44ae426082")
WORDS = {
    "fr": {"find": "Trouver ma commande", "review": "Vérifier mon retour", "confirm": "Confirmer mon retour",
           "done": "Votre demande de retour est enregistrée", "exchange": "Échange contre M",
           "bonus": "Bonus sur l'avoir", "photo": "Robe lin\u202f: Pour ce motif, veuillez ajouter une photo"},
    "en": {"find": "Find my order", "review": "Review my return", "confirm": "Confirm my return",
           "done": "Your return is requested", "exchange": "Exchange for M",
           "bonus": "Store credit bonus", "photo": "Robe lin: For this reason, please add a photo"},
}


@pytest.fixture
def shop(services: Services) -> Shop:
    found = builders.shop(services, name="Boutique Claire", policy=ReturnPolicy(
        allowed_resolutions=("refund", "store_credit", "exchange"),  # type: ignore[arg-type]
        store_credit_bonus_percent="10", return_shipping_fee="5.90",  # type: ignore[arg-type]
    ).to_dict())
    catalogue = parse_catalogue_csv("product_id,variant_id,title,variant_title,stock,image_url\n"
                                    "robe,ROBE-S,Robe lin,S,4,\nrobe,ROBE-M,Robe lin,M,2,\nrobe,ROBE-L,Robe lin,L,0,\n")
    with services.uow() as uow:
        found = uow.shops.update(found.id, return_address="Boutique Claire\n12 rue des Lilas\n75011 Paris",
                                 options={OPTION_KEY: catalogue_option(catalogue)})
        uow.commit()
    builders.stored_order(services, found, lines=(
        builders.line("L1", title="Robe lin", price="40.00", product_id="robe", variant_id="ROBE-S", variant_title="S"),
        builders.line("L2", title="Ceinture", price="25.00"),
    ))
    return found


class Counted:
    """The page, with every action the shopper takes counted (a click, a choice, typing in a field)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.actions = 0

    def fill(self, selector: str, text: str) -> None:
        self.actions += 1
        self.page.locator(selector).fill(text)

    def choose(self, selector: str, value: str) -> None:
        self.actions += 1
        self.page.locator(selector).select_option(value)

    def click(self, role: str, name: str) -> None:
        self.actions += 1
        self.page.get_by_role(role, name=name).click()

    def check(self, selector: str) -> None:
        self.actions += 1
        self.page.locator(selector).check()


def _open(browser: Any, device: dict[str, Any], url: str) -> Counted:
    context = browser.new_context(viewport=device["viewport"], locale=device["locale"])
    page = context.new_page()
    page.goto(f"{url}?lang={device['lang']}")
    return Counted(page)


def _found(shopper: Counted, words: dict[str, str]) -> None:
    shopper.fill("#order", "1001")
    shopper.fill("#contact", "claire@example.com")
    shopper.click("button", words["find"])
    shopper.page.wait_for_url("**/order*")


def _shot(page: Any, screenshots: Path, name: str) -> None:
    folder = screenshots / "journeys"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("device", [PHONE_FR, DESKTOP_EN], ids=["phone-fr", "desktop-en"])
def test_a_single_item_refund_takes_six_actions_from_lookup_to_confirmation(
    browser: Any, live_url: str, shop: Shop, device: dict[str, Any], screenshots: Path, services: Services
) -> None:
    words = WORDS[device["lang"]]
    shopper = _open(browser, device, f"{live_url}/portal/{shop.slug}/")
    _found(shopper, words)
    shopper.choose("#reason-0", "size_too_small")  # choosing a reason returns one unit
    shopper.click("button", words["review"])
    shopper.page.wait_for_url("**/review?d=*")
    shopper.click("button", words["confirm"])
    shopper.page.wait_for_url("**/confirmation*")
    assert words["done"] in shopper.page.locator("main").inner_text()
    assert shopper.actions <= 6
    _shot(shopper.page, screenshots, f"refund-{device['lang']}")
    with services.uow() as uow:
        [ret] = uow.scope(shop).returns.for_order("1001")
    assert [(i.order_line_id, i.quantity, i.resolution.value) for i in ret.items] == [("L1", 1, "refund")]
    # Back from the confirmation: no "Confirm form resubmission", the review is a page of its own.
    shopper.page.go_back()
    assert "ERR_CACHE_MISS" not in shopper.page.content()
    assert shopper.page.url.endswith("/order") or "/order?" in shopper.page.url
    shopper.page.context.close()


@pytest.mark.parametrize("device", [PHONE_FR, DESKTOP_EN], ids=["phone-fr", "desktop-en"])
def test_an_exchange_to_another_size_shows_its_stock_and_what_she_gets(
    browser: Any, live_url: str, shop: Shop, device: dict[str, Any], screenshots: Path, services: Services
) -> None:
    words = WORDS[device["lang"]]
    shopper = _open(browser, device, f"{live_url}/portal/{shop.slug}/")
    _found(shopper, words)
    shopper.choose("#reason-0", "size_too_small")
    shopper.check("#resolution-0-exchange")
    options = shopper.page.locator("#variant-0 option").all_inner_texts()
    assert ("M, plus que 2" if device["lang"] == "fr" else "M, only 2 left") in options
    assert shopper.page.locator("#variant-0 option[value='ROBE-L']").is_disabled()  # sold out
    shopper.choose("#variant-0", "ROBE-M")
    _shot(shopper.page, screenshots, f"exchange-items-{device['lang']}")
    shopper.click("button", words["review"])
    assert words["exchange"] in shopper.page.locator("main").inner_text()
    _shot(shopper.page, screenshots, f"exchange-review-{device['lang']}")
    shopper.click("button", words["confirm"])
    shopper.page.wait_for_url("**/confirmation*")
    assert words["exchange"] in shopper.page.locator("main").inner_text()
    with services.uow() as uow:
        [ret] = uow.scope(shop).returns.for_order("1001")
    assert (ret.items[0].exchange_variant_id, ret.items[0].exchange_variant_title) == ("ROBE-M", "M")
    assert shopper.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shopper.page.context.close()


@pytest.mark.parametrize("device", [PHONE_FR, DESKTOP_EN], ids=["phone-fr", "desktop-en"])
def test_store_credit_shows_its_bonus_and_a_photo_reason_asks_for_the_photo_of_that_item(
    browser: Any, live_url: str, shop: Shop, device: dict[str, Any], screenshots: Path, tmp_path: Path
) -> None:
    words = WORDS[device["lang"]]
    shopper = _open(browser, device, f"{live_url}/portal/{shop.slug}/")
    _found(shopper, words)
    shopper.choose("#reason-0", "defective")
    shopper.check("#resolution-0-store_credit")
    shopper.click("button", words["review"])
    text = shopper.page.locator("main").inner_text()
    assert words["photo"] in text
    assert "Aucun des articles" not in text
    assert "None of the chosen" not in text
    _shot(shopper.page, screenshots, f"photo-needed-{device['lang']}")
    photo = tmp_path / "couture.png"
    photo.write_bytes(PNG)
    shopper.page.locator("#photos-0").set_input_files(str(photo))
    shopper.click("button", words["review"])
    shopper.page.wait_for_url("**/review?d=*")
    review = shopper.page.locator("main").inner_text()
    assert words["bonus"] in review
    _shot(shopper.page, screenshots, f"store-credit-review-{device['lang']}")
    shopper.page.context.close()
