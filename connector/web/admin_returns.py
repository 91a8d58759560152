"""Admin views of returns: the filtered list, its CSV export, bulk decisions and a return's page.

Thin: parse the query or form, call one use case, render. Imports Flask and the web helpers.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Response, abort, flash, render_template, request, send_file, url_for
from flask_babel import format_timedelta, ngettext
from werkzeug.wrappers import Response as WerkzeugResponse

from connector.domain.money import Money
from connector.domain.returns import Condition, ReturnStatus
from connector.i18n import format_money, format_percent
from connector.ports.queries import RETURN_SORT_KEYS, ReturnListFilter
from connector.web.admin_core import (
    _,
    actor,
    back_to,
    bp,
    day_after,
    day_start,
    fail,
    locale,
    parse_day,
    query_string,
    shop,
)
from connector.web.context import services
from connector.workflow import admin_returns
from connector.workflow import merchant_queries as queries
from connector.workflow import returns as flow
from connector.workflow.errors import NotFound

if TYPE_CHECKING:
    from connector.workflow.merchant_queries import ReturnSummary

PAGE_SIZE = 25
CSV_LIMIT = 50_000  # a spreadsheet's worth; the JSON API pages through more


def _filters() -> tuple[ReturnListFilter, dict[str, str]]:
    args = request.args
    raw = {key: args.get(key, "").strip() for key in
           ("status", "reason", "resolution", "customer", "product", "q", "from", "to", "sort")}
    start, end = parse_day(raw["from"]), parse_day(raw["to"])
    flt = ReturnListFilter(
        status=raw["status"] if raw["status"] in {s.value for s in ReturnStatus} else None,
        reason=raw["reason"] or None, resolution=raw["resolution"] or None,
        customer=raw["customer"] or None, product=raw["product"] or None, search=raw["q"] or None,
        created_from=day_start(start) if start else None, created_to=day_after(end) if end else None,
    )
    return flt, {k: v for k, v in raw.items() if v}


def _reason_label(code: str) -> str:
    reason = flow.policy_for(shop()).reason(code)
    return reason.label(locale()) if reason else code


@bp.get("/")
def returns_list() -> str:
    flt, raw = _filters()
    sort = raw.get("sort", "-created")
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, total = queries.returns_page(services(), shop(), flt, sort=sort if sort in RETURN_SORT_KEYS else "-created",
                                       limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    return render_template(
        "admin/returns.html", rows=rows, total=total, page=page, pages=pages, raw=raw,
        statuses=[s.value for s in ReturnStatus], policy=flow.policy_for(shop()),
        sorts=list(RETURN_SORT_KEYS), reason_label=_reason_label,
        page_link=lambda n: query_string(raw, page=n), row_amount=_row_amount, age=_age,
        csv_link=url_for("admin.returns_csv") + query_string(raw),
    )


@bp.get("/returns.csv")
def returns_csv() -> Response:
    flt, raw = _filters()
    rows, _total = queries.returns_page(services(), shop(), flt, sort=raw.get("sort", "-created"), limit=CSV_LIMIT)
    now = services().clock.now()
    return csv_response("returns.csv", ["reference", "status", "order", "customer", "created_at", "updated_at",
                                        "units", "reasons", "resolutions", "free_return", "channel",
                                        "amount", "currency", "products", "age_days"],
                        [_csv_row(r, now) for r in rows])


def _csv_row(r: ReturnSummary, now: datetime) -> list[Any]:
    return [r.reference, r.status, r.order_name, r.customer_email, r.created_at.isoformat(),
            r.updated_at.isoformat(), r.units, " ".join(r.reasons), " ".join(r.resolutions),
            "yes" if r.free_return else "no", r.channel,
            "" if r.amount is None else Money(r.amount, r.currency).amount, r.currency, " | ".join(r.products),
            (now - r.created_at).days]


def _row_amount(r: ReturnSummary) -> str:
    return format_money(Money(r.amount, r.currency), locale()) if r.amount is not None and r.currency else "—"


def _age(created_at: datetime) -> str:
    """How long the request has waited, as the merchant says it: "3 days", "5 hours"."""
    return str(format_timedelta(services().clock.now() - created_at, granularity="hour", threshold=1))


def csv_response(filename: str, header: list[str], rows: list[list[Any]]) -> Response:
    """A UTF-8 CSV with a BOM (so Excel reads accents right); cells that a spreadsheet would
    run as a formula are prefixed with a quote (CSV injection)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    data = io.BytesIO(buffer.getvalue().encode("utf-8"))
    return send_file(data, mimetype="text/csv", as_attachment=True, download_name=filename)


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@bp.post("/returns/bulk")
def returns_bulk() -> WerkzeugResponse:
    action = request.form.get("action", "")
    references = request.form.getlist("reference")
    message = request.form.get("message", "")
    if action not in admin_returns.BULK_ACTIONS:
        abort(400)
    if not references:
        fail(_("Select at least one return."))
        return back_to("returns_list")
    if action == "reject" and not message.strip():
        fail(_("A rejection needs a message for the shopper."))
        return back_to("returns_list")
    if action == "reject" and request.form.get("confirmed") != "yes":
        # Rejecting many returns cannot be undone: a page that names them asks first (no script needed).
        return back_to("returns_bulk_confirm", action=action, reference=references[:admin_returns.BULK_LIMIT],
                       message=message)
    outcome = admin_returns.bulk_decide(services(), shop().id, references, action, actor(), message)
    if outcome.done:
        flash(ngettext("%(num)s return updated: %(refs)s", "%(num)s returns updated: %(refs)s",
                       len(outcome.done), refs=", ".join(outcome.done)))
    for reference, why in outcome.refused.items():
        fail(_("%(ref)s not changed: %(why)s", ref=reference, why=why))
    return back_to("returns_list")


