"""A report as CSV (UTF-8, comma, LF): metadata, then each table under its code and legal basis.

The text depends only on the figures and the language, so the same period as of the same
instant gives the same bytes.
"""

from __future__ import annotations

import csv
import io

from services.reports.model import Report, cell_plain
from services.runtime.i18n import Translator


def render_csv(report: Report, t: Translator) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([report.title])
    writer.writerows(report.meta)
    writer.writerow([t.gettext("Data as of (ISO 8601)"), report.as_of.isoformat()])
    for table in report.tables:
        writer.writerow([])
        mark = f" ({t.gettext('unconfirmed')})" if table.unconfirmed else ""
        writer.writerow([f"{table.code}: {table.title}{mark}"])
        writer.writerow([t.gettext("Legal basis"), table.basis])
        writer.writerow(table.header)
        for label, cells in table.rows:
            writer.writerow([label, *(cell_plain(table, i, v) for i, v in enumerate(cells))])
    writer.writerow([])
    writer.writerow([report.trend_title])
    for label, value in report.trend:
        writer.writerow([label, "x" if value is None else value])
    writer.writerow([])
    for note in report.notes:
        writer.writerow([note])
    return out.getvalue().encode("utf-8")
