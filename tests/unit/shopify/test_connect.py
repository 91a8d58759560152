"""Connecting a Shopify shop: domains, the real call that reads the shop, scopes named, webhooks subscribed."""

from __future__ import annotations

from typing import Any

import pytest

from connector.ports import ConnectablePlatform, MirroringPlatform, ShopConnection
from platforms.shopify import ShopifyAdapter, create_adapter
from platforms.shopify.connect import normalise_domain
from platforms.shopify.gateway import WEBHOOK_TOPICS
from tests.unit.shopify.conftest import SHOP, FakeShopify, Raw

CONNECTION = ShopConnection(shop_id=0, platform="shopify", domain=SHOP, access_token="shpat_test")
ALL_SCOPES = ["read_orders", "write_orders", "read_returns", "write_returns", "write_discounts",
              "write_gift_cards", "write_store_credit_account_transactions", "read_customers"]


def shop_answer(locale: str = "fr-FR", scopes: list[str] | None = None) -> dict[str, Any]:
    return {
        "shop": {"name": "Maison Claire", "currencyCode": "EUR", "myshopifyDomain": SHOP,
                 "contactEmail": "claire@example.com"},
        "shopLocales": [{"locale": "en", "primary": False}, {"locale": locale, "primary": True}],
        "currentAppInstallation": {"accessScopes": [{"handle": h} for h in (ALL_SCOPES if scopes is None else scopes)]},
    }


def subscribed(call: Any) -> dict[str, Any]:
    topic = call.variables["topic"]
    return {"webhookSubscription": {"id": f"gid://shopify/WebhookSubscription/{topic}", "topic": topic,
                                    "uri": call.variables["webhookSubscription"]["uri"]}, "userErrors": []}


@pytest.fixture
def adapter() -> ShopifyAdapter:
    return create_adapter({
        "SHOPIFY_API_KEY": "key", "SHOPIFY_API_SECRET": "secret", "APP_URL": "https://returns.example",
        "SHOPIFY_SCOPES": ",".join(ALL_SCOPES),
    })


def answer_whole_query(shopify: FakeShopify, answer: dict[str, Any]) -> None:
    # ShopForConnect has three root fields: the stand-in answers by the first, so the
    # whole `data` is given as a raw reply.
    shopify.on("shop", Raw(200, {"data": answer}))


def test_the_adapter_is_connectable_and_mirrors_returns(adapter: ShopifyAdapter) -> None:
    assert isinstance(adapter, ConnectablePlatform)
    assert isinstance(adapter, MirroringPlatform)


@pytest.mark.parametrize(("text", "domain"), [
    ("my-shop.myshopify.com", "my-shop.myshopify.com"),
    ("  My-Shop.MyShopify.com ", "my-shop.myshopify.com"),
    ("https://my-shop.myshopify.com/admin/orders", "my-shop.myshopify.com"),
    ("my-shop", "my-shop.myshopify.com"),
    ("https://admin.shopify.com/store/my-shop/orders", "my-shop.myshopify.com"),
])
def test_a_shop_domain_is_normalised_to_its_myshopify_domain(adapter: ShopifyAdapter, text: str, domain: str) -> None:
    assert adapter.normalise_domain(text) == domain


@pytest.mark.parametrize("text", ["", "www.maison-claire.fr", "evil.com/x.myshopify.com", "a.myshopify.com.evil.com",
                                  "my-shop.myshopify.com:8443", "user@my-shop.myshopify.com", "-x.myshopify.com"])
def test_anything_but_a_myshopify_domain_is_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValueError, match="myshopify.com"):
        normalise_domain(text)


def test_connect_reads_the_shop_and_subscribes_every_topic(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    answer_whole_query(shopify, shop_answer())
    shopify.on("webhookSubscriptionCreate", subscribed)
    outcome = adapter.connect(CONNECTION, "https://returns.example")
    assert outcome.ok, outcome.message
    assert (outcome.name, outcome.currency, outcome.locale) == ("Maison Claire", "EUR", "fr")
    calls = shopify.calls_to("webhookSubscriptionCreate")
    assert [c.variables["topic"] for c in calls] == [t.upper().replace("/", "_") for t in WEBHOOK_TOPICS]
    assert {c.variables["webhookSubscription"]["uri"] for c in calls} == {"https://returns.example/webhooks/shopify"}


def test_a_shop_whose_primary_language_is_not_french_gets_english(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    answer_whole_query(shopify, shop_answer(locale="de"))
    shopify.on("webhookSubscriptionCreate", subscribed)
    assert adapter.connect(CONNECTION, "https://returns.example").locale == "en"


def test_a_bad_token_is_refused_with_a_message_not_an_exception(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    shopify.on("shop", Raw(401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}))
    outcome = adapter.connect(CONNECTION, "https://returns.example")
    assert not outcome.ok
    assert "401" in outcome.message
    assert "shpat_" in outcome.message
    assert shopify.calls_to("webhookSubscriptionCreate") == []


def test_a_missing_core_scope_is_named(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    answer_whole_query(shopify, shop_answer(scopes=["write_orders", "read_customers"]))
    outcome = adapter.connect(CONNECTION, "https://returns.example")
    assert not outcome.ok
    assert "read_returns, write_returns" in outcome.message
    assert shopify.calls_to("webhookSubscriptionCreate") == []


def test_a_missing_optional_scope_connects_with_a_note(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    answer_whole_query(shopify, shop_answer(scopes=["write_orders", "write_returns", "read_customers"]))
    shopify.on("webhookSubscriptionCreate", subscribed)
    outcome = adapter.connect(CONNECTION, "https://returns.example")
    assert outcome.ok
    assert any("write_gift_cards" in note for note in outcome.notes)


def test_access_denied_on_a_webhook_topic_names_the_scope(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    answer_whole_query(shopify, shop_answer())
    shopify.on("webhookSubscriptionCreate", Raw(200, {"errors": [{
        "message": "Access denied for webhookSubscriptionCreate field. Required access: `read_returns` access scope.",
        "extensions": {"code": "ACCESS_DENIED"}}]}))
    outcome = adapter.connect(CONNECTION, "https://returns.example")
    assert not outcome.ok
    assert "403" in outcome.message
    assert "read_returns" in outcome.message
