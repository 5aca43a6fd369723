"""Use cases on cases: report, record a step, read, forget, verify.

One event store for both databases: eventsourcing with the ``eventsourcing_sqlalchemy``
persistence module on ``settings.effective_database_url`` (SQLite or PostgreSQL). Recording has
one path: ``record`` is a batch of one and ``record_many`` a batch of many; each reads its cases
(but those it reports and those this process kept from its last batches, whose conflicts the
store's unique version catches), applies the submissions (:mod:`services.cases.recording`,
where the order of the checks is written down) and saves the new events and case keys in one
transaction. A version conflict (another agency wrote a case meanwhile) reloads and retries,
which is safe because the rules are checked again on the fresh state; a ``submission_id``
already recorded on the case returns the recorded event.

Over 300 lines because this is the one ``eventsourcing`` Application of cases: its commands
and queries share the application's repository, mapper and recorder, which is why they sit in
one class; what a step must satisfy is kept apart, in ``recording`` and the aggregate.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.utils import Environment, EnvType
from sqlalchemy import Connection

from deploy.process import private_home
from events.instants import now_millis
from services.cases import errors
from services.cases.agencies import AgencyDirectory, load_agencies
from services.cases.chain import ChainedEvent, Verification, verify_chain
from services.cases.domainmodel import CASE_REPORTED, PERSONAL_DATA_ERASED, Case
from services.cases.privacy import BatchKeys, KeyStore, create_key_engine, load_master_key
from services.cases.recent import RecentCases
from services.cases.recorder import FACTORY_TOPIC, BatchRecorder, event_rows
from services.cases.recording import StepBatch, agency_on, case_uuid
from services.cases.recording import StepRequest as StepRequest  # callers import it from here
from services.cases.storedentries import EntryReader
from services.cases.views import CaseView, HistoryEntry, RecordedStep, entry_of, recorded, view_of
from services.cases.workflow import Workflow, load_workflow
from services.ops.erasures import erasures_file
from services.runtime.logs import get_logger
from services.runtime.settings import Settings
from services.runtime.tables import despite_racing_creators

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
        self._recent = RecentCases()
        # The event table is created by the recorder; other processes may be creating it too.
        despite_racing_creators(lambda: super(CaseService, self).__init__(env=store_env(settings)))

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """Only the settings passed in: ``services.runtime.settings`` alone reads the
        environment."""
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
        request = StepRequest(
            case_id, CASE_REPORTED, fields, agency, submission_id, occurred_at, personal_data
        )
        return self._record_alone(request)

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
        """Record one step (any wire name; CaseReported opens the case): a batch of one,
        retried on a version conflict; a refusal is raised.

        PersonalDataErased is recorded only by ``forget`` (``ordered_erasure``), which also
        destroys the key: an erasure recorded without it would claim what did not happen.
        """
        request = StepRequest(
            case_id, step, fields, agency, submission_id, occurred_at, personal_data
        )
        return self._record_alone(request, ordered_erasure=ordered_erasure)

    def record_many(self, requests: Sequence[StepRequest]) -> list[RecordedStep | errors.CaseError]:
        """Apply submissions in order and save them all in one transaction.

        Each outcome is the recorded step or the refusal of that submission. If the batch
        collided with what is stored (a case it took to be new, or another writer changed one
        of its cases meanwhile), nothing of it was saved: it is applied once more to all its
        cases as read, and should that collide too, each submission is recorded on its own
        (with ``record``'s retries): submission ids make that safe. A batch sent again after a
        crash thus costs two batches, not a transaction per submission.
        """
        outcomes = self._record_batch(requests)
        if outcomes is None:
            outcomes = self._record_batch(requests, presume_new=False)
        if outcomes is None:
            log.info("case.batch_conflict", submissions=len(requests))
            return [self._outcome_alone(request) for request in requests]
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
                occurred_at=now_millis(),
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
        events = self.repository.event_store.get(case_uuid(case_id))
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
        read = self._entry_reader.sealed_entry
        return [(n.id, *read(n)) for n in notifications]

    @cached_property
    def _entry_reader(self) -> EntryReader:
        return EntryReader(self.mapper)

    def latest_sealed(self, case_id: str) -> str:
        """The case's latest sealed personal data, read back from its newest event without
        replaying the case: "" if it has none, or none since it was erased."""
        for stored in self.recorder.select_events(case_uuid(case_id), desc=True):
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
        agency_on(self.agencies, agency, now_millis())  # an agency that has ended reads no more
        case = self._load(case_id)
        if case.personal_data_erased or self.keys.is_shredded(case_id):
            raise errors.PersonalDataErasedError(case_id)
        log.info("case.personal_data_read", case_id=case_id, agency=agency)
        if not case.sealed_personal_data:
            return {}
        return self.keys.unseal(case_id, case.sealed_personal_data)

    def verify(self, case_id: str, head: tuple[int, str] | None = None) -> Verification:
        """Check the stored hash chain of the case; names the first bad event."""
        stored = self.recorder.select_events(case_uuid(case_id))
        records = [(s.originator_version, self._decode_or_none(s)) for s in stored]
        result = verify_chain(case_id, records, head)
        log.info("case.verified", case_id=case_id, ok=result.ok, first_bad=result.first_bad)
        return result

    def close(self) -> None:
        """Release the store's and the key table's connections."""
        super().close()
        self.keys.close()

    # Helpers

    def _load(self, case_id: str) -> Case:
        try:
            case: Any = self.repository.get(case_uuid(case_id))
        except AggregateNotFoundError:
            raise errors.CaseNotFound(case_id) from None
        if not isinstance(case, Case):
            raise errors.CaseNotFound(case_id)
        return case

    def _load_many(
        self, case_ids: Iterable[str], connection: Connection | None = None
    ) -> dict[str, Case | None]:
        """The cases of a batch, read in one query (on ``connection`` when given); None for a
        case not reported yet (a case id that is not a UUID is left out: its submission is
        refused when applied)."""
        wanted: dict[UUID, str] = {}
        for case_id in dict.fromkeys(case_ids):  # a case's every submission names it
            try:
                wanted[UUID(case_id)] = case_id
            except (ValueError, TypeError, AttributeError):
                continue
        stored = self._recorder.select_cases(wanted, connection)
        cases: dict[str, Case | None] = dict.fromkeys(wanted.values())
        for stored_id, events in stored.items():
            case = project_aggregate(None, map(self.mapper.to_domain_event, events))
            cases[wanted[stored_id]] = case if isinstance(case, Case) else None
        return cases

    def _save(self, keys: BatchKeys, *cases: Case) -> None:
        """Save the cases' new events and the keys they were sealed with, in one transaction.

        The events go straight to the recorder rather than through ``Application.save``: that
        path adds what this application does not use (snapshots, followers notified
        in-process, protocol checks per object), and mapping the events before the
        transaction opens keeps PostgreSQL's table lock short."""
        rows = event_rows(self.mapper, (e for case in cases for e in case.collect_events()))
        with self._recorder.transaction(commit=True) as session:
            self._recorder.insert_rows(session, rows, keys.insert(session.get_bind().dialect))
        keys.log_created()

    @property
    def events_channel(self) -> str:
        """The PostgreSQL channel the store NOTIFYs on with every write."""
        return self._recorder.channel_name

    @property
    def _recorder(self) -> BatchRecorder:
        if not isinstance(self.recorder, BatchRecorder):
            raise TypeError(f"the case store needs {FACTORY_TOPIC}")
        return self.recorder

    def _record_batch(
        self,
        requests: Sequence[StepRequest],
        *,
        ordered_erasure: bool = False,
        presume_new: bool = True,
    ) -> list[RecordedStep | errors.CaseError] | None:
        """The one recording path: apply the submissions to their cases and save the new
        events and keys in one transaction; None (nothing saved) on a version conflict.

        With ``presume_new``, a case this process kept from a batch before is not read
        (:mod:`services.cases.recent`), nor is a case whose first submission in the batch is
        its report (it is taken to be new, as a report says, unless it is kept). Should such a
        case be other than taken (stored after all, moved on by another writer), the batch's
        first event on it takes a version that is stored already, so the batch collides when
        it is saved and nothing of it is kept (None), as with any other writer's conflict. A
        refusal decided on a case taken so stands only once the store shows the case where it
        was taken to be; otherwise the batch is applied again to its cases as read."""
        kept = self._recent.take(_case_ids(requests, set())) if presume_new else {}
        new = _reported_first(requests) - kept.keys() if presume_new else set()
        taken = {case_id: case.version for case_id, case in kept.items()} | dict.fromkeys(new, 0)
        cases, keys = self._read_cases(requests, new, kept)
        batch = StepBatch(
            cases,
            keys,
            workflow=self.workflow,
            agencies=self.agencies,
            find=self._find,
        )
        outcomes = [batch.apply(r, ordered_erasure=ordered_erasure) for r in requests]
        refused = {
            r.case_id
            for r, o in zip(requests, outcomes, strict=True)
            if isinstance(o, errors.CaseError)  # not a call for every outcome
        }
        if refused & taken.keys() and self._moved({c: taken[c] for c in refused & taken.keys()}):
            return self._record_batch(requests, ordered_erasure=ordered_erasure, presume_new=False)
        if batch.changed:
            try:
                self._save(batch.keys, *batch.changed)
            except IntegrityError:
                return None
        self._recent.keep(cases)
        _log_recorded(requests, outcomes)
        return outcomes

    def _read_cases(
        self, requests: Sequence[StepRequest], new: set[str], kept: dict[str, Case]
    ) -> tuple[dict[str, Case | None], BatchKeys]:
        """The batch's cases (the ``new`` ones as not reported and the ``kept`` ones as kept,
        unread) and the keys of those with personal data (read: a key may have been destroyed
        since), read together on one connection; no read at all when there is none to do."""
        with_data = {r.case_id for r in requests if r.personal_data}
        unread = [c for c in _case_ids(requests, new) if c not in kept]
        cases: dict[str, Case | None] = dict.fromkeys(new)
        cases.update(kept)
        if not unread and not with_data - new:
            return cases, self.keys.batch(with_data, unstored=with_data)
        with self._recorder.reading() as connection:  # cases and keys, on one connection
            cases.update(self._load_many(unread, connection))
            unstored = [c for c in with_data if c in cases and cases[c] is None]
            keys = self.keys.batch(with_data, connection, unstored=unstored)
        return cases, keys

    def _moved(self, taken: Mapping[str, int]) -> bool:
        """True when a case is not stored at the version it was taken to be at (0: new)."""
        ids = {}
        for case_id in taken:
            try:
                ids[UUID(case_id)] = case_id
            except (ValueError, TypeError, AttributeError):
                continue
        stored = self._recorder.select_versions(ids)
        return any(stored.get(uuid, 0) != taken[case_id] for uuid, case_id in ids.items())

    def _record_alone(
        self, request: StepRequest, *, ordered_erasure: bool = False, presume_new: bool = True
    ) -> RecordedStep:
        """A batch of one, tried again after a version conflict (the rules are checked again
        on the fresh state, read: a report taken to be new may be the conflict); a refusal is
        raised."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            outcomes = self._record_batch(
                [request], ordered_erasure=ordered_erasure, presume_new=presume_new and attempt == 1
            )
            if outcomes is None:
                log.info("case.version_conflict", case_id=request.case_id, attempt=attempt)
                time.sleep(random.uniform(0, BACKOFF_SECONDS * 2 ** min(attempt, 8)))
                continue
            if isinstance(outcomes[0], errors.CaseError):
                raise outcomes[0]
            return outcomes[0]
        raise errors.ConcurrencyConflict(request.case_id, MAX_ATTEMPTS)

    def _outcome_alone(self, request: StepRequest) -> RecordedStep | errors.CaseError:
        try:
            return self._record_alone(request, presume_new=False)  # after a batch's conflict
        except errors.CaseError as refusal:
            return refusal

    def _find(self, case_id: str) -> Case | None:
        try:
            return self._load(case_id)
        except errors.CaseNotFound:
            return None

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


def _reported_first(requests: Sequence[StepRequest]) -> set[str]:
    """The cases whose first submission in ``requests`` is their report."""
    first: dict[str, str] = {}
    for request in requests:
        first.setdefault(request.case_id, request.step)
    return {case_id for case_id, step in first.items() if step == CASE_REPORTED}


def _case_ids(requests: Sequence[StepRequest], leaving: set[str]) -> list[str]:
    """The cases of ``requests`` but those in ``leaving``, each once, in order."""
    case_ids = dict.fromkeys([r.case_id for r in requests])  # a list: no generator resumed
    return [c for c in case_ids if c not in leaving]  # for every request


def _log_recorded(
    requests: Sequence[StepRequest], outcomes: Sequence[RecordedStep | errors.CaseError]
) -> None:
    """A line for each new event, if info lines are written at all (a filtered-out line still
    cost its call and its keywords, about 0.4 us an event). The logger's method is looked up
    once: through structlog's lazy proxy, each look-up cost as much as a filtered-out line."""
    if not log.is_enabled_for(logging.INFO):
        return
    info = log.info
    for request, outcome in zip(requests, outcomes, strict=True):
        if isinstance(outcome, RecordedStep) and not outcome.duplicate:
            event = "case.reported" if outcome.step == CASE_REPORTED else "case.step_recorded"
            info(
                event,
                case_id=outcome.case_id,
                step=outcome.step,
                agency=request.agency,
                submission_id=outcome.submission_id,
                sequence=outcome.sequence,
            )
