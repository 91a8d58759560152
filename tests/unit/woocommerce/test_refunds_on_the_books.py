"""WooCommerce refunds built from recorded multi-rate orders: each refund's amount is its parts, per rate, to the cent.

The orders are the recorded answers of a live WooCommerce 10.5 store (CA 8.25 % and SF County
1.25 %, prices before tax); the store keeps `amount` and every `refund_tax` exactly as sent
(fixtures README), so what these bodies say is what its books will say.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.domain.money import Money, total
from connector.domain.orders import Order
from connector.domain.resolutions import RefundLine, ReturnedUnits, plan_resolution, shipping_refund_lines
from connector.domain.returns import ResolutionKind
from connector.ports import PushLine, ResolutionPush
from platforms.woocommerce.mapping import order_from_rest
from platforms.woocommerce.payloads import refund_body
from tests.unit.woocommerce.recordings import rest

REFUND = ResolutionKind.REFUND


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def recorded_order(name: str) -> Order:
    return order_from_rest(rest(name)["response"]["body"])


def push_of(lines: tuple[RefundLine, ...], reference: str) -> ResolutionPush:
    push_lines = tuple(PushLine(ln.line_id, ln.quantity, ln.amount, ln.tax, False, ln.tax_by_rate, ln.fee, ln.shipping)
                       for ln in lines)
    return ResolutionPush(
        reference=reference, idempotency_key=reference, kind=REFUND, amount=total((ln.total for ln in lines), "USD"),
        platform_order_id="68", customer_email="jane.doe@example.test", customer_platform_id=None, lines=push_lines,
    )


def parts_of(body: dict[str, Any]) -> Money:
    return total((usd(item["refund_total"]) + total((usd(t["refund_total"]) for t in item["refund_tax"]), "USD")
                  for item in body["line_items"]), "USD")


def rate_totals(bodies: list[dict[str, Any]]) -> dict[int, Money]:
    sums: dict[int, Money] = {}
    for body in bodies:
        for item in body["line_items"]:
            for tax in item["refund_tax"]:
                sums[tax["id"]] = sums.get(tax["id"], usd("0")) + usd(tax["refund_total"])
    return sums


def test_three_single_belt_refunds_give_back_each_rate_of_the_line_exactly() -> None:
    order = recorded_order("multirate-orders-get-b-68")  # 3 belts: 106.50, CA 8.79, SF 1.33
    bodies = []
    for done in range(3):
        [plan] = plan_resolution(order, [ReturnedUnits("105", 1, REFUND)], already_resolved={"105": done})
        bodies.append(refund_body(push_of(plan.refund_lines, f"R-BELT-{done}"), api_refund=False))

    for body in bodies:
        assert usd(body["amount"]) == parts_of(body)  # the store keeps `amount`: it is the parts
    assert rate_totals(bodies) == {1: usd("8.79"), 2: usd("1.33")}
    assert sum((usd(b["amount"]) for b in bodies), usd("0")) == usd(rest(
        "multirate-orders-get-b-68")["response"]["body"]["total"])
    # The same request shape the store answered 201 to, three times, ending the order `refunded`.
    recorded = rest("multirate-refunds-create-b-belt-1of3")["request"]["body"]["line_items"][0]
    assert set(bodies[0]["line_items"][0]) == set(recorded)
    assert rest("multirate-orders-get-b-68-after-3-refunds")["response"]["body"]["status"] == "refunded"


def test_a_multi_line_order_refunded_in_steps_never_exceeds_a_rate_and_ends_exact() -> None:
    order = recorded_order("multirate-orders-get-a-67")  # 2 sneakers and 3 tees, save10, flat rate
    steps = [[("99", 1), ("100", 1)], [("100", 2)], [("99", 1)]]
    done: dict[str, int] = {}
    bodies = []
    for step, returned in enumerate(steps):
        units = [ReturnedUnits(line_id, quantity, REFUND) for line_id, quantity in returned]
        [plan] = plan_resolution(order, units, already_resolved=dict(done))
        for line_id, quantity in returned:
            done[line_id] = done.get(line_id, 0) + quantity
        body = refund_body(push_of(plan.refund_lines, f"R-A-{step}"), api_refund=False)
        assert usd(body["amount"]) == parts_of(body)
        bodies.append(body)
        charged = {rate: total((dict(ln.tax_by_rate)[rate] for ln in order.lines), "USD") for rate in ("1", "2")}
        for rate, refunded in rate_totals(bodies).items():
            assert refunded <= charged[str(rate)]
    assert rate_totals(bodies) == {1: usd("17.30"), 2: usd("2.62")}  # the order's tax_lines, shipping aside


def test_the_orders_shipping_is_refunded_by_its_item_id_as_the_store_accepted_it() -> None:
    order = recorded_order("multirate-orders-get-a-67")
    body = refund_body(push_of(shipping_refund_lines(order), "R-SHIP"), api_refund=False)

    accepted = rest("multirate-refunds-create-a-shipping")["request"]["body"]
    assert body["line_items"] == accepted["line_items"]
    assert body["amount"] == accepted["amount"] == "10.96"
    # ... and the store recorded it as the shipping it is.
    assert rest("multirate-refunds-create-a-shipping")["response"]["body"]["shipping_lines"][0]["total"] == "-10.00"


def test_a_restocking_fee_shows_in_the_line_total_the_store_records() -> None:
    order = recorded_order("multirate-orders-get-c-69")  # hoodie 108.00, taxes 8.91 + 1.35
    [plan] = plan_resolution(order, [ReturnedUnits("108", 1, REFUND, Decimal("10"))])
    body = refund_body(push_of(plan.refund_lines, "R-HOODIE"), api_refund=False)

    [item] = body["line_items"]
    assert usd(body["amount"]) == parts_of(body) == plan.net
    # The fee (10 % of 118.26 paid, rounded down: 11.82) lowers the line, the tax goes back whole:
    # the store's line and tax figures now agree with the money (the recorded attempt kept 10.80 invisibly).
    assert item["refund_total"] == "96.18"
    assert item["refund_tax"] == [{"id": 1, "refund_total": "8.91"}, {"id": 2, "refund_total": "1.35"}]
    assert "fees kept: 11.82" in body["reason"]
