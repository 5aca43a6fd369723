"""The read model's set-based writes leave the rows that row-by-row upserts would have left,
on SQLite (multi-row VALUES, in chunks) and on PostgreSQL (one statement over an array per
column)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from projections import store
from projections.readmodel import ReadModel

CASE_KEY = ("case_id",)
STEP_KEY = ("case_id", "sequence")


def _case(case_id: str, sequence: int) -> dict[str, Any]:
    # stalled, level, stall_count and the area codes are left to their column defaults
    return {"case_id": case_id, "last_sequence": sequence, "context": "{}", "is_open": True}


def _step(case_id: str, sequence: int, agency: str = "hotline-111") -> dict[str, Any]:
    return {"case_id": case_id, "sequence": sequence, "event_type": "CaseReported",
            "agency": agency, "role": "hotline", "occurred_at": sequence,
            "recorded_at": sequence, "event_id": f"{case_id}-{sequence}"}  # fmt: skip


def _model(database_url: str) -> tuple[sa.Engine, ReadModel]:
    db = sa.create_engine(database_url)
    return db, ReadModel().create(db)


def test_an_upsert_updates_the_existing_row_and_a_key_twice_keeps_its_last_row(
    database_url: str,
) -> None:
    db, model = _model(database_url)
    with db.begin() as conn:
        store.upsert(conn, model.cases, [_case("a", 1), _case("b", 1)], CASE_KEY)
    with db.begin() as conn:
        store.upsert(conn, model.cases, [_case("a", 2), _case("c", 1), _case("a", 3)], CASE_KEY)
    with db.connect() as conn:
        rows = conn.execute(sa.select(model.cases).order_by(model.cases.c.case_id)).mappings()
        found = {row["case_id"]: row for row in rows}
    assert {case_id: row["last_sequence"] for case_id, row in found.items()} == {
        "a": 3,
        "b": 1,
        "c": 1,
    }
    assert (found["c"]["stalled"], found["c"]["level"], found["c"]["province_code"]) == (
        False,
        0,
        "",
    )


def test_insert_new_keeps_the_row_already_there(database_url: str) -> None:
    db, model = _model(database_url)
    with db.begin() as conn:
        store.insert_new(conn, model.timeline, [_step("a", 1)], STEP_KEY)
        store.insert_new(conn, model.timeline, [_step("a", 1, "other"), _step("a", 2)], STEP_KEY)
        store.save_positions(conn, model, {("t", 0): 5, ("t", 1): 7})
    with db.connect() as conn:
        agencies = conn.execute(
            sa.select(model.timeline.c.agency).order_by(model.timeline.c.sequence)
        ).scalars()
        assert list(agencies) == ["hotline-111", "hotline-111"]
        assert store.load_positions(conn, model) == {("t", 0): 5, ("t", 1): 7}


def test_more_rows_than_one_statement_takes_are_all_written(database_url: str) -> None:
    db, model = _model(database_url)
    per_statement = store.MAX_PARAMETERS // len(model.timeline.columns)
    steps = [_step(f"case-{i // 3}", i % 3 + 1) for i in range(per_statement + 10)]
    with db.begin() as conn:
        store.insert_new(conn, model.timeline, steps, STEP_KEY)
    with db.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(model.timeline)).scalar()
    assert count == len(steps)


def _message(i: int) -> dict[str, Any]:
    return {"message_id": f"m-{i}", "kind": "alert", "topic": "t", "key": f"k{i}".encode(),
            "value": bytes([i, 0, 255]), "created_at": i, "published_at": None}  # fmt: skip


def test_queued_messages_keep_their_bytes_their_nulls_and_their_order(database_url: str) -> None:
    db, model = _model(database_url)
    order = [7, 3, 9, 1, 4]
    with db.begin() as conn:
        store.add_outbox(conn, model, [_message(i) for i in order])
    with db.connect() as conn:
        outbox = model.outbox
        query = sa.select(outbox.c.message_id, outbox.c.value, outbox.c.published_at)
        rows = conn.execute(query.order_by(outbox.c.id)).all()
    assert [tuple(row) for row in rows] == [(f"m-{i}", bytes([i, 0, 255]), None) for i in order]
