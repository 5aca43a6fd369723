"""Small helpers shared by the launchers: free ports, detached processes, owner-only state.

Everything the project writes is its owner's only: processes run with ``PRIVATE_UMASK``,
homes are tightened at start (:func:`tighten`), and secrets are created owner-only from the
first byte (:func:`write_private`), never written first and restricted after.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Files 0600 and directories 0700: no group or other user may read what the backbone writes.
PRIVATE_UMASK = 0o077


class LaunchError(RuntimeError):
    """A real part (broker, database) could not be started or stopped."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def private_umask() -> None:
    """Make every file and directory this process (and its children) creates owner-only."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as owner-only directories and tighten it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def private_home(home: Path, store: Path | None) -> None:
    """Create ``home`` owner-only and the embedded SQLite ``store`` in it owner-only (SQLite
    gives its journal and WAL files the mode of the store), whatever the process's umask.

    An existing store is never opened here: POSIX locks belong to the process, so closing any
    descriptor of the store would silently cancel the locks this process's SQLite connections
    hold, and another process could then delete the write-ahead log under them (SQLite's "How
    To Corrupt" notes, section 2.2). ``O_EXCL`` creates the file or fails without opening it.
    """
    private_dir(home)
    if store is not None:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(store, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def tighten(root: Path, any_owner: bool = False) -> None:
    """Take every permission of group and others away under ``root`` (an existing home).

    Directories become 0700 and files keep only their owner's bits (0600 for data). Symbolic
    links are neither followed nor changed, nor is anything another user owns (a mistyped home
    such as ``/`` stays as it is) unless ``any_owner`` (root tightening a folder of the
    ``postgres`` user).
    """
    if not root.exists() or root.is_symlink():
        return
    me = os.geteuid()
    _restrict(root, me, any_owner)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            _restrict(Path(folder, name), me, any_owner)


def _restrict(path: Path, me: int, any_owner: bool) -> None:
    with contextlib.suppress(FileNotFoundError):  # a file may vanish meanwhile
        info = path.lstat()
        mode = stat.S_IMODE(info.st_mode)
        if stat.S_ISLNK(info.st_mode) or mode & 0o077 == 0:
            return
        if any_owner or info.st_uid == me:
            path.chmod(0o700 if stat.S_ISDIR(info.st_mode) else mode & 0o700)


def read_state(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Write a state file readable by its owner only: it holds generated passwords."""
    write_private(path, json.dumps(state, indent=2))


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, readable by its owner only from the first byte."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    tmp.replace(path)


def spawn(cmd: Sequence[str], log_file: Path, env: dict[str, str] | None = None) -> int:
    """Start ``cmd`` in its own session, output appended to ``log_file``; return its pid."""
    log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "ab") as log:
        proc = subprocess.Popen(
            list(cmd),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
            umask=PRIVATE_UMASK,
        )
    return proc.pid


def is_running(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name.
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def reap(pid: int) -> None:
    """Collect ``pid`` if it is our child, so that it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def terminate(pid: int | None, timeout: float = 30.0) -> None:
    """SIGTERM, wait up to ``timeout`` seconds, then SIGKILL."""
    if pid is None or not is_running(pid):
        return
    os.kill(pid, signal.SIGTERM)
    if wait_until(lambda: _gone(pid), timeout):
        return
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: _gone(pid), 10.0)


def _gone(pid: int) -> bool:
    reap(pid)
    return not is_running(pid)


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Poll ``check`` until it returns true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def create_once(path: Path, content: bytes) -> bytes:
    """Create ``path`` (owner-only) holding ``content`` unless it exists; return what it holds.

    Processes starting together may race to create the same key file: the file appears whole,
    by a hard link, and exactly one writer wins; the others read the winner's content.
    """
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won
        finally:
            tmp.unlink()
    return path.read_bytes()
