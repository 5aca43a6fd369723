"""A wake-up when a file of a folder is written, from Linux's inotify (through libc).

The relay on SQLite watches the store's folder for writes to the database and its journal
(``events.db``, ``events.db-wal``), so that with nothing to publish it sleeps in the kernel
instead of looking at the store every few milliseconds. A write is not yet a commit (SQLite
syncs, then marks the commit in shared memory, neither of which inotify reports), so the
watch only says when to start looking; ``services.kafka.wakeup`` does the looking.

Where inotify is missing (another system, or the per-user limit of instances reached),
``DirectoryWatch.open`` answers None and the caller looks at the store on a timer instead.
"""

from __future__ import annotations

import ctypes
import os
import select
import struct
from pathlib import Path

IN_MODIFY = 0x00000002
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_Q_OVERFLOW = 0x00004000  # events were lost: treat as a write
EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name


class DirectoryWatch:
    """Writes to the files of one folder whose names start with a given prefix."""

    def __init__(self, fd: int, prefix: bytes) -> None:
        self._fd = fd
        self._prefix = prefix

    @classmethod
    def open(cls, folder: Path, prefix: str) -> DirectoryWatch | None:
        """Watch ``folder`` for writes to files named ``prefix...``; None without inotify."""
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            init, add_watch = libc.inotify_init1, libc.inotify_add_watch
        except (OSError, AttributeError):
            return None
        fd = init(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            return None
        if add_watch(fd, os.fsencode(folder), IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0:
            os.close(fd)
            return None
        return cls(fd, os.fsencode(prefix))

    def wait(self, timeout: float) -> bool:
        """Whether a watched file was written since the last call (or within ``timeout``)."""
        written = self._drain()
        if written:
            return True
        readable, _, _ = select.select([self._fd], [], [], max(0.0, timeout))
        return bool(readable) and self._drain()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _drain(self) -> bool:
        written = False
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                return written
            if not data:
                return written
            offset = 0
            while offset + EVENT.size <= len(data):
                _, mask, _, length = EVENT.unpack_from(data, offset)
                start = offset + EVENT.size
                name = data[start : start + length].rstrip(b"\0")
                written = written or bool(mask & IN_Q_OVERFLOW) or name.startswith(self._prefix)
                offset = start + length
