"""Small server-rendered SVG bar charts: no script, no inline style, so they pass the CSP as they are.

Colours and sizes are SVG presentation attributes (allowed under `style-src 'self'`);
every chart has a title, labelled axes and, with several series, a legend. Pages put
the same numbers in a table beside each chart for screen readers and exact reading.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

# Colour-blind-safe (Okabe–Ito), then grey for anything beyond.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")
OTHER = "#999999"
WIDTH, HEIGHT = 640, 230
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 44
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def colour(index: int) -> str:
    return PALETTE[index] if index < len(PALETTE) else OTHER


def nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _number(value: float) -> str:
    return f"{value:g}" if value < 1e6 else f"{value:.3g}"


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    label_every: int = 1,
) -> Markup:
    """Bars per label, stacked when there are several series; one `<svg>` element."""
    chart_id = f"chart-{next(_ids)}"
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    bar_w = max(slot * 0.7, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{chart_id}-title">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for fraction in (0, 0.5, 1):  # gridlines with their values on the y axis
        y = TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d8dee5"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#5b6775">'
            f"{_number(top * fraction)}</text>"
        )
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - bar_w) / 2
        base = TOP + plot_h
        for n, one in enumerate(series):
            value = one.values[i]
            if value <= 0:
                continue
            height = plot_h * value / top
            base -= height
            name = f"{escape(one.name)}: " if len(series) > 1 else ""
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{height:.1f}" '
                f'fill="{colour(n)}"><title>{escape(label)} · {name}{_number(value)}</title></rect>'
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{TOP + plot_h + 14}" text-anchor="middle" '
                f'font-size="10" fill="#5b6775">{escape(label)}</text>'
            )
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#5b6775"/>'
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#5b6775"/>'
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 4}" text-anchor="middle" font-size="11" '
        f'fill="#1d2733">{escape(x_label)}</text>'
        f'<text x="12" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" font-size="11" fill="#1d2733" '
        f'transform="rotate(-90 12 {TOP + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 — every text in it went through escape()


def legend(series: Sequence[Series]) -> Markup:
    """The series' names with their colours, as a list to show beside a stacked chart."""
    items = "".join(
        f'<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
        f'fill="{colour(n)}"/></svg> {escape(one.name)}</li>'
        for n, one in enumerate(series)
    )
    return Markup(f'<ul class="legend">{items}</ul>')  # noqa: S704 — names escaped above


def sparkline(values: Sequence[float], *, title: str, width: int = 120, height: int = 24) -> Markup:
    """A tiny bar chart without axes, for a table cell; its title carries the total."""
    top = max(max(values, default=0), 1)
    slot = width / max(len(values), 1)
    bars = "".join(
        f'<rect x="{slot * i:.1f}" y="{height - height * v / top:.1f}" width="{max(slot - 1, 1):.1f}" '
        f'height="{height * v / top:.1f}" fill="{PALETTE[0]}"/>'
        for i, v in enumerate(values)
        if v > 0
    )
    return Markup(  # noqa: S704 — only numbers and the escaped title
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>'
        f'<line x1="0" x2="{width}" y1="{height - 0.5}" y2="{height - 0.5}" stroke="#d8dee5"/>{bars}</svg>'
    )
