"""The FastAPI application of the agency API (routes, authentication, limits, error answers).

Paths here are relative: the application is mounted at ``/api`` (``backbone serve`` mounts it
into the dashboard; ``backbone api serve`` mounts it alone), so its documentation page is
``/api/docs`` and its schema ``/api/openapi.json``.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from events.instants import from_millis
from services.api.apikeys import key_id_of
from services.api.backend import MAX_WAIT_S, Backend, SubmissionStatus
from services.api.errors import ApiError, ErrorBody
from services.api.limits import BodyLimit, RateLimiter, TooLarge, retry_after
from services.runtime.logs import get_logger
from services.runtime.settings import Settings

log = get_logger(__name__)
bearer = HTTPBearer(auto_error=False, description="an API key: `rbk_<key id>_<secret>`")
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (401, "no key, or not a valid one"),
        (413, "the body is larger than the limit"),
        (422, "the request does not fit the contract (reason says how)"),
        (429, "too many requests for this agency: wait Retry-After seconds"),
    )
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "unknown, or not this agency's"}
}


class SubmissionIn(BaseModel):
    """One step, as JSON mirroring its Avro record (``events/schemas/<step>.avsc``)."""

    step: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9]{0,99}$", examples=["CaseReported"])
    record: dict[str, Any] = Field(
        description="the record's fields by name; timestamps as ISO 8601 with an offset or "
        "epoch milliseconds; bytes as base64. `submission_id` may be left out (the API makes "
        "one). `personal_data`: base64 of a sealed PersonalData, or an object of PersonalData "
        "fields that the API seals to the backbone's key at once and never stores or logs."
    )


class SubmissionOut(BaseModel):
    submission_id: str
    status: str = Field(description="pending | recorded | rejected")
    case_id: str = ""
    step: str = ""
    event_id: str = ""
    sequence: int = 0
    reason: str = Field(default="", description="rejection reason code (see CONTRACT.md)")
    detail: str = ""


class Page(BaseModel):
    items: list[dict[str, Any]]
    cursor: str = Field(description="pass it back as `cursor` for the next page")


class CaseEvents(BaseModel):
    case_id: str
    events: list[dict[str, Any]]


class StalledList(BaseModel):
    at: datetime
    cases: list[dict[str, Any]]


def create_api(settings: Settings, backend: Backend) -> FastAPI:
    """The agency API on ``backend`` (``services.api.wiring.build_api`` builds both).

    Mounted apps get no start-up or shut-down events: the backend connects lazily and the
    host calls ``app.state.backend.close()`` when it stops.
    """
    app = FastAPI(
        title="Referral Backbone agency API",
        version="1",
        description="Submit case steps and read what concerns your agency. Every answer "
        "other than 2xx has a machine-readable `reason` and a `detail` for people.",
        responses=ERRORS,
    )
    app.state.backend = backend
    limiter = RateLimiter(settings.api_rate_per_second, settings.api_burst)
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    _add_error_answers(app, settings.api_max_body_bytes)

    def agency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> str:
        presented = credentials.credentials if credentials else ""
        who = backend.keys.authenticate(presented) if presented else None
        if who is None:
            log.warning(
                "api.auth_failed",
                key_id=key_id_of(presented),
                why="missing" if not presented else "invalid",
                client=request.client.host if request.client else "",
                path=request.url.path,
            )
            raise ApiError(
                401,
                "unauthenticated",
                "send your agency's API key as `Authorization: Bearer <key>`",
                {"WWW-Authenticate": "Bearer"},
            )
        wait = limiter.wait_needed(who)
        if wait:
            log.info("api.rate_limited", agency=who)
            raise ApiError(
                429,
                "rate_limited",
                "too many requests for your agency; wait and send again",
                {"Retry-After": retry_after(wait)},
            )
        return who

    Agency = Annotated[str, Depends(agency)]
    Id = Annotated[str, Path(min_length=1, max_length=100)]

    @app.post("/submissions", status_code=202, responses={200: {"model": SubmissionOut}})
    def submit(body: SubmissionIn, who: Agency) -> Any:
        """Publish one step on your agency's intake topic; 200 with its status when this
        submission id was taken before (nothing is published again)."""
        status, new = backend.submit(who, body.step, body.record)
        return JSONResponse(_status(status).model_dump(), status_code=202 if new else 200)

    @app.get("/submissions/{submission_id}", responses=NOT_FOUND)
    def submission(
        submission_id: Id,
        who: Agency,
        wait: Annotated[float, Query(ge=0, le=MAX_WAIT_S, description="seconds")] = 0,
    ) -> SubmissionOut:
        """Recorded, rejected (with the reason) or still pending; `wait` waits while pending."""
        return _status(backend.status(who, submission_id, wait))

    Cursor = Annotated[str, Query(max_length=2000, description="from the previous page")]
    Limit = Annotated[int, Query(ge=1, le=500)]

    @app.get("/inbox", responses={400: {"model": ErrorBody}})
    def inbox(who: Agency, cursor: Cursor = "", limit: Limit = 100) -> Page:
        """Case events addressed to your agency, oldest first; personal data stays sealed to
        your inbox key (`personal_data_sealed`, base64)."""
        items, after = backend.inbox(who, cursor, limit)
        return Page(items=items, cursor=after)

    @app.get("/rejections", responses={400: {"model": ErrorBody}})
    def rejections(who: Agency, cursor: Cursor = "", limit: Limit = 100) -> Page:
        """Your submissions the backbone refused (HTTP or Kafka), with reason and original."""
        items, after = backend.rejections(who, cursor, limit)
        return Page(items=items, cursor=after)

    @app.get("/cases/{case_id}/events", responses=NOT_FOUND)
    def case_events(case_id: Id, who: Agency) -> CaseEvents:
        """The recorded events of a case your agency takes part in (no personal data)."""
        entries = backend.case_events(who, case_id)
        return CaseEvents(case_id=case_id, events=[_entry(e) for e in entries])

    @app.get("/stalled", responses={403: {"model": ErrorBody}})
    def stalled(who: Agency) -> StalledList:
        """For supervising agencies: the stalled cases of their area, most overdue first."""
        return StalledList(at=datetime.now(UTC), cases=backend.stalled(who))

    return app


def _status(status: SubmissionStatus) -> SubmissionOut:
    return SubmissionOut(**vars(status))


def _entry(entry: Any) -> dict[str, Any]:
    row = dict(vars(entry))
    for name in ("occurred_at", "recorded_at"):
        row[name] = from_millis(row[name]).isoformat()
    row["payload"] = dict(row["payload"])
    return row


def _add_error_answers(app: FastAPI, max_bytes: int) -> None:
    def answer(
        status: int, reason: str, detail: str, headers: dict[str, str] | None = None
    ) -> JSONResponse:
        return JSONResponse({"reason": reason, "detail": detail}, status, headers=headers)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return answer(error.status, error.reason, error.detail, error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        # Locations and messages only: the input may be personal data.
        problems = [
            f"{'.'.join(str(part) for part in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in error.errors()[:5]
        ]
        return answer(422, "invalid_request", "; ".join(problems) or "the request is malformed")

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, error: TooLarge) -> JSONResponse:
        return answer(413, "body_too_large", f"a request body may hold at most {max_bytes} bytes")

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> JSONResponse:
        log.error("api.internal_error", path=request.url.path, error=type(error).__name__)
        return answer(500, "internal_error", "the backbone failed; send the request again later")
