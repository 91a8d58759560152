"""What a return gives back: price paid per unit, fees, bonus, the record. Standard library only.

Rounding rule (connector.domain.rounding): the amount for returning k units of a line
of q units, when r were already resolved, is floor(paid * (r+k)/q) - floor(paid * r/q)
in minor units, and the same for each tax rate of the line on its own. The sums
telescope, so any sequence of partial returns adds up to at most what was paid, and
returning every unit gives back exactly what was paid, per rate, to the cent (or yen,
or fils). Fees kept are deducted from the lines they are kept on, so what a platform
records for each line adds up to what goes back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from connector.domain.errors import CurrencyMismatch, IllegalTransition, InvalidReturn
from connector.domain.money import Money, total
from connector.domain.orders import Order, OrderLine
from connector.domain.returns import ResolutionKind
from connector.domain.rounding import part, percent_down, rated_parts, split, take_from


def allocate_order_discount(lines: Sequence[OrderLine], discount: Money) -> list[Money]:
    """Split an order-level discount over the lines, in proportion to what each line costs.

    The weight is the line's subtotal after its own discount: with no line discount
    that is the subtotal, and it guarantees no line is given more discount than it
    has left to discount. The parts add up to exactly `discount` (largest remainder).
    Adapters add each part to the line's `discount` when the platform did not.
    """
    if discount.is_negative():
        raise InvalidReturn(f"an order discount cannot be negative: {discount}")
    weights: list[int] = []
    for line in lines:
        if line.currency != discount.currency:
            raise CurrencyMismatch(
                f"line {line.platform_line_id} is in {line.currency}, the discount in {discount.currency}"
            )
        weights.append(max(0, (line.subtotal - line.discount).minor))
    if discount.minor > sum(weights):
        raise InvalidReturn(f"an order discount of {discount} is more than the lines cost")
    return discount.allocate(weights)


@dataclass(frozen=True)
class LineAmount:
    """What the shopper paid for some units of one order line: before tax, and its tax.

    `tax_by_rate`: the tax per platform rate id when the line has rates; it adds up to `tax`.
    """

    line_id: str
    quantity: int
    amount: Money
    tax: Money
    tax_by_rate: tuple[tuple[str, Money], ...] = ()

    @property
    def total(self) -> Money:
        return self.amount + self.tax


def _rates_of(line: OrderLine) -> tuple[tuple[str, Money], ...]:
    """The line's tax per rate when it adds up to the line's tax (else none: tax taken whole)."""
    rates = line.tax_by_rate
    if rates and total((amount for _, amount in rates), line.currency) == line.tax:
        return rates
    return ()


def returned_line_amount(line: OrderLine, quantity: int, already_resolved: int = 0) -> LineAmount:
    """The price actually paid for `quantity` units of `line`, after `already_resolved` earlier ones.

    Discounts (the line's and its share of the order's) are already in `line.discount`.
    """
    if quantity < 0 or already_resolved < 0:
        raise InvalidReturn("returned quantities cannot be negative")
    if already_resolved + quantity > line.quantity:
        raise InvalidReturn(
            f"line {line.platform_line_id} has {line.quantity} unit(s): cannot return "
            f"{quantity} after {already_resolved}"
        )
    # When prices include tax, the tax is inside the discounted subtotal, not on top.
    before_tax = line.subtotal - line.discount - (line.tax if line.taxes_included else Money.zero(line.currency))
    if before_tax.is_negative() or line.tax.is_negative():
        raise InvalidReturn(f"line {line.platform_line_id}: its discounts or tax exceed its price")
    done, upto = already_resolved, already_resolved + quantity
    rates = rated_parts(_rates_of(line), done, upto, line.quantity)
    # With rates, the line's tax part is the sum of the rates' parts, so both telescope.
    tax = total((amount for _, amount in rates), line.currency) if rates else part(
        line.tax, done, upto, line.quantity)
    return LineAmount(
        line_id=line.platform_line_id,
        quantity=quantity,
        amount=part(before_tax, done, upto, line.quantity),
        tax=tax,
        tax_by_rate=rates,
    )


def restocking_fee(paid: Money, percent: Decimal) -> Money:
    """The restocking fee on what was paid for some units: the rate, rounded down."""
    return percent_down(paid, percent)


@dataclass(frozen=True)
class RefundLine:
    """What goes back for one line once the fees kept on it are deducted: a platform's refund line.

    `amount` before tax and `tax_by_rate` are what the platform records for the line;
    `fee` is what was kept from it (restocking, its share of return shipping), taken from
    the amount before tax first, so the tax per rate stays whole unless the fee exceeds it.
    """

    line_id: str
    quantity: int
    amount: Money
    tax: Money
    tax_by_rate: tuple[tuple[str, Money], ...]
    fee: Money
    shipping: bool = False  # the order's own shipping (line_id is the platform's shipping line id)

    @property
    def total(self) -> Money:
        return self.amount + self.tax


def shipping_refund_lines(order: Order) -> tuple[RefundLine, ...]:
    """The order's shipping, whole: refunded once, with its tax per rate when the rates add up."""
    zero = Money.zero(order.currency)
    lines = []
    for shipping in order.shipping_lines:
        if shipping.price.is_zero() and shipping.tax.is_zero():
            continue
        rates = shipping.tax_by_rate
        if total((amount for _, amount in rates), order.currency) != shipping.tax:
            rates = ()
        lines.append(RefundLine(shipping.platform_line_id, 0, shipping.price, shipping.tax, rates, zero, True))
    return tuple(lines)


