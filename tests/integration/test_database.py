"""Rows round-trip through both stores: SQLite (embedded default) and real PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa


def test_rows_round_trip_through_the_database(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    meta = sa.MetaData()
    table = sa.Table(
        "probe",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )
    rows = [{"id": i, "body": bytes(range(i % 256)) * 3} for i in range(1, 101)]
    try:
        meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), rows)
        with engine.connect() as conn:
            read = [dict(r._mapping) for r in conn.execute(table.select().order_by(table.c.id))]
    finally:
        engine.dispose()
    assert read == rows
    assert engine.dialect.name in {"sqlite", "postgresql"}
