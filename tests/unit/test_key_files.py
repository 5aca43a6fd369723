"""Key and state files: created once, whole, readable by their owner only."""

from __future__ import annotations

from pathlib import Path

from deploy.process import create_once, write_private


def test_a_key_file_created_by_racing_processes_is_the_same_for_all(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master.key"
    first = create_once(path, b"A" * 32)
    second = create_once(path, b"B" * 32)
    assert first == second == b"A" * 32
    assert path.stat().st_mode & 0o077 == 0
    assert list(path.parent.iterdir()) == [path]


def test_a_private_file_is_never_readable_by_others(tmp_path: Path) -> None:
    path = tmp_path / "server.properties"
    write_private(path, "password=secret")
    assert path.read_text() == "password=secret"
    assert path.stat().st_mode & 0o077 == 0