def keep_on_lines(lines: Sequence[RefundLine], kept: Money) -> tuple[RefundLine, ...]:
    """Lines recorded whole (before fees were kept on lines) with `kept` taken off them, amounts first.

    For resolutions planned by an older version: their amount already had the fees deducted
    but their lines did not, and a platform must get parts that add up to the amount.
    """
    if kept.is_zero():
        return tuple(lines)
    amounts, left = take_from([line.amount for line in lines], kept)
    result = []
    for line, amount in zip(lines, amounts, strict=True):
        taxes = [a for _, a in line.tax_by_rate] or [line.tax]
        taxes, left = take_from(taxes, left)
        rates = tuple((rate, t) for (rate, _), t in zip(line.tax_by_rate, taxes, strict=False))
        fee = line.fee + (line.amount - amount) + (line.tax - total(taxes, kept.currency))
        result.append(replace(line, amount=amount, tax=total(taxes, kept.currency), tax_by_rate=rates, fee=fee))
    if not left.is_zero():
        raise InvalidReturn(f"{kept} cannot be kept from lines worth less")
    return tuple(result)


def _refund_line(paid: LineAmount, fee: Money) -> RefundLine:
    taxes = [amount for _, amount in paid.tax_by_rate] or [paid.tax]
    left, untaken = take_from([paid.amount, *taxes], fee)
    if not untaken.is_zero():
        raise InvalidReturn(f"line {paid.line_id}: a fee of {fee} is more than was paid")
    amount, *taxes_left = left
    rates = tuple((rate, kept) for (rate, _), kept in zip(paid.tax_by_rate, taxes_left, strict=False))
    return RefundLine(paid.line_id, paid.quantity, amount, total(taxes_left, fee.currency), rates, fee)


