"""The verifier finds rows tampered with in the database and names the first bad event."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from services.cases.application import CaseService
from services.cases.chain import ALTERED, INSERTED, MISSING, REORDERED, event_hash

NOW = 1_700_000_000_000
STEPS = 5


@pytest.fixture
def case_id(service: CaseService) -> str:
    """A case with five events: a report and four needs assessments."""
    case = str(uuid.uuid4())
    service.report(case, {"channel": "hotline"}, "hotline-111", "s0", NOW)
    for n in range(1, STEPS):
        service.record(case, "NeedsAssessed", {"needs": [f"n{n}"]}, "commune-22738", f"s{n}", NOW)
    assert service.verify(case).ok
    return case


class Rows:
    """Raw access to the stored event rows, as someone with database access would have."""

    def __init__(self, service: CaseService, case_id: str) -> None:
        recorder: Any = service.recorder
        self.table: sa.Table = recorder.events_record_cls.__table__
        self.engine: sa.Engine = recorder.datastore.engine
        self.case = uuid.UUID(case_id)

    def _where(self, version: int) -> Any:
        c = self.table.c
        return sa.and_(c.originator_id == self.case, c.originator_version == version)

    def state(self, version: int) -> dict[str, Any]:
        with self.engine.connect() as connection:
            query = sa.select(self.table.c.state).where(self._where(version))
            return dict(json.loads(bytes(connection.execute(query).scalar_one())))

    def topic(self, version: int) -> str:
        with self.engine.connect() as connection:
            query = sa.select(self.table.c.topic).where(self._where(version))
            return str(connection.execute(query).scalar_one())

    def update(self, version: int, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(self.table.update().where(self._where(version)).values(**values))

    def delete(self, version: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(self.table.delete().where(self._where(version)))

    def insert(self, version: int, topic: str, state: dict[str, Any]) -> None:
        row = {
            "originator_id": self.case,
            "originator_version": version,
            "topic": topic,
            "state": json.dumps(state).encode(),
        }
        with self.engine.begin() as connection:
            connection.execute(self.table.insert().values(**row))

    def renumber(self, old: int, new: int) -> None:
        self.update(old, originator_version=new)


def test_an_altered_payload_is_named(service: CaseService, case_id: str) -> None:
    rows = Rows(service, case_id)
    state = rows.state(3)
    state["payload"] = {"needs": ["nothing"]}
    rows.update(3, state=json.dumps(state).encode())
    result = service.verify(case_id)
    assert (result.first_bad, result.problem) == (3, ALTERED)


def test_a_back_dated_recording_time_is_named_altered(service: CaseService, case_id: str) -> None:
    rows = Rows(service, case_id)
    state = rows.state(4)
    stamp = state["timestamp"]
    assert stamp["_type_"] == "datetime_iso"  # the shape eventsourcing stores a datetime in
    stamp["_data_"] = "2020-01-01T00:00:00+00:00"
    rows.update(4, state=json.dumps(state).encode())
    result = service.verify(case_id)
    assert (result.first_bad, result.problem) == (4, ALTERED)


def test_garbage_in_a_row_is_named_altered(service: CaseService, case_id: str) -> None:
    Rows(service, case_id).update(2, state=b"\x00not json")
    result = service.verify(case_id)
    assert (result.first_bad, result.problem) == (2, ALTERED)


def test_a_deleted_event_is_named_missing(service: CaseService, case_id: str) -> None:
    Rows(service, case_id).delete(3)
    result = service.verify(case_id)
    assert (result.first_bad, result.problem) == (3, MISSING)


def test_a_deleted_and_renumbered_event_is_named_missing(
    service: CaseService, case_id: str
) -> None:
    rows = Rows(service, case_id)
    rows.delete(3)
    for version in range(4, STEPS + 1):
        rows.renumber(version, version - 1)
    result = service.verify(case_id)
    assert (result.first_bad, result.problem) == (3, MISSING)


def test_swapped_events_are_named_reordered(service: CaseService, case_id: str) -> None:
    rows = Rows(service, case_id)
    rows.renumber(2, 1000)
    rows.renumber(3, 2)
    rows.renumber(1000, 3)
    result = service.verify(case_id)
    assert (result.first_bad, result.problem) == (2, REORDERED)


def test_a_forged_event_slipped_in_is_named_inserted(service: CaseService, case_id: str) -> None:
    rows = Rows(service, case_id)
    for version in range(STEPS, 2, -1):
        rows.renumber(version, version + 1)
    forged = rows.state(2) | {
        "step": "CaseClosed",
        "payload": {"reason": "forged"},
        "submission_id": "forged",
        "previous_hash": rows.state(2)["hash"],
        "timestamp": {"_type_": "datetime_iso", "_data_": "2023-11-14T22:13:20+00:00"},
    }
    forged["hash"] = event_hash(case_id, 3, SimpleNamespace(**forged, recorded_at=NOW))
    rows.insert(3, rows.topic(2), forged)
    result = service.verify(case_id)
    assert (result.first_bad, result.problem) == (3, INSERTED)


def test_the_history_still_verifies_after_the_key_is_shredded(
    service: CaseService, case_id: str
) -> None:
    service.forget(case_id, "doh-khanh-hoa")
    assert service.verify(case_id).ok
