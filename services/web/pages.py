"""The dashboard's pages: the stalled board (and reporting duties due), one case, a follow-up,
trends, the language.

Every page is in the user's scope: a case outside it answers 404, exactly like an unknown case,
so a district supervisor cannot even learn that another district's case exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from eventsourcing.persistence import OperationalError as StoreBusy
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from events.instants import to_millis
from events.steps import SUPERVISOR_FOLLOWED_UP
from projections.statistics.duties import duty_json
from services.cases.errors import CaseError
from services.reports.dutyboard import reporting_duties
from services.runtime.logs import get_logger
from services.web.auth import Person, check_csrf, dashboard
from services.web.board import SORTS, BoardQuery, read_board
from services.web.casepage import CasePage, follow_ups, read_case
from services.web.charts import Series, grouped_bars
from services.web.deps import Dashboard
from services.web.render import render
from services.web.trends import by_district, shares, weekly
from services.web.users import User

log = get_logger(__name__)
router = APIRouter()
NOTE_LIMIT = 500
REFUSED = "The case service refused the follow-up; nothing was recorded."


def board_query(request: Request) -> BoardQuery:
    """Filters, sort and page from the query string; anything malformed is ignored."""
    q = request.query_params
    level = q.get("level", "")
    page = q.get("page", "")
    sort = q.get("sort", "late")
    return BoardQuery(
        area=q.get("area", ""),
        agency=q.get("agency", ""),
        rule=q.get("rule", ""),
        level=int(level) if level in ("1", "2") else 0,
        sort=sort if sort in SORTS else "late",
        page=int(page) if page.isdigit() else 1,
    )


@contextmanager
def reading(board: Dashboard) -> Iterator[sa.Connection]:
    """A connection to the read models; 503 while they do not exist yet (first start)."""
    try:
        with board.reader.connect() as conn:
            yield conn
    except sa.exc.DatabaseError as error:
        log.warning("web.read_model_unavailable", error=type(error).__name__)
        raise HTTPException(status_code=503, detail="read_model_unavailable") from None


def _board(request: Request, user: User) -> Any:
    board = dashboard(request)
    with reading(board) as conn:
        query = board_query(request)
        return read_board(
            conn, board.model, board.clock(), _scope(user), query, board.responsibility
        )


def _scope(user: User) -> str:
    return "" if user.role == "auditor" else user.area


@router.get("/")
async def board_page(request: Request, user: Person) -> Response:
    if user.works_for_agency:
        return RedirectResponse("/work", status_code=303)
    found = await run_in_threadpool(_board, request, user)
    areas = dashboard(request).places.within(_scope(user))
    context = {"board": found, "query": board_query(request), "areas": areas, "sorts": SORTS}
    context["duties"] = await run_in_threadpool(_duties, request, user, found.at)
    return render(request, "board.html", context)


def _duties(request: Request, user: User, at: datetime) -> list[dict[str, Any]]:
    """The periodic reports due or late at ``at`` (the board's instant), in the user's language."""
    board = dashboard(request)
    if board.settings is None:
        return []
    try:
        found = reporting_duties(board.settings, at)
    except (sa.exc.OperationalError, StoreBusy) as error:  # the intake may hold the store
        log.warning("web.duties_unavailable", error=type(error).__name__)
        return []
    return [duty_json(status, user.language) for status in found]


@router.get("/board/rows")
async def board_rows(request: Request, user: Person) -> Response:
    """The board's table alone: what the live updates swap in."""
    found = await run_in_threadpool(_board, request, user)
    return render(request, "board_rows.html", {"board": found, "query": board_query(request)})


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: str, user: Person) -> Response:
    page = await run_in_threadpool(_case, request, case_id, user)
    return render(request, "case.html", {"case": page, "note_limit": NOTE_LIMIT})


def _case(request: Request, case_id: str, user: User) -> CasePage:
    board = dashboard(request)
    with reading(board) as conn:
        page = read_case(conn, board.model, case_id, board.clock(), user.sees, board.responsibility)
    if page is None:
        raise HTTPException(status_code=404, detail="unknown_case")
    try:
        notes = follow_ups(board.cases().history(case_id))
    except CaseError:
        notes = []
    return CasePage(page.case_id, page.area, page.is_open, page.steps, page.obligations, notes)


