"""The dashboard's small chart of the last days' calls and spend, drawn as SVG on the
server (bars for spend, a line of dots for the number of calls; no JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from api.services.portal_reads import DailyUsage
from ratelang.money import format_micros

WIDTH = 600
HEIGHT = 160
PAD = 20


def usage_chart(days: Sequence[DailyUsage], currency: str) -> Markup:
    """An ``<svg>`` element: one bar per day (its height the spend), one dot per day (the
    number of calls), each with a ``<title>`` giving the exact figures."""
    n = max(1, len(days))
    step = (WIDTH - 2 * PAD) / n
    top_sell = max((d.sell for d in days), default=0) or 1
    top_calls = max((d.calls for d in days), default=0) or 1
    usable = HEIGHT - 2 * PAD
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'role="img" aria-labelledby="chart-title">',
        '<title id="chart-title">Calls and spend per day, last 30 days</title>',
        f'<line class="axis" x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" '
        f'y2="{HEIGHT - PAD}"/>',
    ]
    for i, day in enumerate(days):
        x = PAD + i * step
        height = usable * day.sell / top_sell
        label = escape(
            f"{day.day.isoformat()}: {day.calls} calls, {format_micros(day.sell, 2)} {currency}"
        )
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{HEIGHT - PAD - height:.1f}" '
            f'width="{max(step - 2, 1):.1f}" height="{height:.1f}"><title>{label}</title></rect>'
        )
        cy = HEIGHT - PAD - usable * day.calls / top_calls
        parts.append(
            f'<circle class="dot" cx="{x + step / 2:.1f}" cy="{cy:.1f}" r="2.5">'
            f"<title>{label}</title></circle>"
        )
    if days:
        parts.append(
            f'<text class="label" x="{PAD}" y="{HEIGHT - 4}">{days[0].day.isoformat()}</text>'
        )
        parts.append(
            f'<text class="label" x="{WIDTH - PAD}" y="{HEIGHT - 4}" text-anchor="end">'
            f"{days[-1].day.isoformat()}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (built here from escaped parts)
