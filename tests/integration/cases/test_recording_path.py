"""One recording path (SQLite and PostgreSQL): a step recorded alone and the same step in a
batch are checked in the same order, ask the aggregate once, and leave the same keys."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import sqlalchemy as sa

from services.cases import errors
from services.cases.application import CaseService, StepRequest
from services.cases.domainmodel import Case
from services.cases.privacy import case_keys
from services.cases.views import RecordedStep

NOW = 1_700_000_000_000
PERSONAL = {"child_name": "Hà Thị Lan"}
Outcome = RecordedStep | errors.CaseError


def alone(service: CaseService, requests: Sequence[StepRequest]) -> list[Outcome]:
    """Each submission through ``record``, a refusal caught as the batch returns it."""
    outcomes: list[Outcome] = []
    for r in requests:
        try:
            args = (r.case_id, r.step, r.fields, r.agency, r.submission_id, r.occurred_at)
            outcomes.append(service.record(*args, r.personal_data))
        except errors.CaseError as refusal:
            outcomes.append(refusal)
    return outcomes


def batched(service: CaseService, requests: Sequence[StepRequest]) -> list[Outcome]:
    return service.record_many(requests)


PATHS = [pytest.param(alone, id="alone"), pytest.param(batched, id="batch")]
Path = Callable[[CaseService, Sequence[StepRequest]], list[Outcome]]


@pytest.fixture
def decisions(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Calls to the aggregate's two decisions, counted by wrappers around the real ones."""
    calls: Counter[str] = Counter()
    report, record = Case.report.__func__, Case.record  # type: ignore[attr-defined]

    def counted_report(cls: type[Case], *args: Any, **kwargs: Any) -> Case:
        calls["report"] += 1
        return report(cls, *args, **kwargs)  # type: ignore[no-any-return]

    def counted_record(self: Case, *args: Any, **kwargs: Any) -> None:
        calls["record"] += 1
        record(self, *args, **kwargs)

    monkeypatch.setattr(Case, "report", classmethod(counted_report))
    monkeypatch.setattr(Case, "record", counted_record)
    return calls


def reported(personal: dict[str, str] | None = None, **fields: Any) -> StepRequest:
    case_id = str(uuid.uuid4())
    return StepRequest(
        case_id, "CaseReported", {"channel": "hotline", **fields}, "hotline-111", "r", NOW, personal
    )


def assessed(case_id: str, agency: str = "commune-22738", **personal: str) -> StepRequest:
    return StepRequest(
        case_id, "NeedsAssessed", {"needs": ["school"]}, agency, "a", NOW, personal or None
    )


def keys_of(service: CaseService, case_ids: set[str]) -> set[str]:
    query = sa.select(case_keys.c.case_id).where(case_keys.c.case_id.in_(case_ids))
    with service.keys._engine.connect() as conn:
        return set(conn.execute(query).scalars())


@pytest.mark.parametrize("path", PATHS)
def test_each_step_asks_the_aggregate_once(
    service: CaseService, decisions: Counter[str], path: Path
) -> None:
    report = reported(PERSONAL)
    outcomes = path(service, [report, assessed(report.case_id, child_birth_date="2015-01-01")])
    assert all(isinstance(o, RecordedStep) for o in outcomes)
    assert decisions == {"report": 1, "record": 1}
    assert service.read_personal_data(report.case_id, "commune-22921") == PERSONAL | {
        "child_birth_date": "2015-01-01"
    }


@pytest.mark.parametrize("path", PATHS)
def test_a_refused_report_asks_the_aggregate_once_and_makes_no_key(
    service: CaseService, decisions: Counter[str], path: Path
) -> None:
    refused = reported(PERSONAL, child_name="in the payload")
    (outcome,) = path(service, [refused])
    assert isinstance(outcome, errors.PersonalDataInPayload)
    assert decisions == {"report": 1}
    assert keys_of(service, {refused.case_id}) == set()


@pytest.mark.parametrize("path", PATHS)
def test_a_step_refused_after_its_data_was_sealed_leaves_no_key(
    service: CaseService, path: Path
) -> None:
    first = reported()
    service.record_many([first])
    other = reported(PERSONAL)
    outcomes = path(service, [assessed(first.case_id, "hotline-111", **PERSONAL), other])
    assert isinstance(outcomes[0], errors.RoleNotAllowed)
    assert isinstance(outcomes[1], RecordedStep)  # the batch was saved, with its other key
    assert keys_of(service, {first.case_id, other.case_id}) == {other.case_id}


@pytest.mark.parametrize("path", PATHS)
def test_refusals_come_in_the_same_order_alone_and_in_a_batch(
    service: CaseService, path: Path
) -> None:
    """A report is judged by the rules before its personal data; a later step's personal data
    is checked before the rules (it is sealed, merged with the case's, before they are asked)."""
    bad_personal = {"favourite_colour": "blue"}
    report = reported(bad_personal, child_name="in the payload")
    ok = reported()
    later = assessed(ok.case_id, "hotline-111", **bad_personal)
    outcomes = path(service, [report, ok, later])
    assert [type(o) for o in outcomes] == [
        errors.PersonalDataInPayload,
        RecordedStep,
        errors.InvalidPersonalData,
    ]


def test_a_batch_asks_for_the_keys_of_stored_cases_only(service: CaseService) -> None:
    """A key is written with the first events sealed with it, so a case with no events stored
    has none: a batch reads the keys of the cases it found, and of no new one."""
    stored = reported(PERSONAL)
    service.record_many([stored])
    asked: list[str] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "case_keys" in statement:
            asked.append(statement)

    engine = service.recorder.datastore.engine  # type: ignore[attr-defined]
    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        new = reported(PERSONAL)
        assert all(isinstance(o, RecordedStep) for o in service.record_many([new]))
        assert asked == []
        later = assessed(stored.case_id, child_birth_date="2015-01-01")
        outcomes = service.record_many([later, reported(PERSONAL)])
        assert all(isinstance(o, RecordedStep) for o in outcomes)
        assert len(asked) == 1
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    assert service.read_personal_data(stored.case_id, "commune-22921") == PERSONAL | {
        "child_birth_date": "2015-01-01"
    }
    assert service.read_personal_data(new.case_id, "commune-22921") == PERSONAL
