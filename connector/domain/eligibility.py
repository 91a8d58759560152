"""The policy engine: what a shopper may return, at what cost, and whether it is approved at once.

Pure: it takes the policy, the order, the customer's history and today's date. Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from connector.domain.errors import InvalidReturn
from connector.domain.messages import Reason
from connector.domain.money import Money, total
from connector.domain.orders import Order, OrderLine
from connector.domain.policy import OriginalShipping, ReturnPolicy, ShippingPayer
from connector.domain.resolutions import (
    ResolutionPlan,
    ReturnedUnits,
    plan_resolution,
    restocking_fee,
    returned_line_amount,
)
from connector.domain.returns import ResolutionKind


@dataclass(frozen=True)
class RequestedItem:
    """What the shopper asks to return from one order line."""

    line_id: str
    quantity: int
    reason: str
    resolution: ResolutionKind
    has_photo: bool = False


@dataclass(frozen=True)
class CustomerHistory:
    """What the engine needs to know of the customer's past, gathered by storage."""

    free_returns_used: int = 0  # within the policy's free_returns_period_days, up to today
    previous_returns: int = 0
    # For this order: units already returned or in an open request, per order line id.
    returned_quantities: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LineEligibility:
    line_id: str
    returnable: bool
    returnable_quantity: int
    already_returned: int
    last_day: date
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class ItemDecision:
    """The verdict on one requested item. `amount` is what was paid for its units, tax included."""

    line_id: str
    quantity: int
    reason_code: str
    resolution: ResolutionKind
    eligible: bool
    reasons: tuple[Reason, ...]
    amount: Money
    restocking_fee: Money
    already_returned: int = 0
    notes: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class PolicyDecision:
    """The verdict on a whole request: items, fees, free return, auto-approval.

    `reasons` are refusals of the whole request; `notes` tell the shopper about fees.
    """

    items: tuple[ItemDecision, ...]
    reasons: tuple[Reason, ...]
    free_return: bool
    return_shipping_fee: Money
    auto_approved: bool
    auto_approval_reasons: tuple[Reason, ...]
    notes: tuple[Reason, ...] = ()

    @property
    def eligible(self) -> bool:
        return not self.reasons and any(item.eligible for item in self.items)

    @property
    def eligible_items(self) -> tuple[ItemDecision, ...]:
        return tuple(item for item in self.items if item.eligible)

    @property
    def restocking_fees(self) -> Money:
        return total((item.restocking_fee for item in self.items), self.return_shipping_fee.currency)


def _shipped_quantity(order: Order, line: OrderLine) -> int:
    # Some platforms count fulfilment per line (Shopify); others only say the order left
    # (WooCommerce). When any line is counted, an uncounted line has not shipped.
    if any(other.fulfilled_quantity > 0 for other in order.lines):
        return min(line.fulfilled_quantity, line.quantity)
    return line.quantity if (order.fulfilled_at or order.delivered_at) else 0


def _product_refusals(policy: ReturnPolicy, line: OrderLine) -> list[Reason]:
    tags = {tag.strip().casefold(): tag for tag in line.product_tags}
    refusals = []
    if line.final_sale or (policy.final_sale_tag and policy.final_sale_tag.casefold() in tags):
        refusals.append(Reason.of("final_sale"))
    if line.sku and line.sku.strip().casefold() in {sku.casefold() for sku in policy.non_returnable_skus}:
        refusals.append(Reason.of("non_returnable_sku", sku=line.sku))
    excluded_types = {kind.casefold() for kind in policy.non_returnable_product_types}
    if line.product_type.strip().casefold() in excluded_types:
        refusals.append(Reason.of("non_returnable_type", product_type=line.product_type))
    refusals.extend(
        Reason.of("non_returnable_tag", tag=tag)
        for tag in policy.non_returnable_tags if tag.casefold() in tags
    )
    return refusals


