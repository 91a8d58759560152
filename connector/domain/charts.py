"""Server-side SVG charts for the dashboard: bars, horizontal bars and a line. Standard library only.

Each chart is one accessible <svg role="img"> with a <title> and <desc>, a <title> on every
mark (the browser shows it as a tooltip), and no script, font or CDN. The page shows the
same figures in a table beside it, which is also what a screen reader is pointed to.
Colours come from CSS classes (chart-bar, chart-line...), so the admin's style sets them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from html import escape

Point = tuple[str, float]
Formatter = Callable[[float], str]

WIDTH = 640
HEIGHT = 260
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 36, 16, 40  # right: room for the last date label


def _plain(value: float) -> str:
    return f"{value:g}"


def _nice_max(value: float) -> float:
    """A round top for the axis: 1, 2, 2.5 or 5 times a power of ten, at least the value."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * magnitude
        if top >= value:
            return float(top)
    return float(10 * magnitude)


def _open(chart_id: str, title: str, desc: str, height: int) -> list[str]:
    safe_id = escape(chart_id, quote=True)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{safe_id}-title {safe_id}-desc" class="chart" id="{safe_id}">',
        f'<title id="{safe_id}-title">{escape(title)}</title>',
        f'<desc id="{safe_id}-desc">{escape(desc)}</desc>',
    ]


