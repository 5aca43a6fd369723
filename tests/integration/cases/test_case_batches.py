"""The intake's batch path on a real store (SQLite and PostgreSQL): set-based and atomic."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from services.cases.application import CaseService, StepRequest
from services.cases.privacy import case_keys
from services.cases.views import RecordedStep
from services.kafka.wakeup import waker_for
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


def test_a_batch_reads_its_cases_in_one_query_and_writes_its_events_in_one_insert(
    service: CaseService,
) -> None:
    first = batch_of(10)
    service.record_many(first)
    later = [
        StepRequest(r.case_id, "NeedsAssessed", {"needs": ["food"]}, "commune-22738", "t", NOW)
        for r in first
        if r.step == "CaseReported"
    ]
    engine = service.recorder.datastore.engine  # type: ignore[attr-defined]
    seen = statements_on(engine, lambda: service.record_many(later))
    reads = [s for s in seen if s.startswith("select") and "cases_events" in s]
    writes = [s for s in seen if s.startswith("insert into cases_events")]
    assert (len(reads), len(writes)) == (1, 1)
    assert all(len(service.history(r.case_id)) == 5 for r in later)


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

    service.recorder.insert_events = failing_insert  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        service.record_many(requests)
    del service.recorder.insert_events
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