def line_eligibility(
    policy: ReturnPolicy, order: Order, history: CustomerHistory, today: date
) -> list[LineEligibility]:
    """Per order line, whether it can be returned at all and why not: what the portal lists."""
    last_day = policy.last_day(order)
    verdicts = []
    for line in order.lines:
        shipped = _shipped_quantity(order, line)
        # A return we pushed is counted by the platform and by our history: take the
        # larger, not the sum, so it is not counted twice.
        already = max(line.refunded_quantity, history.returned_quantities.get(line.platform_line_id, 0))
        left = max(0, shipped - already)
        refusals = []
        if order.cancelled_at is not None:
            refusals.append(Reason.of("order_cancelled"))
        elif shipped == 0:
            refusals.append(Reason.of("not_shipped"))
        refusals.extend(_product_refusals(policy, line))
        if today > last_day:
            refusals.append(Reason.of("window_passed", last_day_date=last_day))
        if shipped and not left and order.cancelled_at is None:
            refusals.append(Reason.of("already_returned"))
        verdicts.append(LineEligibility(
            line_id=line.platform_line_id,
            returnable=not refusals,
            returnable_quantity=0 if refusals else left,
            already_returned=already,
            last_day=last_day,
            reasons=tuple(refusals),
        ))
    return verdicts


def _item_decision(
    policy: ReturnPolicy, order: Order, asked: RequestedItem, line: LineEligibility | None, duplicate: bool
) -> ItemDecision:
    zero = Money.zero(order.currency)
    if line is None:
        return ItemDecision(asked.line_id, asked.quantity, asked.reason, asked.resolution, False,
                            (Reason.of("unknown_item"),), zero, zero)
    refusals = list(line.reasons)
    if duplicate:
        refusals.append(Reason.of("duplicate_item"))
    if asked.quantity < 1:
        refusals.append(Reason.of("invalid_quantity"))
    elif line.returnable and asked.quantity > line.returnable_quantity:
        refusals.append(Reason.of("quantity_too_high", max_quantity=line.returnable_quantity))
    reason = policy.reason(asked.reason)
    if reason is None:
        refusals.append(Reason.of("unknown_reason"))
    elif reason.needs_photo and not asked.has_photo:
        refusals.append(Reason.of("photo_needed"))
    if asked.resolution not in policy.allowed_resolutions:
        refusals.append(Reason.of("resolution_not_allowed", resolution_kind=asked.resolution))
    if refusals:
        return ItemDecision(asked.line_id, asked.quantity, asked.reason, asked.resolution, False,
                            tuple(refusals), zero, zero, line.already_returned)
    paid = returned_line_amount(order.line(asked.line_id), asked.quantity, line.already_returned).total
    rate = policy.restocking_percent_for(asked.reason)
    fee = restocking_fee(paid, rate)  # the function plan_resolution charges with
    notes = []
    if not fee.is_zero():
        notes.append(Reason.of("restocking_fee", fee_amount=fee, rate_percent=rate))
    if asked.resolution is ResolutionKind.STORE_CREDIT and policy.store_credit_bonus_percent:
        notes.append(Reason.of("store_credit_bonus", bonus_percent=policy.store_credit_bonus_percent))
    return ItemDecision(asked.line_id, asked.quantity, asked.reason, asked.resolution, True,
                        (), paid, fee, line.already_returned, tuple(notes))


def _return_shipping(
    policy: ReturnPolicy, order: Order, items: Sequence[ItemDecision], history: CustomerHistory
) -> tuple[Money, bool, list[Reason], bool]:
    """(fee, free return used, notes, fee left out because the order is in another currency)."""
    zero = Money.zero(order.currency)
    if not items:
        return zero, False, [], False
    if policy.return_shipping_paid_by is ShippingPayer.MERCHANT:
        return zero, False, [Reason.of("return_shipping_paid_by_shop")], False
    # One parcel: if the shop must pay for one item's return, the others travel free with it.
    if any(item.reason_code in policy.merchant_pays_shipping_reasons for item in items):
        return zero, False, [Reason.of("merchant_pays_shipping_for_reason")], False
    if policy.return_shipping_fee.is_zero():
        return zero, False, [Reason.of("return_shipping_own_cost")], False
    used_up = False
    if policy.free_returns_limit and all(_free_return_product(policy, order, item) for item in items):
        if history.free_returns_used < policy.free_returns_limit:
            return zero, True, [Reason.of("free_return")], False
        used_up = True
    if order.currency != policy.currency:
        return zero, False, [], True
    fee = policy.return_shipping_fee
    if used_up:
        note = Reason.of("free_returns_used_up", free_returns_limit=policy.free_returns_limit,
                         period_days=policy.free_returns_period_days, fee_amount=fee)
    else:
        note = Reason.of("return_shipping_fee", fee_amount=fee)
    return fee, False, [note], False


