"""Reconciliation of a Shopify shop catches up returns whose webhooks never came, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import responses
from sqlalchemy import func, select

from connector.bootstrap import Services
from connector.domain.returns import Channel, ReturnStatus
from connector.domain.shops import Shop
from connector.persistence.tables import ReturnRow
from connector.workflow.sync import reconcile_shop
from platforms.shopify import queries
from tests import builders
from tests.conftest import FrozenClock
from tests.unit.shopify.conftest import SHOP, Call, FakeShopify, Raw, cached_admin_schema, load_fixture

ORDER_ID = "820982911946154508"
LINE_ID = "487817672276298554"
RETURN_ID = "5551"


@pytest.fixture
def shopify() -> Iterator[FakeShopify]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeShopify(rsps, cached_admin_schema())
        yield fake
    assert not fake.invalid


@pytest.fixture
def shop(services: Services, clock: FrozenClock) -> Shop:
    found = builders.shop(services, platform="shopify", domain=SHOP, credentials={"access_token": "shpat_test"})
    with services.uow() as uow:
        uow.shops.update(found.id, last_synced_at=clock.now() - timedelta(hours=1))
        uow.commit()
    return found


def shopify_return(status: str) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/Return/{RETURN_ID}", "name": "#1001-R1", "status": status,
        "requestApprovedAt": "2026-06-15T09:30:00Z" if status == "OPEN" else None, "decline": None,
        "returnLineItems": {"pageInfo": {"hasNextPage": False}, "nodes": [{
            "id": "gid://shopify/ReturnLineItem/71", "quantity": 1, "returnReasonNote": "",
            "customerNote": "Too small", "returnReasonDefinition": {"handle": "size-too-small"},
            "fulfillmentLineItem": {"lineItem": {"id": f"gid://shopify/LineItem/{LINE_ID}"}},
        }]},
    }


LAST_PAGE = {"hasNextPage": False, "endCursor": None}


def shop_answers(shopify: FakeShopify, return_status: str, order: dict[str, Any] | None = None) -> dict[str, str]:
    """The order changed in Shopify (its return), and what its `orders` searches answer.

    Returns the state the answers read: set its "status" to move the Shopify return on.
    """
    state = {"status": return_status}
    changed = order or load_fixture("order_multicurrency_graphql.json")

    def orders(call: Call) -> dict[str, Any]:
        if call.query == queries.RETURNS_SINCE:
            return {"pageInfo": LAST_PAGE, "nodes": [{"id": changed["id"], "returns": {
                "pageInfo": LAST_PAGE, "nodes": [shopify_return(state["status"])]}}]}
        return {"pageInfo": LAST_PAGE, "nodes": [] if order else [changed]}

    shopify.on("shop", Raw(200, {"data": {
        "shop": {"name": "Maison Test", "currencyCode": "EUR", "contactEmail": "shop@example.fr",
                 "shopAddress": {"address1": "1 rue du Port", "zip": "13002", "city": "Marseille",
                                 "countryCodeV2": "FR"}},
        "shopLocales": [{"locale": "fr", "primary": True}, {"locale": "en", "primary": False}]}}))
    shopify.on("ordersCount", {"count": 0 if order else 1, "precision": "EXACT"})
    shopify.on("orders", orders)
    return state


def returns_of(services: Services, shop: Shop) -> list[Any]:
    with services.uow() as uow:
        return uow.scope(shop).returns.for_order(ORDER_ID)


def return_rows(services: Services) -> int:
    with services.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ReturnRow)) or 0)


def test_a_missed_request_and_approval_are_caught_up_once(
    services: Services, shop: Shop, shopify: FakeShopify, clock: FrozenClock,
) -> None:
    shop_answers(shopify, "OPEN")
    assert reconcile_shop(services, shop.id) == 1
    (ret,) = returns_of(services, shop)
    assert ret.channel is Channel.WEBHOOK
    assert ret.status is ReturnStatus.APPROVED
    assert [(i.order_line_id, i.quantity, i.reason, i.comment) for i in ret.items] == [
        (LINE_ID, 1, "size-too-small", "Too small")]
    assert [(e.from_status, e.to_status) for e in ret.timeline] == [
        (None, ReturnStatus.REQUESTED), (ReturnStatus.REQUESTED, ReturnStatus.APPROVED)]
    with services.uow() as uow:
        assert uow.scope(shop).returns.get_by_platform_return_id(RETURN_ID) is not None
        assert uow.shops.last_synced_at(shop.id) == clock.now()

    clock.advance(minutes=30)
    assert reconcile_shop(services, shop.id) == 1
    (again,) = returns_of(services, shop)
    assert again.status is ReturnStatus.APPROVED
    assert len(again.timeline) == len(ret.timeline)
    assert return_rows(services) == 1


def test_a_request_still_waiting_is_opened_and_its_approval_caught_up_later(
    services: Services, shop: Shop, shopify: FakeShopify, clock: FrozenClock,
) -> None:
    shopify_state = shop_answers(shopify, "REQUESTED")
    reconcile_shop(services, shop.id)
    (ret,) = returns_of(services, shop)
    assert ret.status is ReturnStatus.REQUESTED

    shopify_state["status"] = "OPEN"  # approved in Shopify's admin; returns/approve never came
    clock.advance(minutes=30)
    reconcile_shop(services, shop.id)
    reconcile_shop(services, shop.id)
    (ret,) = returns_of(services, shop)
    assert ret.status is ReturnStatus.APPROVED
    assert return_rows(services) == 1
    assert len(ret.timeline) == 2


def test_a_return_event_that_fails_keeps_the_window_for_the_next_run(
    services: Services, shop: Shop, shopify: FakeShopify, clock: FrozenClock,
) -> None:
    before = clock.now() - timedelta(hours=1)
    # A return on an order this app never stored and Shopify no longer finds.
    shop_answers(shopify, "REQUESTED", order={"id": "gid://shopify/Order/999"})
    shopify.on("order", lambda call: None)  # Shopify answers order: null
    reconcile_shop(services, shop.id)
    assert returns_of(services, shop) == []
    with services.uow() as uow:
        assert uow.shops.last_synced_at(shop.id) == before
    assert [c.variables["id"] for c in shopify.calls_to("order")] == ["gid://shopify/Order/999"]
