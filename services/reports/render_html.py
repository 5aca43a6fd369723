"""A report as one self-contained HTML page (Jinja2, autoescaped), with an inline SVG chart."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from services.reports.model import Report, cell_text
from services.runtime.i18n import Translator

CHART_WIDTH, CHART_HEIGHT = 720, 160

_env = Environment(
    loader=PackageLoader("services.reports", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    keep_trailing_newline=True,
)


def render_html(report: Report, t: Translator) -> bytes:
    tables = [
        {
            "code": table.code,
            "title": table.title,
            "unconfirmed": table.unconfirmed,
            "basis": table.basis,
            "definition": table.definition,
            "header": table.header,
            "rows": [
                {
                    "label": label,
                    "cells": [cell_text(table, i, v, t) for i, v in enumerate(cells)],
                    "total": table.has_total and n == len(table.rows) - 1,
                }
                for n, (label, cells) in enumerate(table.rows)
            ],
        }
        for table in report.tables
    ]
    page = _env.get_template("report.html.j2").render(
        report=report,
        tables=tables,
        chart=_chart(report, t),
        unconfirmed=t.gettext("unconfirmed"),
        legal_basis=t.gettext("Legal basis"),
    )
    return page.encode("utf-8")


def _chart(report: Report, t: Translator) -> dict[str, Any]:
    top = max((value or 0 for _, value in report.trend), default=0) or 1
    step = CHART_WIDTH / max(1, len(report.trend))
    bars = []
    for i, (label, value) in enumerate(report.trend):
        h = round((value or 0) / top * (CHART_HEIGHT - 20))
        bars.append(
            {
                "x": round(i * step + step * 0.15),
                "w": round(step * 0.7),
                "y": CHART_HEIGHT - h,
                "h": h,
                "label": label,
                "text": "x" if value is None else t.number(value),
            }
        )
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "bars": bars}
