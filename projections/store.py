"""Reads and writes of the read model inside one transaction (the caller owns it).

Upserts use each dialect's ``ON CONFLICT`` (SQLite and PostgreSQL), so a batch replayed after a
crash writes the same rows again instead of failing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from events.instants import to_millis
from projections.casefile import AREA_FIELDS, CaseFile
from projections.readmodel import ReadModel
from projections.rows import (
    dump_context,
    load_context,
    obligation_of,
    obligation_row,
)
from projections.stalled import CaseState
from projections.stalled.alerts import Watch
from projections.statistics.tables import statistics_rows

Partition = tuple[str, int]

# The SQLite driver binds int, float and str at once; for any other value, None and bool among
# them, it looks for an adapter, then for ``__adapt__`` and ``__conform__``, formatting an
# AttributeError for each miss before it binds NULL or 0/1 after all: some ten values per event
# (an obligation row has three booleans and up to eight NULLs), 4 % of the projection's
# instructions. Registered adapters bind the same NULL and 0/1 at once (process-wide, as the
# driver keeps its adapters; nothing else changes for any other value written through it).
sqlite3.register_adapter(bool, int)
_NULL: dict[None, None] = {}
sqlite3.register_adapter(type(None), _NULL.get)  # a C callable that answers None for anything
CHUNK = 500  # ids per IN (...) list


def load_positions(conn: sa.Connection, model: ReadModel) -> dict[Partition, int]:
    """The next offset to read, per (topic, partition)."""
    rows = conn.execute(sa.select(model.positions))
    return {(row.topic, row.partition): row.next_offset for row in rows}


def save_positions(
    conn: sa.Connection, model: ReadModel, positions: Mapping[Partition, int]
) -> None:
    """Store the next offsets (with the changes they cover)."""
    rows = [{"topic": t, "partition": p, "next_offset": o} for (t, p), o in positions.items()]
    upsert(conn, model.positions, rows, ("topic", "partition"))


def load_cases(
    conn: sa.Connection, model: ReadModel, case_ids: Iterable[str]
) -> dict[str, CaseFile]:
    """Working copies of the known cases among ``case_ids``, with their open obligations.

    Plain SQL: building, caching and expanding the SQLAlchemy selects of a batch's case ids
    took ten times as long as the database's answer. Booleans may come back as 0 and 1."""
    files: dict[str, CaseFile] = {}
    wanted = sorted(set(case_ids))
    for start in range(0, len(wanted), CHUNK):
        chunk = tuple(wanted[start : start + CHUNK])
        cases = _select(conn, model.cases, len(chunk))
        for row in conn.exec_driver_sql(cases, chunk).mappings():
            files[row["case_id"]] = _case_file(row)
        quote = conn.dialect.identifier_preparer.quote
        open_ones = (
            _select(conn, model.obligations, len(chunk))
            + f" AND {quote('closed_at')} IS NULL"
            + f" ORDER BY {quote('case_id')}, {quote('opened_seq')}"
        )
        for row in conn.exec_driver_sql(open_ones, chunk).mappings():
            _add_obligation(files[row["case_id"]], row)
    return files


def _select(conn: sa.Connection, table: sa.Table, count: int) -> str:
    """Every column of ``table`` where ``case_id`` is one of ``count`` parameters."""
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    columns = ", ".join(quote(c.name) for c in table.columns)
    marks = ", ".join([mark] * count)
    return f"SELECT {columns} FROM {quote(table.name)} WHERE {quote('case_id')} IN ({marks})"


