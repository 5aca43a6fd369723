"""The stored case events read straight from the event table, as the hash chain sees them.

The audit reads the rows without the domain model (the log and the verifier must see what is
stored, and fast): each row's JSON state gives the fields ``event_hash`` covers. A row whose
state cannot be read becomes ``None``, which the verifiers report as altered.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa

from events.instants import to_millis
from services.cases.chain import event_hash, hashed_content

EVENTS_TABLE = "cases_events"
NAMES_KEPT = 50_000
"""Case ids kept in their text form during a scan (a case's events are mostly near each other
in store order; the cache is emptied when full, so a scan's memory does not grow with the
number of cases: the audit checkpointer's first sync of a million cases peaked at 300 MB)."""


@dataclass(slots=True)
class RowEvent:
    """One stored case event (implements ``chain.ChainedEvent``)."""

    step: str
    payload: Mapping[str, Any]
    agency: str
    role: str
    occurred_at: int
    recorded_at: int
    submission_id: str
    sealed_personal_data: str
    previous_hash: str
    hash: str

    def relinked(self, previous_hash: str) -> RowEvent:
        return replace(self, previous_hash=previous_hash)


@dataclass(slots=True)
class StoredRow:
    notification_id: int
    case_id: str
    sequence: int
    event: RowEvent | None
    originator: Any = None  # the id as the database holds it, to read the case again

    def content_hash(self) -> str | None:
        """The hash the row's content gives (current formula), None if unreadable."""
        if self.event is None:
            return None
        fast = quick_hash(self.case_id, self.sequence, self.event)
        if fast == self.event.hash:
            return fast
        return event_hash(self.case_id, self.sequence, self.event)


def quick_hash(case_id: str, sequence: int, event: RowEvent) -> str | None:
    """``event_hash`` through orjson's C encoder, for the common case (None if it cannot).

    For the JSON a store holds (strings, integers, booleans, null, lists, objects; keys sorted
    by code point) orjson writes the bytes ``json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` writes; floats may be spelled differently (``1e16`` vs ``1e+16``) but
    each spelling names one value. So a fast hash equal to the stored one means the exact one
    is too; any other answer is checked again by the exact formula (``content_hash``).
    """
    content = hashed_content(case_id, sequence, event)
    try:
        canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits
        return None
    return hashlib.sha256(canonical).hexdigest()


Proven = tuple[str, str, int, str, dict[str, Any]]
"""A row whose stored hash was proven: (hash, previous hash, recorded at, step, payload)."""


def proven_fast(case_id: str, sequence: int, state: bytes) -> Proven | None:
    """The row's fields when its stored hash is ``event_hash`` of its content, shown through
    orjson alone (parse, canonical JSON); None when this cannot show it (read it exactly).

    Taken only where orjson gives the exact formula's bytes: the fields have the JSON types
    ``parse_state`` would keep unchanged (text, a 64-bit integer) and the payload holds no
    float. orjson reads an integer beyond 64 bits as a float and spells floats its own way, so
    a float anywhere sends the row to the exact path, which then decides. For what remains
    (text, 64-bit integers, booleans, null, lists, objects) orjson and ``json`` parse alike
    (lone surrogates and NaN are refused by orjson) and write the same canonical bytes
    (tests/unit/audit/test_fast_hash.py), so a match here is a match of the exact formula.
    """
    try:
        data = orjson.loads(state)
        stamp = data["timestamp"]["_data_"]
        occurred = data["occurred_at"]
        payload = data["payload"]
        step = data["step"]
        agency = data["agency"]
        role = data["role"]
        submission = data["submission_id"]
        sealed = data["sealed_personal_data"]
        previous = data["previous_hash"]
        stored = data["hash"]
        recorded = to_millis(datetime.fromisoformat(stamp))
    except (orjson.JSONDecodeError, ValueError, KeyError, TypeError):
        return None
    if not (
        type(occurred) is int
        and type(payload) is dict
        and type(step) is str
        and type(agency) is str
        and type(role) is str
        and type(submission) is str
        and type(sealed) is str
        and type(previous) is str
        and type(stored) is str
        and _floatless(payload.values())
    ):
        return None
    content = {
        "case_id": case_id,
        "sequence": sequence,
        "step": step,
        "payload": payload,
        "agency": agency,
        "role": role,
        "occurred_at": occurred,
        "recorded_at": recorded,
        "submission_id": submission,
        "personal_data": sealed,
        "previous_hash": previous,
    }
    try:
        canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return None
    if hashlib.sha256(canonical).hexdigest() != stored:
        return None
    return stored, previous, recorded, step, payload


def _floatless(values: Iterable[Any]) -> bool:
    for value in values:
        kind = type(value)
        if kind is float:
            return False
        if kind is dict and not _floatless(value.values()):
            return False
        if kind is list and not _floatless(value):
            return False
    return True


def _loads(state: bytes) -> Any:
    """The stored JSON as the standard parser reads it. orjson reads the same values, except
    that it refuses NaN and reads integers beyond 64 bits as floats: a state with a run of 19
    digits or more (such an integer, or only a long number in a text) goes to the standard
    parser, as does any state orjson refuses."""
    if _LONG_RUN not in state.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(state)
        except orjson.JSONDecodeError:
            pass
    return json.loads(state.decode("utf-8"))


# A run of 19 digits, found with two C passes (digits become "0", the rest a space) instead of
# a regular expression, which cost more than parsing the state (profiled at 100k events).
_DIGITS_AS_ZERO = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_RUN = b"0" * 19


def parse_state(state: bytes | memoryview) -> RowEvent | None:
    try:
        data = _loads(bytes(state))
        stamp = data["timestamp"]["_data_"]
        recorded = to_millis(datetime.fromisoformat(stamp))
        return RowEvent(
            step=str(data["step"]),
            payload=data["payload"],
            agency=str(data["agency"]),
            role=str(data["role"]),
            occurred_at=int(data["occurred_at"]),
            recorded_at=int(recorded),
            submission_id=str(data["submission_id"]),
            sealed_personal_data=str(data["sealed_personal_data"]),
            previous_hash=str(data["previous_hash"]),
            hash=str(data["hash"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def events_table(engine: sa.Engine) -> sa.Table | None:
    """The event store's table, or None before anything was recorded."""
    if not sa.inspect(engine).has_table(EVENTS_TABLE):
        return None
    return sa.Table(
        EVENTS_TABLE,
        sa.MetaData(),
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("originator_id", _id_type(engine)),
        sa.Column("originator_version", sa.Integer),
        sa.Column("topic", sa.Text),
        sa.Column("state", sa.LargeBinary),
    )


def _id_type(engine: sa.Engine) -> Any:
    """The case id column as stored: 16 raw bytes outside PostgreSQL (read without the
    event store's per-row conversion; ``case_text`` turns it into text once per case)."""
    if engine.dialect.name != "postgresql":
        return sa.LargeBinary()
    # Imported here: sqlalchemy_utils costs a worker process (``proving``) a third of its start.
    from sqlalchemy_utils.types.uuid import UUIDType  # type: ignore[import-untyped]

    return UUIDType()


def case_text(value: Any) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview) and len(value) == 16:
        return str(uuid.UUID(bytes=bytes(value)))
    return str(uuid.UUID(str(value)))


def scan(engine: sa.Engine, after: int | None = None, batch: int = 5000) -> Iterator[StoredRow]:
    """Every stored event after notification ``after`` (None: every one), in store order.

    The store numbers notifications from 1, but the database takes 0 or less: a row put there
    is still read (the sweep reads from the smallest id, and the exact pass must see it too)."""
    table = events_table(engine)
    if table is None:
        return
    c = table.c
    position = after
    names: dict[Any, str] = {}
    while True:
        query = (
            sa.select(c.id, c.originator_id, c.originator_version, c.state)
            .where(sa.true() if position is None else c.id > position)
            .order_by(c.id)
            .limit(batch)
        )
        with engine.connect() as connection:
            rows = connection.execute(query).all()
        # Unpacked as tuples: a Row's attribute look-up costs more than parsing the state.
        for notification, originator, version, state in rows:
            name = names.get(originator)
            if name is None:
                if len(names) >= NAMES_KEPT:
                    names.clear()  # bounded: a million cases must not all be kept
                name = names[originator] = case_text(originator)
            yield StoredRow(int(notification), name, int(version), parse_state(state), originator)
        if len(rows) < batch:
            return
        position = int(rows[-1][0])


def stream(engine: sa.Engine, query: sa.Select[Any], batch: int = 5000) -> Iterator[Sequence[Any]]:
    """The rows of one ordered ``query`` as the driver's plain tuples, ``batch`` at a time.

    One statement, so one consistent read, and never the whole result in memory: PostgreSQL
    sends it through a server-side (named) cursor, SQLite's cursor steps through the table as
    it is fetched. Plain tuples because building SQLAlchemy rows cost about as much as reading
    them (measured on the whole-store scan); the query holds integer literals only.
    """
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    connection = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            cursor = connection.driver_connection.cursor(name="audit_stream")  # type: ignore[union-attr]
        else:
            cursor = connection.cursor()
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch):
            yield rows
        cursor.close()
    finally:
        connection.close()


def case_rows(engine: sa.Engine, originator: Any) -> list[StoredRow]:
    """The stored events of one case (its id as the database holds it), by version."""
    table = events_table(engine)
    if table is None:
        return []
    c = table.c
    query = (
        sa.select(c.id, c.originator_version, c.state)
        .where(c.originator_id == originator)
        .order_by(c.originator_version)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    case_id = case_text(originator)
    return [
        StoredRow(int(r.id), case_id, int(r.originator_version), parse_state(bytes(r.state)))
        for r in rows
    ]
