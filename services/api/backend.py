"""What the API does for an authenticated agency, without HTTP: submit, look up, read.

Every method takes the agency that authenticated; nothing an agency names in a request can
widen what it sees. A case the agency takes no part in is "not found", like a missing one.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from events import Codec, ContractError, Topics
from events.instants import from_millis, now_millis
from projections.queries import by_case, overdue_now
from projections.readmodel import ReadModel
from services.api.apikeys import KeyFile
from services.api.errors import ApiError, not_found
from services.api.kafkaside import BadCursor, Publisher, RejectionWatcher, TopicPager
from services.api.ledger import Ledger, Taken
from services.api.records import from_json, inbox_json, to_json
from services.cases import errors
from services.cases.agencies import AgencyDirectory
from services.cases.application import CaseService
from services.cases.views import HistoryEntry
from services.kafka.provision import SUPERVISING_ROLES
from services.kafka.routing import Router
from services.runtime.logs import get_logger

log = get_logger(__name__)

MAX_WAIT_S = 30.0


@dataclass(frozen=True)
class SubmissionStatus:
    submission_id: str
    status: str  # pending | recorded | rejected
    case_id: str = ""
    step: str = ""
    event_id: str = ""
    sequence: int = 0
    reason: str = ""
    detail: str = ""


class Backend:
    def __init__(
        self,
        *,
        codec: Codec,
        topics: Topics,
        agencies: AgencyDirectory,
        router: Router,
        keys: KeyFile,
        backbone_public_key: str,
        service: Callable[[], CaseService],
        ledger: Ledger,
        publisher: Publisher,
        pager: TopicPager,
        watcher: RejectionWatcher,
        read_model: sa.Engine,
    ) -> None:
        self.codec = codec
        self.topics = topics
        self.agencies = agencies
        self.router = router
        self.keys = keys
        self.backbone_public_key = backbone_public_key
        self._service_factory = service
        self._service: CaseService | None = None
        self.ledger = ledger
        self.publisher = publisher
        self.pager = pager
        self.watcher = watcher
        self.read_model = read_model
        self._model: ReadModel | None = None
        self._lock = threading.Lock()

    @property
    def service(self) -> CaseService:
        """The case store, opened on first use (once: requests run in several threads)."""
        with self._lock:
            self._service = self._service or self._service_factory()
            return self._service

    # Submissions

    def submit(
        self, agency: str, step: str, record: Mapping[str, Any]
    ) -> tuple[SubmissionStatus, bool]:
        """Publish one step on the agency's intake topic; (status, True) when it is new.

        A submission id sent before is not published again: its status is the answer.
        """
        self.watcher.start()
        fields = dict(record)
        submission_id = str(fields.get("submission_id") or uuid.uuid4())
        fields["submission_id"] = submission_id
        try:
            value = self.codec.encode(
                step, from_json(self.codec, step, fields, self.backbone_public_key)
            )
        except ContractError as error:
            raise ApiError(422, error.reason, error.detail) from None
        case_id = str(fields.get("case_id", ""))
        if not self.ledger.take(agency, submission_id, Taken(case_id, step, now_millis())):
            return self.status(agency, submission_id), False
        try:
            self.publisher.publish(self.topics.intake(agency), case_id, value)
        except Exception as error:
            self.ledger.forget(agency, submission_id)
            log.error("api.publish_failed", agency=agency, error=type(error).__name__)
            raise ApiError(
                503, "broker_unavailable", "the submission was not taken; send it again later"
            ) from None
        log.info("api.submitted", agency=agency, step=step, submission_id=submission_id)
        return SubmissionStatus(submission_id, "pending", case_id, step), True

    def status(self, agency: str, submission_id: str, wait_s: float = 0.0) -> SubmissionStatus:
        """Where the submission stands; waits up to ``wait_s`` while it is pending."""
        self.watcher.start()
        deadline = time.monotonic() + min(wait_s, MAX_WAIT_S)
        while True:
            found = self._status(agency, submission_id)
            if found.status != "pending" or time.monotonic() >= deadline:
                return found
            time.sleep(0.1)

    def _status(self, agency: str, submission_id: str) -> SubmissionStatus:
        taken = self.ledger.taken(agency, submission_id)
        rejected = self.ledger.rejected(agency, submission_id)
        if taken is None and rejected is None:
            raise not_found("submission")
        case_id, step = (taken.case_id, taken.step) if taken else ("", "")
        entry = self._entry(case_id, submission_id) if case_id else None
        if entry is not None:
            return SubmissionStatus(
                submission_id, "recorded", case_id, entry.step, entry.event_id, entry.sequence
            )
        if rejected is not None:
            return SubmissionStatus(
                submission_id,
                "rejected",
                case_id,
                step,
                reason=rejected.reason,
                detail=rejected.detail,
            )
        return SubmissionStatus(submission_id, "pending", case_id, step)

    def _entry(self, case_id: str, submission_id: str) -> HistoryEntry | None:
        try:
            history = self.service.history(case_id)
        except (errors.CaseError, ValueError):
            return None
        return next((e for e in history if e.submission_id == submission_id), None)

    # Reading

    def inbox(self, agency: str, cursor: str, limit: int) -> tuple[list[dict[str, Any]], str]:
        page = self._page(self.topics.inbox(agency), cursor, limit)
        items = [item for value in page.values if (item := inbox_json(self.codec, value))]
        return items, page.cursor

    def rejections(self, agency: str, cursor: str, limit: int) -> tuple[list[dict[str, Any]], str]:
        page = self._page(self.topics.rejected(agency), cursor, limit)
        items = []
        for value in page.values:
            try:
                items.append(to_json(self.codec.decode(value).record))
            except ContractError:
                continue
        return items, page.cursor

    def case_events(self, agency: str, case_id: str) -> list[HistoryEntry]:
        try:
            history = self.service.history(case_id)
        except (errors.CaseError, ValueError):
            raise not_found("case") from None
        if agency not in self._participants(history):
            log.info("api.case_refused", agency=agency, case_id=case_id)
            raise not_found("case")
        return history

    def _participants(self, history: list[HistoryEntry]) -> set[str]:
        """Who takes part in the case: its authors and whoever the routing brought in."""
        found: set[str] = set()
        for entry in history:
            found.add(entry.agency)
            # As the relay routes it: to the agencies in office on the step's local day.
            on = self.agencies.local_day(from_millis(entry.occurred_at))
            deliveries = self.router.deliveries(entry.step, entry.payload, entry.agency, found, on)
            found.update(delivery.agency for delivery in deliveries)
        return found

    def stalled(self, agency: str) -> list[dict[str, Any]]:
        who = self.agencies.get(agency)
        if who is None or who.role not in SUPERVISING_ROLES:
            raise ApiError(403, "not_supervising", "only supervising agencies read stalled cases")
        area = None if who.area == "00" else who.area
        now = datetime.now(UTC)
        with self._lock:
            model = self._model = self._model or ReadModel().create(self.read_model)
        with self.read_model.connect() as conn:
            # The plain values the dashboard's board reads (not the engine's records): a
            # province's stalled list is read whole, at a fraction of the memory.
            found = by_case(overdue_now(conn, model, now, area))
        return [
            {
                "case_id": items[0].case_id,
                "level": items[0].level,
                "area": items[0].area,
                "overdue": [
                    {
                        "rule_id": o.rule_id,
                        "responsible_role": o.responsible_role,
                        "responsible_agency": o.responsible_agency or "",
                        "due_at": to_json(from_millis(o.due_ms)),
                        "level": o.level,
                        "citation": o.citation,
                    }
                    for o in items
                ],
            }
            for items in found
        ]

    def _page(self, topic: str, cursor: str, limit: int) -> Any:
        try:
            return self.pager.page(topic, cursor, limit)
        except BadCursor:
            raise ApiError(400, "bad_cursor", "pass back the cursor of the previous page") from None

    def close(self) -> None:
        self.watcher.stop()
        self.publisher.close()
        self.pager.close()
        if self._service is not None:
            self._service.close()
        self.read_model.dispose()
