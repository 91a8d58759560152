"""Property: whatever the order and however it comes back, each platform's books agree with the money, per rate.

Generated orders (several tax rates, line and order discounts, shipping, quantities, in JPY, EUR
and KWD) are returned in random partial steps with restocking fees, return shipping fees and a
store-credit bonus. For every step, the amount decided before confirming (what the review page
shows) is what each platform's payload sends back; each payload is its parts; and the tax given
back per rate never exceeds what was charged and ends equal to it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.domain.eligibility import CustomerHistory, RequestedItem, evaluate, resolution_plans
from connector.domain.money import Money, total
from connector.domain.orders import Customer, Order, OrderLine, ShippingLine
from connector.domain.policy import OriginalShipping, ReturnPolicy
from connector.domain.resolutions import ResolutionPlan, allocate_order_discount
from connector.domain.returns import ResolutionKind
from connector.ports import PushLine, ResolutionPush
from platforms.shopify.gateway import ShopifyGateway, refund_parts
from platforms.woocommerce.payloads import coupon_body, refund_body, split_by_restock

TODAY = date(2026, 6, 15)
REFUND, STORE_CREDIT = ResolutionKind.REFUND, ResolutionKind.STORE_CREDIT
RATES = ("1", "2", "3")


@st.composite
def orders(draw: st.DrawFn) -> Order:
    currency = draw(st.sampled_from(["JPY", "EUR", "KWD"]))
    lines = []
    for index in range(draw(st.integers(1, 3))):
        quantity = draw(st.integers(1, 4))
        unit = draw(st.integers(1, 40_000))
        discount = draw(st.integers(0, unit * quantity))
        rates = draw(st.lists(st.integers(0, 4_000), min_size=1, max_size=3))
        by_rate = tuple((RATES[k], Money.from_minor(m, currency)) for k, m in enumerate(rates))
        lines.append(OrderLine(
            platform_line_id=str(100 + index), title=f"Item {index}", quantity=quantity,
            unit_price=Money.from_minor(unit, currency), discount=Money.from_minor(discount, currency),
            tax=total((m for _, m in by_rate), currency), fulfilled_quantity=quantity, tax_by_rate=by_rate,
        ))
    left = sum((ln.subtotal - ln.discount).minor for ln in lines)
    order_discount = Money.from_minor(draw(st.integers(0, left)), currency)
    shares = allocate_order_discount(lines, order_discount)
    lines = [replace(ln, discount=ln.discount + share) for ln, share in zip(lines, shares, strict=True)]
    shipping: tuple[ShippingLine, ...] = ()
    if draw(st.booleans()):
        rates = draw(st.lists(st.integers(0, 300), min_size=1, max_size=2))
        by_rate = tuple((RATES[k], Money.from_minor(m, currency)) for k, m in enumerate(rates))
        shipping = (ShippingLine("Flat rate", Money.from_minor(draw(st.integers(1, 2_000)), currency),
                                 total((m for _, m in by_rate), currency), "900", by_rate),)
    placed = datetime(2026, 6, 1, 9, tzinfo=UTC)
    return Order(
        platform="woocommerce", platform_order_id="68", name="#68", currency=currency,
        customer=Customer("2", "jane.doe@example.test"), placed_at=placed, lines=tuple(lines),
        fulfilled_at=placed + timedelta(days=1), delivered_at=placed + timedelta(days=3), shipping_lines=shipping,
    )


@st.composite
def policies(draw: st.DrawFn, currency: str) -> ReturnPolicy:
    return ReturnPolicy(
        currency=currency,
        restocking_fee_percent=draw(st.sampled_from([Decimal(0), Decimal(5), Decimal("12.5"), Decimal(100)])),
        store_credit_bonus_percent=draw(st.sampled_from([Decimal(0), Decimal(10), Decimal("7.5")])),
        return_shipping_fee=Money.from_minor(draw(st.integers(0, 3_000)), currency),
        original_shipping_refund=draw(st.sampled_from(list(OriginalShipping))),
    )


@st.composite
def stories(draw: st.DrawFn) -> tuple[Order, ReturnPolicy, list[list[tuple[str, int, str, ResolutionKind, bool]]]]:
    """An order, a policy, and the order's units handed back in 1 to 3 returns (every unit, in the end)."""
    order = draw(orders())
    policy = draw(policies(order.currency))
    count = draw(st.integers(1, 3))
    steps: list[list[tuple[str, int, str, ResolutionKind, bool]]] = [[] for _ in range(count)]
    codes = [reason.code for reason in policy.reasons]
    for line in order.lines:
        per_step = [0] * count
        for _unit in range(line.quantity):
            per_step[draw(st.integers(0, count - 1))] += 1
        for step, quantity in enumerate(per_step):
            if quantity:
                steps[step].append((line.platform_line_id, quantity, draw(st.sampled_from(codes)),
                                    draw(st.sampled_from([REFUND, STORE_CREDIT])), draw(st.booleans())))
    return order, policy, [step for step in steps if step]


