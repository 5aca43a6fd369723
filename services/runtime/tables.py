"""Creating a process's own tables when several processes start at once, and writing a row once
when several may write it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import sqlalchemy as sa

T = TypeVar("T")

# Each lost race means another process has just created one of the tables or added one of the
# columns (on SQLite every CREATE commits on its own, so a process can lose once per table and
# per column): one look per object of our largest set and some to spare; past that, the error is
# a real one.
ATTEMPTS = 20

_LOST_RACE = (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError)


def despite_racing_creators(create: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run ``create`` (check-then-create DDL), looking again when another process wins a race.

    The intake, the relay and the projections start together on one database; two of them may
    both see a table missing and both issue ``CREATE``. The loser's error depends on the database
    ("already exists" on SQLite, a unique violation in ``pg_type`` on PostgreSQL); it is harmless
    because the table now exists, so the next check finds it.
    """
    for _ in range(attempts - 1):
        try:
            return create()
        except _LOST_RACE:
            continue
    return create()


class SchemaError(RuntimeError):
    """An existing table lacks a column this version needs and cannot simply be given."""


def create_tables(metadata: sa.MetaData, engine: sa.Engine) -> None:
    """Create the missing tables of ``metadata`` and add the nullable columns that a later
    version introduced, tolerating other processes doing the same."""

    def create() -> None:
        metadata.create_all(engine, checkfirst=True)
        _add_missing_columns(metadata, engine)

    despite_racing_creators(create)


def _add_missing_columns(metadata: sa.MetaData, engine: sa.Engine) -> None:
    """Give tables made by an earlier version the nullable columns added since.

    Only nullable columns are added: rows written before have no value for them, and readers of
    such a column fall back to what was used before it existed.
    """
    inspector = sa.inspect(engine)
    for table in metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable:
                raise SchemaError(
                    f"table {table.name} lacks column {column.name}, made by an older version; "
                    "rebuild it (read models: backbone projections rebuild)"
                )
            quote = engine.dialect.identifier_preparer
            kind = column.type.compile(dialect=engine.dialect)
            added = f"{quote.format_column(column)} {kind}"
            with engine.begin() as conn:
                conn.execute(sa.text(f"ALTER TABLE {quote.format_table(table)} ADD COLUMN {added}"))


def insert_once(engine: sa.Engine, table: sa.Table, row: Mapping[str, Any]) -> bool:
    """Insert ``row`` in its own transaction; False when a row with its key is there already
    (a replay, or another process that wrote it first), which is not an error."""
    try:
        with engine.begin() as connection:
            connection.execute(table.insert().values(**row))
    except sa.exc.IntegrityError:
        return False
    return True
