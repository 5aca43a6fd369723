"""Waiting for the case store's next write, instead of sleeping past it.

On PostgreSQL the store sends a NOTIFY on its events channel with every write (the recorder
does it in the writing transaction), so a LISTENing connection wakes the relay as soon as the
write commits. SQLite has no notifications between processes; its ``data_version`` pragma
changes when another connection commits, and reading it costs microseconds, so the wait looks
at it every few milliseconds (``SQLITE_CHECK_SECONDS``) and ends at the first change. Looking
that often costs an idle relay a few per cent of a core, so it looks only while the store is
being written: after a write to the database's files (inotify, ``services.kafka.filewatch``)
and for ``LOOK_AFTER_WRITE_SECONDS`` after that or after a change; in between it sleeps in the
kernel until the next write. Without inotify it looks all the time. The read models and the
relay's own position share the file, so a changed ``data_version`` ends the wait only when the
events table's newest id moved too (one look at the end of its primary key): a commit of theirs
would otherwise cost the relay a step that finds nothing.
Both waits end after ``timeout`` anyway, and a stop request ends them within a quarter second.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Protocol

import psycopg
import sqlalchemy as sa
from eventsourcing_sqlalchemy.recorders import SQLAlchemyAggregateRecorder
from psycopg import sql

from services.cases.application import CaseService
from services.kafka.filewatch import DirectoryWatch
from services.runtime.supervisor import StopFlag

SQLITE_CHECK_SECONDS = 0.002
LOOK_AFTER_WRITE_SECONDS = 1.0  # a commit follows its write by a sync: keep looking this long
LISTEN_SLICE_SECONDS = 0.25  # how soon a stop request ends a LISTEN (or inotify) wait


class StoreWaker(Protocol):
    """Returns when the store may have new events (or ``timeout`` seconds passed)."""

    def wait(self, stop: StopFlag, timeout: float) -> None: ...

    def close(self) -> None: ...


def waker_for(service: CaseService) -> StoreWaker:
    """The waker for the service's store: LISTEN on PostgreSQL, data_version on SQLite."""
    url = sa.make_url(service.database_url)
    if url.get_backend_name() == "postgresql":
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return ListenWaker(conninfo, service.events_channel)
    recorder = service.recorder
    table = recorder.events_table_name if isinstance(recorder, SQLAlchemyAggregateRecorder) else ""
    return DataVersionWaker(url.database or "", table)


class ListenWaker:
    """LISTENs on the events channel of a PostgreSQL store."""

    def __init__(self, conninfo: str, channel: str) -> None:
        self._conninfo = conninfo
        self._channel = channel
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    def wait(self, stop: StopFlag, timeout: float) -> None:
        connection = self._connected()
        deadline = time.monotonic() + timeout
        while not stop.stopped:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            slice_s = min(left, LISTEN_SLICE_SECONDS)
            for _ in connection.notifies(timeout=slice_s, stop_after=1):
                return

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connected(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._connection is None or self._connection.closed:
            connection = psycopg.connect(self._conninfo, autocommit=True)
            connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
            self._connection = connection
        return self._connection


class DataVersionWaker:
    """Watches an SQLite file's ``data_version`` for another connection's commit."""

    def __init__(self, path: str, events_table: str = "") -> None:
        self._path = path
        newest = f'SELECT coalesce(max(id), 0) FROM "{events_table}"'
        self._newest_query = newest if events_table else ""
        self._connection: sqlite3.Connection | None = None
        self._seen: int | None = None
        self._newest: int | None = None
        self._watch: DirectoryWatch | None = None
        self._watch_opened = False
        self._looking_until = 0.0

    def wait(self, stop: StopFlag, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        watch = self._watching()  # before the first version is noted: no write goes unseen
        while not self._changed():  # the first call only notes the version
            now = time.monotonic()
            left = deadline - now
            if stop.stopped or left <= 0:
                return
            if watch is None or now < self._looking_until:
                stop.wait(min(left, SQLITE_CHECK_SECONDS))
            elif watch.wait(min(left, LISTEN_SLICE_SECONDS)):
                self._looking_until = time.monotonic() + LOOK_AFTER_WRITE_SECONDS
        self._looking_until = time.monotonic() + LOOK_AFTER_WRITE_SECONDS

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        self._watch_opened = False

    def _watching(self) -> DirectoryWatch | None:
        if not self._watch_opened:
            self._watch_opened = True
            if self._path and self._path != ":memory:":
                path = Path(self._path).resolve()
                self._watch = DirectoryWatch.open(path.parent, path.name)
        return self._watch

    def _changed(self) -> bool:
        if self._connection is None:
            self._connection = sqlite3.connect(self._path, timeout=30)
        version = int(self._connection.execute("PRAGMA data_version").fetchone()[0])
        changed = self._seen is not None and version != self._seen
        first = self._seen is None
        self._seen = version
        if self._newest_query and (changed or first):
            newest = self._newest_id(self._connection)
            changed = changed and (newest is None or newest != self._newest)
            self._newest = newest
        return changed

    def _newest_id(self, connection: sqlite3.Connection) -> int | None:
        try:
            found = connection.execute(self._newest_query).fetchall()[0][0]
        except sqlite3.OperationalError:  # no events table yet: any change counts
            return None
        return int(found)
