"""The tracking page's content: timeline in the shopper's words, money and when it arrives. Flask-Babel for words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from connector.domain.money import Money
from connector.domain.resolutions import Resolution
from connector.domain.returns import ResolutionKind, ReturnRequest, ReturnStatus
from connector.domain.shops import Shop
from connector.i18n import format_date, format_money
from connector.web.portal_pages import PlanRow, plan_rows, resolution_label, status_label
from connector.workflow import portal
from connector.workflow import returns as flow
from connector.workflow.errors import NotFound

if TYPE_CHECKING:
    from connector.web.context import Services


@dataclass(frozen=True)
class Step:
    on: str
    title: str
    message: str = ""


@dataclass(frozen=True)
class Credit:
    kind: str
    amount: str
    code: str
    when: str


@dataclass(frozen=True)
class TrackingPage:
    shop: Shop
    ret: ReturnRequest
    order_name: str
    status: str
    steps: tuple[Step, ...]
    credits: tuple[Credit, ...]
    expected: tuple[PlanRow, ...]
    can_cancel: bool
    ask_satisfaction: bool
    satisfaction: int | None
    lines: tuple[tuple[str, int, str], ...]
    free_return: bool
    return_shipping_fee: str
    requested_on: date | None


def _step(kind: str, ret: ReturnRequest, message: str) -> tuple[str, str] | None:
    titles = {
        "requested": _("Return requested"),
        "approve": _("Return approved"),
        "reject": _("Return declined"),
        "mark_in_transit": _("Parcel on its way"),
        "receive": _("Parcel received by the shop"),
        "inspect": _("Items checked"),
        "resolve": _("Return resolved"),
        "close": _("Return closed"),
        "cancel": _("Return cancelled"),
        "note": _("Message from the shop"),
    }
    if kind not in titles:
        return None
    if kind == "mark_in_transit" and message:
        message = _("Tracking number: %(number)s", number=message)
    if kind == "resolve":
        message = ""  # the amounts are listed with their dates below, in the shopper's language
    return titles[kind], message


def _credit(resolution: Resolution, automatic: bool, lang: str) -> Credit:
    if resolution.kind is ResolutionKind.REFUND:
        when = (_("The money reaches your original payment method within 5 to 10 business days.")
                if automatic else _("The shop refunds you by bank transfer or cheque within a few days."))
    elif resolution.kind is ResolutionKind.EXCHANGE:
        when = _("The shop sends you the item you chose in exchange.")
    else:
        when = (_("Available now in your customer account.") if resolution.push_status == "pushed"
                else _("Available within a few days; you will receive an email."))
    return Credit(resolution_label(resolution.kind, lang), format_money(resolution.amount, lang),
                  resolution.code, when)


def tracking_page(svc: Services, shop: Shop, token: str, lang: str) -> TrackingPage | None:
    progress = portal.return_progress(svc, shop, token)
    if progress is None:
        return None
    ret, details, stored, order = progress.ret, progress.details, progress.resolutions, progress.order
    automatic = progress.automatic
    steps = []
    for event in ret.timeline:
        if event.private:
            continue
        shown = _step(event.kind, ret, event.message)
        if shown:
            steps.append(Step(format_date(event.at.date(), lang), *shown))
    expected: tuple[PlanRow, ...] = ()
    if not stored and ret.status not in (ReturnStatus.REJECTED, ReturnStatus.CANCELLED):
        try:
            expected = plan_rows(flow.planned_resolutions(svc, shop.id, ret.reference), lang)
        except (NotFound, ValueError):
            expected = ()
    fee = details.get("return_shipping_fee")
    lines = tuple(
        (order.line(i.order_line_id).title if order and i.order_line_id in order.lines_by_id else i.order_line_id,
         i.quantity, _("Exchange for %(variant)s", variant=i.exchange_variant_title)
         if i.resolution is ResolutionKind.EXCHANGE and i.exchange_variant_title
         else resolution_label(i.resolution, lang)) for i in ret.items)
    return TrackingPage(
        shop=shop, ret=ret, order_name=str(details.get("order_name", "")), status=status_label(ret.status),
        steps=tuple(steps), credits=tuple(_credit(r, automatic, lang) for r in stored), expected=expected,
        can_cancel=ret.can("cancel"),
        ask_satisfaction=ret.status in (ReturnStatus.RESOLVED, ReturnStatus.CLOSED)
        and details.get("satisfaction") is None,
        satisfaction=details.get("satisfaction"), lines=lines,
        free_return=bool(details.get("free_return")),
        return_shipping_fee=format_money(fee, lang) if isinstance(fee, Money) and not fee.is_zero() else "",
        requested_on=ret.timeline[0].at.date() if ret.timeline else None,
    )
