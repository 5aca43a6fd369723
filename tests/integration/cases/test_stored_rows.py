"""The rows recording writes (SQLite and PostgreSQL) are the very rows the eventsourcing library
writes for the same events: recording builds its events and their stored states without the
library's event constructor, mapper and transcoder, so each stored row is pinned here to what
those make of the same event, byte for byte, with its chain hash."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic

from services.cases import errors
from services.cases.application import CaseService, StepRequest
from services.cases.chain import event_hash
from services.cases.domainmodel import Case
from services.cases.privacy import case_keys, metadata
from services.cases.rowinsert import RowInsert
from services.cases.views import RecordedStep

NOW = 1_700_000_000_000
PERSONAL = {"child_name": "Nguyễn Văn An", "child_birth_date": "2015-03-02"}


def stored_rows(service: CaseService, case_id: str) -> list[StoredEvent]:
    """The case's rows as the table holds them."""
    return list(service.recorder.select_events(uuid.UUID(case_id)))


def library_row(stored: StoredEvent) -> StoredEvent:
    """The row the library itself writes for the event ``stored`` holds: the event rebuilt by
    its dataclass constructor from the decoded attributes, mapped by the library's own mapper
    and JSON transcoder."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):  # the application's
        transcoder.register(transcoding)
    library = Mapper[uuid.UUID](transcoder=transcoder)
    decoded = library.to_domain_event(stored)
    attributes = {f.name: getattr(decoded, f.name) for f in dataclasses.fields(decoded)}  # type: ignore[arg-type]
    return library.to_stored_event(type(decoded)(**attributes))


def request(case_id: str, step: str, agency: str, sub: str, **fields: Any) -> StepRequest:
    return StepRequest(case_id, step, fields, agency, sub, NOW)


def test_each_kind_of_event_is_stored_as_the_library_stores_it(service: CaseService) -> None:
    case_id = str(uuid.uuid4())
    reported = StepRequest(
        case_id, "CaseReported", {"channel": "hotline"}, "hotline-111", "s0", NOW, PERSONAL
    )
    referral = {"referral_id": "r-1", "to_agency": "commune-22738", "note": "Trẻ cần hỗ trợ"}
    outcomes = service.record_many(
        [
            reported,
            request(case_id, "ReferralSent", "hotline-111", "s1", **referral),
            request(case_id, "VerdictDelivered", "court-ninh-thuan", "s2", outcome="x"),  # refused
            request(case_id, "ReferralDeclined", "commune-22738", "s3", referral_id="r-1"),
            StepRequest(
                case_id,
                "NeedsAssessed",
                {"needs": ["school", "shelter"], "round": 2, "nested": {"b": [1, None, True]}},
                "commune-22738",
                "s4",
                NOW,
                {"child_address": "Hà Nội"},
            ),
        ]
    )
    assert isinstance(outcomes[2], errors.CaseError)
    assert [o.sequence for o in outcomes if isinstance(o, RecordedStep)] == [1, 2, 3, 4]
    service.forget(case_id, "peoples-committee-khanh-hoa")
    rows = stored_rows(service, case_id)
    assert [row.topic for row in rows] == [
        get_topic(Case.Reported),
        *[get_topic(Case.StepRecorded)] * 3,
        get_topic(Case.PersonalDataErased),
    ]
    for row in rows:
        assert bytes(row.state) == library_row(row).state
        event = service.mapper.to_domain_event(row)
        assert isinstance(event, Case.Event)
        assert event.hash == event_hash(case_id, row.originator_version, event)
    assert service.verify(case_id).ok


def test_a_row_insert_stores_what_a_core_insert_stores(
    db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch INSERT binds each value as the column's type binds it in a Core insert, in
    statements of at most ``MAX_ROWS`` rows."""
    metadata.create_all(db)
    monkeypatch.setattr(RowInsert, "MAX_ROWS", 2)
    now = datetime.now(UTC)
    rows = [(f"case-{n}", bytes([n, 0, 255]), now) for n in range(5)]
    insert = RowInsert(case_keys, ("case_id", "wrapped_key", "created_at"), db.dialect)
    with db.begin() as connection:
        insert.execute(connection, rows[:3])
        insert.execute(connection, [])
        connection.execute(
            case_keys.insert(),
            [{"case_id": c, "wrapped_key": k, "created_at": t} for c, k, t in rows[3:]],
        )
    columns = "case_id, wrapped_key, created_at"
    with db.connect() as connection:
        raw = connection.exec_driver_sql(f"SELECT {columns} FROM case_keys ORDER BY case_id")
        stored = [(c, bytes(k), t) for c, k, t in raw]
        typed = connection.execute(sa.select(case_keys).order_by(case_keys.c.case_id)).all()
    assert [(c, k) for c, k, _ in stored] == [(c, k) for c, k, _ in rows]
    assert len({t for _, _, t in stored}) == 1  # the same instant, stored alike both ways
    read_back = [row.created_at for row in typed]  # SQLite gives the instant without its zone
    assert [t if t.tzinfo else t.replace(tzinfo=UTC) for t in read_back] == [now] * 5
