"""Our returns mirrored as Shopify returns: each action brings Shopify up to our state, once."""

from __future__ import annotations

from typing import Any

import pytest

from connector.ports import MirroredLine, PlatformError, ReturnMirror, ShopConnection
from platforms.shopify import ShopifyAdapter, create_adapter
from platforms.shopify.mirror import MISSING_REASON
from tests.unit.shopify.conftest import SHOP, FakeShopify

CONNECTION = ShopConnection(shop_id=1, platform="shopify", domain=SHOP, access_token="shpat_test")
REF = "R-7KQ2MX"


def return_node(status: str = "OPEN", note: str = f"{REF} size_too_small", disposed: int = 0,
                total: int = 2) -> dict[str, Any]:
    line = {"id": "gid://shopify/FulfillmentLineItem/61", "lineItem": {"id": "gid://shopify/LineItem/51"}}
    return {
        "id": "gid://shopify/Return/7", "name": "#1042-R1", "status": status,
        "returnLineItems": {"nodes": [{"id": "gid://shopify/ReturnLineItem/71", "quantity": total,
                                       "returnReasonNote": note, "customerNote": None, "processedQuantity": 0,
                                       "fulfillmentLineItem": line}]},
        "exchangeLineItems": {"nodes": []},
        "reverseFulfillmentOrders": {"nodes": [{"id": "gid://shopify/ReverseFulfillmentOrder/8", "lineItems": {"nodes": [
            {"id": "gid://shopify/ReverseFulfillmentOrderLineItem/81", "totalQuantity": total,
             "dispositions": [{"quantity": disposed, "type": "RESTOCKED"}] if disposed else [],
             "fulfillmentLineItem": line}]}}]},
    }


def order_returns(*returns: dict[str, Any], location: str | None = "9") -> dict[str, Any]:
    return {
        "id": "gid://shopify/Order/42",
        "fulfillments": [{"status": "SUCCESS", "location": {"id": f"gid://shopify/Location/{location}"} if location else None}],
        "returns": {"nodes": [{"id": r["id"], "status": r["status"], "returnLineItems": r["returnLineItems"]} for r in returns]},
    }


RETURNABLE = {"nodes": [{"id": "gid://shopify/ReturnableFulfillment/6", "returnableFulfillmentLineItems": {"nodes": [
    {"quantity": 2, "fulfillmentLineItem": {"id": "gid://shopify/FulfillmentLineItem/61", "lineItem": {"id": "gid://shopify/LineItem/51"}}}]}}]}


def change(action: str, platform_return_id: str | None = None, **line: Any) -> ReturnMirror:
    values: dict[str, Any] = {"platform_line_id": "51", "quantity": 2, "reason": "size_too_small", "note": "Trop petit"}
    values.update(line)
    return ReturnMirror(action=action, reference=REF, platform_order_id="42", platform_return_id=platform_return_id,
                        lines=(MirroredLine(**values),), message="Hors délai")


@pytest.fixture
def adapter() -> ShopifyAdapter:
    return create_adapter({"SHOPIFY_API_KEY": "key", "SHOPIFY_API_SECRET": "secret"})


