"""Another local user learns nothing from the backbone's files or processes.

The watcher (``nobody``) polled ``/proc`` and every file it could open while the broker was
formatted and the database cluster initialised for the first time (see ``conftest.py``).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.security.conftest import FirstStart, readable_by_other_user

pytestmark = pytest.mark.integration


def test_no_secret_is_caught_from_proc_or_a_file_during_a_first_start(
    first_start: FirstStart,
) -> None:
    caught = "".join(first_start.caught)
    # The watcher really was watching from before the format until the servers ran (the
    # storage tool and initdb live for a second or two, too briefly to insist on seeing them).
    assert "kafka.Kafka" in caught and "bin/postgres" in caught
    leaked = [name for name, secret in first_start.secrets().items() if secret in caught]
    assert leaked == [], f"another user caught: {leaked}"


def test_another_user_can_read_nothing_under_the_homes_and_data_dirs(
    first_start: FirstStart,
) -> None:
    paths = first_start.private_paths()
    assert any(p.name == "meta.properties" for p in paths)  # the broker's data is among them
    assert readable_by_other_user(paths) == []


def test_every_file_and_folder_of_a_first_start_is_owner_only(first_start: FirstStart) -> None:
    shared = [
        str(p)
        for p in first_start.private_paths()
        if not p.is_symlink() and stat.S_IMODE(p.lstat().st_mode) & 0o077
    ]
    assert shared == []


def test_no_temporary_secret_file_is_left_behind(first_start: FirstStart) -> None:
    leftovers = [
        p
        for p in first_start.private_paths() + list(first_start.postgres.data_dir.parent.iterdir())
        if p.suffix in (".pw", ".args") or p.name.endswith(".tmp")
    ]
    assert leftovers == []


def test_the_cli_tightens_an_old_world_readable_home_and_writes_owner_only(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    (home / "kafka").mkdir(parents=True, mode=0o755)
    home.chmod(0o755)
    store = home / "events.db"
    store.write_bytes(b"")
    store.chmod(0o644)
    env = {**os.environ, "BACKBONE_HOME": str(home), "BACKBONE_LOG_LEVEL": "ERROR"}
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "kafka", "status"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (home, home / "kafka", store)}
    assert modes == {"home": 0o700, "kafka": 0o700, "events.db": 0o600}


def test_the_cli_and_its_children_create_files_owner_only() -> None:
    probe = (
        "import contextlib, os\n"
        "from services.cli import main\n"
        "with contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "print(oct(os.umask(0)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "0o77"


def test_no_log_of_a_first_start_holds_a_secret(first_start: FirstStart) -> None:
    logs = [first_start.kafka.log_file, first_start.kafka.auth_log]
    logs += list(first_start.postgres.data_dir.glob("*.log")) + list(
        first_start.postgres.data_dir.glob("log/*")
    )
    assert first_start.kafka.log_file in logs and any(p.suffix == ".log" for p in logs[2:])
    text = "".join(p.read_text(errors="replace") for p in logs)
    leaked = [name for name, secret in first_start.secrets().items() if secret in text]
    assert leaked == []
