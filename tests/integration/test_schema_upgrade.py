"""A read model made by an earlier version gains the columns added since, and still reads."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from events.instants import to_millis
from projections.readmodel import ReadModel
from projections.rows import obligation_of
from projections.stalled import status_as_of
from services.runtime.tables import SchemaError, create_tables
from tests.integration.projections.builders import DAY, T0

ADDED_SINCE = ("known_at", "closed_known_at", "counted_from")


def _as_first_released(model: ReadModel) -> sa.MetaData:
    """The obligations table as the first release made it, without the recording times."""
    old = sa.MetaData()
    columns = [
        sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
        for c in model.obligations.columns
        if c.name not in ADDED_SINCE
    ]
    sa.Table(model.obligations.name, old, *columns)
    return old


def _old_row() -> dict[str, object]:
    due = to_millis(T0 + DAY)
    return {
        "case_id": "c1",
        "rule_id": "emergency_intervention",
        "key": "",
        "opened_seq": 1,
        "opened_at": to_millis(T0),
        "due_at": due,
        "earliest_due_at": due,
        "responsible_role": "commune",
        "citation": "Decree 56/2017 art. 22",
        "due_history": json.dumps([[to_millis(T0), due]]),
        "met_late": False,
        "extended": 0,
        "extension_refused": False,
        "reported_level": 0,
    }


def test_an_old_read_model_gets_the_new_columns_and_its_rows_still_read(
    database_url: str,
) -> None:
    engine = sa.create_engine(database_url)
    model = ReadModel()
    _as_first_released(model).create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(model.obligations).values(_old_row()))

    model.create(engine)

    present = {c["name"] for c in sa.inspect(engine).get_columns(model.obligations.name)}
    assert set(ADDED_SINCE) <= present
    with engine.connect() as conn:
        row = conn.execute(sa.select(model.obligations)).mappings().one()
    ob = obligation_of(row)
    assert ob.on_record_from == T0  # the business time stands in for the unknown one
    assert status_as_of([ob], T0 + 2 * DAY).stalled
    engine.dispose()


def test_a_missing_column_that_cannot_be_empty_is_a_clear_error(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    old, new = sa.MetaData(), sa.MetaData()
    sa.Table("upgrade_probe", old, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "upgrade_probe",
        new,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("required", sa.Integer, nullable=False),
    )
    old.create_all(engine)

    with pytest.raises(SchemaError, match="upgrade_probe lacks column required"):
        create_tables(new, engine)
    engine.dispose()
