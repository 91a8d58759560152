"""Resolutions pushed to the recorded WooCommerce store through the whole app: resolve, outbox, push job, retries."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses
from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.domain.money import Money
from connector.domain.resolutions import Resolution
from connector.domain.returns import Channel, Condition, Inspection, ResolutionKind
from connector.domain.shops import Shop
from connector.jobs.relay import wait_idle
from connector.workflow import returns as flow
from connector.workflow.markers import resolution_marker
from platforms.woocommerce.mapping import REFERENCE_META_KEY
from platforms.woocommerce.payloads import exchange_fee_name
from tests.conftest import FrozenClock
from tests.unit.woocommerce.app_helpers import RECORDED_API, post_delivery, recorded_shop
from tests.unit.woocommerce.recordings import SECRETS, rest_body

ORDER_20_CREATED = "20261122T013213-order_created-506308"
REFUNDS = RECORDED_API + "orders/20/refunds"


@pytest.fixture(autouse=True)
def after_the_recordings(clock: FrozenClock) -> None:
    clock.current = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def resolved(services: Services, client: FlaskClient, shop: Shop, kind: ResolutionKind,
             inspections: dict[str, Inspection], *, variant: str | None = None) -> tuple[str, Resolution]:
    """Order 20 arrives by its recorded webhook; a return of its lines is inspected and resolved."""
    assert post_delivery(client, ORDER_20_CREATED).status_code == 200
    wanted = [flow.WantedItem(line_id, i.accepted_quantity, "size_too_small", kind, exchange_variant_id=variant)
              for line_id, i in inspections.items()]
    opened = flow.open_return_request(services, shop.id, "20", wanted, channel=Channel.PORTAL)
    reference = opened.ret.reference
    flow.approve(services, shop.id, reference, "merchant")
    flow.receive(services, shop.id, reference, "merchant")
    flow.inspect(services, shop.id, reference, "merchant", inspections)
    [resolution] = flow.resolve(services, shop.id, reference, "merchant")
    return reference, resolution


def stored(services: Services, shop: Shop, resolution_id: int) -> Resolution:
    with services.uow() as uow:
        found = uow.scope(shop).resolutions.get(resolution_id)
    assert found is not None
    return found


def refund_posts() -> list[dict[str, Any]]:
    return [json.loads(c.request.body) for c in responses.calls
            if c.request.method == "POST" and (c.request.url or "").startswith(REFUNDS)]


def refund_carrying(marker: str, refund_id: int = 23) -> dict[str, Any]:
    refund = copy.deepcopy(rest_body("refunds-list")[0])
    refund["id"] = refund_id
    refund["meta_data"].append({"id": 99, "key": REFERENCE_META_KEY, "value": marker})
    return refund


SNEAKER_RESTOCKED = {"1": Inspection(Condition.AS_NEW, 1, 0, restock=True)}


@responses.activate
def test_refund_retried_after_a_timeout_is_adopted_not_repeated(
    client: FlaskClient, services: Services, clock: FrozenClock
) -> None:
    shop = recorded_shop(services, SECRETS["2"])
    reference, resolution = resolved(services, client, shop, ResolutionKind.REFUND, SNEAKER_RESTOCKED)
    marker = resolution_marker(reference, resolution.id)
    responses.get(REFUNDS, json=[])  # before the POST: nothing yet
    responses.post(REFUNDS, body=requests.ReadTimeout("the payment gateway is slow"))
    # The look right after the timeout finds nothing: WooCommerce is still waiting on the payment
    # provider. The refund lands meanwhile, and the job's retry finds it.
    responses.get(REFUNDS, json=[])
    responses.get(REFUNDS, json=[refund_carrying(marker)])
    wait_idle(services)
    first = stored(services, shop, resolution.id)
    assert (first.push_status, first.attempts) == ("pending", 1)
    clock.advance(minutes=1)  # past the backoff
    wait_idle(services)
    after = stored(services, shop, resolution.id)
    assert (after.push_status, after.platform_reference) == ("pushed", "23")
    assert len(refund_posts()) == 1


@responses.activate
def test_refund_push_sends_api_refund_and_api_restock_as_json_booleans(
    client: FlaskClient, services: Services
) -> None:
    shop = recorded_shop(services, SECRETS["2"])
    _, resolution = resolved(services, client, shop, ResolutionKind.REFUND, SNEAKER_RESTOCKED)
    responses.get(REFUNDS, json=[])
    responses.post(REFUNDS, status=201, json=rest_body("refunds-create-partial"))
    wait_idle(services)
    [body] = refund_posts()
    assert body["api_refund"] is False
    assert body["api_restock"] is True
    [line] = body["line_items"]
    assert (line["id"], line["quantity"], line["refund_total"]) == (1, 1, "71.10")
    # The tax is refunded per tax rate id, and with the ex-tax total makes the amount.
    assert [(rate["id"], rate["refund_total"]) for rate in line["refund_tax"]] == [(1, "5.86")]
    assert body["amount"] == "76.96"
    assert stored(services, shop, resolution.id).push_status == "pushed"


@responses.activate
def test_gateway_refunds_option_sends_api_refund_true_never_a_string(
    client: FlaskClient, services: Services
) -> None:
    shop = recorded_shop(services, SECRETS["2"], gateway_refunds="yes")
    resolved(services, client, shop, ResolutionKind.REFUND, SNEAKER_RESTOCKED)
    responses.get(REFUNDS, json=[])
    responses.post(REFUNDS, status=201, json=rest_body("refunds-create-partial"))
    wait_idle(services)
    [body] = refund_posts()
    assert body["api_refund"] is True


@responses.activate
def test_return_mixing_restocked_and_kept_items_becomes_two_refunds(
    client: FlaskClient, services: Services
) -> None:
    shop = recorded_shop(services, SECRETS["2"])
    inspections = {"1": Inspection(Condition.AS_NEW, 1, 0, restock=True),
                   "2": Inspection(Condition.DAMAGED, 1, 0, restock=False)}
    reference, resolution = resolved(services, client, shop, ResolutionKind.REFUND, inspections)
    responses.get(REFUNDS, json=[])
    responses.post(REFUNDS, status=201, json=rest_body("refunds-create-partial"))
    responses.post(REFUNDS, status=201, json={**rest_body("refunds-create-partial"), "id": 24})
    wait_idle(services)
    restocked, kept = refund_posts()
    assert (restocked["api_restock"], kept["api_restock"]) == (True, False)
    marker = resolution_marker(reference, resolution.id)
    assert f"[{marker}/restock]" in restocked["reason"]
    assert f"[{marker}/kept]" in kept["reason"]
    after = stored(services, shop, resolution.id)
    assert (after.push_status, after.platform_reference) == ("pushed", "23,24")
    total = sum(float(b["amount"]) for b in (restocked, kept))
    assert round(total, 2) == float(after.amount.amount)


@responses.activate
def test_coupon_resolution_is_found_by_code_before_it_is_created(client: FlaskClient, services: Services) -> None:
    shop = recorded_shop(services, SECRETS["2"])
    with services.uow() as uow:
        uow.shops.update(shop.id, policy={"currency": "USD", "allowed_resolutions": ["refund", "coupon"]})
        uow.commit()
    _, resolution = resolved(services, client, shop, ResolutionKind.COUPON, SNEAKER_RESTOCKED)
    responses.get(RECORDED_API + "coupons", json=[])
    responses.post(RECORDED_API + "coupons", status=201, json=rest_body("coupons-create-store-credit-like"))
    wait_idle(services)
    [call] = [c for c in responses.calls if c.request.method == "POST"]
    body = json.loads(call.request.body)
    assert body["email_restrictions"] == ["jane.doe@example.test"]
    assert body["usage_limit"] == 1
    gets = [c for c in responses.calls if c.request.method == "GET" and "coupons" in (c.request.url or "")]
    assert f"code={body['code']}" in (gets[0].request.url or "")
    assert stored(services, shop, resolution.id).push_status == "pushed"


@responses.activate
def test_a_dearer_exchange_waits_for_payment_and_the_shopper_is_asked_for_the_difference(
    client: FlaskClient, services: Services,
) -> None:
    shop = recorded_shop(services, SECRETS["2"])
    reference, resolution = resolved(services, client, shop, ResolutionKind.EXCHANGE, SNEAKER_RESTOCKED,
                                     variant="17")
    credit = resolution.amount
    fee_line = {"id": 77, "name": exchange_fee_name(f"{reference}-{resolution.id}"), "tax_status": "none"}
    priced = {**rest_body("orders-create-2"), "id": 30, "number": "30", "status": "pending", "total": "100.00",
              "fee_lines": [{**fee_line, "total": "0.00"}]}
    settled = {**priced, "total": str((Money.of("100.00", "USD") - credit).amount),
               "fee_lines": [{**fee_line, "total": str((-credit).amount)}]}
    responses.get(RECORDED_API + "orders", json=[])
    responses.get(RECORDED_API + "orders/20", json=rest_body("orders-get-1"))
    responses.post(RECORDED_API + "orders", status=201, json=priced)
    responses.put(RECORDED_API + "orders/30", json=settled)
    responses.post(RECORDED_API + "orders/20/notes", status=201, json=rest_body("orders-notes-create"))
    wait_idle(services)
    [order_post] = [json.loads(c.request.body) for c in responses.calls
                    if c.request.method == "POST" and (c.request.url or "").split("?")[0] == RECORDED_API + "orders"]
    assert order_post["line_items"] == [{"variation_id": 17, "quantity": 1}]
    assert (order_post["status"], order_post["set_paid"]) == ("pending", False)
    after = stored(services, shop, resolution.id)
    assert (after.push_status, after.platform_reference) == ("pushed", "30")
    with services.uow() as uow:
        [asked] = [e for e in uow.scope(shop).emails.recent() if "order-pay" in e.body]
    due = Money.of("100.00", "USD") - credit
    assert str(due.amount).replace(".", ",") in asked.body or str(due.amount) in asked.body


