"""Waiting for the case store's next write, instead of sleeping past it.

On PostgreSQL the store sends a NOTIFY on its events channel with every write (the recorder
does it in the writing transaction), so a LISTENing connection wakes the relay as soon as the
write commits. SQLite has no notifications between processes; its ``data_version`` pragma
changes when another connection commits, and reading it costs microseconds, so the wait looks
at it every few milliseconds (``SQLITE_CHECK_SECONDS``) and ends at the first change.
Both waits end after ``timeout`` anyway, and a stop request ends them within one check.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Protocol

import psycopg
import sqlalchemy as sa
from psycopg import sql

from services.cases.application import CaseService
from services.runtime.supervisor import StopFlag

SQLITE_CHECK_SECONDS = 0.002
LISTEN_SLICE_SECONDS = 0.25  # how soon a stop request ends a LISTEN wait


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
    return DataVersionWaker(url.database or "")


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

    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._seen: int | None = None

    def wait(self, stop: StopFlag, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._changed():  # the first call only notes the version
            if stop.stopped or time.monotonic() >= deadline:
                return
            stop.wait(SQLITE_CHECK_SECONDS)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _changed(self) -> bool:
        if self._connection is None:
            self._connection = sqlite3.connect(self._path, timeout=30)
        version = int(self._connection.execute("PRAGMA data_version").fetchone()[0])
        changed = self._seen is not None and version != self._seen
        self._seen = version
        return changed
