"""A report as an Excel workbook (openpyxl): a summary sheet with the monthly trend and its chart,
then one sheet per table with its code, legal basis and definition above it."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font

from services.reports.model import HIDDEN, Report, Table
from services.runtime.i18n import Translator

BOLD = Font(bold=True)


def render_xlsx(report: Report, t: Translator) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = t.gettext("Summary")[:31]
    summary.append([report.title])
    summary["A1"].font = Font(bold=True, size=14)
    for label, value in report.meta:
        summary.append([label, value])
    summary.append([])
    summary.append([report.trend_title])
    first = summary.max_row + 1
    for month, count in report.trend:
        summary.append([month, HIDDEN if count is None else count])
    _trend_chart(summary, report, first)
    summary.append([])
    for note in report.notes:
        summary.append([note])
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 40
    for number, table in enumerate(report.tables, start=1):
        _table_sheet(book, number, table, t)
    stamp = report.as_of.replace(tzinfo=None, microsecond=0)
    book.properties.created = book.properties.modified = stamp  # reproducible metadata
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _trend_chart(sheet: Any, report: Report, first: int) -> None:
    if not report.trend:
        return
    last = first + len(report.trend) - 1
    chart = BarChart()
    chart.title = report.trend_title
    chart.legend = None
    chart.add_data(Reference(sheet, min_col=2, min_row=first, max_row=last))
    chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=last))
    sheet.add_chart(chart, "D2")


def _table_sheet(book: Workbook, number: int, table: Table, t: Translator) -> None:
    sheet = book.create_sheet(f"{number:02d} {table.code}"[:31])
    mark = f" ({t.gettext('unconfirmed')})" if table.unconfirmed else ""
    sheet.append([f"{table.code}: {table.title}{mark}"])
    sheet["A1"].font = BOLD
    sheet.append([t.gettext("Legal basis"), table.basis])
    sheet.append([t.gettext("Definition"), table.definition])
    sheet.append([])
    sheet.append(list(table.header))
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    for label, cells in table.rows:
        values = [HIDDEN if v is None else v for v in cells]
        sheet.append([label, *values])
        for index in table.share_columns:
            if cells[index] is not None:
                sheet.cell(row=sheet.max_row, column=index + 2).number_format = "0.0%"
    sheet.column_dimensions["A"].width = 34