def _empty(chart_id: str, title: str, desc: str, message: str) -> str:
    parts = _open(chart_id, title, desc, 80)
    parts.append(f'<text x="{WIDTH / 2}" y="45" text-anchor="middle" class="chart-label">{escape(message)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(chart_id: str, title: str, desc: str, points: Sequence[Point], *,
              fmt: Formatter = _plain, empty: str = "No data", sep: str = ": ", counts: bool = False) -> str:
    """Vertical bars, one per label (periods, left to right), with a value axis from zero.

    `counts`: the values are counts, so the axis ticks are whole numbers. `sep` joins a label
    and its value in the tooltip (French puts a narrow space before the colon).
    """
    if not points:
        return _empty(chart_id, title, desc, empty)
    top = _count_max(max(v for _, v in points)) if counts else _nice_max(max(v for _, v in points))
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = inner_w / len(points)
    bar_w = max(2.0, slot * 0.7)
    parts = _open(chart_id, title, desc, HEIGHT)
    parts.extend(_value_axis(top, inner_h, fmt))
    every = _label_every(len(points))
    for index, (label, value) in enumerate(points):
        height = inner_h * (value / top) if top else 0
        x = PAD_LEFT + index * slot + (slot - bar_w) / 2
        y = PAD_TOP + inner_h - height
        parts.append(
            f'<rect class="chart-bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{height:.1f}">'
            f"<title>{escape(label)}{escape(sep)}{escape(fmt(value))}</title></rect>")
        if index % every == 0:
            parts.append(
                f'<text class="chart-label" x="{x + bar_w / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" '
                f'text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _label_every(count: int) -> int:
    """One period label in how many, so that labels (about 45 px wide) never touch."""
    room = (WIDTH - PAD_LEFT - PAD_RIGHT) / max(1, count)
    return max(1, math.ceil(56 / room))


def _count_max(value: float) -> float:
    """A top for a count axis that four whole steps divide: 4, 8, 12, 20, 40..."""
    step = max(1, math.ceil(value / 4))
    if step > 2:
        step = math.ceil(_nice_max(step))
    return float(step * 4)


def _lines(label: str, width: int) -> list[str]:
    """A label on at most two lines of about `width` characters, cut between words, never dropped."""
    if len(label) <= width:
        return [label]
    cut = label.rfind(" ", 0, width + 1)
    if cut <= 0:
        cut = width
    first, rest = label[:cut].rstrip(), label[cut:].lstrip()
    return [first, rest if len(rest) <= width + 6 else rest[: width + 5] + "…"]


def _value_axis(top: float, inner_h: float, fmt: Formatter) -> list[str]:
    parts = []
    for step in range(5):
        value = top * step / 4
        y = PAD_TOP + inner_h - inner_h * step / 4
        parts.append(f'<line class="chart-grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-label" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f"{escape(fmt(value))}</text>")
    return parts


def hbar_chart(chart_id: str, title: str, desc: str, points: Sequence[Point], *,
               fmt: Formatter = _plain, empty: str = "No data", sep: str = ": ") -> str:
    """Horizontal bars, largest first as given: reasons, products, resolutions. Long labels wrap."""
    if not points:
        return _empty(chart_id, title, desc, empty)
    label_w = 220
    wrapped = [_lines(label, 30) for label, _ in points]
    row = 36 if any(len(lines) > 1 for lines in wrapped) else 26
    height = PAD_TOP + row * len(points) + 8
    top = max(v for _, v in points) or 1.0
    inner_w = WIDTH - label_w - 90
    parts = _open(chart_id, title, desc, height)
    for index, ((label, value), lines) in enumerate(zip(points, wrapped, strict=True)):
        y = PAD_TOP + index * row
        width = inner_w * (value / top) if top else 0
        middle = y + row / 2 + 1
        first = middle + 4 - 7 * (len(lines) - 1)
        spans = "".join(f'<tspan x="{label_w - 8}" y="{first + 14 * n:.1f}">{escape(text)}</tspan>'
                        for n, text in enumerate(lines))
        parts.append(f'<text class="chart-label" text-anchor="end">{spans}<title>{escape(label)}</title></text>')
        parts.append(
            f'<rect class="chart-bar" x="{label_w}" y="{middle - 9:.1f}" width="{max(width, 1):.1f}" height="18">'
            f"<title>{escape(label)}{escape(sep)}{escape(fmt(value))}</title></rect>")
        parts.append(f'<text class="chart-value" x="{label_w + width + 6:.1f}" y="{middle + 4:.1f}">'
                     f"{escape(fmt(value))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def line_chart(chart_id: str, title: str, desc: str, points: Sequence[tuple[str, float | None]], *,
               fmt: Formatter = _plain, empty: str = "No data", sep: str = ": ", ceiling: float | None = None) -> str:
    """One line over periods (a rate over time), with a dot and a tooltip per point.

    Every period keeps its place on the axis; a period without a value (None: no sales) is a
    gap in the line, not a point at zero. `ceiling` caps the axis (100 for a percentage).
    """
    if not any(v is not None for _, v in points):
        return _empty(chart_id, title, desc, empty)
    top = _nice_max(max(v for _, v in points if v is not None))
    if ceiling is not None:
        top = min(top, ceiling)
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / max(1, len(points) - 1)
    parts = _open(chart_id, title, desc, HEIGHT)
    parts.extend(_value_axis(top, inner_h, fmt))
    xs = [PAD_LEFT + i * step if len(points) > 1 else PAD_LEFT + inner_w / 2 for i in range(len(points))]
    segment: list[str] = []
    segments: list[list[str]] = [segment]
    for x, (_, value) in zip(xs, points, strict=True):
        if value is None:
            segment = []
            segments.append(segment)
            continue
        segment.append(f"{x:.1f},{PAD_TOP + inner_h - inner_h * (value / top):.1f}")
    for run in segments:
        if len(run) > 1:
            parts.append('<polyline class="chart-line" points="' + " ".join(run) + '"/>')
    every = _label_every(len(points))
    for index, ((label, value), x) in enumerate(zip(points, xs, strict=True)):
        if value is not None:
            y = PAD_TOP + inner_h - inner_h * (value / top)
            parts.append(f'<circle class="chart-bar" cx="{x:.1f}" cy="{y:.1f}" r="4">'
                         f"<title>{escape(label)}{escape(sep)}{escape(fmt(value))}</title></circle>")
        if index % every == 0:
            parts.append(f'<text class="chart-label" x="{x:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """`part` as a percentage of `whole`, to a tenth (a dashboard rate); None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole) * 100).quantize(Decimal("0.1"))
