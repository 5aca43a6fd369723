"""The reports page: a periodic report downloaded in one format, in the user's scope.

A district supervisor's report covers their district (or one commune in it); a province
supervisor's and an auditor's the whole province (or one area in it). The report is taken as of
the dashboard's clock and read through the dashboard's read-only engine. A period the report
cannot read answers 400 with the form and a sentence saying what to write.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from projections.statistics.period import BadPeriod, parse_period
from services.reports import FORMATS, MEDIA_TYPES, ReportRequest, file_name, render_report
from services.runtime.logs import get_logger
from services.web.auth import Person, dashboard
from services.web.render import render
from services.web.users import User

log = get_logger(__name__)
router = APIRouter()
PROVINCE_WIDE = ("province_supervisor", "auditor")
BAD_PERIOD = (
    "Cannot read this period: write a year (2026), a half (2026-H1), a quarter (2026-Q2), "
    "a month (2026-03) or two days, the first before the last (2026-01-01..2026-03-31)."
)


def scope_of(user: User) -> str:
    """The area the user's reports cover ("" for the whole province)."""
    return "" if user.role in PROVINCE_WIDE else user.area


@router.get("/report")
async def report_form(request: Request, user: Person) -> Response:
    return _form(request, user, {})


@router.get("/report/download")
async def report_download(request: Request, user: Person) -> Response:
    board = dashboard(request)
    if board.settings is None:
        raise HTTPException(status_code=404, detail="reports_not_configured")
    q = request.query_params
    wanted = {key: q.get(key, "").strip() for key in ("period", "format", "lang", "area")}
    fmt = wanted["format"] if wanted["format"] in FORMATS else "csv"
    lang = wanted["lang"] if wanted["lang"] in ("vi", "en") else user.language
    scope = scope_of(user)
    allowed = {p.code for p in board.places.within(scope)}
    area = wanted["area"] if wanted["area"] in allowed else scope
    try:
        period = parse_period(wanted["period"])
    except BadPeriod:
        return _form(request, user, wanted | {"problem": BAD_PERIOD}, status=400)
    report = ReportRequest(
        period,
        fmt,
        lang,
        area=area or None,
        as_of=board.clock().replace(microsecond=0),
    )
    settings = board.settings
    try:
        body = await run_in_threadpool(render_report, settings, report, board.reader)
    except sa.exc.DatabaseError as error:
        log.warning("web.read_model_unavailable", error=type(error).__name__)
        raise HTTPException(status_code=503, detail="read_model_unavailable") from None
    log.info("web.report", user=user.name, period=period.label, format=fmt, area=area)
    disposition = f'attachment; filename="{file_name(report)}"'
    return Response(
        body, media_type=MEDIA_TYPES[report.format], headers={"Content-Disposition": disposition}
    )


def _form(request: Request, user: User, values: dict[str, str], status: int = 200) -> Response:
    board = dashboard(request)
    context: dict[str, Any] = {
        "areas": board.places.within(scope_of(user)),
        "formats": FORMATS,
        "values": {"lang": user.language, "format": "csv"} | values,
        "problem": values.get("problem", ""),
    }
    return render(request, "report.html", context, status=status)
