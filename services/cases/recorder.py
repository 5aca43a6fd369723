"""The case store's recorder: eventsourcing_sqlalchemy's, with set-based reads and writes.

The library's recorder saves through the ORM, one INSERT per event on SQLite, and reads one
case per query. The intake records batches of hundreds of events over dozens of cases, so this
recorder writes a transaction's events with one statement (:mod:`services.cases.rowinsert`),
reads the events of many cases in one query (on PostgreSQL outside a transaction: no BEGIN and
ROLLBACK round trips) and reads notifications with one core select. The table, the lock that keeps
notification ids in commit order on PostgreSQL, the NOTIFY after each write (sent with the
lock, in one statement) and the error types are the library's. The factory's transcoder writes
the library's JSON, through orjson where that gives the same bytes
(:mod:`services.cases.canonical`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from typing import Any
from uuid import UUID

import orjson
import sqlalchemy as sa
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    JSONTranscoder,
    Mapper,
    Notification,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import get_topic
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy.orm import Session

from services.cases.canonical import PLAIN_VALUES, is_plain
from services.cases.rowinsert import Along, RowInsert

FACTORY_TOPIC = "services.cases.recorder:CaseStoreFactory"
_STAMPED_VALUES = PLAIN_VALUES | {datetime}


class BatchRecorder(SQLAlchemyApplicationRecorder):
    """Inserts a transaction's events in one statement; reads many cases in one query."""

    def _insert_stored_events(
        self, session: Session, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int]:
        rows = [(e.originator_id, e.originator_version, e.topic, e.state) for e in stored_events]
        self.insert_rows(session, rows)
        return []  # no recordings: nothing follows this application in-process

    def insert_rows(
        self, session: Session, rows: Sequence[EventRow], along: Along | None = None
    ) -> None:
        """Insert the rows of stored events (:func:`event_rows`) in ``session``'s transaction,
        after the library's table lock and with its NOTIFY; ``along``: another table's rows
        that go with them (the batch's new case keys), in their statement where it can."""
        if not rows:
            if along is not None:
                along[0].execute(session.connection(), along[1])
            return
        if self._on_postgresql:
            self._lock_and_notify(session)
        else:
            if self._has_autoincrementing_ids:
                self._lock_table(session)
            self._notify_channel(session)
        self._row_insert.execute(session.connection(), rows, along)

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> list[Notification]:
        """The library's query without building an ORM object per row (the relay reads every
        event through it; the ORM's row bookkeeping was half of the relay's read)."""
        table = self._table
        query = sa.select(
            table.c.id, table.c.originator_id, table.c.originator_version, table.c.topic,
            table.c.state,
        )  # fmt: skip
        if start is not None:
            query = query.where(table.c.id >= start if inclusive_of_start else table.c.id > start)
        if stop is not None:
            query = query.where(table.c.id <= stop)
        if topics:
            query = query.where(table.c.topic.in_(topics))
        query = query.order_by(table.c.id).limit(limit)  # an index scan
        with self.transaction(commit=False) as session:
            rows = session.execute(query).all()
        return [
            Notification(
                id=at,
                originator_id=originator_id,
                originator_version=version,
                topic=topic,
                state=bytes(state),
            )
            for at, originator_id, version, topic, state in rows
        ]

    @property
    def _on_postgresql(self) -> bool:
        engine = self.datastore.engine
        return engine is not None and engine.dialect.name == "postgresql"

    def _lock_and_notify(self, session: Session) -> None:
        """The library's table lock (notification ids in commit order) and its NOTIFY, sent
        as one statement: one round trip a batch instead of two. A NOTIFY is delivered at
        commit wherever it stands in the transaction."""
        table = self.events_table_name
        if self.schema_name is not None:
            table = f"{self.schema_name}.{table}"
        cursor = session.connection().connection.cursor()
        cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE; NOTIFY {self.channel_name};")

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """A connection for a batch's reads. On PostgreSQL they run outside a transaction
        (each sees what is committed): its BEGIN and ROLLBACK would be two more round trips
        per batch, and a write is checked by the version constraint anyway. On SQLite, where
        they cost no round trip, in the library's read transaction (and its locks)."""
        engine = self.datastore.engine
        if isinstance(engine, sa.Engine) and self._on_postgresql:
            with engine.connect() as connection:
                yield connection.execution_options(isolation_level="AUTOCOMMIT")
            return
        with self.transaction(commit=False) as session:
            yield session.connection()

    def select_cases(
        self, originator_ids: Iterable[UUID], connection: sa.Connection | None = None
    ) -> dict[UUID, list[StoredEvent]]:
        """The stored events of each given case, in version order (absent cases left out);
        read on ``connection`` when given, else in a read of its own."""
        wanted = sorted(set(originator_ids))
        found: dict[UUID, list[StoredEvent]] = {}
        if not wanted:
            return found
        if connection is None:
            with self.reading() as own:
                return self.select_cases(wanted, own)
        rows = connection.execute(self._select_cases, {"originator_ids": wanted})
        for originator_id, version, topic, state in rows:
            stored = StoredEvent(originator_id, version, topic, bytes(state))
            found.setdefault(_as_uuid(originator_id), []).append(stored)
        return found

    def select_versions(self, originator_ids: Iterable[UUID]) -> dict[UUID, int]:
        """The latest stored version of each given case (absent cases left out)."""
        wanted = sorted(set(originator_ids))
        if not wanted:
            return {}
        table = self._table
        query = (
            sa.select(table.c.originator_id, sa.func.max(table.c.originator_version))
            .where(table.c.originator_id.in_(wanted))
            .group_by(table.c.originator_id)
        )
        with self.reading() as connection:
            return {_as_uuid(case): version for case, version in connection.execute(query)}

    @cached_property
    def _select_cases(self) -> sa.Select[Any]:
        """Built once: building it for each batch's list of ids cost more than running it."""
        table = self._table
        wanted: sa.BindParameter[Any] = sa.bindparam("originator_ids", expanding=True)
        return (
            sa.select(
                table.c.originator_id, table.c.originator_version, table.c.topic, table.c.state
            )
            .where(table.c.originator_id.in_(wanted))
            .order_by(table.c.originator_id, table.c.originator_version)
        )

    @cached_property
    def _row_insert(self) -> RowInsert:
        engine = self.datastore.engine
        assert engine is not None
        columns = ("originator_id", "originator_version", "topic", "state")
        return RowInsert(self._table, columns, engine.dialect)

    @property
    def _table(self) -> sa.Table:
        table: sa.Table = self.events_record_cls.__table__  # type: ignore[attr-defined]
        return table