@router.post("/cases/{case_id}/follow-up")
async def follow_up(
    request: Request,
    case_id: str,
    user: Person,
    note: Annotated[str, Form()] = "",
    obligation: Annotated[str, Form()] = "",
    chased: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    page = await run_in_threadpool(_case, request, case_id, user)
    text = " ".join(note.split())[:NOTE_LIMIT]
    problem, reason, why = _refusal(user, text), "", ""
    if problem is None:
        reason, why = await run_in_threadpool(
            _record, request, user, page, text, obligation, chased
        )
        problem = REFUSED if reason else None
    if problem is not None:
        context = {"case": page, "note_limit": NOTE_LIMIT, "problem": problem, "note": text}
        return render(request, "case.html", context | {"reason": reason, "why": why}, status=422)
    return RedirectResponse(f"/cases/{case_id}#follow-ups", status_code=303)


def _refusal(user: User, text: str) -> str | None:
    if user.read_only:
        return "Your role is read-only: it cannot record follow-ups."
    if not text:
        return "Write what you did or asked, in a few words."
    return None


def _record(
    request: Request, user: User, page: CasePage, text: str, obligation: str, chased: str
) -> tuple[str, str]:
    """Record the follow-up; the refusal's reason code and sentence, or ("", "") when it was
    recorded."""
    board = dashboard(request)
    rules = {line.obligation.rule_id for line in page.obligations}
    fields: dict[str, object] = {
        "supervisor": user.name,
        "chased_agency": chased[:100],
        "obligation": obligation if obligation in rules else "",
        "note": text,
    }
    at = board.clock()
    try:
        board.cases().record(
            page.case_id,
            SUPERVISOR_FOLLOWED_UP,
            fields,
            user.agency,
            str(uuid.uuid4()),
            to_millis(at),
        )
    except CaseError as error:
        log.info("web.follow_up_refused", case_id=page.case_id, user=user.name, reason=error.reason)
        return error.reason, str(error)
    log.info("web.follow_up", case_id=page.case_id, user=user.name, agency=user.agency)
    return "", ""


@router.get("/trends")
async def trends_page(request: Request, user: Person) -> Response:
    board = dashboard(request)
    wanted = request.query_params.get("area", "")
    scope = _scope(user)
    allowed = {p.code for p in board.places.within(scope)}
    area = wanted if wanted in allowed else scope

    def read() -> tuple[Any, Any, Any]:
        with reading(board) as conn:
            now = board.clock()
            return (
                weekly(conn, board.model, now, board.zone, area),
                shares(conn, board.model, now, area),
                by_district(conn, board.model, now, board.zone, area),
            )

    weeks, rules, districts = await run_in_threadpool(read)
    context = {
        "weeks": weeks,
        "rules": rules,
        "districts": districts,
        "area_code": area,
        "areas": board.places.within(scope),
        "chart": _chart(request, user, weeks),
    }
    return render(request, "trends.html", context)


def _chart(request: Request, user: User, weeks: list[Any]) -> str:
    from services.runtime.i18n import translator

    t = translator(user.language, dashboard(request).zone)
    labels = [t.date(w.start)[:5] if t.lang == "vi" else t.date(w.start)[:6] for w in weeks]
    return grouped_bars(
        t.gettext("Cases and obligations per week"),
        labels,
        [
            Series(t.gettext("Open cases"), [w.open for w in weeks]),
            Series(t.gettext("Stalled cases"), [w.stalled for w in weeks]),
            Series(t.gettext("Met on time"), [w.met for w in weeks]),
            Series(t.gettext("Met late"), [w.met_late for w in weeks]),
        ],
    )


@router.post("/language")
def set_language(
    request: Request,
    user: Person,
    lang: Annotated[str, Form()] = "vi",
    csrf: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf)
    if lang in ("vi", "en"):
        dashboard(request).users.set_language(user.name, lang)
    target = back if back.startswith("/") and not back.startswith("//") else "/"
    return RedirectResponse(target, status_code=303)