def _free_return_product(policy: ReturnPolicy, order: Order, item: ItemDecision) -> bool:
    if not policy.free_returns_tags:
        return True
    tags = {tag.strip().casefold() for tag in order.line(item.line_id).product_tags}
    return any(tag.casefold() in tags for tag in policy.free_returns_tags)


def _auto_approval(
    policy: ReturnPolicy, order: Order, items: Sequence[ItemDecision], eligible: bool,
    history: CustomerHistory, fee_not_converted: bool,
) -> tuple[bool, list[Reason]]:
    if not policy.auto_approval_configured:
        return False, [Reason.of("auto_not_configured")]
    why: list[Reason] = []
    approved = True

    def rule(holds: bool, reason: Reason) -> None:
        nonlocal approved
        approved = approved and holds
        why.append(reason)

    if policy.is_blocked(order.customer.email):
        rule(False, Reason.of("auto_customer_blocked"))
    if not eligible or not all(item.eligible for item in items):
        rule(False, Reason.of("auto_items_not_eligible"))
    limit = policy.auto_approve_max_order_value
    if fee_not_converted or (limit is not None and limit.currency != order.currency):
        rule(False, Reason.of("auto_currency_differs", order_currency=order.currency,
                              policy_currency=policy.currency))
    elif limit is not None:
        paid = order.total_paid
        code = "auto_order_value_ok" if paid <= limit else "auto_order_value_too_high"
        rule(paid <= limit, Reason.of(code, order_amount=paid, max_amount=limit))
    if policy.auto_approve_reasons:
        outside = [item.reason_code for item in items if item.reason_code not in policy.auto_approve_reasons]
        if outside:
            rule(False, Reason.of("auto_reason_not_listed", reason=outside[0]))
        else:
            rule(True, Reason.of("auto_reason_ok"))
    cap = policy.auto_approve_max_previous_returns
    if cap is not None:
        code = "auto_history_ok" if history.previous_returns <= cap else "auto_too_many_returns"
        rule(history.previous_returns <= cap,
             Reason.of(code, previous_returns=history.previous_returns, max_previous_returns=cap))
    if approved:
        why.insert(0, Reason.of("auto_approved"))
    return approved, why


def evaluate(
    policy: ReturnPolicy,
    order: Order,
    requested_items: Sequence[RequestedItem],
    history: CustomerHistory,
    today: date,
) -> PolicyDecision:
    """Apply the policy to a return request: per item, the fees, free return, auto-approval."""
    lines = {verdict.line_id: verdict for verdict in line_eligibility(policy, order, history, today)}
    seen: set[str] = set()
    items = []
    for asked in requested_items:
        items.append(_item_decision(policy, order, asked, lines.get(asked.line_id), asked.line_id in seen))
        seen.add(asked.line_id)
    eligible_items = [item for item in items if item.eligible]

    refusals = []
    if policy.is_blocked(order.customer.email):
        refusals.append(Reason.of("customer_blocked"))
    if not items:
        refusals.append(Reason.of("no_items"))
    elif not eligible_items:
        refusals.append(Reason.of("no_eligible_item"))

    fee, free, notes, fee_not_converted = _return_shipping(policy, order, eligible_items, history)
    approved, why = _auto_approval(policy, order, items, not refusals, history, fee_not_converted)
    return PolicyDecision(
        items=tuple(items),
        reasons=tuple(refusals),
        free_return=free and not refusals,
        return_shipping_fee=fee,
        auto_approved=approved,
        auto_approval_reasons=tuple(why),
        notes=tuple(notes),
    )


