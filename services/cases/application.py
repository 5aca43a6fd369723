"""Use cases on cases: report, record a step, read, forget, verify.

One event store for both databases: eventsourcing with the ``eventsourcing_sqlalchemy``
persistence module on ``settings.effective_database_url`` (SQLite or PostgreSQL). Every use
case loads the case, asks the aggregate, saves; a version conflict (another agency wrote the
case meanwhile) reloads and retries, which is safe because the rules are checked again on the
fresh state. A ``submission_id`` already recorded on the case returns the recorded event.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.utils import Environment, EnvType

from deploy.process import private_home
from events.instants import now_millis
from services.cases import errors
from services.cases.agencies import Agency, AgencyDirectory, load_agencies
from services.cases.chain import ChainedEvent, Verification, verify_chain
from services.cases.domainmodel import (
    CASE_REPORTED,
    PERSONAL_DATA_ERASED,
    PERSONAL_FIELDS,
    Case,
    Submission,
)
from services.cases.privacy import BatchKeys, KeyStore, create_key_engine, load_master_key
from services.cases.recorder import FACTORY_TOPIC, BatchRecorder
from services.cases.views import CaseView, HistoryEntry, RecordedStep, entry_of, recorded, view_of
from services.cases.workflow import Workflow, load_workflow
from services.logs import get_logger
from services.ops.erasures import erasures_file
from services.settings import Settings
from services.tables import despite_racing_creators

WORKFLOW_FILE = "workflow.toml"
MAX_ATTEMPTS = 12
BACKOFF_SECONDS = 0.002
log = get_logger(__name__)


def store_env(settings: Settings) -> dict[str, str]:
    """eventsourcing settings for the configured database (no cipher, no compression)."""
    return {
        "PERSISTENCE_MODULE": FACTORY_TOPIC,
        "SQLALCHEMY_URL": settings.effective_database_url,
        "CREATE_TABLE": "y",
        "CIPHER_TOPIC": "",
        "COMPRESSOR_TOPIC": "",
        "IS_SNAPSHOTTING_ENABLED": "no",
    }


@dataclass(frozen=True)
class StepRequest:
    """One submission to record: the arguments of ``record`` as a value."""

    case_id: str
    step: str
    fields: Mapping[str, Any]
    agency: str
    submission_id: str
    occurred_at: int
    personal_data: Mapping[str, str] | None = None


class CaseService(Application[UUID]):
    """The write side of cases, over one event store and one key table."""

    name = "Cases"

    def __init__(
        self,
        settings: Settings,
        *,
        workflow: Workflow,
        agencies: AgencyDirectory,
        keys: KeyStore,
    ) -> None:
        self.workflow = workflow
        self.agencies = agencies
        self.keys = keys
        self.database_url = settings.effective_database_url
        # The event table is created by the recorder; other processes may be creating it too.
        despite_racing_creators(lambda: super(CaseService, self).__init__(env=store_env(settings)))

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """Only the settings passed in: ``services.settings`` alone reads the environment."""
        return Environment(name, dict(env or {}))

    @classmethod
    def from_settings(cls, settings: Settings) -> CaseService:
        """Composition root: rules and agencies from ``config_dir``, keys beside the events."""
        private_home(settings.home, settings.embedded_store)
        keys = KeyStore(
            create_key_engine(settings.effective_database_url),
            load_master_key(settings.effective_master_key_file),
            erasures_file(settings.effective_master_key_file),
        )
        keys.create_table()
        return cls(
            settings,
            workflow=load_workflow(settings.config_dir / WORKFLOW_FILE),
            agencies=load_agencies(settings.config_dir),
            keys=keys,
        )

    # Commands

    def report(
        self,
        case_id: str,
        fields: Mapping[str, Any],
        agency: str,
        submission_id: str,
        occurred_at: int,
        personal_data: Mapping[str, str] | None = None,
    ) -> RecordedStep:
        """Open a case with CaseReported; ``case_id`` is the UUID the reporting agency chose."""
        submission = self._submission(CASE_REPORTED, fields, agency, submission_id, occurred_at)
        existing = self._existing_report(case_id, submission)
        if existing is not None:
            return existing
        Case.report(_case_uuid(case_id), submission, self.workflow)  # refuse before any key
        keys = self.keys.batch([case_id])
        sealed = self._seal_new(keys, case_id, personal_data)
        case = Case.report(_case_uuid(case_id), _with_sealed(submission, sealed), self.workflow)
        try:
            self._save(keys, case)
        except IntegrityError:
            return self._raced_report(case_id, submission)
        log.info("case.reported", case_id=case_id, agency=agency, submission_id=submission_id)
        return recorded(case_id, case.last_receipt, duplicate=False)

    def record(
        self,
        case_id: str,
        step: str,
        fields: Mapping[str, Any],
        agency: str,
        submission_id: str,
        occurred_at: int,
        personal_data: Mapping[str, str] | None = None,
        *,
        ordered_erasure: bool = False,
    ) -> RecordedStep:
        """Record one step (any wire name; CaseReported opens the case).

        PersonalDataErased is recorded only by ``forget`` (``ordered_erasure``), which also
        destroys the key: an erasure recorded without it would claim what did not happen.
        """
        if step == PERSONAL_DATA_ERASED and not ordered_erasure:
            raise _erasure_reserved()
        if step == CASE_REPORTED:
            args = (case_id, fields, agency, submission_id, occurred_at, personal_data)
            return self.report(*args)
        submission = self._submission(step, fields, agency, submission_id, occurred_at)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            case = self._load(case_id)
            if case.receipt(submission_id) is not None:
                return self._duplicate(case_id, case, submission)
            keys = self.keys.batch([case_id])
            sealed = self._seal_merged(keys, case_id, case, personal_data)
            case.record(_with_sealed(submission, sealed), self.workflow)
            if self._saved(keys, case, case_id, attempt):
                log.info(
                    "case.step_recorded",
                    case_id=case_id,
                    step=step,
                    agency=agency,
                    submission_id=submission_id,
                    sequence=case.version,
                )
                return recorded(case_id, case.last_receipt, duplicate=False)
        raise errors.ConcurrencyConflict(case_id, MAX_ATTEMPTS)

    def record_many(self, requests: Sequence[StepRequest]) -> list[RecordedStep | errors.CaseError]:
        """Apply submissions in order and save them all in one transaction.

        Each outcome is the recorded step or the refusal of that submission. If another
        writer changed one of the cases meanwhile, nothing of the batch was saved and each
        submission is recorded on its own instead (with ``record``'s retries): submission ids
        make that safe.
        """
        cases = self._load_many(request.case_id for request in requests)
        keys = self.keys.batch(r.case_id for r in requests if r.personal_data)
        outcomes = [self._apply_in_batch(cases, keys, request) for request in requests]
        try:
            self._save(keys, *(case for case in cases.values() if case is not None))
        except IntegrityError:
            log.info("case.batch_conflict", submissions=len(requests))
            return [self._record_alone(request) for request in requests]
        for outcome in outcomes:
            if isinstance(outcome, RecordedStep) and not outcome.duplicate:
                log.info(
                    "case.step_recorded",
                    case_id=outcome.case_id,
                    step=outcome.step,
                    submission_id=outcome.submission_id,
                    sequence=outcome.sequence,
                )
        return outcomes

    def forget(self, case_id: str, by_agency: str) -> RecordedStep:
        """Erase the case's personal data: record PersonalDataErased, then destroy the key.

        Idempotent: forgetting again returns the recorded erasure and makes sure the key is
        gone (in case a crash came between the two).
        """
        erasure_id = f"erase-{case_id}"
        receipt = self._load(case_id).receipt(erasure_id)
        if receipt is not None:  # ordered before: the same erasure, whenever it is asked again
            self.keys.shred(case_id)
            return recorded(case_id, receipt, duplicate=True)
        try:
            recorded_step = self.record(
                case_id,
                PERSONAL_DATA_ERASED,
                {},
                by_agency,
                submission_id=erasure_id,
                occurred_at=_now_ms(),
                ordered_erasure=True,
            )
        except errors.AlreadyRecorded:
            self.keys.shred(case_id)  # recorded once already: make sure the key is gone
            raise
        self.keys.shred(case_id)
        log.info("case.personal_data_erased", case_id=case_id, agency=by_agency)
        return recorded_step

    # Queries

    def get(self, case_id: str) -> CaseView:
        """The case as it stands."""
        return view_of(case_id, self._load(case_id))

    def history(self, case_id: str) -> list[HistoryEntry]:
        """Every recorded event of the case, in order (no personal data)."""
        events = self.repository.event_store.get(_case_uuid(case_id))
        entries = [entry_of(event) for event in events if isinstance(event, Case.Event)]
        if not entries:
            raise errors.CaseNotFound(case_id)
        return entries

    def entries_since(self, position: int, limit: int) -> list[tuple[int, HistoryEntry]]:
        """Recorded events of all cases after notification ``position``."""
        return [(at, entry) for at, entry, _ in self.sealed_entries_since(position, limit)]

    def sealed_entries_since(
        self, position: int, limit: int
    ) -> list[tuple[int, HistoryEntry, str]]:
        """The same for the relay, each with the personal data it carries, still sealed with
        the case key ("" if none)."""
        notifications = self.recorder.select_notifications(
            start=position, limit=limit, inclusive_of_start=False
        )
        events = [(n.id, self._decode(n)) for n in notifications]
        return [(at, entry_of(event), event.sealed_personal_data) for at, event in events]

    def latest_sealed(self, case_id: str) -> str:
        """The case's latest sealed personal data, read back from its newest event without
        replaying the case: "" if it has none, or none since it was erased."""
        for stored in self.recorder.select_events(_case_uuid(case_id), desc=True):
            event = self._decode(stored)
            if event.step == PERSONAL_DATA_ERASED:
                return ""
            if event.sealed_personal_data:
                return event.sealed_personal_data
        return ""

    def read_personal_data(self, case_id: str, agency: str) -> dict[str, str]:
        """The case's personal data in clear, for agencies with ``reads_personal_data``."""
        reader = self.agencies.get(agency)
        if reader is None or not reader.reads_personal_data:
            raise errors.PersonalDataAccessDenied(agency)
        self._agency(agency, _now_ms())  # an agency that has ended reads no more
        case = self._load(case_id)
        if case.personal_data_erased or self.keys.is_shredded(case_id):
            raise errors.PersonalDataErasedError(case_id)
        log.info("case.personal_data_read", case_id=case_id, agency=agency)
        if not case.sealed_personal_data:
            return {}
        return self.keys.unseal(case_id, case.sealed_personal_data)

    def verify(self, case_id: str, head: tuple[int, str] | None = None) -> Verification:
        """Check the stored hash chain of the case; names the first bad event."""
        stored = self.recorder.select_events(_case_uuid(case_id))
        records = [(s.originator_version, self._decode_or_none(s)) for s in stored]
        result = verify_chain(case_id, records, head)
        log.info("case.verified", case_id=case_id, ok=result.ok, first_bad=result.first_bad)
        return result

    def close(self) -> None:
        """Release the store's and the key table's connections."""
        super().close()
        self.keys.close()

    # Helpers

    def _submission(
        self,
        step: str,
        fields: Mapping[str, Any],
        agency_id: str,
        submission_id: str,
        occurred_at: int,
    ) -> Submission:
        agency = self._agency(agency_id, occurred_at)
        addressee = fields.get("to_agency")
        if isinstance(addressee, str) and addressee:
            self._agency(addressee, occurred_at)  # a referral goes to an agency that exists
        payload = {key: _primitive(value) for key, value in fields.items()}
        return Submission(step, payload, agency.id, agency.role, occurred_at, submission_id)

    def _agency(self, agency_id: str, occurred_at: int) -> Agency:
        agency = self.agencies.get(agency_id)
        if agency is None:
            raise errors.UnknownAgency(agency_id)
        day = self.agencies.local_day(datetime.fromtimestamp(occurred_at / 1000, UTC))
        if not agency.valid_on(day):
            acting = self.agencies.in_office(agency_id, day)
            raise errors.AgencyNotValid(agency_id, day.isoformat(), acting.id if acting else None)
        return agency

    def _load(self, case_id: str) -> Case:
        try:
            case: Any = self.repository.get(_case_uuid(case_id))
        except AggregateNotFoundError:
            raise errors.CaseNotFound(case_id) from None
        if not isinstance(case, Case):
            raise errors.CaseNotFound(case_id)
        return case

    def _load_many(self, case_ids: Iterable[str]) -> dict[str, Case | None]:
        """The cases of a batch, read in one query; None for a case not reported yet (a case id
        that is not a UUID is left out: its submission is refused when applied)."""
        wanted: dict[UUID, str] = {}
        for case_id in case_ids:
            try:
                wanted[UUID(case_id)] = case_id
            except (ValueError, TypeError, AttributeError):
                continue
        stored = self._recorder.select_cases(wanted)
        cases: dict[str, Case | None] = dict.fromkeys(wanted.values())
        for case_uuid, events in stored.items():
            case = project_aggregate(None, map(self.mapper.to_domain_event, events))
            cases[wanted[case_uuid]] = case if isinstance(case, Case) else None
        return cases

    def _save(self, keys: BatchKeys, *cases: Case) -> None:
        """Save the cases' new events and the keys they were sealed with, in one transaction."""
        with self._recorder.transaction(commit=True) as session:
            keys.write(session.connection())
            self.save(*cases)

    @property
    def events_channel(self) -> str:
        """The PostgreSQL channel the store NOTIFYs on with every write."""
        return self._recorder.channel_name

    @property
    def _recorder(self) -> BatchRecorder:
        if not isinstance(self.recorder, BatchRecorder):
            raise TypeError(f"the case store needs {FACTORY_TOPIC}")
        return self.recorder

    def _apply_in_batch(
        self, cases: dict[str, Case | None], keys: BatchKeys, request: StepRequest
    ) -> RecordedStep | errors.CaseError:
        try:
            return self._apply(cases, keys, request)
        except errors.CaseError as refusal:
            return refusal

    def _apply(
        self, cases: dict[str, Case | None], keys: BatchKeys, request: StepRequest
    ) -> RecordedStep:
        if request.step == PERSONAL_DATA_ERASED:
            raise _erasure_reserved()
        submission = self._submission(
            request.step, request.fields, request.agency, request.submission_id, request.occurred_at
        )
        if request.case_id not in cases:
            cases[request.case_id] = self._find(request.case_id)
        case = cases[request.case_id]
        if case is not None and case.receipt(request.submission_id) is not None:
            return self._duplicate(request.case_id, case, submission)
        if request.step == CASE_REPORTED:
            if case is not None:
                raise errors.DuplicateCase(request.case_id)
            case_uuid = _case_uuid(request.case_id)
            Case.report(case_uuid, submission, self.workflow)  # refuse before any key
            sealed = self._seal_new(keys, request.case_id, request.personal_data)
            case = Case.report(case_uuid, _with_sealed(submission, sealed), self.workflow)
            cases[request.case_id] = case
        elif case is None:
            raise errors.CaseNotFound(request.case_id)
        else:
            sealed = self._seal_merged(keys, request.case_id, case, request.personal_data)
            case.record(_with_sealed(submission, sealed), self.workflow)
        return recorded(request.case_id, case.last_receipt, duplicate=False)

    def _record_alone(self, request: StepRequest) -> RecordedStep | errors.CaseError:
        try:
            return self.record(
                request.case_id,
                request.step,
                request.fields,
                request.agency,
                request.submission_id,
                request.occurred_at,
                request.personal_data,
            )
        except errors.CaseError as refusal:
            return refusal

    def _find(self, case_id: str) -> Case | None:
        try:
            return self._load(case_id)
        except errors.CaseNotFound:
            return None

    def _existing_report(self, case_id: str, submission: Submission) -> RecordedStep | None:
        try:
            case = self._load(case_id)
        except errors.CaseNotFound:
            return None
        if case.receipt(submission.submission_id) is None:
            raise errors.DuplicateCase(case_id)
        return self._duplicate(case_id, case, submission)

    def _raced_report(self, case_id: str, submission: Submission) -> RecordedStep:
        existing = self._existing_report(case_id, submission)
        if existing is None:  # the conflict was not on this case: let it surface
            raise errors.ConcurrencyConflict(case_id, 1)
        return existing

    def _duplicate(self, case_id: str, case: Case, submission: Submission) -> RecordedStep:
        """The recorded step of a resent submission; a different one under its id is refused."""
        submission_id = submission.submission_id
        receipt = case.receipt(submission_id)
        if receipt is None:
            raise errors.CaseNotFound(case_id)
        if receipt.content != submission.content:
            raise errors.SubmissionIdReused(case_id, submission_id)
        log.info("case.duplicate_submission", case_id=case_id, submission_id=submission_id)
        return recorded(case_id, receipt, duplicate=True)

    def _saved(self, keys: BatchKeys, case: Case, case_id: str, attempt: int) -> bool:
        try:
            self._save(keys, case)
        except IntegrityError:
            log.info("case.version_conflict", case_id=case_id, attempt=attempt)
            time.sleep(random.uniform(0, BACKOFF_SECONDS * 2 ** min(attempt, 8)))
            return False
        return True

    @staticmethod
    def _seal_new(keys: BatchKeys, case_id: str, personal_data: Mapping[str, str] | None) -> str:
        cleaned = _clean(personal_data)
        if not cleaned:
            return ""
        keys.ensure_key(case_id)
        return keys.seal(case_id, cleaned)

    @staticmethod
    def _seal_merged(
        keys: BatchKeys, case_id: str, case: Case, personal_data: Mapping[str, str] | None
    ) -> str:
        cleaned = _clean(personal_data)
        if not cleaned:
            return ""
        if case.personal_data_erased:
            raise errors.PersonalDataErasedError(case_id)
        keys.ensure_key(case_id)
        sealed = case.sealed_personal_data
        current = keys.unseal(case_id, sealed) if sealed else {}
        return keys.seal(case_id, current | cleaned)

    def _decode(self, stored: StoredEvent) -> Case.Event:
        event = self.mapper.to_domain_event(stored)
        if not isinstance(event, Case.Event):
            raise TypeError(f"not a case event: {stored.topic}")
        return event

    def _decode_or_none(self, stored: StoredEvent) -> ChainedEvent | None:
        try:
            return self._decode(stored)
        except Exception:  # any undecodable state is evidence of tampering, not a crash
            return None


def _erasure_reserved() -> errors.StepNotAllowed:
    return errors.StepNotAllowed(
        PERSONAL_DATA_ERASED, "any", "only an erasure order (backbone forget) records it"
    )


def _clean(personal_data: Mapping[str, str] | None) -> dict[str, str]:
    """The non-empty PersonalData fields; refuses unknown fields and non-text values."""
    if not personal_data:
        return {}
    bad = [
        k for k, v in personal_data.items() if k not in PERSONAL_FIELDS or not isinstance(v, str)
    ]
    if bad:
        raise errors.InvalidPersonalData(sorted(bad))
    return {key: value for key, value in personal_data.items() if value}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _primitive(value: Any) -> Any:
    """Timestamps as epoch milliseconds (the wire's timestamp-millis), so events stay JSON."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a timestamp without a time zone")
        return (value - _EPOCH) // timedelta(milliseconds=1)  # exact: no float rounding
    if isinstance(value, list | tuple):
        return [_primitive(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _primitive(item) for key, item in value.items()}
    return value


def _with_sealed(submission: Submission, sealed: str) -> Submission:
    return Submission(**{**vars(submission), "sealed_personal_data": sealed})


def _case_uuid(case_id: str) -> UUID:
    try:
        return UUID(case_id)
    except (ValueError, TypeError, AttributeError):
        raise errors.InvalidCaseId(case_id) from None


def _now_ms() -> int:
    return now_millis()
