"""The shop's identity read from Shopify: documents valid against the Admin schema, answers mapped."""

from __future__ import annotations

from connector.ports import StoreIdentity
from platforms.shopify.identity import identity_from_graphql
from platforms.shopify.mapping import order_from_webhook
from tests.unit.shopify.conftest import load_fixture


def test_identity_is_the_shops_name_currency_primary_language_and_address() -> None:
    identity = identity_from_graphql({
        "shop": {"name": "Maison Test", "currencyCode": "CAD", "contactEmail": "bonjour@maison.test",
                 "shopAddress": {"address1": "1 rue Saint-Paul", "address2": None, "zip": "H2Y 1G6",
                                 "city": "Montréal", "provinceCode": "QC", "countryCodeV2": "CA"}},
        "shopLocales": [{"locale": "en", "primary": False}, {"locale": "fr-CA", "primary": True}],
    })
    assert identity == StoreIdentity("Maison Test", "CAD", "fr", "1 rue Saint-Paul\nH2Y 1G6 Montréal\nQC CA",
                                     "bonjour@maison.test")


def test_an_orders_customer_locale_is_the_shoppers_language() -> None:
    order = order_from_webhook(load_fixture("order_multicurrency_webhook.json"))
    assert order.customer.locale == "en"