def push_of(plan: ResolutionPlan, restock: dict[str, bool], reference: str) -> ResolutionPush:
    lines = tuple(PushLine(ln.line_id, ln.quantity, ln.amount, ln.tax, restock.get(ln.line_id, False),
                           ln.tax_by_rate, ln.fee, ln.shipping) for ln in plan.refund_lines)
    return ResolutionPush(
        reference=reference, idempotency_key=reference, kind=plan.kind, amount=plan.net, platform_order_id="68",
        customer_email="jane.doe@example.test", customer_platform_id="2", lines=lines,
    )


def woo_parts(body: dict[str, Any], currency: str) -> Money:
    return total((Money.of(item["refund_total"], currency)
                  + total((Money.of(t["refund_total"], currency) for t in item["refund_tax"]), currency)
                  for item in body.get("line_items", [])), currency)


def shopify_refunded(push: ResolutionPush, order: Order) -> Money:
    """What Shopify's refundCreate / returnProcess would send back: its transactions, checked against the lines."""
    refund_parts(push)  # raises when the lines do not add up to the amount
    paid = [{"id": "gid://shopify/OrderTransaction/1", "kind": "SALE", "status": "SUCCESS", "gateway": "manual",
             "amountSet": {"presentmentMoney": {"amount": str(order.total_paid.amount)}}}]
    transactions = ShopifyGateway._refund_transactions("gid://shopify/Order/68", paid, push.amount)
    return total((Money.of(t["amount"], push.amount.currency) for t in transactions), push.amount.currency)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stories())
def test_every_platform_payload_is_its_parts_and_tax_per_rate_ends_exact(
    story: tuple[Order, ReturnPolicy, list[list[tuple[str, int, str, ResolutionKind, bool]]]],
) -> None:
    order, policy, steps = story
    currency = order.currency
    back: dict[str, int] = {}
    shipping_refunded = False
    given_back: dict[tuple[str, str], Money] = {}  # (line or shipping id, rate) -> tax given back
    fees_took_tax = False
    for number, step in enumerate(steps):
        wanted = [RequestedItem(line_id, quantity, reason, kind, has_photo=True)
                  for line_id, quantity, reason, kind, _restock in step]
        decision = evaluate(policy, order, wanted, CustomerHistory(returned_quantities=dict(back)), TODAY)
        assert decision.eligible
        assert all(item.eligible for item in decision.items)
        # What the review page shows before confirming, then what is resolved once inspected.
        shown = resolution_plans(policy, order, decision, units_back=back, shipping_refunded=shipping_refunded)
        plans = resolution_plans(policy, order, decision, accepted={i[0]: i[1] for i in step},
                                 already_resolved=dict(back), units_back=dict(back),
                                 shipping_refunded=shipping_refunded)
        restock = {line_id: flag for line_id, _q, _r, _k, flag in step}
        for plan, preview in zip(plans, shown, strict=True):
            assert (plan.kind, plan.net) == (preview.kind, preview.net)
            assert total((ln.total for ln in plan.refund_lines), currency) == plan.net - plan.bonus
            push = push_of(plan, restock, f"R-{number}-{plan.kind.value}")
            if plan.kind is REFUND and not plan.net.is_zero():
                sent = Money.zero(currency)
                for part in split_by_restock(push):
                    body = refund_body(part, api_refund=False)
                    assert Money.of(body["amount"], currency) == woo_parts(body, currency)
                    sent = sent + Money.of(body["amount"], currency)
                assert sent == preview.net  # WooCommerce refunds what the shopper was shown
                assert shopify_refunded(push, order) == preview.net  # and so does Shopify
            if plan.kind is STORE_CREDIT and not plan.net.is_zero():
                assert Money.of(coupon_body(push, "credit-x")["amount"], currency) == preview.net
            paid = {ln.line_id: ln for ln in plan.lines}
            for ln in plan.refund_lines:
                if not ln.shipping and ln.tax != paid[ln.line_id].tax:
                    fees_took_tax = True  # a fee larger than the amount before tax
                for rate, amount in ln.tax_by_rate:
                    key = ("shipping" if ln.shipping else ln.line_id, rate)
                    given_back[key] = given_back.get(key, Money.zero(currency)) + amount
            shipping_refunded = shipping_refunded or any(ln.shipping for ln in plan.refund_lines)
        for line_id, quantity, _reason, _kind, _restock in step:
            back[line_id] = back.get(line_id, 0) + quantity
        charged = {(ln.platform_line_id, rate): amount for ln in order.lines for rate, amount in ln.tax_by_rate}
        charged |= {("shipping", rate): amount for s in order.shipping_lines for rate, amount in s.tax_by_rate}
        for key, amount in given_back.items():
            assert amount <= charged[key], key  # never more than charged, at any step

    for key, amount in charged.items():
        if key[0] == "shipping":
            if shipping_refunded:
                assert given_back.get(key, Money.zero(currency)) == amount
            continue
        if not fees_took_tax:
            assert given_back.get(key, Money.zero(currency)) == amount, key  # every unit back: exact
    if policy.original_shipping_refund is OriginalShipping.LAST_RETURN and order.shipping_lines:
        assert shipping_refunded  # the last unit came back
