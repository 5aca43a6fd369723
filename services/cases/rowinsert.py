"""One INSERT of many rows, without SQLAlchemy's bookkeeping per row.

A Core insert of a list of rows builds and processes a parameter dictionary per row: for a
batch's events that cost as much as the database's own work. Here each value goes through its
column type's own bind processing (what a Core insert applies), and the rows go to the driver at
once: on PostgreSQL as one statement of many rows (psycopg's ``executemany`` sends a statement
per row, and the server's work per statement was a third of a batch), on SQLite through
``executemany``, which runs in the driver's C code. Errors are SQLAlchemy's, as from a Core
insert (the statements run through ``Connection.exec_driver_sql``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

_NOTHING = object()
Along = tuple["RowInsert", Sequence[Sequence[Any]]]
"""Another insert and its rows, to go in with a statement's (:meth:`RowInsert.execute`)."""


class RowInsert:
    """The INSERT of rows of ``columns`` (values in that order) into ``table``."""

    MAX_ROWS = 1000  # rows per statement on PostgreSQL: far below its 65,535 parameters

    def __init__(self, table: sa.Table, columns: Sequence[str], dialect: sa.Dialect) -> None:
        names = list(columns)
        compiled = sa.insert(table).compile(dialect=dialect, column_keys=names)
        self._process = [
            (index, process)
            for index, name in enumerate(names)
            if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
        ]
        self._last: list[tuple[Any, Any]] = [(_NOTHING, None)] * len(self._process)
        self._many_rows = dialect.name == "postgresql"
        if self._many_rows:  # psycopg's positional placeholders, a group of them per row
            self._head = compiled.string.split(" VALUES ")[0] + " VALUES "
            self._group = "(" + ", ".join(["%s"] * len(names)) + ")"
        elif not compiled.positional or list(compiled.positiontup or ()) != names:
            raise TypeError(f"unexpected parameters in {compiled.string!r}")
        self._statement = compiled.string

    def execute(
        self,
        connection: sa.Connection,
        rows: Sequence[Sequence[Any]],
        along: Along | None = None,
    ) -> None:
        """Insert ``rows`` on ``connection``; and ``along``, another insert's rows, before
        them: on PostgreSQL in the same statement (a data-modifying ``WITH``, one round trip
        for both), elsewhere first on its own."""
        bound = [self._bind(row) for row in rows]
        if along is not None and (not self._many_rows or not bound):
            along[0].execute(connection, along[1])
            along = None
        if not bound:
            return
        if not self._many_rows:
            connection.exec_driver_sql(self._statement, bound)  # type: ignore[arg-type]
            return
        for start in range(0, len(bound), self.MAX_ROWS):
            chunk = bound[start : start + self.MAX_ROWS]
            statement = self._head + ",".join([self._group] * len(chunk))
            values = tuple(v for row in chunk for v in row)
            if along is not None:
                other, other_rows = along
                with_values = [other._bind(row) for row in other_rows]
                if len(with_values) > self.MAX_ROWS:
                    other.execute(connection, other_rows)
                else:
                    head = other._head + ",".join([other._group] * len(with_values))
                    statement = f"WITH along AS ({head}) {statement}"
                    values = tuple(v for row in with_values for v in row) + values
                along = None
            connection.exec_driver_sql(statement, values)

    def _bind(self, row: Sequence[Any]) -> tuple[Any, ...]:
        """The row's values as the driver takes them. The value of each processed column is
        processed again only when it is not the previous row's very object: a batch's events
        follow each other case by case, and share their case's id (a UUID bound as bytes or
        text by a Python type decorator, which cost more than the rest of the row)."""
        values = list(row)
        last = self._last
        for position, (index, process) in enumerate(self._process):
            value = values[index]
            given, bound = last[position]
            if value is not given:
                bound = process(value)
                last[position] = (value, bound)
            values[index] = bound
        return tuple(values)
