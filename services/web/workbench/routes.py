"""The workbench's pages and its two JSON answers (submit a step, ask where it stands).

Only agency officers come here; everything is narrowed to the officer's agency. A case the
agency takes no part in answers 404 like a missing one (the API's rule). A step goes through
the agency API's backend: checked against the contract, published on the agency's own intake
topic; the intake's refusals come back through the agency's rejection topic.

Longer than 300 lines because it is the one router of the workbench: every route shares the
officer, agency and case narrowing above, and splitting it would scatter that one rule.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Form, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response

from projections.labels import RULE_TITLES
from services.api.backend import MAX_WAIT_S, SubmissionStatus
from services.api.errors import ApiError
from services.audit.accesslog import PurposeRequired, open_personal_data
from services.cases.agencies import Agency
from services.cases.errors import CaseError, PersonalDataAccessDenied
from services.cases.views import HistoryEntry
from services.runtime.i18n import translator
from services.runtime.logs import get_logger
from services.runtime.sentences import localize
from services.web.auth import check_csrf, current_user, dashboard
from services.web.pages import reading
from services.web.render import render
from services.web.users import User
from services.web.workbench.forms import step_form
from services.web.workbench.labels import REASON_WORDS, field_title, reason_words, step_title
from services.web.workbench.offered import may_record, offered_steps
from services.web.workbench.service import Workbench
from services.web.workbench.worklist import agency_duties

log = get_logger(__name__)
router = APIRouter(prefix="/work")
STATIC = Path(__file__).resolve().parents[1] / "static"
# The workbench runs libsodium's WebAssembly; nothing else is loosened.
CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data:; "
    "frame-ancestors 'none'"
)
INBOX_SHOWN = 50


def officer(request: Request) -> User:
    """The logged-in agency officer (403 for other users)."""
    user = current_user(request)
    if not user.works_for_agency:
        raise HTTPException(status_code=403, detail="not_an_agency_officer")
    return user


Officer = Annotated[User, Depends(officer)]


def bench(request: Request) -> Workbench:
    found = dashboard(request).workbench
    if found is None:
        raise HTTPException(status_code=404, detail="no_workbench")
    return found


def page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    words: dict[str, Any] = {
        "step_title": step_title,
        "field_title": field_title,
        "reason_words": reason_words,
    }
    words |= {"reason_table": REASON_WORDS, "duty_title": lambda r: RULE_TITLES.get(r, r)}
    response = render(request, template, words | context, status=status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def agency_of(request: Request, user: User) -> Agency:
    found = bench(request).agency(user.agency)
    if found is None:
        raise HTTPException(status_code=403, detail="unknown_agency")
    return found


@router.get("")
async def worklist(request: Request, user: Officer) -> Response:
    context = await run_in_threadpool(_worklist, request, user)
    return page(request, "work.html", context)


def _worklist(request: Request, user: User) -> dict[str, Any]:
    board, wb = dashboard(request), bench(request)
    agency = agency_of(request, user)
    with reading(board) as conn:
        duties = agency_duties(conn, board.model, wb.responsibility, agency.id, board.clock())
    inbox, _ = _safely(lambda: wb.backend.inbox(agency.id, "", 500))
    rejections, _ = _safely(lambda: wb.backend.rejections(agency.id, "", 500))
    return {
        "agency_entry": agency,
        "openers": [
            r.step for r in wb.workflow.steps.values() if r.first and agency.role in r.roles
        ],
        "duties": duties,
        "inbox": [_message(m) for m in reversed(inbox)][:INBOX_SHOWN],
        "rejections": [_rejection(r) for r in reversed(rejections)][:INBOX_SHOWN],
    }


def _message(item: dict[str, Any]) -> dict[str, Any]:
    """An inbox message as the page shows it (never its sealed personal data)."""
    keys = ("case_id", "event_type", "agency", "role")
    return {k: item.get(k, "") for k in keys} | {"at": _instant(item.get("recorded_at"))}


def _rejection(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("submission_id", "reason", "detail")
    return {k: item.get(k, "") for k in keys} | {"at": _instant(item.get("rejected_at"))}


def _instant(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def _safely(read: Any) -> tuple[list[dict[str, Any]], str]:
    try:
        found: tuple[list[dict[str, Any]], str] = read()
        return found
    except ApiError:
        return [], ""


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: str, user: Officer) -> Response:
    context = await run_in_threadpool(_case, request, case_id, user)
    return page(request, "work_case.html", context)


def _case(request: Request, case_id: str, user: User) -> dict[str, Any]:
    wb, agency = bench(request), agency_of(request, user)
    history = _history(wb, agency.id, case_id)
    return {
        "case_id": case_id,
        "agency_entry": agency,
        "history": history,
        "offered": offered_steps(wb.workflow, agency.role, [e.step for e in history]),
        "duties": [d for d in _duties(request, agency.id) if d.case_id == case_id],
        "opened": None,
    }


def _duties(request: Request, agency: str) -> list[Any]:
    board, wb = dashboard(request), bench(request)
    with reading(board) as conn:
        return agency_duties(conn, board.model, wb.responsibility, agency, board.clock())


def _history(wb: Workbench, agency: str, case_id: str) -> list[HistoryEntry]:
    try:
        return wb.backend.case_events(agency, case_id)
    except ApiError:
        raise HTTPException(status_code=404, detail="unknown_case") from None


@router.get("/cases/{case_id}/steps/{step}")
async def step_page(request: Request, case_id: str, step: str, user: Officer) -> Response:
    context = await run_in_threadpool(_step, request, case_id, step, user)
    return page(request, "work_step.html", context)


@router.get("/new/{step}")
async def new_case_page(request: Request, step: str, user: Officer) -> Response:
    """A step that opens a case (a report); the browser makes the case id."""
    context = await run_in_threadpool(_step, request, "", step, user)
    return page(request, "work_step.html", context)


def _step(request: Request, case_id: str, step: str, user: User) -> dict[str, Any]:
    wb, agency = bench(request), agency_of(request, user)
    rule = wb.workflow.rule(step)
    if rule is None or not may_record(wb.workflow, agency.role, step):
        raise HTTPException(status_code=403, detail="role_not_allowed")
    if rule.first != (case_id == ""):
        raise HTTPException(status_code=404, detail="unknown_case")
    history = _history(wb, agency.id, case_id) if case_id else []
    if case_id and step not in offered_steps(wb.workflow, agency.role, [e.step for e in history]):
        raise HTTPException(status_code=409, detail="step_not_allowed_now")
    earlier: dict[str, list[dict[str, Any]]] = {}
    for entry in history:
        earlier.setdefault(entry.step, []).append(dict(entry.payload))
    personal = wb.schema("PersonalData")["fields"]
    lang = user.language
    form = step_form(wb.schema(step), rule, wb.vocabulary, wb.agencies, earlier, lang, personal)
    board = dashboard(request)
    offset = board.clock().astimezone(board.zone).strftime("%z")
    return {
        "case_id": case_id,
        "form": form,
        "public_key": wb.backend.backbone_public_key,
        "personal_prefix": wb.personal_prefix,
        "offset": f"{offset[:3]}:{offset[3:]}",
    }


@router.post("/submissions")
async def submit(
    request: Request,
    user: Officer,
    body: Annotated[dict[str, Any], Body()],
    x_csrf_token: Annotated[str, Header()] = "",
) -> Response:
    """One step from the form, as the API takes it: ``{"step": ..., "record": {...}}``."""
    check_csrf(request, x_csrf_token)
    return await run_in_threadpool(_submit, request, user, body)


def _submit(request: Request, user: User, body: dict[str, Any]) -> Response:
    wb, agency = bench(request), agency_of(request, user)
    step, record = str(body.get("step", "")), body.get("record")
    refused = partial(_refused, request)
    if not isinstance(record, dict):
        return refused(422, "invalid_request", "the body needs a step and its record")
    if not may_record(wb.workflow, agency.role, step):
        log.info("work.step_refused", agency=agency.id, step=step, reason="role_not_allowed")
        return refused(403, "role_not_allowed", f"a {agency.role} agency may not record {step}")
    rule = wb.workflow.rule(step)
    try:
        if rule is not None and not rule.first:
            _history(wb, agency.id, str(record.get("case_id", "")))
        status, new = wb.backend.submit(agency.id, step, record)
    except HTTPException:
        return refused(404, "case_not_found", "there is no such case among your agency's")
    except ApiError as error:
        return refused(error.status, error.reason, error.detail)
    log.info("work.submitted", user=user.name, agency=agency.id, step=step, new=new)
    return JSONResponse(_json(request, status), status_code=202 if new else 200)


@router.get("/submissions/{submission_id}")
async def submission(
    request: Request,
    submission_id: str,
    user: Officer,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_S)] = 0,
) -> Response:
    return await run_in_threadpool(_status, request, user, submission_id, wait)


def _status(request: Request, user: User, submission_id: str, wait: float) -> Response:
    wb = bench(request)
    try:
        return JSONResponse(_json(request, wb.backend.status(user.agency, submission_id, wait)))
    except ApiError as error:
        return _refused(request, error.status, error.reason, error.detail)


def _json(request: Request, status: SubmissionStatus) -> dict[str, Any]:
    return dict(vars(status)) | {"message": _message_for(request, status.detail)}


def _refused(request: Request, status: int, reason: str, detail: str) -> JSONResponse:
    body = {"status": "refused", "reason": reason, "detail": detail}
    return JSONResponse(body | {"message": _message_for(request, detail)}, status)


def _message_for(request: Request, detail: str) -> str:
    """The English ``detail`` (kept for scripts) as the officer reads it, in their language."""
    user = getattr(request.state, "user", None)
    t = translator(user.language if user else "vi", dashboard(request).zone)
    return localize(detail, t) if detail else ""


@router.post("/cases/{case_id}/personal-data")
async def open_data(
    request: Request,
    case_id: str,
    user: Officer,
    purpose: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """The child's personal data, for an agency that may read it, after a stated purpose."""
    check_csrf(request, csrf)
    context = await run_in_threadpool(_case, request, case_id, user)
    status, context["problem"] = 200, ""
    try:
        if not context["agency_entry"].reads_personal_data:  # before asking for a purpose
            raise PersonalDataAccessDenied(user.agency)
        context["opened"] = await run_in_threadpool(_open, request, case_id, user, purpose)
    except PurposeRequired:
        status, context["problem"] = 400, "purpose_required"
    except CaseError as error:
        status, context["problem"] = 403, error.reason
        log.info("work.personal_data_refused", user=user.name, agency=user.agency,
                 case_id=case_id, reason=error.reason)  # fmt: skip
    return page(request, "work_case.html", context, status)


def _open(request: Request, case_id: str, user: User, purpose: str) -> dict[str, str]:
    wb = bench(request)
    service = wb.backend.service
    data = open_personal_data(
        service.read_personal_data, wb.access_log, case_id, user.agency, user.name, purpose
    )
    log.info("work.personal_data_opened", user=user.name, agency=user.agency, case_id=case_id)
    return data


@router.get("/sw.js")
def service_worker() -> Response:
    """The service worker, from /work so that its scope is the workbench."""
    response = FileResponse(STATIC / "workbench-sw.js", media_type="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response
