"""Periodic reports: ``render_report`` gives the bytes of a report in one format.

The CLI (``backbone report``) and the web dashboard both call :func:`render_report`; it reads
the read model (no broker needed) and never sees personal data. ``publish`` hides small counts
(see ``suppress.py``); CSV and Excel default to an internal report (every count shown, for the
agencies' own statisticians), HTML and PDF to a published one: ``default_publish``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa

from projections.readmodel import ReadModel
from projections.statistics.catalogue import load_catalogue
from projections.statistics.figures import collect
from projections.statistics.period import Period
from services.cases.agencies import load_agencies
from services.reports.build import Names, build_report
from services.reports.model import Report
from services.runtime.areas import area_names, load_areas
from services.runtime.database import read_model_db
from services.runtime.i18n import Translator, translator
from services.runtime.settings import Settings

Format = Literal["csv", "xlsx", "html", "pdf"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "html", "pdf")
MEDIA_TYPES: dict[Format, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


def renderer(format: Format) -> Callable[[Report, Translator], bytes]:
    """``render_<format>`` of ``services/reports/render_<format>.py``, imported when first asked
    for: the Excel and PDF libraries take a second to load, and the supervisors' board (which
    shows the reporting duties through this package) needs neither."""
    module = importlib.import_module(f"services.reports.render_{format}")
    found: Callable[[Report, Translator], bytes] = getattr(module, f"render_{format}")
    return found


@dataclass(frozen=True)
class ReportRequest:
    """What to report: the period, an area (any level) or the whole province, the format, the
    language, the recording instant the data is taken as of (None: now, to the second), and
    whether it is for publication (None: the format's default)."""

    period: Period
    format: Format = "csv"
    lang: str = "vi"
    area: str | None = None
    as_of: datetime | None = None
    publish: bool | None = None


def default_publish(fmt: Format) -> bool:
    """HTML and PDF are meant to be handed out; CSV and Excel are working files."""
    return fmt in ("html", "pdf")


def file_name(request: ReportRequest) -> str:
    area = f"-{request.area}" if request.area else ""
    return f"report-{request.period.label}{area}-{request.lang}.{request.format}"


def render_report(settings: Settings, request: ReportRequest, db: sa.Engine | None = None) -> bytes:
    """The report's bytes in the requested format (``db``: the read model's database, by
    default the one the settings name; the web dashboard passes its own engine)."""
    return make_report(settings, request, db)[0]


def make_report(
    settings: Settings, request: ReportRequest, db: sa.Engine | None = None
) -> tuple[bytes, Report]:
    """The report's bytes in the requested format, and the report itself (for its as-of)."""
    agencies = load_agencies(settings.config_dir)
    t = translator(request.lang, agencies.zone)
    as_of = request.as_of or datetime.now(UTC).replace(microsecond=0)
    catalogue = load_catalogue(settings.config_dir)
    engine = db or read_model_db(settings)
    try:
        with engine.connect() as conn:
            model = ReadModel().create(engine)
            figures = collect(
                conn,
                model,
                request.period,
                as_of,
                agencies.zone,
                area=request.area,
                steps=catalogue.steps,
            )
    finally:
        if db is None:
            engine.dispose()
    names = Names(
        area_names(load_areas(settings.config_dir)), {a.id: a.name for a in agencies.all()}
    )
    publish = default_publish(request.format) if request.publish is None else request.publish
    report = build_report(
        figures, catalogue, names, t, published=publish, threshold=settings.report_min_cell
    )
    return renderer(request.format)(report, t), report