@dataclass(frozen=True)
class ReturnedUnits:
    """Units of one line to resolve one way, with the restocking rate their reason carries."""

    line_id: str
    quantity: int
    resolution: ResolutionKind
    restocking_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class ResolutionPlan:
    """The amounts of one resolution kind for one return, before anything is pushed.

    gross: what was paid for the units, tax included; tax: the tax inside gross;
    restocking_fee and return_shipping_fee: what is actually deducted; bonus: the
    store-credit extra; net = gross - fees + bonus, never negative. `refund_lines`:
    per line, what goes back with the fees deducted; they add up to net - bonus.
    """

    kind: ResolutionKind
    lines: tuple[LineAmount, ...]
    gross: Money
    tax: Money
    restocking_fee: Money
    return_shipping_fee: Money
    bonus: Money
    net: Money
    refund_lines: tuple[RefundLine, ...] = ()
    shipping_refund: Money | None = None  # the order's own shipping, inside net and refund_lines

    @property
    def refunded_shipping(self) -> Money:
        return self.shipping_refund if self.shipping_refund is not None else Money.zero(self.currency)

    @property
    def currency(self) -> str:
        return self.gross.currency

    @property
    def fees(self) -> Money:
        return self.restocking_fee + self.return_shipping_fee


def plan_resolution(
    order: Order,
    units: Sequence[ReturnedUnits],
    *,
    already_resolved: Mapping[str, int] | None = None,
    return_shipping_fee: Money | None = None,
    store_credit_bonus_percent: Decimal = Decimal(0),
    refund_shipping: bool = False,
) -> list[ResolutionPlan]:
    """One plan per resolution kind present in `units`, in ResolutionKind order.

    `already_resolved`: units of each line resolved by earlier returns of this order
    (not merely requested), so the rounding telescopes across returns. The return
    shipping fee is charged once per return: it is taken from the first plans, in
    kind order, as far as their amounts allow, and never makes an amount negative.
    `refund_shipping`: the order's own shipping goes back too, with the refund (else
    the store credit); the caller makes sure it is refunded only once per order.
    """
    currency = order.currency
    resolved = dict(already_resolved or {})
    shipping_left = return_shipping_fee or Money.zero(currency)
    if shipping_left.currency != currency:
        raise CurrencyMismatch(
            f"the return shipping fee is in {shipping_left.currency}, the order in {currency}"
        )
    if store_credit_bonus_percent < 0:
        raise InvalidReturn("a store credit bonus cannot be negative")

    by_kind: dict[ResolutionKind, list[tuple[LineAmount, Money]]] = {}
    for unit in units:
        if unit.line_id not in order.lines_by_id:
            raise InvalidReturn(f"order {order.name} has no line {unit.line_id}")
        if not Decimal(0) <= unit.restocking_percent <= Decimal(100):
            raise InvalidReturn("a restocking fee is a percentage between 0 and 100")
        done = resolved.get(unit.line_id, 0)
        amount = returned_line_amount(order.line(unit.line_id), unit.quantity, done)
        resolved[unit.line_id] = done + unit.quantity
        # Rounded down: the shopper is never charged more than the stated rate.
        fee = restocking_fee(amount.total, unit.restocking_percent)
        by_kind.setdefault(unit.resolution, []).append((amount, fee))

    plans = []
    for kind in ResolutionKind:
        if kind not in by_kind:
            continue
        lines = tuple(amount for amount, _ in by_kind[kind])
        gross = total((amount.total for amount in lines), currency)
        tax = total((amount.tax for amount in lines), currency)
        restocking = total((fee for _, fee in by_kind[kind]), currency)
        shipping = shipping_left.min(gross - restocking)
        shipping_left = shipping_left - shipping
        # The return shipping fee is kept on the lines in proportion to what is left of each.
        left_per_line = [(amount.total - fee).minor for amount, fee in by_kind[kind]]
        shipping_parts = split(shipping, left_per_line)
        refund_lines = tuple(
            _refund_line(amount, fee + shipped)
            for (amount, fee), shipped in zip(by_kind[kind], shipping_parts, strict=True)
        )
        base = gross - restocking - shipping
        bonus = (
            store_credit_bonus(base, store_credit_bonus_percent)
            if kind is ResolutionKind.STORE_CREDIT
            else Money.zero(currency)
        )
        plans.append(ResolutionPlan(kind, lines, gross, tax, restocking, shipping, bonus, base + bonus,
                                    refund_lines))
    if refund_shipping:
        plans = _with_shipping(order, plans)
    return plans


