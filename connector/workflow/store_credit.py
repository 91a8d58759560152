"""Store credit where the platform has no wallet: the app's ledger, issued as one balance coupon. Domain and ports.

The ledger is the truth (one row per movement, unique reference); the coupon is how
the shopper spends it. After every movement the customer holds exactly one live coupon
worth the whole balance: a credit retires the old coupon and issues one for the new
balance; an order that used the coupon debits what it took and the remainder comes
back as a new coupon, so no credit is lost to a one-use coupon. Coupon codes are
derived from the movement that produced them, so a retried job finds the coupon it
already made instead of making a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from connector.domain.money import Money
from connector.ports import PushResult, ResolutionPush, StoreCreditReleased, StoreCreditSpent

if TYPE_CHECKING:
    from connector.domain.shops import Shop
    from connector.ports.services import Services
    from connector.ports.storage import CreditLedgerRepository, CreditMovement, ShopScope, UnitOfWork

log = logging.getLogger(__name__)


@runtime_checkable
class StoreCreditCoupons(Protocol):
    """A gateway that can carry the app's ledger balance as a customer-locked coupon."""

    def credit_coupon_code(self, key: str) -> str: ...

    def issue_credit_coupon(self, key: str, amount: Money, customer_email: str,
                            expires_at: datetime | None = None) -> PushResult: ...

    def retire_credit_coupon(self, code: str) -> bool: ...


@dataclass(frozen=True)
class BalanceCoupon:
    """The coupon now carrying a customer's balance (code empty when the balance is nil)."""

    balance: Money
    code: str
    platform_reference: str
    adopted: bool


def credit_reference(push_reference: str) -> str:
    return f"credit:{push_reference}"


def spent_reference(platform_order_id: str, code: str) -> str:
    return f"spent:{platform_order_id}:{code.strip().lower()}"


def _coupon_key(shop: Shop, movement: CreditMovement) -> str:
    """What a balance coupon is derived from: the shop and the movement that set the balance."""
    return f"{shop.id}:{movement.reference}"


def _reissue(shop: Shop, gateway: StoreCreditCoupons, ledger: CreditLedgerRepository, email: str, currency: str,
             also_retire: Sequence[str] = ()) -> BalanceCoupon:
    """Retire every coupon that carried an older balance, then issue the current balance.

    Retiring first means two coupons are never live at once (no double spending); a
    failure in between leaves the ledger right and the job's retry issues the coupon.
    """
    movements = list(ledger.movements(email, currency))
    if not movements:
        return BalanceCoupon(Money.zero(currency), "", "", False)
    latest = movements[-1]
    current = gateway.credit_coupon_code(_coupon_key(shop, latest))
    older = {gateway.credit_coupon_code(_coupon_key(shop, m)) for m in movements[-3:-1]} | set(also_retire)
    for code in sorted(older - {current}):
        gateway.retire_credit_coupon(code)
    balance = ledger.balance(email, currency)
    if balance.is_negative() or balance.is_zero():
        gateway.retire_credit_coupon(current)
        return BalanceCoupon(Money.zero(currency), "", "", False)
    result = gateway.issue_credit_coupon(_coupon_key(shop, latest), balance, email)
    return BalanceCoupon(balance, result.code, result.platform_reference, result.adopted)


