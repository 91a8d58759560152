"""Admin dashboard: return rate, reasons, resolutions, delays, free returns, serial returners,
satisfaction and rising products, as SVG charts and tables, every table exportable as CSV.

Thin: read the range, ask connector.persistence.analytics, render. Imports Flask and the web helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import abort, render_template, request, url_for
from flask_babel import format_date
from markupsafe import Markup
from werkzeug.wrappers import Response

from connector.domain import charts
from connector.domain.charts import percent
from connector.domain.money import Money
from connector.i18n import format_money, format_number, format_percent
from connector.ports.queries import GRAINS, Range
from connector.web.admin_core import _, bp, day_after, day_start, locale, parse_day, query_string, shop
from connector.web.admin_returns import csv_response
from connector.web.context import services
from connector.web.typography import colon
from connector.workflow.merchant_analytics import dashboard_figures
from connector.workflow.returns import policy_for

if TYPE_CHECKING:
    from connector.workflow.merchant_analytics import PeriodRate

DEFAULT_DAYS = 90


def _range() -> tuple[Range, date, date, str]:
    today = services().clock.now().date()
    end = parse_day(request.args.get("to")) or today
    start = parse_day(request.args.get("from")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    days = (end - start).days + 1
    grain = request.args.get("grain", "")
    if grain not in GRAINS:
        grain = "day" if days <= 31 else "week" if days <= 180 else "month"
    return Range(day_start(start), day_after(end)), start, end, grain


def period_starts(start: date, end: date, grain: str) -> list[date]:
    """Every period of the range, empty ones included: the time axis has no holes."""
    if grain == "week":
        first = start - timedelta(days=start.weekday())
    elif grain == "month":
        first = start.replace(day=1)
    else:
        first = start
    found, day = [], first
    while day <= end:
        found.append(day)
        if grain == "day":
            day += timedelta(days=1)
        elif grain == "week":
            day += timedelta(days=7)
        else:
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return found


@dataclass(frozen=True)
class Period:
    """One period of the dashboard: its sales, the requests opened in it, and how many of the
    units sold in it came back (whenever they were returned): that share is the return rate."""

    start: date
    label: str
    orders: int
    units_sold: int
    value_sold: Decimal
    returns: int
    units_returned: int
    units_came_back: int
    value_came_back: Decimal

    @property
    def unit_rate(self) -> Decimal | None:
        return percent(self.units_came_back, self.units_sold)

    @property
    def value_rate(self) -> Decimal | None:
        return percent(self.value_came_back, self.value_sold)


def _period_label(day: date, grain: str) -> str:
    if grain == "month":
        return str(format_date(day, "MMM y"))
    return str(format_date(day, "d MMM"))


def _periods(rows: list[PeriodRate], came_back: dict[str, tuple[int, Decimal]],
             start: date, end: date, grain: str) -> list[Period]:
    by_start = {row.period: row for row in rows}
    periods = []
    for day in period_starts(start, end, grain):
        key = day.isoformat()
        row = by_start.get(key)
        units, value = came_back.get(key, (0, Decimal(0)))
        periods.append(Period(
            start=day, label=_period_label(day, grain), orders=row.orders if row else 0,
            units_sold=row.units_sold if row else 0, value_sold=row.value_sold if row else Decimal(0),
            returns=row.returns if row else 0, units_returned=row.units_returned if row else 0,
            units_came_back=units, value_came_back=value))
    return periods


def _figures(period: Range, grain: str, start: date, end: date) -> dict[str, Any]:
    figures = dashboard_figures(services(), shop(), period, grain)
    return {
        "periods": _periods(figures.sold_by_period, figures.came_back_by_period, start, end, grain),
        "products": figures.products, "variants": figures.variants, "rising": figures.rising,
        "reasons": figures.reasons, "resolutions": figures.resolutions, "delay": figures.delay,
        "free": figures.free, "serial": figures.serial, "satisfaction": figures.satisfaction,
    }


def _pct(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return format_percent(Decimal(str(value)).quantize(Decimal("0.1")), locale())


def _svg(svg: str) -> Markup:
    # connector.domain.charts escapes every label and title it writes into the SVG.
    return Markup(svg)  # noqa: S704


def _charts(data: dict[str, Any]) -> dict[str, Markup]:
    policy = policy_for(shop())
    lang = locale()
    sep = colon("") + " "

    def reason_label(code: str) -> str:
        found = policy.reason(code)
        return found.label(lang) if found else code

    def num(value: float) -> str:
        return format_number(Decimal(str(value)).quantize(Decimal("0.1")).normalize(), lang)

    from connector.i18n import resolution_name

    # A period without sales has no rate: a gap in the line, never a false 0 %; its place stays on the axis.
    rate_points = [(p.label, float(p.unit_rate) if p.unit_rate is not None else None) for p in data["periods"]]
    return {
        "rate": _svg(charts.line_chart(
            "chart-rate", _("Return rate by period"),
            _("Share of the units sold in each period that came back, in percent."), rate_points,
            fmt=lambda v: _pct(v), empty=_("No orders in this range"), sep=sep, ceiling=100.0)),
        "volume": _svg(charts.bar_chart(
            "chart-returns", _("Returns by period"), _("Return requests opened per period."),
            [(p.label, float(p.returns)) for p in data["periods"]], fmt=num, empty=_("No returns in this range"),
            sep=sep, counts=True)),
        "reasons": _svg(charts.hbar_chart(
            "chart-reasons", _("Why customers return"), _("Units returned per reason."),
            [(reason_label(r.reason), float(r.units)) for r in data["reasons"]], fmt=num,
            empty=_("No returns in this range"), sep=sep)),
        "resolutions": _svg(charts.hbar_chart(
            "chart-resolutions", _("What returns became"), _("Amount given back per resolution kind."),
            [(resolution_name(r.kind, lang), float(r.amount)) for r in data["resolutions"]],
            fmt=lambda v: format_money(Money(Decimal(str(v)).quantize(Decimal("0.01")), shop().currency), lang),
            empty=_("No resolution in this range"), sep=sep)),
        "products": _svg(charts.hbar_chart(
            "chart-products", _("Most returned products"), _("Return rate of the most returned products, in percent."),
            [(p.title, float(p.unit_rate or 0)) for p in data["products"][:10]], fmt=lambda v: _pct(v),
            empty=_("No returns in this range"), sep=sep)),
    }


@bp.get("/dashboard")
def dashboard() -> str:
    period, start, end, grain = _range()
    data = _figures(period, grain, start, end)
    totals = {
        "units_sold": sum(p.units_sold for p in data["periods"]),
        "units_returned": sum(p.units_came_back for p in data["periods"]),
        "value_sold": sum((p.value_sold for p in data["periods"]), Decimal(0)),
        "value_returned": sum((p.value_came_back for p in data["periods"]), Decimal(0)),
        "returns": sum(p.returns for p in data["periods"]),
    }
    refunded = sum((r.amount for r in data["resolutions"] if r.kind == "refund"), Decimal(0))
    kept = sum((r.amount for r in data["resolutions"] if r.kind != "refund"), Decimal(0))
    raw = {"from": start.isoformat(), "to": end.isoformat(), "grain": grain}
    return render_template(
        "admin/dashboard.html", data=data, charts=_charts(data), start=start, end=end, grain=grain,
        totals=totals, unit_rate=percent(totals["units_returned"], totals["units_sold"]),
        value_rate=percent(totals["value_returned"], totals["value_sold"]),
        kept_share=percent(kept, kept + refunded), pct=_pct,
        csv=lambda table: url_for("admin.dashboard_csv", table=table) + query_string(raw),
        currency=shop().currency,
    )


def _csv_tables(data: dict[str, Any]) -> dict[str, tuple[list[str], Callable[[], list[list[Any]]]]]:
    return {
        "periods": (["period", "orders", "units_sold", "value_sold", "returns", "units_returned",
                     "units_sold_then_returned", "value_sold_then_returned", "unit_rate_percent", "value_rate_percent"],
                    lambda: [[p.start.isoformat(), p.orders, p.units_sold, p.value_sold, p.returns, p.units_returned,
                              p.units_came_back, p.value_came_back, p.unit_rate, p.value_rate]
                             for p in data["periods"]]),
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
    tables = _csv_tables(_figures(period, grain, start, end))
    if table not in tables:
        abort(404)
    header, rows = tables[table]
    return csv_response(f"{table}-{start.isoformat()}-{end.isoformat()}.csv", header, rows())
