"""Our returns mirrored as Shopify returns through the outbox: queue_mirror, then the mirror_return job."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from connector.bootstrap import Services
from connector.domain.returns import Channel, Condition, Inspection, ResolutionKind
from connector.domain.shops import Shop
from connector.workflow import returns as flow
from connector.workflow.mirror import MISSING_REASON, mirror_return, queue_mirror
from platforms.shopify import mirror as shopify_mirror
from tests import builders
from tests.unit.shopify.conftest import SHOP, FakeShopify, cached_admin_schema
from tests.unit.shopify.test_mirror import RETURNABLE, order_returns, return_node


@pytest.fixture
def shopify() -> Iterator[FakeShopify]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeShopify(rsps, cached_admin_schema())
        yield fake
    assert not fake.invalid


@pytest.fixture
def shop(services: Services) -> Shop:
    found = builders.shop(services, platform="shopify", domain=SHOP, credentials={"access_token": "shpat_test"})
    builders.stored_order(services, found, order_id="42", lines=(builders.line("51", quantity=2),))
    return found


def opened(services: Services, shop: Shop) -> str:
    ret = flow.open_return_request(
        services, shop.id, "42", [flow.WantedItem("51", 2, "size_too_small", ResolutionKind.REFUND, "Trop petit")],
        channel=Channel.PORTAL).ret
    return ret.reference


def queued(services: Services, shop: Shop, reference: str, action: str) -> int:
    """What the return workflow does in the transaction of each change (the lead wires it)."""
    with services.uow() as uow:
        scope = uow.scope(shop)
        ret = scope.returns.get_by_reference(reference)
        assert ret is not None
        queue_mirror(scope, ret, action)
        uow.commit()
    with services.uow() as uow:
        return max(item.id for item in uow.all_outbox.pending(services.clock.now()))


def platform_return_id(services: Services, shop: Shop, reference: str) -> str | None:
    with services.uow() as uow:
        scope = uow.scope(shop)
        ret = scope.returns.get_by_reference(reference)
        assert ret is not None
        assert ret.id is not None
        details = scope.returns.row_details(ret.id) or {}
    value = details.get("platform_return_id")
    return str(value) if value else None


def test_the_workflow_and_the_adapter_agree_on_the_missing_marker() -> None:
    assert MISSING_REASON == shopify_mirror.MISSING_REASON


def test_an_approved_return_is_created_in_shopify_once_and_its_id_kept(
    services: Services, shop: Shop, shopify: FakeShopify,
) -> None:
    reference = opened(services, shop)
    flow.approve(services, shop.id, reference, "merchant")
    shopify.on("order", order_returns())
    shopify.on("returnableFulfillments", RETURNABLE)
    shopify.on("returnCreate", {"return": return_node(note=f"{reference} size_too_small"), "userErrors": []})
    assert mirror_return(services, queued(services, shop, reference, "open")) == "mirrored"
    assert platform_return_id(services, shop, reference) == "7"
    # A second row (a retry, a double click) reads Shopify and creates nothing.
    shopify.on("return", return_node(note=f"{reference} size_too_small"))
    assert mirror_return(services, queued(services, shop, reference, "open")) == "mirrored"
    assert len(shopify.calls_to("returnCreate")) == 1


def test_a_return_created_but_not_recorded_is_adopted_by_its_reference(
    services: Services, shop: Shop, shopify: FakeShopify,
) -> None:
    reference = opened(services, shop)
    flow.approve(services, shop.id, reference, "merchant")
    # The worker died after Shopify created it: the order already carries our return.
    shopify.on("order", order_returns(return_node(note=f"{reference} size_too_small")))
    shopify.on("return", return_node(note=f"{reference} size_too_small"))
    assert mirror_return(services, queued(services, shop, reference, "open")) == "mirrored"
    assert platform_return_id(services, shop, reference) == "7"
    assert shopify.calls_to("returnCreate") == []


def test_an_inspected_return_is_disposed_from_its_current_state(
    services: Services, shop: Shop, shopify: FakeShopify,
) -> None:
    reference = opened(services, shop)
    flow.approve(services, shop.id, reference, "merchant")
    flow.receive(services, shop.id, reference, "merchant")
    flow.inspect(services, shop.id, reference, "merchant", {"51": Inspection(Condition.AS_NEW, 1, 1, restock=True)})
    # The row queued at approval runs only now: it brings Shopify straight to "inspected".
    shopify.on("order", order_returns(location="9"))
    shopify.on("returnableFulfillments", RETURNABLE)
    shopify.on("returnCreate", {"return": return_node(note=f"{reference} size_too_small"), "userErrors": []})
    shopify.on("reverseFulfillmentOrderDispose", {"reverseFulfillmentOrderLineItems": [], "userErrors": []})
    assert mirror_return(services, queued(services, shop, reference, "open")) == "mirrored"
    sent = shopify.calls_to("reverseFulfillmentOrderDispose")[0].variables["dispositionInputs"]
    assert [(d["quantity"], d["dispositionType"]) for d in sent] == [(1, "RESTOCKED"), (1, "NOT_RESTOCKED")]


def test_a_refused_mirror_is_parked_and_the_return_goes_on(services: Services, shop: Shop, shopify: FakeShopify) -> None:
    reference = opened(services, shop)
    flow.approve(services, shop.id, reference, "merchant")
    shopify.on("order", order_returns())
    shopify.on("returnableFulfillments", {"nodes": []})  # nothing fulfilled yet: Shopify cannot take it back
    outbox_id = queued(services, shop, reference, "open")
    assert mirror_return(services, outbox_id) == "failed"
    with services.uow() as uow:
        assert uow.all_outbox.get(outbox_id).status == "failed"
        assert uow.scope(shop).returns.get_by_reference(reference).status.value == "approved"


def test_a_return_only_requested_here_is_not_mirrored(services: Services, shop: Shop) -> None:
    reference = opened(services, shop)
    with responses.RequestsMock():  # no call to Shopify at all
        assert mirror_return(services, queued(services, shop, reference, "open")) == "skipped"


def test_a_manual_shop_has_nothing_to_mirror(services: Services) -> None:
    manual = builders.shop(services)
    builders.stored_order(services, manual)
    ret = flow.open_return_request(services, manual.id, "1001",
                                   [flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)],
                                   channel=Channel.PORTAL).ret
    flow.approve(services, manual.id, ret.reference, "merchant")
    assert mirror_return(services, queued(services, manual, ret.reference, "open")) == "skipped"