def _with_shipping(order: Order, plans: list[ResolutionPlan]) -> list[ResolutionPlan]:
    """The order's shipping added to the refund plan, else the store-credit one (no bonus on it)."""
    shipping = shipping_refund_lines(order)
    if not shipping:
        return plans
    for wanted in (ResolutionKind.REFUND, ResolutionKind.STORE_CREDIT):
        for index, plan in enumerate(plans):
            if plan.kind is wanted:
                amount = total((line.total for line in shipping), order.currency)
                plans[index] = replace(plan, net=plan.net + amount, refund_lines=plan.refund_lines + shipping,
                                       shipping_refund=amount)
                return plans
    return plans


def store_credit_bonus(amount: Money, percent: Decimal) -> Money:
    """The extra given for choosing store credit; rounded down, never more than the stated rate."""
    return percent_down(amount, percent)


def goodwill_value(order: Order, units: Sequence[tuple[str, int]], percent: Decimal) -> Money:
    """A goodwill coupon: `percent` of what was paid for the (line id, units) refused, rounded down."""
    value = Money.zero(order.currency)
    for line_id, quantity in units:
        line = order.line(line_id)
        value = value + part(line.paid_total, 0, min(quantity, line.quantity), line.quantity)
    return percent_down(value, percent)


@dataclass(frozen=True)
class ExchangeSettlement:
    """How an exchange's credit meets the new item's price.

    credit_used: taken off the new order; due: what the shopper pays before it ships;
    refund: what is given back because the new item costs less.
    """

    credit_used: Money
    due: Money
    refund: Money


def settle_exchange(credit: Money, new_total: Money) -> ExchangeSettlement:
    """The returned value (`credit`, tax included) against the new order's total (tax included)."""
    if credit.is_negative() or new_total.is_negative():
        raise InvalidReturn("an exchange's credit and the new order's total cannot be negative")
    used = credit.min(new_total)
    return ExchangeSettlement(credit_used=used, due=new_total - used, refund=credit - used)


class PushStatus(StrEnum):
    """Where a resolution stands at the shop's platform."""

    PENDING = "pending"  # the outbox pushes it
    # The platform carries out no resolution by itself (manual shops): the merchant does, then marks it done.
    AWAITING_MERCHANT = "awaiting_merchant"
    PUSHED = "pushed"
    FAILED = "failed"  # given up; the merchant may retry it or settle it by hand
    DONE_BY_MERCHANT = "done_by_merchant"


@dataclass(frozen=True)
class ResolutionLine:
    """One line of a recorded resolution: its refund line, and what the platform is told about the item.

    `fee` is None on lines recorded before the fees were kept on the lines (their amounts
    are before fees: the push keeps the fees on them then).
    """

    line_id: str
    quantity: int
    amount: Money
    tax: Money
    tax_by_rate: tuple[tuple[str, Money], ...] = ()
    fee: Money | None = None
    shipping: bool = False
    restock: bool = False
    exchange_variant_id: str | None = None

    @classmethod
    def of(cls, line: RefundLine, *, restock: bool = False, exchange_variant_id: str | None = None) -> ResolutionLine:
        return cls(line_id=line.line_id, quantity=line.quantity, amount=line.amount, tax=line.tax,
                   tax_by_rate=line.tax_by_rate, fee=line.fee, shipping=line.shipping, restock=restock,
                   exchange_variant_id=exchange_variant_id)

    @property
    def refund_line(self) -> RefundLine:
        return RefundLine(line_id=self.line_id, quantity=self.quantity, amount=self.amount, tax=self.tax,
                          tax_by_rate=self.tax_by_rate, fee=self.fee or Money.zero(self.amount.currency),
                          shipping=self.shipping)


def resolution_key(return_reference: str, kind: ResolutionKind) -> str:
    """The idempotency key of a return's resolution of one kind: the same on every retry."""
    return f"{return_reference}:{kind.value}"


