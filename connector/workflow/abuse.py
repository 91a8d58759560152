"""Abuse signals on a customer and the shop's block list, which the policy engine honours.

Free returns cost the shop the label; the articles' advice is to offer them within
limits. The merchant sees a customer's free returns used against the limit, returns
over orders, and may block an email: `ReturnPolicy.blocked_emails` then refuses any new
request from it. Imports the domain and the return use cases.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from connector.domain.policy import InvalidPolicy
from connector.workflow.errors import NotFound
from connector.workflow.returns import policy_for

if TYPE_CHECKING:
    from connector.ports.services import Services
    from connector.ports.storage import ReturnSummary


@dataclass(frozen=True)
class CustomerSignals:
    email: str
    orders: int
    returns: int
    free_returns_used: int
    free_returns_limit: int
    free_returns_period_days: int
    blocked: bool
    recent: list[ReturnSummary]

    @property
    def returns_per_order(self) -> float | None:
        return round(self.returns / self.orders, 2) if self.orders else None

    @property
    def free_returns_left(self) -> int | None:
        if not self.free_returns_limit:
            return None
        return max(0, self.free_returns_limit - self.free_returns_used)


def customer_signals(svc: Services, shop_id: int, email: str) -> CustomerSignals:
    email = email.strip().lower()
    now = svc.clock.now()
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise NotFound(f"no shop {shop_id}")
        scope = uow.scope(shop)
        policy = policy_for(shop)
        return CustomerSignals(
            email=email, orders=scope.orders.count_for_customer(email),
            returns=scope.returns.count_for_customer(email),
            free_returns_used=scope.returns.free_returns_since(
                email, now - timedelta(days=policy.free_returns_period_days)),
            free_returns_limit=policy.free_returns_limit,
            free_returns_period_days=policy.free_returns_period_days,
            blocked=policy.is_blocked(email), recent=scope.returns.customer_summaries(email, limit=50),
        )


def set_blocked(svc: Services, shop_id: int, email: str, blocked: bool) -> bool:
    """Add the email to the block list or take it off; returns whether it is blocked now."""
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidPolicy("blocked_emails", f"not an email address: {email!r}")
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise NotFound(f"no shop {shop_id}")
        policy = policy_for(shop)
        others = tuple(e for e in policy.blocked_emails if e != email)
        updated = replace(policy, blocked_emails=(*others, email) if blocked else others)
        uow.shops.update(shop.id, policy=updated.to_dict())
        uow.commit()
    return blocked
