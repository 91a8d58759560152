"""Admin dashboard: return rate, reasons, resolutions, delays, free returns, serial returners,
satisfaction and rising products, as SVG charts and tables, every table exportable as CSV.

Thin: read the range, ask connector.persistence.analytics, render. Imports Flask and the web helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import abort, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from connector.domain import charts
from connector.domain.messages import format_number
from connector.persistence import analytics
from connector.persistence.analytics import Range
from connector.web.admin_core import _, bp, day_after, day_start, locale, parse_day, query_string, shop
from connector.web.admin_returns import csv_response
from connector.web.context import services
from connector.workflow.returns import policy_for

DEFAULT_DAYS = 90


def _range() -> tuple[Range, date, date, str]:
    today = services().clock.now().date()
    end = parse_day(request.args.get("to")) or today
    start = parse_day(request.args.get("from")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    days = (end - start).days + 1
    grain = request.args.get("grain", "")
    if grain not in analytics.GRAINS:
        grain = "day" if days <= 31 else "week" if days <= 180 else "month"
    return Range(day_start(start), day_after(end)), start, end, grain


def _figures(period: Range, grain: str) -> dict[str, Any]:
    current = shop()
    label_price = policy_for(current).return_shipping_fee.amount
    with services().uow() as uow:
        figures = analytics.for_shop(uow, current.id, current.currency)
        # Free returns whose label was bought count at its real price (issue 17).
        labelled, label_total = uow.scope(current).shipments.free_return_labels(period.start, period.end,
                                                                               current.currency)
        return {
            "periods": figures.rate_by_period(period, grain),
            "products": figures.rate_by_product(period, limit=20),
            "variants": figures.rate_by_product(period, by_variant=True, limit=20),
            "rising": figures.rising_products(period),
            "reasons": figures.reasons(period),
            "resolutions": figures.resolution_mix(period),
            "delay": figures.refund_delay(period),
            "free": replace(figures.free_return_cost(period, label_price), labelled=labelled,
                            label_total=label_total),
            "serial": figures.serial_returners(period),
            "satisfaction": figures.satisfaction(period),
        }


def _pct(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    text = format_number(Decimal(str(value)).quantize(Decimal("0.1")), locale())
    return f"{text} %" if locale() == "fr" else f"{text}%"


def _svg(svg: str) -> Markup:
    # connector.domain.charts escapes every label and title it writes into the SVG.
    return Markup(svg)  # noqa: S704


def _charts(data: dict[str, Any]) -> dict[str, Markup]:
    policy = policy_for(shop())
    lang = locale()

    def reason_label(code: str) -> str:
        found = policy.reason(code)
        return found.label(lang) if found else code

    def num(value: float) -> str:
        return format_number(Decimal(str(value)).quantize(Decimal("0.1")).normalize(), lang)

    from connector.domain.messages import resolution_name

    # A period with returns but no sales has no rate: leave it out rather than draw a false 0 %.
    rate_points = [(p.period, float(p.unit_rate)) for p in data["periods"] if p.unit_rate is not None]
    return {
        "rate": _svg(charts.line_chart(
            "chart-rate", _("Return rate by period"),
            _("Units returned over units sold, per period, in percent."), rate_points,
            fmt=lambda v: _pct(v), empty=_("No orders in this range"))),
        "volume": _svg(charts.bar_chart(
            "chart-returns", _("Returns by period"), _("Return requests opened per period."),
            [(p.period, float(p.returns)) for p in data["periods"]], fmt=num, empty=_("No returns in this range"))),
        "reasons": _svg(charts.hbar_chart(
            "chart-reasons", _("Why customers return"), _("Units returned per reason."),
            [(reason_label(r.reason), float(r.units)) for r in data["reasons"]], fmt=num,
            empty=_("No returns in this range"))),
        "resolutions": _svg(charts.hbar_chart(
            "chart-resolutions", _("What returns became"), _("Amount given back per resolution kind."),
            [(resolution_name(r.kind, lang), float(r.amount)) for r in data["resolutions"]], fmt=num,
            empty=_("No resolution in this range"))),
        "products": _svg(charts.hbar_chart(
            "chart-products", _("Most returned products"), _("Return rate of the most returned products, in percent."),
            [(p.title, float(p.unit_rate or 0)) for p in data["products"][:10]], fmt=lambda v: _pct(v),
            empty=_("No returns in this range"))),
    }


@bp.get("/dashboard")
def dashboard() -> str:
    period, start, end, grain = _range()
    data = _figures(period, grain)
    totals = {
        "units_sold": sum(p.units_sold for p in data["periods"]),
        "units_returned": sum(p.units_returned for p in data["periods"]),
        "value_sold": sum((p.value_sold for p in data["periods"]), Decimal(0)),
        "value_returned": sum((p.value_returned for p in data["periods"]), Decimal(0)),
        "returns": sum(p.returns for p in data["periods"]),
    }
    refunded = sum((r.amount for r in data["resolutions"] if r.kind == "refund"), Decimal(0))
    kept = sum((r.amount for r in data["resolutions"] if r.kind != "refund"), Decimal(0))
    raw = {"from": start.isoformat(), "to": end.isoformat(), "grain": grain}
    return render_template(
        "admin/dashboard.html", data=data, charts=_charts(data), start=start, end=end, grain=grain,
        totals=totals, unit_rate=analytics._ratio(totals["units_returned"], totals["units_sold"]),
        value_rate=analytics._ratio(totals["value_returned"], totals["value_sold"]),
        kept_share=analytics._ratio(kept, kept + refunded), pct=_pct,
        csv=lambda table: url_for("admin.dashboard_csv", table=table) + query_string(raw),
        currency=shop().currency,
    )


def _csv_tables(data: dict[str, Any]) -> dict[str, tuple[list[str], Callable[[], list[list[Any]]]]]:
    return {
        "periods": (["period", "orders", "units_sold", "value_sold", "returns", "units_returned", "value_returned",
                     "unit_rate_percent", "value_rate_percent"],
                    lambda: [[p.period, p.orders, p.units_sold, p.value_sold, p.returns, p.units_returned,
                              p.value_returned, p.unit_rate, p.value_rate] for p in data["periods"]]),
        "products": (["product_id", "title", "units_sold", "units_returned", "unit_rate_percent", "value_sold",
                      "value_returned", "value_rate_percent"],
                     lambda: [[p.product_id, p.title, p.units_sold, p.units_returned, p.unit_rate, p.value_sold,
                               p.value_returned, p.value_rate] for p in data["products"]]),
        "variants": (["product_id", "variant_id", "title", "variant", "units_sold", "units_returned",
                      "unit_rate_percent"],
                     lambda: [[p.product_id, p.variant_id, p.title, p.variant_title, p.units_sold, p.units_returned,
                               p.unit_rate] for p in data["variants"]]),
        "rising": (["product_id", "title", "previous_rate_percent", "current_rate_percent", "rise_points"],
                   lambda: [[r.product.product_id, r.product.title, r.previous_rate, r.current_rate, r.rise]
                            for r in data["rising"]]),
        "reasons": (["reason", "returns", "units"], lambda: [[r.reason, r.returns, r.units] for r in data["reasons"]]),
        "resolutions": (["kind", "count", "amount", "bonus"],
                        lambda: [[r.kind, r.count, r.amount, r.bonus] for r in data["resolutions"]]),
        "serial": (["email", "returns", "free_returns", "orders", "units", "returns_per_order"],
                   lambda: [[s.email, s.returns, s.free_returns, s.orders, s.units, s.returns_per_order]
                            for s in data["serial"]]),
        "satisfaction": (["score", "answers"],
                         lambda: [[score, count] for score, count in sorted(data["satisfaction"].by_score.items())]),
        "summary": (["figure", "value"], lambda: [
            ["refunds", data["delay"].refunds], ["refund_average_days", data["delay"].average_days],
            ["refund_median_days", data["delay"].median_days], ["refund_p90_days", data["delay"].p90_days],
            ["free_returns", data["free"].free_returns], ["label_price", data["free"].label_price],
            ["free_returns_cost", data["free"].cost], ["free_returns_with_real_label", data["free"].labelled],
            ["real_label_cost", data["free"].label_total], ["fees_recovered", data["free"].fees_recovered],
            ["satisfaction_answers", data["satisfaction"].answers],
            ["satisfaction_average", data["satisfaction"].average]]),
    }


@bp.get("/dashboard/<table>.csv")
def dashboard_csv(table: str) -> Response:
    period, start, end, grain = _range()
    tables = _csv_tables(_figures(period, grain))
    if table not in tables:
        abort(404)
    header, rows = tables[table]
    return csv_response(f"{table}-{start.isoformat()}-{end.isoformat()}.csv", header, rows())