def apply_store_credit_spent(svc: Services, uow: UnitOfWork, scope: ShopScope, event: StoreCreditSpent) -> None:
    """An order used one of our balance coupons: debit what it took, re-issue the rest.

    WooCommerce sends order.updated on every save of the order, so the same spending is
    reported many times: the debit's reference (order id + code) makes it happen once.
    Runs in the delivery's transaction; a platform failure raises, nothing is committed,
    and the delivery is processed again later.
    """
    ledger = scope.credit_ledger
    reference = spent_reference(event.platform_order_id, event.code)
    if ledger.has(reference):
        return
    email = event.customer_email.strip().lower()
    currency = event.amount.currency
    balance = ledger.balance(email, currency)
    if not ledger.movements(email, currency):
        log.warning("order %s used store-credit coupon %s unknown to the ledger of %s",
                    event.platform_order_id, event.code, email)
        return
    # The coupon was worth the balance, so an order cannot take more; a rounding or a
    # stale coupon must not push the balance below zero.
    taken = event.amount.min(balance) if balance > Money.zero(currency) else Money.zero(currency)
    if taken.is_zero():
        return
    ledger.record(customer_email=email, amount=-taken, reason=f"spent on order {event.platform_order_id}",
                  reference=reference, now=svc.clock.now())
    gateway = svc.adapter(scope.shop.platform).gateway(uow.shops.connection(scope.shop.id))
    if not isinstance(gateway, StoreCreditCoupons):
        raise RuntimeError(f"{scope.shop.platform} reported store credit spent but cannot issue coupons")
    coupon = _reissue(scope.shop, gateway, ledger, email, currency, also_retire=(event.code,))
    log.info("order %s took %s of %s's store credit; %s left as %s", event.platform_order_id, taken, email,
             coupon.balance, coupon.code or "nothing")


def released_reference(platform_order_id: str, code: str) -> str:
    return f"released:{platform_order_id}:{code.strip().lower()}"


def apply_store_credit_released(svc: Services, uow: UnitOfWork, scope: ShopScope,
                                event: StoreCreditReleased) -> None:
    """An order paid with store credit was cancelled or refunded: credit back what it took, once.

    Only a spending the ledger recorded is given back, exactly its amount, so a release
    reported many times (every order.updated) or for credit never debited changes nothing.
    """
    ledger = scope.credit_ledger
    spent = spent_reference(event.platform_order_id, event.code)
    reference = released_reference(event.platform_order_id, event.code)
    if ledger.has(reference) or not ledger.has(spent):
        return
    email = event.customer_email.strip().lower()
    debit = next((m for m in ledger.movements(email) if m.reference == spent), None)
    if debit is None:
        log.warning("order %s released credit %s spent by another customer than %s",
                    event.platform_order_id, event.code, email)
        return
    ledger.record(customer_email=email, amount=-debit.amount,
                  reason=f"order {event.platform_order_id} cancelled or refunded",
                  reference=reference, now=svc.clock.now())
    gateway = svc.adapter(scope.shop.platform).gateway(uow.shops.connection(scope.shop.id))
    if not isinstance(gateway, StoreCreditCoupons):
        raise RuntimeError(f"{scope.shop.platform} reported store credit released but cannot issue coupons")
    coupon = _reissue(scope.shop, gateway, ledger, email, debit.amount.currency)
    log.info("order %s gave back %s of %s's store credit; %s now as %s", event.platform_order_id,
             -debit.amount, email, coupon.balance, coupon.code or "nothing")


def push_store_credit(svc: Services, shop: Shop, push: ResolutionPush) -> PushResult:
    """A STORE_CREDIT resolution on a platform without a wallet: ledger credit, then the balance coupon.

    The credit's reference is the resolution's marker, so a retried push credits once; the
    result's code is the coupon the shopper is told about (their whole balance).
    """
    with svc.uow() as uow:
        scope = uow.scope(shop)
        ledger = scope.credit_ledger
        email = push.customer_email.strip().lower()
        if not email:
            raise ValueError("store credit needs the customer's email: the coupon is locked to it")
        gateway = svc.adapter(shop.platform).gateway(uow.shops.connection(shop.id))
        if not isinstance(gateway, StoreCreditCoupons):
            raise RuntimeError(f"{shop.platform} cannot carry store credit as coupons")
        ledger.record(customer_email=email, amount=push.amount, reason=f"store credit for return {push.reference}",
                      reference=credit_reference(push.reference), now=svc.clock.now())
        coupon = _reissue(shop, gateway, ledger, email, push.amount.currency)
        uow.commit()
    return PushResult(platform_reference=coupon.platform_reference, adopted=coupon.adopted, code=coupon.code)


def balance_of(svc: Services, shop: Shop, customer_email: str, currency: str) -> Money:
    """A customer's store credit (for the portal, the admin and the API)."""
    with svc.uow() as uow:
        return uow.scope(shop).credit_ledger.balance(customer_email, currency)