def test_open_creates_the_return_with_our_reference_on_its_lines(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    shopify.on("order", order_returns())
    shopify.on("returnableFulfillments", RETURNABLE)
    shopify.on("returnCreate", {"return": return_node(), "userErrors": []})
    assert adapter.mirror_return(CONNECTION, change("open")) == "7"
    [line] = shopify.calls_to("returnCreate")[0].variables["returnInput"]["returnLineItems"]
    assert line["returnReasonNote"].startswith(REF)
    assert line["quantity"] == 2


def test_open_adopts_the_return_an_earlier_attempt_created(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    shopify.on("order", order_returns(return_node()))
    shopify.on("return", return_node())
    assert adapter.mirror_return(CONNECTION, change("open")) == "7"
    assert shopify.calls_to("returnCreate") == []


def test_open_approves_a_return_the_shopper_requested_in_shopify(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    shopify.on("return", return_node(status="REQUESTED", note=""))
    shopify.on("returnApproveRequest", {"return": return_node(), "userErrors": []})
    assert adapter.mirror_return(CONNECTION, change("open", platform_return_id="7")) == "7"
    assert len(shopify.calls_to("returnApproveRequest")) == 1
    assert shopify.calls_to("returnCreate") == []


def test_approve_does_nothing_to_a_return_already_open(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    shopify.on("return", return_node(status="OPEN"))
    assert adapter.mirror_return(CONNECTION, change("approve", platform_return_id="7")) == "7"
    assert shopify.calls_to("returnApproveRequest") == []


def test_decline_declines_a_requested_return_with_our_message(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    shopify.on("return", return_node(status="REQUESTED", note=""))
    shopify.on("returnDeclineRequest", {"return": {"id": "gid://shopify/Return/7", "status": "DECLINED"}, "userErrors": []})
    adapter.mirror_return(CONNECTION, change("decline", platform_return_id="7"))
    sent = shopify.calls_to("returnDeclineRequest")[0].variables["input"]
    assert (sent["declineReason"], sent["declineNote"]) == ("OTHER", "Hors délai")


def test_inspect_restocks_accepted_units_at_the_location_the_order_shipped_from(
    shopify: FakeShopify, adapter: ShopifyAdapter,
) -> None:
    shopify.on("return", return_node())
    shopify.on("order", order_returns(return_node(), location="9"))
    shopify.on("reverseFulfillmentOrderDispose", {"reverseFulfillmentOrderLineItems": [], "userErrors": []})
    adapter.mirror_return(CONNECTION, change("inspect", platform_return_id="7", accepted_quantity=1, restock=True))
    sent = shopify.calls_to("reverseFulfillmentOrderDispose")[0].variables["dispositionInputs"]
    assert [(d["quantity"], d["dispositionType"], d.get("locationId")) for d in sent] == [
        (1, "RESTOCKED", "gid://shopify/Location/9"), (1, "NOT_RESTOCKED", None)]


def test_restocking_falls_back_to_the_primary_location(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    shopify.on("return", return_node())
    shopify.on("order", order_returns(return_node(), location=None))
    shopify.on("location", {"id": "gid://shopify/Location/1"})
    shopify.on("reverseFulfillmentOrderDispose", {"reverseFulfillmentOrderLineItems": [], "userErrors": []})
    adapter.mirror_return(CONNECTION, change("inspect", platform_return_id="7", accepted_quantity=2, restock=True))
    sent = shopify.calls_to("reverseFulfillmentOrderDispose")[0].variables["dispositionInputs"]
    assert sent[0]["locationId"] == "gid://shopify/Location/1"


def test_missing_items_are_disposed_as_missing(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    shopify.on("return", return_node())
    shopify.on("reverseFulfillmentOrderDispose", {"reverseFulfillmentOrderLineItems": [], "userErrors": []})
    adapter.mirror_return(CONNECTION, change("inspect", platform_return_id="7", accepted_quantity=0,
                                             reason=MISSING_REASON))
    sent = shopify.calls_to("reverseFulfillmentOrderDispose")[0].variables["dispositionInputs"]
    assert [(d["quantity"], d["dispositionType"]) for d in sent] == [(2, "MISSING")]


def test_inspect_run_twice_disposes_nothing_the_second_time(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    shopify.on("return", return_node(disposed=2))
    adapter.mirror_return(CONNECTION, change("inspect", platform_return_id="7", accepted_quantity=2, restock=True))
    assert shopify.calls_to("reverseFulfillmentOrderDispose") == []


def test_close_disposes_what_is_left_then_closes(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    shopify.on("return", return_node(disposed=1))
    shopify.on("reverseFulfillmentOrderDispose", {"reverseFulfillmentOrderLineItems": [], "userErrors": []})
    shopify.on("returnClose", {"return": {"id": "gid://shopify/Return/7", "status": "CLOSED"}, "userErrors": []})
    adapter.mirror_return(CONNECTION, change("close", platform_return_id="7", accepted_quantity=1, restock=False))
    sent = shopify.calls_to("reverseFulfillmentOrderDispose")[0].variables["dispositionInputs"]
    assert [(d["quantity"], d["dispositionType"]) for d in sent] == [(1, "NOT_RESTOCKED")]
    assert len(shopify.calls_to("returnClose")) == 1


def test_a_closed_return_is_not_closed_again(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    shopify.on("return", return_node(status="CLOSED", disposed=2))
    adapter.mirror_return(CONNECTION, change("close", platform_return_id="7", accepted_quantity=2))
    assert shopify.calls_to("returnClose") == []


def test_cancel_cancels_a_live_return_and_nothing_else(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    shopify.on("return", return_node(status="OPEN"), return_node(status="CANCELED"))
    shopify.on("returnCancel", {"return": {"id": "gid://shopify/Return/7", "status": "CANCELED"}, "userErrors": []})
    adapter.mirror_return(CONNECTION, change("cancel", platform_return_id="7"))
    adapter.mirror_return(CONNECTION, change("cancel", platform_return_id="7"))
    assert len(shopify.calls_to("returnCancel")) == 1


def test_cancel_without_a_shopify_return_creates_nothing(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    shopify.on("order", order_returns())
    assert adapter.mirror_return(CONNECTION, change("cancel")) is None
    assert shopify.calls_to("returnCreate") == []


def test_a_declined_shopify_return_cannot_be_opened_again(shopify: FakeShopify, adapter: ShopifyAdapter) -> None:
    shopify.on("return", return_node(status="DECLINED"))
    with pytest.raises(PlatformError, match="declined"):
        adapter.mirror_return(CONNECTION, change("open", platform_return_id="7"))
