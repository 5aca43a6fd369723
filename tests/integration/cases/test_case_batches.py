"""The intake's batch path on a real store (SQLite and PostgreSQL): set-based and atomic."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from services.cases import errors
from services.cases.application import CaseService, StepRequest
from services.cases.privacy import case_keys
from services.cases.views import RecordedStep
from services.kafka.wakeup import waker_for
from services.runtime.settings import Settings
from services.runtime.supervisor import StopFlag

NOW = 1_700_000_000_000
PERSONAL = {"child_name": "Đinh Thị Mai"}


def batch_of(cases: int, personal_every: int = 0) -> list[StepRequest]:
    requests = []
    for n in range(cases):
        case_id = str(uuid.uuid4())
        personal = PERSONAL if personal_every and n % personal_every == 0 else None
        fields: dict[str, Any] = {"channel": "hotline"}
        requests.append(
            StepRequest(case_id, "CaseReported", fields, "hotline-111", f"r{n}", NOW, personal)
        )
        for k in range(1, 4):
            fields = {"needs": ["school"], "round": k}
            requests.append(
                StepRequest(case_id, "NeedsAssessed", fields, "commune-22738", f"s{k}", NOW)
            )
    return requests


def statements_on(engine: sa.Engine, run: Callable[[], object]) -> list[str]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()).lower())

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    return seen


def keys_of(service: CaseService, case_ids: set[str]) -> set[str]:
    query = sa.select(case_keys.c.case_id).where(case_keys.c.case_id.in_(case_ids))
    with service.keys._engine.connect() as conn:
        return set(conn.execute(query).scalars())


def later_steps(batch: list[StepRequest], submission_id: str = "t") -> list[StepRequest]:
    fields = {"needs": ["food"]}
    return [
        StepRequest(r.case_id, "NeedsAssessed", fields, "commune-22738", submission_id, NOW)
        for r in batch
        if r.step == "CaseReported"
    ]


def case_reads_and_writes(service: CaseService, batch: list[StepRequest]) -> tuple[int, int]:
    engine = service.recorder.datastore.engine  # type: ignore[attr-defined]
    seen = statements_on(engine, lambda: service.record_many(batch))
    reads = [s for s in seen if s.startswith("select") and "cases_events" in s]
    writes = [s for s in seen if s.startswith("insert into cases_events")]
    return len(reads), len(writes)


def test_a_batch_reads_its_cases_in_one_query_and_writes_its_events_in_one_insert(
    service: CaseService, settings: Settings
) -> None:
    first = batch_of(10)
    CaseService.from_settings(settings).record_many(first)  # by another writer: none kept here
    later = later_steps(first)
    assert case_reads_and_writes(service, later) == (1, 1)
    assert all(len(service.history(r.case_id)) == 5 for r in later)


def test_the_cases_a_service_saved_are_not_read_again_by_its_next_batch(
    service: CaseService,
) -> None:
    first = batch_of(10)
    service.record_many(first)
    later = later_steps(first)
    assert case_reads_and_writes(service, later) == (0, 1)
    assert all(len(service.history(r.case_id)) == 5 for r in later)
    for r in later:
        assert service.verify(r.case_id).ok


def test_a_kept_case_another_writer_moved_on_is_read_again_and_nothing_is_lost(
    service: CaseService, settings: Settings
) -> None:
    first = batch_of(3)
    service.record_many(first)
    other = CaseService.from_settings(settings)
    moved = later_steps(first[:1], "other")
    assert isinstance(other.record_many(moved)[0], RecordedStep)
    other.close()
    outcomes = service.record_many(later_steps(first, "mine"))  # one case kept stale
    assert [o.sequence for o in outcomes if isinstance(o, RecordedStep)] == [6, 5, 5]
    history = service.history(first[0].case_id)
    assert [e.submission_id for e in history][-2:] == ["other", "mine"]
    assert service.verify(first[0].case_id).ok


def test_a_refusal_on_a_kept_case_is_decided_on_the_case_as_stored(
    service: CaseService, settings: Settings
) -> None:
    """Kept closed here, reopened by another writer: a step allowed only on an open case is
    recorded, not refused on the kept copy."""
    (report,) = batch_of(1)[:1]
    case_id = report.case_id
    closed = StepRequest(case_id, "CaseClosed", {}, "commune-22738", "close", NOW)
    assert all(isinstance(o, RecordedStep) for o in service.record_many([report, closed]))
    other = CaseService.from_settings(settings)
    reopened = StepRequest(case_id, "CaseReopened", {}, "commune-22738", "reopen", NOW)
    assert isinstance(other.record_many([reopened])[0], RecordedStep)
    other.close()
    (outcome,) = service.record_many(later_steps([report], "after"))
    assert isinstance(outcome, RecordedStep) and outcome.sequence == 4
    assert service.verify(case_id).ok


def test_keys_are_made_for_the_cases_with_personal_data_only(service: CaseService) -> None:
    requests = batch_of(10, personal_every=5)
    outcomes = service.record_many(requests)
    assert all(isinstance(o, RecordedStep) for o in outcomes)
    with_data = {r.case_id for r in requests if r.personal_data}
    assert keys_of(service, {r.case_id for r in requests}) == with_data
    case_id = next(iter(with_data))
    assert service.read_personal_data(case_id, "commune-22921") == PERSONAL  # reads today


def test_a_batch_that_fails_to_save_leaves_no_key_behind(service: CaseService) -> None:
    requests = batch_of(2, personal_every=1)

    def failing_insert(*_: object, **__: object) -> list[object]:
        raise RuntimeError("the disk filled up")

    service.recorder.insert_rows = failing_insert  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        service.record_many(requests)
    del service.recorder.insert_rows
    assert keys_of(service, {r.case_id for r in requests}) == set()
    assert all(isinstance(o, RecordedStep) for o in service.record_many(requests))
    assert len(keys_of(service, {r.case_id for r in requests})) == 2


def test_the_relay_is_woken_by_a_write_not_by_its_timeout(service: CaseService) -> None:
    waker = waker_for(service)
    stop = StopFlag()
    waker.wait(stop, 0)  # listening from here on

    def write() -> None:
        time.sleep(0.5)
        service.record_many(batch_of(1))

    writer = threading.Thread(target=write)
    start = time.monotonic()
    writer.start()
    waker.wait(stop, 30)
    waited = time.monotonic() - start
    writer.join()
    waker.close()
    assert 0.5 <= waited < 15  # not before the write, and long before the timeout


def test_a_batch_of_new_cases_reads_no_case_and_no_key(service: CaseService) -> None:
    engine = service.recorder.datastore.engine  # type: ignore[attr-defined]
    seen = statements_on(engine, lambda: service.record_many(batch_of(5, personal_every=2)))
    assert [s for s in seen if s.startswith("select")] == []
    assert len([s for s in seen if "insert into cases_events" in s]) == 1


def test_a_batchs_new_keys_go_in_with_its_events(service: CaseService) -> None:
    """In the same statement on PostgreSQL (one round trip), just before it on SQLite."""
    requests = batch_of(5, personal_every=2)
    engine = service.recorder.datastore.engine  # type: ignore[attr-defined]
    seen = statements_on(engine, lambda: service.record_many(requests))
    inserts = [s for s in seen if "insert into" in s]
    if engine.dialect.name == "postgresql":
        assert len(inserts) == 1
        assert inserts[0].index("insert into case_keys") < inserts[0].index("cases_events")
    else:
        assert [s.split(" (")[0] for s in inserts] == [
            "insert into case_keys",
            "insert into cases_events",
        ]
    with_data = {r.case_id for r in requests if r.personal_data}
    assert keys_of(service, {r.case_id for r in requests}) == with_data
    for case_id in with_data:
        assert service.read_personal_data(case_id, "commune-22921") == PERSONAL


def test_a_report_of_a_stored_case_is_answered_as_if_the_case_had_been_read(
    service: CaseService,
) -> None:
    """A case first reported in a batch is taken to be new, unread: when it was stored
    already, the batch collides with it and each submission is answered on the stored case."""
    stored = batch_of(1, personal_every=1)
    service.record_many(stored)
    case_id = stored[0].case_id
    again = StepRequest(case_id, "CaseReported", {"channel": "web"}, "hotline-111", "other", NOW)
    fresh = batch_of(1)
    outcomes = service.record_many([stored[0], *fresh, again])
    assert isinstance(outcomes[0], RecordedStep) and outcomes[0].duplicate
    assert all(isinstance(o, RecordedStep) and not o.duplicate for o in outcomes[1:-1])
    assert isinstance(outcomes[-1], errors.DuplicateCase)
    assert len(service.history(case_id)) == 4
    assert len(service.history(fresh[0].case_id)) == 4
    assert service.read_personal_data(case_id, "commune-22921") == PERSONAL


def test_a_refusal_of_a_report_taken_as_new_is_decided_on_the_stored_case(
    service: CaseService,
) -> None:
    """A resent report refused by the rules (a name in its payload) would be refused so on a
    new case; on the stored case, its id is one already used for another submission."""
    stored = batch_of(1)
    service.record_many(stored)
    first = stored[0]
    fields = {**first.fields, "child_name": "Lê Văn Tám"}
    changed = StepRequest(first.case_id, first.step, fields, first.agency, "r0", NOW)
    (outcome,) = service.record_many([changed])
    assert isinstance(outcome, errors.SubmissionIdReused)
    new = StepRequest(str(uuid.uuid4()), first.step, fields, first.agency, "r0", NOW)
    (outcome,) = service.record_many([new])
    assert isinstance(outcome, errors.PersonalDataInPayload)


def test_a_report_sent_again_to_the_service_that_recorded_it_is_answered_unread(
    service: CaseService,
) -> None:
    """The kept case answers the resend: no read, no write, no collision."""
    first = batch_of(2)
    service.record_many(first)
    engine = service.recorder.datastore.engine  # type: ignore[attr-defined]
    answers: list[RecordedStep | errors.CaseError] = []
    seen = statements_on(engine, lambda: answers.extend(service.record_many(first)))
    assert all(isinstance(a, RecordedStep) and a.duplicate for a in answers)
    assert [s for s in seen if s.startswith(("select", "insert", "with"))] == []
