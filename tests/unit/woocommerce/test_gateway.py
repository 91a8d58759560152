"""The WooCommerce gateway against recorded traffic: pushes happen once, retries adopt, lists are paged."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses

from connector.domain.money import Money
from connector.domain.returns import ResolutionKind
from connector.ports import PlatformError, PlatformGateway, PushLine, ResolutionPush
from platforms.woocommerce.client import WooCommerceClient
from platforms.woocommerce.gateway import WooCommerceGateway
from platforms.woocommerce.mapping import REFERENCE_META_KEY
from platforms.woocommerce.payloads import PushRefused, coupon_body, exchange_fee_name
from tests.unit.woocommerce.recordings import rest, rest_body

STORE = "https://127.0.0.1:8443"
API = STORE + "/wp-json/wc/v3/"
APP = "https://returns.example"
REF = "R-7KQ2MX/1"


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def gateway(*, gateway_refunds: bool = False) -> WooCommerceGateway:
    client = WooCommerceClient(STORE, "ck_x", "cs_x", sleep=lambda _: None)
    return WooCommerceGateway(client, gateway_refunds=gateway_refunds, app_url=APP, webhook_secret="whsec")


def refund_push(*lines: PushLine, amount: str = "76.97", kind: ResolutionKind = ResolutionKind.REFUND) -> ResolutionPush:
    return ResolutionPush(
        reference=REF, idempotency_key="idem-1", kind=kind, amount=usd(amount), platform_order_id="20",
        customer_email="jane.doe@example.test", customer_platform_id="2", lines=lines,
    )


SNEAKER = PushLine("1", 1, usd("71.10"), usd("5.87"), restock=True, tax_by_rate=(("1", usd("5.87")),))


def posts(path: str) -> list[Any]:
    return [c for c in responses.calls if c.request.method == "POST" and c.request.url.startswith(API + path)]


def sent_json(call: Any) -> Any:
    return json.loads(call.request.body)


def our_refund(refund_id: int = 23) -> dict[str, Any]:
    refund = copy.deepcopy(rest_body("refunds-list")[0])
    refund["id"] = refund_id
    refund["meta_data"].append({"id": 99, "key": REFERENCE_META_KEY, "value": REF})
    return refund


def test_gateway_is_a_platform_gateway() -> None:
    assert isinstance(gateway(), PlatformGateway)


@responses.activate
def test_refund_push_sends_ex_tax_line_totals_tax_per_rate_and_json_booleans() -> None:
    responses.get(API + "orders/20/refunds", json=[])
    responses.post(API + "orders/20/refunds", status=201, json=rest_body("refunds-create-partial"))
    result = gateway().push(refund_push(SNEAKER))
    assert (result.platform_reference, result.adopted) == ("23", False)
    body = sent_json(posts("orders/20/refunds")[0])
    assert body["amount"] == "76.97"  # exactly the line plus its tax (the recorded 76.96 was a cent short)
    assert body["line_items"] == [
        {"id": 1, "quantity": 1, "refund_total": "71.10", "refund_tax": [{"id": 1, "refund_total": "5.87"}]}
    ]
    assert body["api_refund"] is False
    assert body["api_restock"] is True
    assert f"[{REF}]" in body["reason"]
    assert {"key": REFERENCE_META_KEY, "value": REF} in body["meta_data"]


@responses.activate
def test_gateway_refunds_option_sends_api_refund_true_as_a_boolean() -> None:
    responses.get(API + "orders/20/refunds", json=[])
    responses.post(API + "orders/20/refunds", status=201, json=rest_body("refunds-create-partial"))
    gateway(gateway_refunds=True).push(refund_push(SNEAKER))
    assert sent_json(posts("orders/20/refunds")[0])["api_refund"] is True


@responses.activate
def test_refund_tax_without_rates_is_refused_not_guessed() -> None:
    responses.get(API + "orders/20/refunds", json=[])
    line = PushLine("1", 1, usd("71.10"), usd("5.87"), restock=False)
    with pytest.raises(PlatformError, match="per tax rate"):
        gateway().push(refund_push(line))
    assert posts("orders/20/refunds") == []


@responses.activate
def test_refund_whose_amount_disagrees_with_its_lines_is_refused_before_posting() -> None:
    responses.get(API + "orders/20/refunds", json=[])
    with pytest.raises(PlatformError, match="does not match its lines"):
        gateway().push(refund_push(SNEAKER, amount="76.96"))
    assert posts("orders/20/refunds") == []


@responses.activate
def test_fee_kept_lowers_the_line_total_so_the_store_records_what_went_back() -> None:
    responses.get(API + "orders/20/refunds", json=[])
    responses.post(API + "orders/20/refunds", status=201, json=rest_body("refunds-create-partial"))
    with_fee = PushLine("1", 1, usd("63.41"), usd("5.87"), restock=True, tax_by_rate=(("1", usd("5.87")),),
                        fee=usd("7.69"))
    gateway().push(refund_push(with_fee, amount="69.28"))
    body = sent_json(posts("orders/20/refunds")[0])
    line = body["line_items"][0]
    assert Money.of(line["refund_total"], "USD") + Money.of(line["refund_tax"][0]["refund_total"], "USD") \
        == Money.of(body["amount"], "USD") == usd("69.28")
    assert "fees kept: 7.69" in body["reason"]


@responses.activate
def test_refund_already_carrying_the_reference_is_adopted_without_posting() -> None:
    responses.get(API + "orders/20/refunds", json=[our_refund()])
    result = gateway().push(refund_push(SNEAKER))
    assert (result.platform_reference, result.adopted) == ("23", True)
    assert posts("orders/20/refunds") == []


@responses.activate
def test_refund_retried_after_timeout_is_adopted_not_repeated() -> None:
    responses.get(API + "orders/20/refunds", json=[])
    responses.get(API + "orders/20/refunds", json=[our_refund()])  # the timed-out POST did land
    responses.post(API + "orders/20/refunds", body=requests.ReadTimeout("gateway slow"))
    result = gateway().push(refund_push(SNEAKER))
    assert (result.platform_reference, result.adopted) == ("23", True)
    assert len(posts("orders/20/refunds")) == 1


@responses.activate
def test_refund_lost_and_absent_is_a_retryable_error_after_one_post() -> None:
    responses.get(API + "orders/20/refunds", json=[])
    responses.post(API + "orders/20/refunds", body=requests.ConnectionError("reset"))
    with pytest.raises(PlatformError) as caught:
        gateway().push(refund_push(SNEAKER))
    assert caught.value.retryable
    assert len(posts("orders/20/refunds")) == 1


@responses.activate
def test_refund_saved_despite_a_500_is_adopted() -> None:
    responses.get(API + "orders/20/refunds", json=[])
    responses.get(API + "orders/20/refunds", json=[our_refund()])
    responses.post(API + "orders/20/refunds", status=500, body="<html>Fatal error</html>")
    assert gateway().push(refund_push(SNEAKER)).adopted


@responses.activate
def test_over_refund_500_becomes_a_clear_final_error() -> None:
    recorded = rest("refunds-create-over-amount-ERROR")["response"]
    responses.get(API + "orders/20/refunds", json=[])
    responses.post(API + "orders/20/refunds", status=recorded["status"], json=recorded["body"])
    with pytest.raises(PlatformError, match="more than what is left to refund") as caught:
        gateway().push(refund_push(amount="9999.00"))
    assert not caught.value.retryable
    assert len(posts("orders/20/refunds")) == 1


@responses.activate
def test_gateway_that_cannot_refund_is_explained() -> None:
    recorded = rest("refunds-create-api-refund-true-ERROR")["response"]
    responses.get(API + "orders/20/refunds", json=[])
    responses.post(API + "orders/20/refunds", status=500, json=recorded["body"])
    with pytest.raises(PlatformError, match="by hand"):
        gateway(gateway_refunds=True).push(refund_push(amount="5.00"))


KEPT = PushLine("2", 1, usd("108.00"), usd("8.91"), restock=False, tax_by_rate=(("1", usd("8.91")),))


def refund_with_reference(refund_id: int, reference: str) -> dict[str, Any]:
    refund = our_refund(refund_id)
    refund["meta_data"][-1]["value"] = reference
    return refund


@responses.activate
def test_mixed_restock_refund_becomes_two_refunds_one_restocking() -> None:
    responses.get(API + "orders/20/refunds", json=[])
    responses.post(API + "orders/20/refunds", status=201, json=rest_body("refunds-create-partial"))
    responses.post(API + "orders/20/refunds", status=201, json={**rest_body("refunds-create-partial"), "id": 24})
    result = gateway().push(refund_push(SNEAKER, KEPT, amount="193.88"))
    assert (result.platform_reference, result.adopted) == ("23,24", False)
    restocked, kept = (sent_json(c) for c in posts("orders/20/refunds"))
    assert (restocked["api_restock"], kept["api_restock"]) == (True, False)
    assert [line["id"] for line in restocked["line_items"]] == [1]
    assert [line["id"] for line in kept["line_items"]] == [2]
    assert {"key": REFERENCE_META_KEY, "value": REF + "/restock"} in restocked["meta_data"]
    assert {"key": REFERENCE_META_KEY, "value": REF + "/kept"} in kept["meta_data"]


@responses.activate
def test_split_refund_amounts_are_each_parts_own_lines_and_add_up() -> None:
    responses.get(API + "orders/20/refunds", json=[])
    responses.post(API + "orders/20/refunds", status=201, json=rest_body("refunds-create-partial"))
    kept_with_fee = PushLine("2", 1, usd("98.00"), usd("8.91"), restock=False, tax_by_rate=(("1", usd("8.91")),),
                             fee=usd("10.00"))
    gateway().push(refund_push(SNEAKER, kept_with_fee, amount="183.88"))  # a 10.00 fee kept on the second
    amounts = [Money.of(sent_json(c)["amount"], "USD") for c in posts("orders/20/refunds")]
    assert amounts[0] + amounts[1] == usd("183.88")
    assert amounts == [usd("76.97"), usd("106.91")]


@responses.activate
def test_split_refund_retried_adopts_the_part_made_and_makes_only_the_other() -> None:
    responses.get(API + "orders/20/refunds", json=[refund_with_reference(23, REF + "/restock")])
    responses.post(API + "orders/20/refunds", status=201, json={**rest_body("refunds-create-partial"), "id": 24})
    result = gateway().push(refund_push(SNEAKER, KEPT, amount="193.88"))
    assert (result.platform_reference, result.adopted) == ("23,24", False)
    [made] = posts("orders/20/refunds")
    assert sent_json(made)["api_restock"] is False


@responses.activate
def test_split_refund_with_both_parts_made_is_adopted_without_posting() -> None:
    responses.get(API + "orders/20/refunds", json=[
        refund_with_reference(23, REF + "/restock"), refund_with_reference(24, REF + "/kept")])
    result = gateway().push(refund_push(SNEAKER, KEPT, amount="193.88"))
    assert (result.platform_reference, result.adopted) == ("23,24", True)
    assert posts("orders/20/refunds") == []


def coupon_push(kind: ResolutionKind = ResolutionKind.STORE_CREDIT, code: str = "") -> ResolutionPush:
    return ResolutionPush(
        reference=REF, idempotency_key="idem-2", kind=kind, amount=usd("25.00"), platform_order_id="20",
        customer_email="jane.doe@example.test", customer_platform_id="2", coupon_code=code,
        expires_at=datetime(2027, 5, 1, 12, tzinfo=UTC),
    )


@responses.activate
def test_coupon_found_by_code_is_adopted_before_creating() -> None:
    existing = copy.deepcopy(rest_body("coupons-create-store-credit-like"))
    existing["meta_data"] = [{"id": 5, "key": REFERENCE_META_KEY, "value": REF}]
    responses.get(
        API + "coupons", json=[existing],
        match=[responses.matchers.query_param_matcher({"code": "return-credit-20"})],
    )
    result = gateway().push(coupon_push(code="Return-Credit-20"))
    assert (result.platform_reference, result.adopted, result.code) == ("24", True, "return-credit-20")
    assert posts("coupons") == []


@responses.activate
def test_store_credit_is_a_single_use_coupon_for_the_customer() -> None:
    responses.get(API + "coupons", json=[])
    responses.post(API + "coupons", status=201, json=rest_body("coupons-create-store-credit-like"))
    result = gateway().push(coupon_push(code="return-credit-20"))
    assert (result.platform_reference, result.adopted, result.code) == ("24", False, "return-credit-20")
    body = sent_json(posts("coupons")[0])
    assert body["code"] == "return-credit-20"
    assert body["discount_type"] == "fixed_cart"
    assert body["amount"] == "25.00"
    assert body["email_restrictions"] == ["jane.doe@example.test"]
    assert (body["usage_limit"], body["usage_limit_per_user"], body["individual_use"]) == (1, 1, False)
    assert body["date_expires"] == "2027-05-01"
    assert f"[{REF}]" in body["description"]
    assert {"key": REFERENCE_META_KEY, "value": REF} in body["meta_data"]


def test_a_percent_coupon_is_a_woocommerce_percent_coupon() -> None:
    push = replace(coupon_push(ResolutionKind.COUPON), amount=usd("0"), coupon_percent=Decimal("12.50"))
    body = coupon_body(push, "return-x")
    assert (body["discount_type"], body["amount"]) == ("percent", "12.5")
    with pytest.raises(PushRefused, match="between 0 and 100"):
        coupon_body(replace(push, coupon_percent=Decimal("120")), "return-x")


@responses.activate
def test_coupon_without_a_code_gets_the_same_derived_code_on_every_try() -> None:
    responses.get(API + "coupons", json=[])
    responses.post(API + "coupons", status=201, json=rest_body("coupons-create-store-credit-like"))
    gateway().push(coupon_push(ResolutionKind.COUPON))
    gateway().push(coupon_push(ResolutionKind.COUPON))
    first, second = (sent_json(c)["code"] for c in posts("coupons"))
    assert first == second
    assert first.startswith("return-")


@responses.activate
def test_coupon_code_used_by_someone_else_is_refused() -> None:
    responses.get(API + "coupons", json=[rest_body("coupons-create")])  # save10, not ours
    with pytest.raises(PlatformError, match="already exists"):
        gateway().push(coupon_push(code="save10"))
    assert posts("coupons") == []


def webhook(hook_id: int, topic: str, status: str, url: str = APP + "/webhooks/woocommerce") -> dict[str, Any]:
    hook = copy.deepcopy(rest_body("webhooks-list")[0])
    hook.update(id=hook_id, topic=topic, status=status, delivery_url=url)
    return hook


@responses.activate
def test_disabled_webhook_is_reactivated_and_reported() -> None:
    responses.get(API + "webhooks", json=[
        webhook(1, "order.updated", "disabled"),
        webhook(2, "order.created", "active"),
        webhook(3, "order.deleted", "paused"),
        webhook(4, "order.updated", "disabled", url="https://someone-else.example/hook"),
    ], headers={"X-WP-TotalPages": "1"})
    for hook_id in (1, 3):
        responses.put(API + f"webhooks/{hook_id}", json=webhook(hook_id, "order.updated", "active"))
    changes = gateway().reactivate_disabled_webhooks()
    assert {(c.webhook_id, c.previous_status, c.action) for c in changes} == {
        ("1", "disabled", "reactivated"), ("3", "paused", "reactivated")
    }
    puts = [c for c in responses.calls if c.request.method == "PUT"]
    assert {c.request.url for c in puts} == {API + "webhooks/1", API + "webhooks/3"}
    assert all(sent_json(c) == {"status": "active"} for c in puts)


@responses.activate
def test_ensure_webhooks_creates_missing_topics_and_updates_ours() -> None:
    responses.get(API + "webhooks", json=[webhook(1, "order.updated", "disabled")])
    responses.put(API + "webhooks/1", json=webhook(1, "order.updated", "active"))
    responses.post(API + "webhooks", status=201, json=rest_body("webhooks-create-order_created"))
    changes = gateway().ensure_webhooks()
    assert {(c.topic, c.action) for c in changes} == {
        ("order.created", "created"), ("order.updated", "updated"),
        ("order.deleted", "created"), ("order.restored", "created"),
    }
    created = [sent_json(c) for c in posts("webhooks")]
    assert {b["topic"] for b in created} == {"order.created", "order.deleted", "order.restored"}
    assert all(b["delivery_url"] == APP + "/webhooks/woocommerce" and b["secret"] == "whsec" for b in created)


@responses.activate
def test_webhook_whose_creation_answer_was_lost_is_adopted_not_doubled() -> None:
    ours = [webhook(hook_id, topic, "active") for hook_id, topic in
            ((1, "order.created"), (2, "order.updated"), (3, "order.deleted"))]
    responses.get(API + "webhooks", json=ours[:2])  # before: order.deleted is missing
    responses.get(API + "webhooks", json=ours)  # after the lost POST: it was made
    responses.put(API + "webhooks/1", json=ours[0])
    responses.put(API + "webhooks/2", json=ours[1])
    responses.put(API + "webhooks/3", json=ours[2])
    responses.post(API + "webhooks", body=requests.ReadTimeout("slow ping"))
    responses.post(API + "webhooks", status=201, json=rest_body("webhooks-create-order_created"))
    changes = gateway().ensure_webhooks()
    assert {(c.topic, c.action) for c in changes} == {
        ("order.created", "updated"), ("order.updated", "updated"),
        ("order.deleted", "adopted"), ("order.restored", "created"),
    }
    assert len(posts("webhooks")) == 2
    adopted_put = [c for c in responses.calls if c.request.method == "PUT" and c.request.url == API + "webhooks/3"]
    assert sent_json(adopted_put[0]) == {"status": "active", "secret": "whsec"}


@responses.activate
def test_orders_since_follows_pages_and_reports_progress() -> None:
    orders = rest_body("orders-list-basic-auth-https")
    for page, chunk in ((1, orders[:2]), (2, orders[2:])):
        responses.get(
            API + "orders", json=chunk, headers={"X-WP-Total": "3", "X-WP-TotalPages": "2"},
            match=[responses.matchers.query_param_matcher({"page": str(page)}, strict_match=False)],
        )
    seen: list[tuple[int, int | None]] = []
    since = datetime(2026, 11, 22, tzinfo=UTC)
    found = list(gateway().orders_since(since, lambda done, total: seen.append((done, total))))
    assert [o.platform_order_id for o in found] == ["22", "21", "20"]
    assert seen[-1] == (3, 3)
    first = responses.calls[0].request.url
    assert "modified_after=2026-11-22T00%3A00%3A00" in first
    assert "dates_are_gmt=true" in first


@responses.activate
def test_fetch_order_reads_refunded_quantities_from_the_refunds_list() -> None:
    responses.get(API + "orders/20", json=rest_body("orders-get-1-after-refund"))
    responses.get(API + "orders/20/refunds", json=rest_body("refunds-list"))
    order = gateway().fetch_order("20")
    assert order is not None
    assert order.line("1").refunded_quantity == 1
    assert order.refunded == usd("76.96")


@responses.activate
def test_fetch_order_of_an_unknown_id_is_none() -> None:
    responses.get(API + "orders/999", status=404, json={
        "code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.", "data": {"status": 404}})
    assert gateway().fetch_order("999") is None


@responses.activate
def test_find_order_checks_the_billing_email_case_insensitively() -> None:
    responses.get(API + "orders/20", json=rest_body("orders-get-1"))
    found = gateway().find_order("#20", " Jane.Doe@Example.TEST ")
    assert found is not None
    assert found.platform_order_id == "20"
    assert gateway().find_order("#20", "someone@else.test") is None


def exchange_push(amount: str = "27.06") -> ResolutionPush:
    return ResolutionPush(
        reference=REF, idempotency_key="idem-3", kind=ResolutionKind.EXCHANGE, amount=usd(amount),
        platform_order_id="21", customer_email="jane.doe@example.test", customer_platform_id="2",
        lines=(PushLine("7", 1, usd("25.00"), usd("2.06"), restock=True),), exchange_variant_id="17",
    )


def exchange_order(total: str, credit: str = "0.00", status: str = "pending") -> dict[str, Any]:
    """The recorded order-create answer, as the store prices the exchange order."""
    order = copy.deepcopy(rest_body("orders-create-2"))
    order.update(id=30, number="30", status=status, total=total, fee_lines=[
        {"id": 77, "name": exchange_fee_name(REF), "total": credit, "tax_status": "none"}],
        meta_data=[{"id": 1, "key": REFERENCE_META_KEY, "value": REF}], customer_note=f"return [{REF}]")
    return order


def puts(path: str) -> list[Any]:
    return [c for c in responses.calls if c.request.method == "PUT" and c.request.url.startswith(API + path)]


@responses.activate
def test_dearer_exchange_waits_for_the_shopper_to_pay_the_difference() -> None:
    responses.get(API + "orders", json=[])
    responses.get(API + "orders/21", json=rest_body("orders-update-meta"))
    responses.post(API + "orders", status=201, json=exchange_order("32.48"))  # the store prices the new item
    responses.put(API + "orders/30", json=exchange_order("5.42", credit="-27.06"))
    responses.post(API + "orders/21/notes", status=201, json=rest_body("orders-notes-create"))

    result = gateway().push(exchange_push())

    created = sent_json(posts("orders")[0])
    assert (created["status"], created["set_paid"]) == ("pending", False)
    assert created["line_items"] == [{"variation_id": 17, "quantity": 1}]
    assert created["fee_lines"][0]["total"] == "0.00"
    assert f"[{REF}]" in created["fee_lines"][0]["name"]
    assert created["billing"]["email"] == "jane.doe@example.test"
    settled = sent_json(puts("orders/30")[0])
    assert settled == {"fee_lines": [{"id": 77, "total": "-27.06"}]}  # still pending: it ships once paid
    assert (result.platform_reference, result.payment_due) == ("30", usd("5.42"))
    assert result.payment_url.startswith("https://")
    assert posts("orders/21/refunds") == []
    assert "#30" in sent_json(posts("orders/21/notes")[0])["note"]


@responses.activate
def test_cheaper_exchange_is_paid_by_the_credit_and_the_difference_refunded() -> None:
    responses.get(API + "orders", json=[])
    responses.get(API + "orders/21", json=rest_body("orders-update-meta"))
    responses.post(API + "orders", status=201, json=exchange_order("20.00"))
    responses.put(API + "orders/30", json=exchange_order("0.00", credit="-20.00", status="processing"))
    responses.post(API + "orders/21/notes", status=201, json=rest_body("orders-notes-create"))
    responses.get(API + "orders/21/refunds", json=[])
    responses.post(API + "orders/21/refunds", status=201, json=rest_body("refunds-create-partial"))

    result = gateway().push(exchange_push())

    settled = sent_json(puts("orders/30")[0])
    assert settled["fee_lines"] == [{"id": 77, "total": "-20.00"}]
    assert (settled["status"], settled["set_paid"]) == ("processing", True)
    refund = sent_json(posts("orders/21/refunds")[0])
    assert refund["amount"] == "7.06"  # 27.06 returned, 20.00 spent on the new item
    assert f"[{REF}/difference]" in refund["reason"]
    assert refund["api_refund"] is False
    assert result.payment_due is None


@responses.activate
def test_exchange_already_made_and_settled_is_adopted_without_writing() -> None:
    responses.get(API + "orders", json=[exchange_order("5.42", credit="-27.06")],
                  match=[responses.matchers.query_param_matcher({"search": REF}, strict_match=False)])

    result = gateway().push(exchange_push())

    assert result.adopted
    assert result.payment_due == usd("5.42")
    assert [c for c in responses.calls if c.request.method in ("POST", "PUT")] == []


@responses.activate
def test_exchange_made_but_not_yet_settled_is_settled_on_retry() -> None:
    responses.get(API + "orders", json=[exchange_order("32.48")])
    responses.put(API + "orders/30", json=exchange_order("5.42", credit="-27.06"))

    gateway().push(exchange_push())

    assert posts("orders") == []
    assert sent_json(puts("orders/30")[0]) == {"fee_lines": [{"id": 77, "total": "-27.06"}]}


@responses.activate
def test_exchange_choices_are_the_variations_in_stock() -> None:
    small, medium, large = (copy.deepcopy(rest_body(f"products-variation-create-{size}")) for size in "SML")
    large["stock_status"] = "outofstock"
    responses.get(API + "products/15/variations", json=[small, medium, large])
    variants = gateway().variants_of("15")
    assert [(v.platform_variant_id, v.title) for v in variants] == [
        (str(small["id"]), "S"), (str(medium["id"]), "M")]


@responses.activate
def test_a_product_without_variations_offers_no_exchange_choice() -> None:
    responses.get(API + "products/99/variations", status=404,
                  json={"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": {"status": 404}})
    assert gateway().variants_of("99") == []


@responses.activate
def test_exchange_variations_carry_their_stock_and_picture_as_woocommerce_records_them() -> None:
    small, medium, large = (copy.deepcopy(rest_body(f"products-variation-create-{size}")) for size in "SML")
    medium["image"] = {"id": 31, "src": "https://boutique.example/wp-content/uploads/robe-m.jpg", "name": "robe-m", "alt": ""}
    large["manage_stock"], large["stock_quantity"] = False, None  # not counted: no figure to show
    responses.get(API + "products/15/variations", json=[small, medium, large])
    found = {v.title: v for v in gateway().variants_of("15")}
    assert found["S"].stock == small["stock_quantity"]
    assert found["M"].stock == medium["stock_quantity"] == 20
    assert found["L"].stock is None
    assert found["M"].image_url == "https://boutique.example/wp-content/uploads/robe-m.jpg"
    assert found["S"].image_url == ""  # the recording's variation has none (image: null)


def test_an_order_lines_picture_comes_from_its_image_object() -> None:
    from platforms.woocommerce.mapping import order_from_rest

    body = copy.deepcopy(rest_body("multirate-orders-get-a-67"))
    assert {order_line.image_url for order_line in order_from_rest(body).lines} == {""}  # recorded: {"id": "", "src": ""}
    body["line_items"][0]["image"] = {"id": 40, "src": "https://boutique.example/wp-content/uploads/sneaker.jpg"}
    body["line_items"][1]["image"] = {"id": 41, "src": "http://boutique.example/plain.jpg"}
    lines = order_from_rest(body).lines
    assert lines[0].image_url == "https://boutique.example/wp-content/uploads/sneaker.jpg"
    assert lines[1].image_url == ""  # only https pictures are shown in the portal