@dataclass
class Resolution:
    """A resolution as recorded and pushed to the shop.

    `amount` is what the shopper receives, bonus included; `bonus` is the part of it
    that is the store-credit extra. A failed push stays visible and retryable.
    `id` and `return_id` are 0 until it is stored (the repository returns it with both).
    """

    kind: ResolutionKind
    amount: Money
    tax: Money
    bonus: Money
    restocking_fee: Money
    return_shipping_fee: Money
    idempotency_key: str
    platform_reference: str | None = None
    push_status: PushStatus = PushStatus.PENDING
    last_error: str = ""
    lines: tuple[ResolutionLine, ...] = field(default=())
    id: int = 0
    return_id: int = 0
    exchange_variant_id: str | None = None
    coupon_percent: Decimal | None = None  # a coupon worth a percentage of a later order (amount zero)
    code: str = ""  # the coupon or gift card code the platform issued
    attempts: int = 0  # failed pushes so far
    created_at: datetime | None = None
    pushed_at: datetime | None = None

    @classmethod
    def from_plan(cls, plan: ResolutionPlan, return_reference: str, *, automatic: bool = True,
                  restocked: Mapping[str, bool] | None = None,
                  exchange_variants: Mapping[str, str | None] | None = None) -> Resolution:
        """The resolution of `plan`; `automatic` False: the merchant carries it out by hand."""
        restocked = restocked or {}
        variants = exchange_variants or {}
        lines = tuple(ResolutionLine.of(line, restock=restocked.get(line.line_id, False),
                                        exchange_variant_id=variants.get(line.line_id))
                      for line in plan.refund_lines)
        return cls(
            kind=plan.kind,
            amount=plan.net,
            tax=plan.tax,
            bonus=plan.bonus,
            restocking_fee=plan.restocking_fee,
            return_shipping_fee=plan.return_shipping_fee,
            idempotency_key=resolution_key(return_reference, plan.kind),
            lines=lines,
            exchange_variant_id=next((v for v in (ln.exchange_variant_id for ln in lines) if v), None),
            push_status=PushStatus.PENDING if automatic else PushStatus.AWAITING_MERCHANT,
        )

    @property
    def fees_deducted(self) -> Money:
        return self.restocking_fee + self.return_shipping_fee

    @property
    def settled(self) -> bool:
        return self.push_status in (PushStatus.PUSHED, PushStatus.DONE_BY_MERCHANT)

    @property
    def refunds_shipping(self) -> bool:
        """Whether it gives the order's own shipping back (once per order)."""
        return any(line.shipping for line in self.lines)

    def mark_pushed(self, platform_reference: str, *, code: str = "", at: datetime | None = None) -> None:
        """The platform holds it. Also over a settlement by hand that crossed the push already under way:
        what the platform holds is what is recorded."""
        if self.push_status is PushStatus.PUSHED:
            if self.platform_reference == platform_reference:
                return  # a retry that adopted what the first attempt created
            raise IllegalTransition("push", self.push_status.value)
        self.push_status = PushStatus.PUSHED
        self.platform_reference = platform_reference
        self.code = code
        self.pushed_at = at
        self.last_error = ""

    def mark_failed(self, error: str, *, final: bool = True) -> None:
        """A push failed: given up when `final`, else it stays pending for the next try."""
        if self.settled:
            raise IllegalTransition("fail", self.push_status.value)
        self.attempts += 1
        self.push_status = PushStatus.FAILED if final else PushStatus.PENDING
        self.last_error = error[:2000]

    def retry(self) -> None:
        """The merchant asks for a failed push again; any other state is left as it is."""
        if self.push_status is PushStatus.FAILED:
            self.push_status = PushStatus.PENDING

    def mark_done_by_merchant(self, platform_reference: str | None = None, at: datetime | None = None) -> None:
        """The merchant settled it by hand in the shop: never push it again."""
        if self.settled:
            raise IllegalTransition("mark done", self.push_status.value)
        self.push_status = PushStatus.DONE_BY_MERCHANT
        self.platform_reference = platform_reference
        self.pushed_at = at
        self.last_error = ""
