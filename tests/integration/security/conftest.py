"""A first start of the real broker and PostgreSQL, watched by another local user.

The homes live in a folder every local user may traverse, so only the homes' own permissions
stand between their contents and the watcher (``nobody``). While the launchers format the broker
and initialise the cluster, the watcher polls ``/proc/*/cmdline``, ``/proc/*/environ`` and every
file it can open under the homes, the clusters' folder and ``/tmp``; the tests then look for the
generated passwords in what it caught.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deploy.kafka.launcher import LocalKafka
from deploy.postgres.launcher import LocalPostgres
from deploy.process import read_state

OTHER_USER = "nobody"

# Runs as the other user with the system's Python (the project's venv may not be reachable).
WATCHER = r"""
import os, select, sys
roots = sys.argv[1:]
seen = set()
def grab(path):
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 16)
    except OSError:
        return
    if (path, data) not in seen:
        seen.add((path, data))
        sys.stdout.write(f"{path}\t{data!r}\n")
        sys.stdout.flush()
sys.stdout.write("watching\n"); sys.stdout.flush()
while not select.select([sys.stdin], [], [], 0)[0]:
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            grab(f"/proc/{pid}/cmdline")
            grab(f"/proc/{pid}/environ")
    for root in roots:
        for folder, _, files in os.walk(root):
            for name in files:
                grab(os.path.join(folder, name))
"""

# Tries to list every folder and read every file named on stdin; prints what it managed.
PROBE = r"""
import os, sys
for line in sys.stdin:
    path = line.rstrip("\n")
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").read(1)
    except OSError:
        continue
    print(path)
"""


def as_other_user(script: str, *args: str, **popen: object) -> subprocess.Popen[str]:
    """Run a Python ``script`` as :data:`OTHER_USER` (the tests run as root)."""
    cmd = ["setpriv", "--reuid", OTHER_USER, "--regid", "nogroup", "--clear-groups"]
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [*cmd, "/usr/bin/python3", "-c", script, *args], text=True, cwd="/", **popen
    )


def readable_by_other_user(paths: list[Path]) -> list[str]:
    """The paths among ``paths`` that :data:`OTHER_USER` can list or read."""
    probe = as_other_user(PROBE, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out, _ = probe.communicate("".join(f"{p}\n" for p in paths), timeout=60)
    return out.split()


@dataclass
class FirstStart:
    """The broker and the cluster just started for the first time, and what the watcher saw."""

    kafka: LocalKafka
    postgres: LocalPostgres
    caught: list[str] = field(default_factory=list)

    def secrets(self) -> dict[str, str]:
        kafka, pg = read_state(self.kafka.state_file), read_state(self.postgres.state_file)
        return {
            "kafka password": kafka["password"],
            "kafka controller password": kafka["controller_password"],
            "postgres superuser password": pg["password"],
            "postgres owner password": pg["owner_password"],
            "postgres reader password": pg["reader_password"],
        }

    def private_paths(self) -> list[Path]:
        """Every folder and file the two parts keep."""
        roots = [self.kafka.home, self.postgres.home, self.postgres.data_dir]
        found: list[Path] = []
        for root in roots:
            found.append(root)
            for folder, dirs, files in os.walk(root):
                found += [Path(folder, name) for name in dirs + files]
        return found


@pytest.fixture(scope="session")
def first_start() -> Iterator[FirstStart]:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to act as a second local user")
    shared = Path(tempfile.mkdtemp(prefix="backbone-security-"))
    shared.chmod(0o755)  # traversable by anyone: only the homes' own modes protect them
    home = shared / "home"
    started = FirstStart(LocalKafka(home / "kafka"), LocalPostgres(home / "postgres", False))
    clusters = started.postgres.data_dir.parent
    watcher = as_other_user(
        WATCHER, str(shared), str(clusters), "/tmp", stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert watcher.stdout is not None and watcher.stdin is not None
    assert watcher.stdout.readline() == "watching\n"
    reader = threading.Thread(target=lambda: started.caught.extend(watcher.stdout or []))
    reader.start()
    try:
        started.kafka.start()
        started.postgres.start()
    finally:
        watcher.stdin.close()
        watcher.wait(timeout=60)
        reader.join(timeout=60)
    try:
        yield started
    finally:
        started.kafka.stop()
        started.postgres.destroy()
        shutil.rmtree(shared, ignore_errors=True)
