"""Returns over the API: list with cursor pages, create with the policy's decision, read, act."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from connector.domain.money import Money as DomainMoney
from connector.domain.resolutions import Resolution
from connector.domain.returns import Channel, Inspection, ReturnItem, ReturnRequest
from connector.ports.queries import ReturnListFilter
from connector.web.api import cursors
from connector.web.api import schemas as s
from connector.web.api.blueprint import operation
from connector.web.api.spec import PREFIX, string_param
from connector.web.context import services
from connector.workflow import merchant_queries as queries
from connector.workflow import returns as flow

ACTOR = "api"
REFERENCE = {"reference": string_param(32, "The return's reference, such as R-7KQ2MX.")}


# ---- shaping answers ----

def money(value: DomainMoney) -> s.MoneyOut:
    return s.MoneyOut(amount=str(value.amount), currency=value.currency)


def _item(item: ReturnItem) -> s.ReturnItemOut:
    inspection = item.inspection
    return s.ReturnItemOut(
        line_id=item.order_line_id, quantity=item.quantity, reason=item.reason, resolution=item.resolution,
        comment=item.comment, photos=list(item.photos), exchange_variant_id=item.exchange_variant_id,
        inspection=s.InspectionOut(
            condition=inspection.condition, accepted_quantity=inspection.accepted_quantity,
            rejected_quantity=inspection.rejected_quantity, restock=inspection.restock,
            rejection_reason=inspection.rejection_reason,
        ) if inspection else None,
    )


def _resolution(r: Resolution) -> s.ResolutionOut:
    assert r.created_at is not None  # a stored resolution (the repository sets it)
    return s.ResolutionOut(
        id=r.id, kind=r.kind, amount=money(r.amount), tax=money(r.tax), bonus=money(r.bonus),
        restocking_fee=money(r.restocking_fee), shipping_fee=money(r.return_shipping_fee), push_status=r.push_status,
        platform_reference=r.platform_reference, code=r.code, attempts=r.attempts, last_error=r.last_error,
        created_at=r.created_at, pushed_at=r.pushed_at,
    )


def decision(snapshot: Mapping[str, Any] | None) -> s.Decision | None:
    """The decision stored with the return; None for returns that came without one (platform returns)."""
    if not snapshot:
        return None
    try:
        return s.Decision.model_validate(snapshot)
    except ValidationError:
        return None


def _summary(ret: ReturnRequest, created_at: Any, updated_at: Any) -> dict[str, Any]:
    return {"reference": ret.reference, "status": ret.status, "channel": ret.channel.value,
            "order_id": ret.order_id, "customer_email": ret.customer_email, "created_at": created_at,
            "updated_at": updated_at, "items": [_item(i) for i in ret.items]}


def return_out(view: queries.ReturnView) -> s.ReturnOut:
    ret, details = view.ret, view.details
    fee = details.get("return_shipping_fee")
    return s.ReturnOut(
        **_summary(ret, details["created_at"], details["updated_at"]),
        order_name=str(details.get("order_name", "")), locale=ret.locale, tracking_number=ret.tracking_number,
        merchant_message=ret.merchant_message, free_return=bool(details.get("free_return")),
        return_shipping_fee=money(fee) if isinstance(fee, DomainMoney) else s.MoneyOut(amount="0", currency=""),
        allowed_actions=ret.allowed_actions, decision=decision(details.get("decision")),
        resolutions=[_resolution(r) for r in view.resolutions],
        timeline=[s.TimelineEventOut(at=e.at, kind=e.kind, actor=e.actor, message=e.message,
                                     from_status=e.from_status, to_status=e.to_status, private=e.private)
                  for e in ret.timeline],
    )


def _current(shop_id: int, reference: str) -> s.ReturnOut:
    return return_out(queries.return_view(services(), shop_id, reference))


# ---- views ----

@operation("GET", "/returns", summary="List returns, newest first", tag="returns", answer=s.ReturnPage,
           query=s.ReturnListQuery, errors=(404,))
def list_returns(shop_id: int, query: s.ReturnListQuery) -> s.ReturnPage:
    """The admin's filters; pages follow `next_cursor` and never repeat or skip a return."""
    flt = ReturnListFilter(
        status=query.status.value if query.status else None, reason=query.reason,
        resolution=query.resolution.value if query.resolution else None, customer=query.customer,
        product=query.product, search=query.q, created_from=query.created_from, created_to=query.created_to,
    )
    after = cursors.read_return_cursor(query.cursor) if query.cursor else None
    page, more = queries.list_returns(services(), shop_id, flt, after, query.limit)
    last = page[-1] if page and more else None
    return s.ReturnPage(
        data=[s.ReturnListItem(**_summary(p.ret, p.created_at, p.updated_at)) for p in page],
        next_cursor=cursors.return_cursor(last.created_at, last.ret.id or 0) if last else None,
    )