EventRow = tuple[UUID | str, int, str, bytes]
"""A stored event as the table's columns take it: case, version, topic, state."""


def event_rows(mapper: Mapper[UUID], events: Iterable[DomainEventProtocol[UUID]]) -> list[EventRow]:
    """The rows of ``events``, as the library's ``Mapper.to_stored_event`` makes them, without
    a StoredEvent for each (recording writes every row once, straight away): the event's
    attributes but its id and version, with its class version past 1, through the mapper's
    transcoder. A mapper with a compressor or a cipher maps each event itself."""
    if mapper.compressor is not None or mapper.cipher is not None:
        mapped = map(mapper.to_stored_event, events)
        return [(e.originator_id, e.originator_version, e.topic, e.state) for e in mapped]
    encode = mapper.transcoder.encode
    kinds: dict[type[Any], tuple[str, int]] = {}
    rows = []
    for event in events:
        kind = type(event)
        topic, class_version = kinds.get(kind) or kinds.setdefault(
            kind, (get_topic(kind), getattr(kind, "class_version", 1))
        )
        state = vars(event).copy()
        originator_id = state.pop("originator_id")
        version = state.pop("originator_version")
        if class_version > 1:
            state["class_version"] = class_version
        rows.append((originator_id, version, topic, encode(state)))
    return rows


class StateTranscoder(JSONTranscoder):
    """The library's JSON transcoder; a state of plain values (and datetimes at its top level)
    is written through orjson alone: each datetime is first replaced by what the library's
    registered transcoding makes of it (the same ``{"_type_": ..., "_data_": ...}`` object), so
    orjson never calls back into Python."""

    def __init__(self) -> None:
        super().__init__()
        self._last_instant: tuple[datetime | None, Any] = (None, None)

    def encode(self, obj: Any) -> bytes:
        if type(obj) is dict:
            plain = self._plain(obj)
            if plain is not None:
                try:
                    return orjson.dumps(plain)
                except orjson.JSONEncodeError:  # an integer beyond 64 bits, say: json decides
                    pass
        return super().encode(obj)

    def _plain(self, state: dict[Any, Any]) -> dict[Any, Any] | None:
        """``state`` with its datetimes transcoded (a copy, if it has any), or None if a value
        is not plain. A state whose values are of plain types but for one datetime, its
        ``timestamp`` (a new event's: its payload a PlainDict), is told so by the types of its
        values, taken and compared in C (a loop over them cost about 0.7 us an event)."""
        kinds = list(map(type, state.values()))
        if PLAIN_VALUES.issuperset(kinds):
            return state
        if (
            kinds.count(datetime) == 1
            and type(state.get("timestamp")) is datetime
            and _STAMPED_VALUES.issuperset(kinds)
        ):
            plain = state.copy()
            plain["timestamp"] = self._instant(state["timestamp"])
            return plain
        instants = []
        for key, value in state.items():
            kind = type(value)
            if kind in PLAIN_VALUES:  # a new event's payload among them
                continue
            if kind is datetime:
                instants.append(key)
            elif not is_plain(value):
                return None
        if not instants:
            return state
        plain = state.copy()
        for key in instants:
            plain[key] = self._instant(state[key])
        return plain

    def _instant(self, value: datetime) -> Any:
        """The transcoded datetime. The events of a batch share a few timestamp objects (one a
        millisecond), so the last one is kept; identity, not equality: equal instants in other
        time zones are written differently."""
        last, encoded = self._last_instant
        if value is not last:
            encoded = self._encode_obj(value)
            self._last_instant = (value, encoded)
        return encoded


class CaseStoreFactory(SQLAlchemyFactory):
    """eventsourcing_sqlalchemy's factory, making a :class:`BatchRecorder` for the events and
    a :class:`StateTranscoder` for their states."""

    application_recorder_class = BatchRecorder

    def transcoder(self) -> Transcoder:
        return StateTranscoder()


def _as_uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
