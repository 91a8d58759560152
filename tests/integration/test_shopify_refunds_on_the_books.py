"""A Shopify order with several tax rates returned in partial steps: the stand-in's books agree with the app.

The order (two lines taxed at 20 % and 5.5 %, a line discount, shipping taxed at 20 %) is
returned in three steps with a 10 % restocking fee, the shipping refunded with the last
return. Each step is decided by the domain, shown to the shopper (the preview), then pushed
through the app's real Shopify adapter over HTTP to the running stand-in, which records the
refunds as Shopify does: transactions, lines priced from the order, shipping lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from connector.domain.eligibility import CustomerHistory, RequestedItem, evaluate, resolution_plans
from connector.domain.money import Money
from connector.domain.orders import Order
from connector.domain.policy import OriginalShipping, ReturnPolicy
from connector.domain.resolutions import ResolutionPlan
from connector.domain.returns import ResolutionKind
from connector.ports import (
    MirroredLine,
    PlatformError,
    PushLine,
    ResolutionPush,
    ReturnMirror,
    ShopConnection,
)
from platforms.shopify import ShopifyAdapter, ShopifyConfig
from platforms.shopify.mapping import numeric_id
from tests.standins.shopify import ShopifyStandIn
from tests.standins.shopify_state import ShopState, bag

SECRET = "standin-app-secret"
TODAY = date(2026, 6, 10)
_domains = iter(range(1, 10_000))


@pytest.fixture(scope="module")
def standin() -> Iterator[ShopifyStandIn]:
    with ShopifyStandIn(SECRET, webhook_delay=0.0) as running:
        yield running


def adapter_for(standin: ShopifyStandIn) -> ShopifyAdapter:
    return ShopifyAdapter(ShopifyConfig(api_key="key", api_secret=SECRET, admin_url=standin.admin_url))


def connection(shop: ShopState) -> ShopConnection:
    return ShopConnection(shop_id=1, platform="shopify", domain=shop.domain, access_token=shop.access_token)


def _tax_line(title: str, rate: str, amount: str) -> dict[str, Any]:
    return {"__typename": "TaxLine", "title": title, "rate": float(Decimal(rate) / 100),
            "ratePercentage": float(rate), "priceSet": bag(amount, "EUR")}


def taxed_order(standin: ShopifyStandIn) -> tuple[ShopState, dict[str, Any]]:
    """Prices before tax: a dress 2 x 40.00 less 8.00 at 20 %, a book 3 x 12.99 at 5.5 %, shipping 4.90 at 20 %."""
    domain = f"books-{next(_domains)}.myshopify.com"
    shop = standin.add_shop(domain, f"shpat_{domain}", maximum=2000, restore_rate=1000)
    order = shop.add_order(1001, "claire@example.com", [("Robe", 2, "40.00"), ("Livre", 3, "12.99")])
    dress, book = order["lineItems"]
    order["taxesIncluded"] = False
    dress["discountAllocations"] = [{"allocatedAmountSet": bag("8.00", "EUR")}]
    dress["taxLines"] = [_tax_line("TVA 20 %", "20", "14.40")]
    book["taxLines"] = [_tax_line("TVA 5,5 %", "5.5", "2.14")]
    order["shippingLines"][0]["taxLines"] = [_tax_line("TVA 20 %", "20", "0.98")]
    paid = Decimal("72.00") + Decimal("14.40") + Decimal("38.97") + Decimal("2.14") + Decimal("4.90") + Decimal("0.98")
    order["transactions"][0]["amountSet"] = bag(paid, "EUR")
    return shop, order


def push_of(plan: ResolutionPlan, order: Order, reference: str) -> ResolutionPush:
    """The push the app makes of a resolved plan (workflow/push: its refund lines, restocked)."""
    lines = tuple(PushLine(ln.line_id, ln.quantity, ln.amount, ln.tax, not ln.shipping, ln.tax_by_rate, ln.fee,
                           ln.shipping) for ln in plan.refund_lines)
    return ResolutionPush(
        reference=reference, idempotency_key=f"key-{reference}", kind=plan.kind, amount=plan.net,
        platform_order_id=order.platform_order_id, customer_email=order.customer.email,
        customer_platform_id=None, lines=lines,
    )


def amount(node: dict[str, Any], field: str) -> Decimal:
    return Decimal(node[field]["presentmentMoney"]["amount"])


@pytest.mark.parametrize("through", ["returnProcess", "refundCreate"])
def test_a_multi_rate_order_returned_in_steps_is_refunded_on_shopifys_books_as_shown(
    standin: ShopifyStandIn, through: str,
) -> None:
    shop, placed = taxed_order(standin)
    adapter = adapter_for(standin)
    gateway = adapter.gateway(connection(shop))
    order = gateway.fetch_order(numeric_id(placed["id"]))
    assert order is not None
    dress, book = (line.platform_line_id for line in order.lines)
    policy = ReturnPolicy(currency="EUR", restocking_fee_percent=Decimal(10),
                          return_shipping_fee=Money.zero("EUR"),
                          original_shipping_refund=OriginalShipping.LAST_RETURN)
    steps = [{dress: 1, book: 1}, {book: 1}, {dress: 1, book: 1}]
    back: dict[str, int] = {}
    shipping_refunded = False
    shown: list[Money] = []
    fees: list[Money] = []
    for number, step in enumerate(steps, start=1):
        reference = f"R-BOOKS{number}"
        wanted = [RequestedItem(line_id, quantity, "size_too_small", ResolutionKind.REFUND)
                  for line_id, quantity in step.items()]
        decision = evaluate(policy, order, wanted, CustomerHistory(returned_quantities=dict(back)), TODAY)
        assert decision.eligible
        preview, = resolution_plans(policy, order, decision, units_back=dict(back),
                                    shipping_refunded=shipping_refunded)
        plan, = resolution_plans(policy, order, decision, accepted=dict(step), already_resolved=dict(back),
                                 units_back=dict(back), shipping_refunded=shipping_refunded)
        assert not plan.restocking_fee.is_zero()
        shown.append(preview.net)
        fees.append(plan.restocking_fee + plan.return_shipping_fee)
        if through == "returnProcess":
            # The return is mirrored into Shopify when approved and inspected, as the app does.
            mirrored = tuple(MirroredLine(line_id, quantity, "size_too_small") for line_id, quantity in step.items())
            return_id = adapter.mirror_return(connection(shop), ReturnMirror(
                "open", reference, order.platform_order_id, None, mirrored))
            inspected = tuple(MirroredLine(m.platform_line_id, m.quantity, m.reason, restock=True,
                                           accepted_quantity=m.quantity) for m in mirrored)
            adapter.mirror_return(connection(shop), ReturnMirror(
                "inspect", reference, order.platform_order_id, return_id, inspected))
        result = gateway.push(push_of(plan, order, f"{reference}-1"))
        assert not result.adopted
        shipping_refunded = shipping_refunded or plan.shipping_refund is not None
        for line_id, quantity in step.items():
            back[line_id] = back.get(line_id, 0) + quantity

    refunds = placed["refunds"]
    assert len(refunds) == len(steps)
    assert all(len(r["refundLineItems"]) > 0 for r in refunds)
    if through == "returnProcess":
        assert all(ret["refunds"] for ret in placed["returns"]), "each return paid back by returnProcess"
    paid = amount(placed["transactions"][0], "amountSet")
    for refund, preview_net, fee in zip(refunds, shown, fees, strict=True):
        transactions = sum((amount(t, "amountSet") for t in refund["transactions"]), Decimal(0))
        assert transactions == amount(refund, "totalRefundedSet")  # each refund's money is its transactions
        assert Money(transactions, "EUR") == preview_net  # what the shopper was shown before confirming
        # Shopify's own pricing of what came back, less what the shop kept, is the money refunded.
        priced = sum((amount(i, "subtotalSet") + amount(i, "totalTaxSet") for i in refund["refundLineItems"]),
                     Decimal(0)) + sum((amount(s, "subtotalAmountSet") + amount(s, "taxAmountSet")
                                        for s in refund["refundShippingLines"]), Decimal(0))
        assert Money(priced - transactions, "EUR") == fee
    refunded = sum((amount(r, "totalRefundedSet") for r in refunds), Decimal(0))
    assert refunded <= paid
    with_shipping = [r for r in refunds if r["refundShippingLines"]]
    assert with_shipping == [refunds[-1]], "the shipping goes back once, with the last return"
    assert amount(with_shipping[0]["refundShippingLines"][0], "subtotalAmountSet") == Decimal("4.90")
    assert amount(with_shipping[0]["refundShippingLines"][0], "taxAmountSet") == Decimal("0.98")
    # Every unit back: Shopify's books show each line's price and tax given back exactly once.
    for line in placed["lineItems"]:
        items = [i for r in refunds for i in r["refundLineItems"] if i["lineItem"] is line]
        assert sum(i["quantity"] for i in items) == line["quantity"]
        assert sum((amount(i, "totalTaxSet") for i in items), Decimal(0)) == amount(line["taxLines"][0], "priceSet")
    # Everything came back; what the shop kept is exactly the fees.
    assert Money(paid - refunded, "EUR") == sum(fees[1:], fees[0])


def test_the_stand_in_refuses_to_refund_the_shipping_twice(standin: ShopifyStandIn) -> None:
    shop, placed = taxed_order(standin)
    gateway = adapter_for(standin).gateway(connection(shop))
    shipping = Money(Decimal("4.90"), "EUR")
    with_tax = Money(Decimal("5.88"), "EUR")

    def push(reference: str) -> ResolutionPush:
        return ResolutionPush(
            reference=reference, idempotency_key=f"key-{reference}", kind=ResolutionKind.REFUND, amount=with_tax,
            platform_order_id=numeric_id(placed["id"]), customer_email="claire@example.com",
            customer_platform_id=None,
            lines=(PushLine("shipping", 1, shipping, Money(Decimal("0.98"), "EUR"), False, shipping=True),),
        )

    gateway.push(push("R-SHIP1-1"))
    with pytest.raises(PlatformError, match="refundable shipping"):
        gateway.push(push("R-SHIP2-1"))
    assert len(placed["refunds"]) == 1


# ---- an exchange for a cheaper variant ----

def exchange_push(plan: ResolutionPlan, order: Order, reference: str, variant: str) -> ResolutionPush:
    push = push_of(plan, order, reference)
    return ResolutionPush(
        reference=push.reference, idempotency_key=push.idempotency_key, kind=ResolutionKind.EXCHANGE,
        amount=plan.net, platform_order_id=push.platform_order_id, customer_email=push.customer_email,
        customer_platform_id=None, lines=push.lines, exchange_variant_id=variant,
    )


def exchanged(standin: ShopifyStandIn, price: str) -> tuple[ShopState, dict[str, Any], ResolutionPush, Money]:
    """One dress (36.00 + 7.20 tax paid) exchanged for another size at `price` before 20 % tax, mirrored."""
    shop, placed = taxed_order(standin)
    adapter = adapter_for(standin)
    order = adapter.gateway(connection(shop)).fetch_order(numeric_id(placed["id"]))
    assert order is not None
    dress = order.lines[0].platform_line_id
    variant = numeric_id(shop.add_variant(placed["lineItems"][0], "S", price, "0.20"))
    policy = ReturnPolicy(currency="EUR", restocking_fee_percent=Decimal(10), return_shipping_fee=Money.zero("EUR"))
    wanted = [RequestedItem(dress, 1, "size_too_small", ResolutionKind.EXCHANGE)]
    decision = evaluate(policy, order, wanted, CustomerHistory(), TODAY)
    preview, = resolution_plans(policy, order, decision)
    plan, = resolution_plans(policy, order, decision, accepted={dress: 1})
    assert plan.kind is ResolutionKind.EXCHANGE
    assert plan.net == preview.net
    line = MirroredLine(dress, 1, "size_too_small", exchange_variant_id=variant)
    return_id = adapter.mirror_return(connection(shop), ReturnMirror("open", "R-SWAP1", order.platform_order_id,
                                                                     None, (line,)))
    assert return_id is not None
    return shop, placed, exchange_push(plan, order, "R-SWAP1-1", variant), preview.net


def test_a_cheaper_exchange_refunds_the_difference_once_even_when_the_answer_is_lost(
    standin: ShopifyStandIn,
) -> None:
    shop, placed, push, credit = exchanged(standin, "30.00")  # 36.00 with its tax
    assert credit == Money(Decimal("38.88"), "EUR")  # 43.20 paid less the 10 % restocking fee

    def lose_the_answer(_domain: str, field: str) -> None:
        if field == "returnProcess":
            standin.after_mutation = None
            raise ConnectionAbortedError("the answer is lost")

    standin.after_mutation = lose_the_answer
    try:
        first = adapter_for(standin).gateway(connection(shop)).push(push)
    finally:
        standin.after_mutation = None
    refund, = placed["refunds"]
    assert amount(refund, "totalRefundedSet") == Decimal("2.88")  # 38.88 credited - 36.00 for the new size
    assert sum((amount(t, "amountSet") for t in refund["transactions"]), Decimal(0)) == Decimal("2.88")
    assert push.reference in refund["note"]
    ret, = placed["returns"]
    assert [e["processedQuantity"] for e in ret["exchangeLineItems"]] == [1]  # the new size ships
    assert ret["refunds"] == [refund]
    assert first.platform_reference == numeric_id(refund["id"])
    # The job runs again (its commit was lost too): the refund is adopted, nothing goes back twice.
    again = adapter_for(standin).gateway(connection(shop)).push(push)
    assert (again.platform_reference, again.adopted) == (first.platform_reference, True)
    assert len(placed["refunds"]) == 1


def test_an_exchange_as_dear_or_dearer_refunds_nothing(standin: ShopifyStandIn) -> None:
    shop, placed, push, _credit = exchanged(standin, "45.00")  # 54.00 with its tax: Shopify asks the balance
    result = adapter_for(standin).gateway(connection(shop)).push(push)
    assert not result.adopted
    assert placed["refunds"] == []
    assert [e["processedQuantity"] for e in placed["returns"][0]["exchangeLineItems"]] == [1]