def save_cases(conn: sa.Connection, model: ReadModel, files: Iterable[CaseFile]) -> None:
    """Upsert the cases, their open or changed obligations, and insert their new steps."""
    files = list(files)
    upsert(conn, model.cases, [_case_row(f) for f in files], ("case_id",))
    obligations = [row for f in files for row in _obligation_rows(f)]
    upsert(conn, model.obligations, obligations, ("case_id", "rule_id", "key", "opened_seq"))
    steps = [_step_row(event_id, fact) for f in files for event_id, fact in f.steps]
    insert_new(conn, model.timeline, steps, ("case_id", "sequence"))
    stats, forms = statistics_rows(step for f in files for step in f.steps)
    insert_new(conn, model.stats_cases, stats, ("case_id",))
    insert_new(conn, model.stats_forms, forms, ("case_id", "form"))


def waking_cases(
    conn: sa.Connection, model: ReadModel, now_ms: int, limit: int | None
) -> list[str]:
    """Cases with an obligation whose level may change by ``now_ms`` (index range scan);
    ``limit`` None: all of them."""
    obs = model.obligations
    query = (
        sa.select(obs.c.case_id)
        .where(obs.c.wake_at.isnot(None), obs.c.wake_at <= now_ms)
        .order_by(obs.c.wake_at)
        .limit(limit)
    )
    return list(dict.fromkeys(conn.execute(query).scalars()))


def add_outbox(conn: sa.Connection, model: ReadModel, rows: Sequence[dict[str, Any]]) -> None:
    """Queue messages to publish; a message id already queued is left as it is."""
    insert_new(conn, model.outbox, rows, ("message_id",))


