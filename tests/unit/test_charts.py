"""The dashboard's SVG charts: whole-number ticks for counts, no cut labels, gaps for periods without sales."""

from __future__ import annotations

import re

from connector.domain import charts


def _ticks(svg: str) -> list[str]:
    return re.findall(r'text-anchor="end">([^<]+)</text>', svg)


def test_a_count_axis_has_whole_number_ticks() -> None:
    svg = charts.bar_chart("c", "Retours", "par semaine", [("1 juin", 1.0), ("8 juin", 3.0)],
                           fmt=lambda v: f"{v:g}", counts=True)
    assert _ticks(svg) == ["0", "1", "2", "3", "4"]


def test_long_labels_wrap_instead_of_being_cut() -> None:
    label = "Baskets toile écrue à lacets, édition limitée"
    svg = charts.hbar_chart("c", "Produits", "les plus retournés", [(label, 3.0)])
    assert "…" not in svg.split("<title>", 3)[2]  # the visible lines
    assert "Baskets toile écrue à lacets," in svg
    assert "édition limitée" in svg


def test_a_period_without_sales_is_a_gap_and_a_rate_axis_stops_at_100() -> None:
    svg = charts.line_chart("c", "Taux", "par semaine", [("1 juin", 20.0), ("8 juin", None), ("15 juin", 100.0),
                                                          ("22 juin", 40.0)], ceiling=100.0, sep="\u202f: ")
    assert svg.count("<polyline") == 1  # the two points after the gap; the lone first point is a dot
    assert svg.count("<circle") == 3
    assert "8 juin" in svg  # its place on the axis stays
    assert "15 juin\u202f: 100" in svg
    assert max(float(t) for t in _ticks(svg)) == 100.0


def test_period_labels_never_touch() -> None:
    points = [(f"{day} sept.", 1.0) for day in range(1, 27)]
    svg = charts.bar_chart("c", "Retours", "par jour", points, counts=True)
    shown = re.findall(r'text-anchor="middle">([^<]+)</text>', svg)
    assert 0 < len(shown) <= 10