@operation("POST", "/returns", summary="Open a return for an order", tag="returns", answer=s.ReturnOut,
           status=201, body=s.NewReturn, errors=(404,))
def create_return(shop_id: int, body: s.NewReturn) -> tuple[s.ReturnOut, dict[str, str]]:
    """The same policy decision as the portal; 422 `return_refused` carries the per-item reasons.

    404 when the order is not in this shop.
    """
    wanted = [flow.WantedItem(line_id=i.line_id, quantity=i.quantity, reason=i.reason, resolution=i.resolution,
                              comment=i.comment, photos=tuple(i.photos), exchange_variant_id=i.exchange_variant_id)
              for i in body.items]
    opened = flow.open_return_request(services(), shop_id, body.order_id, wanted, channel=Channel.API,
                                      locale=body.locale or "", actor=ACTOR)
    answer = _current(shop_id, opened.ret.reference)
    return answer, {"Location": f"{PREFIX}/returns/{answer.reference}"}


@operation("GET", "/returns/{reference}", summary="A return with items, resolutions and timeline",
           tag="returns", answer=s.ReturnOut, path_params=REFERENCE)
def get_return(shop_id: int, reference: str) -> s.ReturnOut:
    return _current(shop_id, reference)


@operation("POST", "/returns/{reference}/approve", summary="Approve a requested return", tag="returns",
           answer=s.ReturnOut, body=s.Approval, path_params=REFERENCE, errors=(409,))
def approve_return(shop_id: int, reference: str, body: s.Approval) -> s.ReturnOut:
    flow.approve(services(), shop_id, reference, ACTOR, body.message)
    return _current(shop_id, reference)


@operation("POST", "/returns/{reference}/reject", summary="Reject a requested return", tag="returns",
           answer=s.ReturnOut, body=s.Rejection, path_params=REFERENCE, errors=(409,))
def reject_return(shop_id: int, reference: str, body: s.Rejection) -> s.ReturnOut:
    flow.reject(services(), shop_id, reference, ACTOR, body.message)
    return _current(shop_id, reference)


@operation("POST", "/returns/{reference}/in-transit", summary="Mark an approved return as shipped back",
           tag="returns", answer=s.ReturnOut, body=s.InTransit, path_params=REFERENCE, errors=(409,))
def mark_in_transit(shop_id: int, reference: str, body: s.InTransit) -> s.ReturnOut:
    flow.mark_in_transit(services(), shop_id, reference, ACTOR, body.tracking_number)
    return _current(shop_id, reference)


@operation("POST", "/returns/{reference}/receive", summary="Record the parcel's arrival", tag="returns",
           answer=s.ReturnOut, body=s.NoBody, path_params=REFERENCE, errors=(409,))
def receive_return(shop_id: int, reference: str, body: s.NoBody) -> s.ReturnOut:
    flow.receive(services(), shop_id, reference, ACTOR)
    return _current(shop_id, reference)


@operation("POST", "/returns/{reference}/inspect", summary="Record the inspection of every item",
           tag="returns", answer=s.ReturnOut, body=s.InspectionIn, path_params=REFERENCE, errors=(409,))
def inspect_return(shop_id: int, reference: str, body: s.InspectionIn) -> s.ReturnOut:
    outcomes = {i.line_id: Inspection(i.condition, i.accepted_quantity, i.rejected_quantity, i.restock,
                                      i.rejection_reason) for i in body.items}
    flow.inspect(services(), shop_id, reference, ACTOR, outcomes)
    return _current(shop_id, reference)


@operation("POST", "/returns/{reference}/resolve", summary="Resolve an inspected return (refund, credit...)",
           tag="returns", answer=s.ReturnOut, body=s.NoBody, path_params=REFERENCE, errors=(409,))
def resolve_return(shop_id: int, reference: str, body: s.NoBody) -> s.ReturnOut:
    """Writes one resolution per kind; automatic platforms get them pushed by a job."""
    flow.resolve(services(), shop_id, reference, ACTOR)
    return _current(shop_id, reference)