def resolution_plans(
    policy: ReturnPolicy,
    order: Order,
    decision: PolicyDecision,
    *,
    accepted: Mapping[str, int] | None = None,
    already_resolved: Mapping[str, int] | None = None,
    units_back: Mapping[str, int] | None = None,
    shipping_refunded: bool = False,
) -> list[ResolutionPlan]:
    """The amounts for a decided request: a preview before inspection, the real ones after.

    `accepted`: units accepted at inspection per line id (default: as requested).
    `already_resolved`: units of each line resolved by earlier returns (default: what
    the decision counted as already returned). `units_back`: units of each line back
    from the order's other returns, to know whether this one brings the last unit back;
    `shipping_refunded`: an earlier return already refunded the order's shipping.
    """
    units = []
    returned: list[tuple[str, int, str]] = []
    resolved = {}
    for item in decision.eligible_items:
        quantity = item.quantity if accepted is None else accepted.get(item.line_id, 0)
        if not 0 <= quantity <= item.quantity:
            raise InvalidReturn(f"line {item.line_id}: {quantity} accepted of {item.quantity} returned")
        resolved[item.line_id] = item.already_returned
        if quantity:
            units.append(ReturnedUnits(item.line_id, quantity, item.resolution,
                                       policy.restocking_percent_for(item.reason_code)))
            returned.append((item.line_id, quantity, item.reason_code))
    return plan_resolution(
        order,
        units,
        already_resolved=resolved if already_resolved is None else already_resolved,
        return_shipping_fee=decision.return_shipping_fee,
        store_credit_bonus_percent=policy.store_credit_bonus_percent,
        refund_shipping=not shipping_refunded and refunds_order_shipping(policy, order, returned, units_back or {}),
    )


def refunds_order_shipping(
    policy: ReturnPolicy, order: Order, returned: Sequence[tuple[str, int, str]], units_back: Mapping[str, int]
) -> bool:
    """Whether the order's own shipping goes back with `returned` ((line id, units, reason code)), as the policy says."""
    if policy.original_shipping_refund is OriginalShipping.NEVER or not returned:
        return False
    if any(reason in policy.merchant_pays_shipping_reasons for _, _, reason in returned):
        return True
    if policy.original_shipping_refund is not OriginalShipping.LAST_RETURN:
        return False
    back = dict(units_back)
    for line_id, quantity, _ in returned:
        back[line_id] = back.get(line_id, 0) + quantity
    return all(max(back.get(line.platform_line_id, 0), line.refunded_quantity) >= line.quantity
               for line in order.lines)


def store_credit_bonus_per_unit(
    policy: ReturnPolicy, order: Order, line_id: str, history: CustomerHistory, today: date
) -> Money:
    """The bonus for taking one unit of a line back as store credit, decided as a real request would be.

    Shown before the shopper picks a reason, so for the usual reason: one that neither
    waives the restocking fee nor makes the shop pay the return. `evaluate` and
    `resolution_plans` give it, the same functions as the review and the resolution:
    one unit returned alone gets exactly this bonus, and a reason that waives a fee
    gives more, never less.
    """
    zero = Money.zero(order.currency)
    if not policy.store_credit_bonus_percent or ResolutionKind.STORE_CREDIT not in policy.allowed_resolutions:
        return zero
    usual = [r.code for r in policy.reasons
             if r.code not in policy.restocking_fee_waived_reasons
             and r.code not in policy.merchant_pays_shipping_reasons and not r.needs_photo]
    reason = usual[0] if usual else (policy.reasons[0].code if policy.reasons else "")
    decision = evaluate(policy, order, [RequestedItem(line_id, 1, reason, ResolutionKind.STORE_CREDIT,
                                                      has_photo=True)], history, today)
    if not decision.eligible:
        return zero
    return total((plan.bonus for plan in resolution_plans(policy, order, decision)), order.currency)
