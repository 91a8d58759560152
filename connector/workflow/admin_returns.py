"""Admin use cases on returns: the return page's read model and bulk decisions.

Imports the domain and the return use cases; storage only through the unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connector.domain.errors import DomainError
from connector.domain.money import Money
from connector.domain.orders import Order, OrderLine
from connector.domain.policy import ReturnPolicy
from connector.domain.resolutions import Resolution, ResolutionPlan, returned_line_amount
from connector.domain.returns import ReturnRequest, ReturnStatus
from connector.domain.shops import Shop
from connector.workflow import returns as flow
from connector.workflow.errors import NotFound

if TYPE_CHECKING:
    from connector.ports.services import Services
    from connector.ports.storage import ReturnSummary, StoredEmail

BULK_ACTIONS = ("approve", "reject")


@dataclass(frozen=True)
class PushProgress:
    """A pending push as the merchant reads it: sending since when, and what comes next."""

    since: datetime
    running: bool  # a worker is on it right now
    next_try: datetime | None  # when it is tried (again); None while a worker runs it

BULK_LIMIT = 200  # one form posts at most a page or four; a bigger batch belongs in the API


@dataclass(frozen=True)
class ReturnPage:
    """Everything the merchant sees on one return, read in one transaction."""

    shop: Shop
    ret: ReturnRequest
    order: Order | None
    details: dict[str, Any]
    resolutions: list[Resolution]
    earlier_returns: list[ReturnSummary]
    customer_orders: int
    previous_returns: int  # counted as the policy counts them: before this one, cancelled ones left out
    emails: list[StoredEmail]
    plans: list[ResolutionPlan]
    policy: ReturnPolicy
    blocked: bool
    push_progress: dict[int, PushProgress] = field(default_factory=dict)  # by resolution id

    @property
    def decision(self) -> dict[str, Any]:
        decision: dict[str, Any] = self.details.get("decision") or {}
        return decision

    def line(self, line_id: str) -> Any:
        if self.order is None:
            return None
        return next((ln for ln in self.order.lines if ln.platform_line_id == line_id), None)

    def paid_each(self, line: OrderLine) -> Money:
        """What the customer paid for one unit (discounts taken off, tax in), not the list price."""
        return returned_line_amount(line, 1).total if line.quantity else line.unit_price


def return_page(svc: Services, shop_id: int, reference: str) -> ReturnPage:
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise NotFound(f"no shop {shop_id}")
        scope = uow.scope(shop)
        ret = scope.returns.get_by_reference(reference)
        if ret is None or ret.id is None:
            raise NotFound(f"no return {reference} in this shop")
        order = scope.orders.get(ret.order_id)
        policy = flow.policy_for(shop)
        created = (scope.returns.row_details(ret.id) or {}).get("created_at")
        page = ReturnPage(
            shop=shop, ret=ret, order=order, details=scope.returns.row_details(ret.id) or {},
            resolutions=scope.resolutions.for_return(ret.id),
            earlier_returns=[r for r in scope.returns.customer_summaries(ret.customer_email, limit=20)
                             if r.id != ret.id],
            customer_orders=scope.orders.count_for_customer(ret.customer_email),
            previous_returns=scope.returns.count_for_customer(ret.customer_email, before=created),
            emails=scope.emails.recent(limit=50, return_id=ret.id),
            plans=[], policy=policy, blocked=policy.is_blocked(ret.customer_email),
        )
        now = svc.clock.now()
        pending = [r.id for r in page.resolutions if r.push_status == "pending"]
        for subject_id, state in scope.outbox.state_of("push_resolution", pending).items():
            running = state.running(now)
            page.push_progress[subject_id] = PushProgress(
                since=state.created_at, running=running,
                next_try=None if running else max(state.available_at, now))
    if ret.status is ReturnStatus.INSPECTED and page.order is not None:
        # The amounts a resolve would give, shown before the merchant confirms.
        page.plans.extend(flow.planned_resolutions(svc, shop_id, reference))
    return page


@dataclass
class BulkOutcome:
    done: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # reference -> why, in English


def bulk_decide(svc: Services, shop_id: int, references: Sequence[str], action: str, actor: str,
                message: str = "") -> BulkOutcome:
    """Approve or reject many requests; each is its own transaction, so one refusal stops nothing else."""
    if action not in BULK_ACTIONS:
        raise ValueError(f"bulk action {action!r} is not one of {BULK_ACTIONS}")
    outcome = BulkOutcome()
    for reference in list(dict.fromkeys(r.strip().upper() for r in references if r.strip()))[:BULK_LIMIT]:
        try:
            if action == "approve":
                flow.approve(svc, shop_id, reference, actor, message.strip())
            else:
                flow.reject(svc, shop_id, reference, actor, message.strip())
        except (DomainError, NotFound) as exc:
            outcome.refused[reference] = str(exc)
        else:
            outcome.done.append(reference)
    return outcome
