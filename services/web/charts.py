"""Server-rendered SVG bar charts: no script, no library, readable without colour alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT, PAD, LEGEND = 640, 240, 28, 22
COLOURS = ("#1f5f99", "#c0392b", "#2e7d32", "#e67e22")


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[int]


def grouped_bars(title: str, groups: Sequence[str], series: Sequence[Series]) -> str:
    """Bars per group (e.g. week), one colour per series, with a legend and a title."""
    top = max([1, *(v for s in series for v in s.values)])
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD - LEGEND
    slot = inner_w / max(1, len(groups))
    bar = max(2.0, (slot - 6) / max(1, len(series)))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{PAD}" y1="{PAD + inner_h}" x2="{WIDTH - PAD}" y2="{PAD + inner_h}" '
        'stroke="#555"/>',
        f'<text x="{PAD - 4}" y="{PAD + 4}" text-anchor="end" font-size="10">{top}</text>',
    ]
    for g, group in enumerate(groups):
        x0 = PAD + g * slot + 3
        for i, s in enumerate(series):
            value = s.values[g]
            h = inner_h * value / top
            x, y = x0 + i * bar, PAD + inner_h - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 1:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[i % len(COLOURS)]}"><title>{escape(s.label)}: {value}'
                "</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + slot / 2 - 3:.1f}" y="{PAD + inner_h + 12}" text-anchor="middle" '
            f'font-size="10">{escape(group)}</text>'
        )
    for i, s in enumerate(series):
        x = PAD + i * (inner_w / max(1, len(series)))
        y = HEIGHT - 8
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" '
            f'fill="{COLOURS[i % len(COLOURS)]}"/>'
            f'<text x="{x + 14:.1f}" y="{y}" font-size="11">{escape(s.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