@bp.get("/returns/bulk/confirm")
def returns_bulk_confirm() -> str | WerkzeugResponse:
    references = [r for r in request.args.getlist("reference") if r.strip()][:admin_returns.BULK_LIMIT]
    message = request.args.get("message", "")
    if request.args.get("action") != "reject" or not references or not message.strip():
        return back_to("returns_list")
    return render_template("admin/bulk_confirm.html", references=references, message=message)


def situation(status: ReturnStatus) -> str:
    """Where the return stands now and who acts next, in one sentence at the top of its page."""
    sentences = {
        ReturnStatus.REQUESTED: _("Requested: waiting for your decision."),
        ReturnStatus.APPROVED: _("Approved: waiting for the shopper's parcel."),
        ReturnStatus.REJECTED: _("Rejected: the shopper was told why. Nothing else to do."),
        ReturnStatus.IN_TRANSIT: _("The parcel is on its way to you."),
        ReturnStatus.RECEIVED: _("Parcel received: inspect the items."),
        ReturnStatus.INSPECTED: _("Items inspected: resolve to give the shopper what is due."),
        ReturnStatus.RESOLVED: _("Resolved: the shopper has been given what was due. Close it when you are done."),
        ReturnStatus.CLOSED: _("Closed: nothing left to do."),
        ReturnStatus.CANCELLED: _("Cancelled by the shopper: nothing left to do."),
    }
    return sentences[status]


@bp.get("/returns/<reference>")
def return_page(reference: str) -> str:
    try:
        page = admin_returns.return_page(services(), shop().id, reference)
    except NotFound:
        abort(404)
    goodwill = flow.policy_for(shop()).goodwill_coupon_percent
    return render_template(
        "admin/return.html", page=page, ret=page.ret, conditions=[c.value for c in Condition],
        situation=situation(page.ret.status),
        reason_label=_reason_label, decision_lang=locale() if locale() in ("fr", "en") else "en",
        goodwill_percent=format_percent(goodwill, locale()) if goodwill > 0 else "",
    )
