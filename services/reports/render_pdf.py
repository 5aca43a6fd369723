"""A report as PDF (reportlab), with DejaVu fonts from Debian's fonts-dejavu-core so every
Vietnamese letter and tone mark is embedded and drawn; a bar chart of the monthly trend."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from services.reports.model import Report, Table, cell_text
from services.runtime.i18n import Translator

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"


class FontsMissing(RuntimeError):
    """The DejaVu fonts are not installed (deploy/dev.sh installs fonts-dejavu-core)."""

    reason = "fonts_missing"


@cache
def _fonts() -> None:
    for name in (REGULAR, BOLD):
        path = FONT_DIR / f"{name}.ttf"
        if not path.exists():
            raise FontsMissing(f"{path} is missing: install the Debian package fonts-dejavu-core")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(
        REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD
    )


def render_pdf(report: Report, t: Translator) -> bytes:
    _fonts()
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=8.5, leading=11)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5)
    head = ParagraphStyle("head", parent=body, fontName=BOLD, fontSize=11, leading=14)
    title = ParagraphStyle("title", parent=head, fontSize=16, leading=20)
    story: list[Flowable] = [Paragraph(_escape(report.title), title), Spacer(1, 3 * mm)]
    for label, value in report.meta:
        story.append(Paragraph(f"<b>{_escape(label)}:</b> {_escape(value)}", body))
    story += [Spacer(1, 3 * mm), Paragraph(_escape(report.trend_title), head), _chart(report)]
    for table in report.tables:
        mark = f" ({t.gettext('unconfirmed')})" if table.unconfirmed else ""
        story += [
            Spacer(1, 4 * mm),
            Paragraph(_escape(f"{table.code}: {table.title}{mark}"), head),
            Paragraph(_escape(f"{t.gettext('Legal basis')}: {table.basis}"), small),
            Paragraph(_escape(table.definition), small),
            Spacer(1, 1.5 * mm),
            _grid(table, t, body),
        ]
    story.append(Spacer(1, 4 * mm))
    story += [Paragraph(_escape(note), small) for note in report.notes]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=report.title,
        invariant=True,
    )
    doc.build(story)
    return out.getvalue()


def _grid(table: Table, t: Translator, style: ParagraphStyle) -> PdfTable:
    rows: list[list[object]] = [[Paragraph(_escape(h), style) for h in table.header]]
    for label, cells in table.rows:
        texts = [cell_text(table, i, v, t) for i, v in enumerate(cells)]
        rows.append([Paragraph(_escape(label), style), *texts])
    first = 70 * mm
    rest = (landscape(A4)[0] - 24 * mm - first) / max(1, len(table.header) - 1)
    grid = PdfTable(rows, colWidths=[first] + [min(rest, 32 * mm)] * (len(table.header) - 1))
    commands = [
        ("FONT", (0, 0), (-1, -1), REGULAR, 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if table.has_total:
        commands.append(("FONT", (0, -1), (-1, -1), BOLD, 8.5))
    grid.setStyle(TableStyle(commands))
    grid.hAlign = "LEFT"
    return grid


def _chart(report: Report) -> Drawing:
    drawing = Drawing(260 * mm, 55 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 8 * mm, 240 * mm, 42 * mm
    chart.data = [[value or 0 for _, value in report.trend] or [0]]
    chart.categoryAxis.categoryNames = [label for label, _ in report.trend] or [""]
    chart.categoryAxis.labels.fontName = REGULAR
    chart.valueAxis.labels.fontName = REGULAR
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#3b6ea5")
    drawing.add(chart)
    return drawing


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
