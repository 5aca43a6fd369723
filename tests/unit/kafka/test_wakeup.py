"""The relay's wait on an SQLite store: woken at once by another connection's commit that adds
events (only those), and asleep in the kernel, not looking at the store, while nothing is
written."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from services.kafka.filewatch import DirectoryWatch
from services.kafka.wakeup import LOOK_AFTER_WRITE_SECONDS, DataVersionWaker
from services.runtime.supervisor import StopFlag


def store(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, n INTEGER)")
    connection.execute("CREATE TABLE IF NOT EXISTS positions (n INTEGER)")
    return connection


def commit_later(
    connection: sqlite3.Connection, delay: float, table: str = "events"
) -> threading.Thread:
    def write() -> None:
        time.sleep(delay)
        connection.execute(f"INSERT INTO {table} (n) VALUES (1)")

    writer = threading.Thread(target=write)
    writer.start()
    return writer


def timed_wait(waker: DataVersionWaker, timeout: float) -> tuple[float, float]:
    """(seconds waited, CPU seconds the waiting thread spent)."""
    start, cpu = time.monotonic(), time.thread_time()
    waker.wait(StopFlag(), timeout)
    return time.monotonic() - start, time.thread_time() - cpu


def test_a_commit_after_a_quiet_while_ends_the_wait_at_once(tmp_path: Path) -> None:
    writer_connection = store(tmp_path / "events.db")
    waker = DataVersionWaker(str(tmp_path / "events.db"), "events")
    waker.wait(StopFlag(), 0)  # watching from here on
    time.sleep(LOOK_AFTER_WRITE_SECONDS + 0.1)  # no recent write: asleep until the next one
    writer = commit_later(writer_connection, 0.3)
    waited, _ = timed_wait(waker, 10)
    writer.join()
    waker.close()
    assert 0.3 <= waited < 2  # not before the commit, long before the timeout


def test_with_nothing_written_the_wait_spends_no_cpu_looking(tmp_path: Path) -> None:
    store(tmp_path / "events.db")
    waker = DataVersionWaker(str(tmp_path / "events.db"))
    waker.wait(StopFlag(), 0)
    waited, cpu = timed_wait(waker, 1.0)
    waker.close()
    assert waited >= 1.0
    assert cpu < 0.01  # looking every few milliseconds for a second costs several times this


def test_a_commit_that_adds_no_event_does_not_end_the_wait(tmp_path: Path) -> None:
    writer_connection = store(tmp_path / "events.db")
    waker = DataVersionWaker(str(tmp_path / "events.db"), "events")
    waker.wait(StopFlag(), 0)
    other = commit_later(writer_connection, 0.1, table="positions")  # e.g. a read model's
    event = commit_later(writer_connection, 0.6)
    waited, _ = timed_wait(waker, 10)
    other.join()
    event.join()
    waker.close()
    assert 0.6 <= waited < 2


def test_other_files_of_the_folder_do_not_count_as_writes(tmp_path: Path) -> None:
    watch = DirectoryWatch.open(tmp_path, "events.db")
    assert watch is not None
    (tmp_path / "relay.log").write_text("a line")
    assert not watch.wait(0.05)
    (tmp_path / "events.db-wal").write_bytes(b"a frame")
    assert watch.wait(0.05)
    watch.close()
