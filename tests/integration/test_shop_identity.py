"""The shop's identity is read from its platform at connect and kept in step; shoppers get their own language."""

from __future__ import annotations

import responses

from connector.bootstrap import Services
from connector.domain.returns import Channel, ResolutionKind
from connector.workflow import returns as flow
from connector.workflow.shops import connect_with_keys, refresh_identity
from platforms.woocommerce.mapping import order_from_rest
from tests.integration.test_woocommerce_connect import API, STORE, store_accepts_keys
from tests.unit.woocommerce.recordings import rest_body

ADDRESS = "1 Test Street\n94105 San Francisco\nCA US"

KEYS = {"url": STORE, "consumer_key": "ck_live123", "consumer_secret": "cs_live456"}


def store_named(name: str) -> None:
    responses.get(STORE + "/wp-json/", json={"name": name, "namespaces": ["wp/v2", "wc/v3"]})


@responses.activate
def test_a_connected_store_takes_its_name_currency_language_and_address_from_woocommerce(
    services: Services,
) -> None:
    store_named("Harness &amp; Co")  # WordPress sends the site title HTML-escaped
    store_accepts_keys()  # with the recorded settings/general (USD) and system_status (en_US)

    shop, _notes = connect_with_keys(services, "woocommerce", KEYS)

    assert (shop.name, shop.currency, shop.locale) == ("Harness & Co", "USD", "en")
    assert shop.return_address == ADDRESS
    assert flow.policy_for(shop).currency == "USD"


@responses.activate
def test_a_return_opened_through_the_api_speaks_the_shoppers_language_else_the_stores(
    services: Services,
) -> None:
    store_named("Harness")
    store_accepts_keys()
    shop, _notes = connect_with_keys(services, "woocommerce", KEYS)
    order = order_from_rest(rest_body("multirate-orders-get-b-68"))
    with services.uow() as uow:
        uow.scope(shop).orders.save(order)
        uow.commit()

    opened = flow.open_return_request(services, shop.id, order.platform_order_id, [
        flow.WantedItem("105", 1, "changed_mind", ResolutionKind.REFUND)], channel=Channel.API)

    assert opened.ret.locale == "en"  # not the French the app would have guessed


@responses.activate
def test_the_address_read_follows_the_store_but_one_the_merchant_typed_stays(services: Services) -> None:
    store_named("Harness")
    store_accepts_keys()
    shop, _notes = connect_with_keys(services, "woocommerce", KEYS)
    moved = rest_body("multirate-settings-general")
    for setting in moved:
        if setting["id"] == "woocommerce_store_address":
            setting["value"] = "9 Market Street"
    responses.replace(responses.GET, API + "settings/general", json=moved)

    assert refresh_identity(services, shop.id).return_address.startswith("9 Market Street\n")

    with services.uow() as uow:
        uow.shops.update(shop.id, return_address="Entrepôt retours\n3 rue du Quai\n69002 Lyon")
        uow.commit()
    assert refresh_identity(services, shop.id).return_address.startswith("Entrepôt retours")