def upsert(
    conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert ``rows``, or update every other column where the key exists."""
    _write_set(conn, table, rows, keys, update=True)


def insert_new(
    conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert ``rows``, skipping those whose key exists."""
    _write_set(conn, table, rows, keys, update=False)


def _write_set(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    *,
    update: bool,
) -> None:
    """One set-based ``INSERT ... ON CONFLICT`` per table and batch, sent to the driver as it
    is (SQLAlchemy's per-row parameter processing cost more than the database's work; the read
    models' columns are plain integers, text, booleans and bytes, which both drivers take as
    they are). A key twice in one batch keeps its last row, as row-by-row upserts would have
    left it (PostgreSQL refuses to update a row twice in one statement).

    The shape of the statement follows the driver: SQLite gets one multi-row ``VALUES (...),
    (...)`` per chunk; PostgreSQL gets one array per column, spread back into rows by
    ``unnest``: one statement of as many parameters as columns, planned in no time (a multi-row
    ``VALUES`` of thousands of parameters was planned afresh each time, and ``executemany``
    spent most of the batch in the driver's per-row work)."""
    if not rows:
        return
    if update:
        key_of = itemgetter(*keys)
        rows = list({key_of(row): row for row in rows}.values())
    columns = [c for c in table.columns if c.name in rows[0] or _default(c) is not None]
    defaults = {c.name: _default(c) for c in columns}
    names = list(defaults)
    values_of = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    tuples = [_values(values_of, defaults, row) for row in rows]
    if conn.dialect.name == "postgresql":
        arrays = tuple(list(column) for column in zip(*tuples, strict=True))
        conn.exec_driver_sql(_unnest_statement(conn, table, names, keys, update), arrays)
        return
    per_chunk = max(1, MAX_PARAMETERS // len(columns))
    for start in range(0, len(tuples), per_chunk):
        chunk = tuples[start : start + per_chunk]
        sql = _set_statement(conn, table, names, keys, len(chunk), update)
        conn.exec_driver_sql(sql, tuple(chain.from_iterable(chunk)))


MAX_PARAMETERS = 30_000  # under SQLite's 32,766 bound parameters


def _values(
    values_of: Callable[[Mapping[str, Any]], tuple[Any, ...]],
    defaults: dict[str, Any],
    row: dict[str, Any],
) -> tuple[Any, ...]:
    """The row's values in column order, its missing columns at their defaults (the rows the
    projector writes have every column: no merged copy of each is made for them)."""
    try:
        return values_of(row)
    except KeyError:
        return values_of(defaults | row)


def _default(column: sa.Column[Any]) -> Any:
    default = column.default
    return default.arg if isinstance(default, sa.ColumnDefault) and default.is_scalar else None


def _set_statement(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    keys: Sequence[str],
    count: int,
    update: bool,
) -> str:
    dialect = conn.dialect.name
    if dialect != "sqlite":
        raise NotImplementedError(f"read models run on SQLite or PostgreSQL, not {dialect}")
    one = "(" + ", ".join(["?"] * len(columns)) + ")"
    return _insert(conn, table, columns, f"VALUES {', '.join([one] * count)}", keys, update)


def _unnest_statement(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], keys: Sequence[str], update: bool
) -> str:
    """The rows from one array per column, in their order (the outbox's ids follow it)."""
    quote = conn.dialect.identifier_preparer.quote
    arrays = ", ".join(f"%b::{table.c[c].type.compile(conn.dialect)}[]" for c in columns)
    names = ", ".join(quote(c) for c in columns)
    rows = f"SELECT {names} FROM unnest({arrays}) WITH ORDINALITY AS rows ({names}, n) ORDER BY n"
    return _insert(conn, table, columns, rows, keys, update)


def _insert(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: str,
    keys: Sequence[str],
    update: bool,
) -> str:
    quote = conn.dialect.identifier_preparer.quote
    target = ", ".join(quote(k) for k in keys)
    changed = [quote(c) for c in columns if c not in keys]
    action = (
        "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in changed)
        if update and changed
        else "DO NOTHING"
    )
    return (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"{rows} ON CONFLICT ({target}) {action}"
    )


def _case_file(row: Mapping[Any, Any]) -> CaseFile:
    case_id = row["case_id"]
    state = CaseState(case_id, row["last_sequence"], load_context(row["context"]))
    watch = Watch(case_id, bool(row["stalled"]), row["level"], row["stall_count"])
    area = {name: row[name] for name in AREA_FIELDS if row[name]}
    return CaseFile(state, watch, area, bool(row["is_open"]))


def _add_obligation(file: CaseFile, row: Mapping[Any, Any]) -> None:
    ob = obligation_of(row)
    file.state = CaseState(
        file.case_id, file.state.last_sequence, file.state.context, (*file.state.obligations, ob)
    )
    file.reported[ob.ident] = row["reported_level"]
    file.stored[ob.ident] = (row["reported_level"], row["wake_at"])


def _case_row(file: CaseFile) -> dict[str, Any]:
    return {
        "case_id": file.case_id,
        "last_sequence": file.state.last_sequence,
        "context": dump_context(file.state.context),
        "is_open": file.is_open,
        "stalled": file.watch.stalled,
        "level": file.watch.level,
        "stall_count": file.watch.stall_count,
        **{name: file.area.get(name, "") for name in AREA_FIELDS},
    }


def _obligation_rows(file: CaseFile) -> list[dict[str, Any]]:
    """Rows of the obligations the batch changed: opened, closed or moved by a step, or given
    another reported level or wake-up by the review. An open obligation the case had already,
    as its row holds it, is not written again (each row costs its table and four indexes)."""
    current = {ob.ident: ob for ob in file.state.obligations}
    rows = []
    for ident, ob in (file.changed | current).items():
        wake = file.wake_at.get(ident) if ob.is_open else None
        alerting = (file.reported.get(ident, 0), None if wake is None else to_millis(wake))
        if ident not in file.changed and file.stored.get(ident) == alerting:
            continue
        rows.append(obligation_row(ob) | {"reported_level": alerting[0], "wake_at": alerting[1]})
    return rows


def _step_row(event_id: str, fact: Any) -> dict[str, Any]:
    return {
        "case_id": fact.case_id,
        "sequence": fact.sequence,
        "event_type": fact.event_type,
        "agency": fact.agency,
        "role": fact.role,
        "occurred_at": to_millis(fact.occurred_at),
        "recorded_at": to_millis(fact.recorded_at),
        "event_id": event_id,
    }
