"""Owner-only state and argument files: the helpers behind the launchers' security."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.kafka.launcher import java_argfile
from deploy.process import private_home, tighten, write_private
from services.runtime.settings import load_settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_tighten_takes_every_right_of_others_away_and_keeps_the_owners(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    store, tool = home / "data" / "events.db", home / "tool"
    store.write_text("rows")
    tool.write_text("#!/bin/sh\n")
    for path, bits in ((home, 0o755), (home / "data", 0o775), (store, 0o644), (tool, 0o755)):
        path.chmod(bits)
    tighten(home)
    assert [mode(p) for p in (home, home / "data", store, tool)] == [0o700, 0o700, 0o600, 0o700]


def test_tighten_neither_follows_nor_changes_a_symbolic_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.write_text("not ours to change")
    outside.chmod(0o644)
    home = tmp_path / "home"
    home.mkdir()
    (home / "link").symlink_to(outside)
    tighten(home)
    assert mode(outside) == 0o644


def test_a_private_file_is_owner_only_even_under_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        write_private(tmp_path / "secret", "s3cret")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "secret") == 0o600


def test_the_java_launcher_reads_each_argument_back_from_an_argfile(tmp_path: Path) -> None:
    """The argfile is what carries the SCRAM credential; java must read it back unchanged."""
    if shutil.which("java") is None:
        pytest.skip("no java here")
    source = tmp_path / "Echo.java"
    source.write_text(
        "public class Echo { public static void main(String[] a) {"
        ' for (String s : a) System.out.println("[" + s + "]"); } }'
    )
    args = ["plain", "with space", 'with "quotes"', "back\\slash", "", "[name=a,password=b]"]
    argfile = tmp_path / "args"
    argfile.write_text(java_argfile([str(source), *args]))
    done = subprocess.run(["java", f"@{argfile}"], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [f"[{arg}]" for arg in args]


def test_the_embedded_store_is_read_only_for_read_only_surfaces(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path)
    assert "mode=ro" in settings.effective_reader_database_url
    assert settings.effective_database_url.endswith("events.db")
    explicit = load_settings(home=tmp_path, reader_database_url="postgresql://reader@h/db")
    assert explicit.effective_reader_database_url == "postgresql://reader@h/db"


def test_tighten_leaves_what_another_user_owns(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file away")
    theirs = tmp_path / "theirs"
    theirs.write_text("another user's")
    theirs.chmod(0o644)
    os.chown(theirs, 65534, 65534)
    tighten(tmp_path)
    assert mode(theirs) == 0o644
    tighten(tmp_path, any_owner=True)
    assert mode(theirs) == 0o600


def test_the_embedded_store_and_its_wal_files_are_owner_only_under_any_umask(
    tmp_path: Path,
) -> None:
    settings = load_settings(home=tmp_path / "home")
    store = settings.embedded_store
    assert store is not None
    previous = os.umask(0)
    try:
        private_home(settings.home, store)
        with sqlite3.connect(store) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE rows (a)")
            db.execute("INSERT INTO rows VALUES (1)")
            made = sorted(p.name for p in settings.home.iterdir())
            modes = {p.name: mode(p) for p in settings.home.iterdir()}
    finally:
        os.umask(previous)
    assert made == ["events.db", "events.db-shm", "events.db-wal"]
    assert mode(settings.home) == 0o700
    assert set(modes.values()) == {0o600}


def test_preparing_the_home_again_keeps_this_process_s_hold_on_the_embedded_store(
    tmp_path: Path,
) -> None:
    """Several services built in one process each prepare the home. POSIX locks belong to the
    process, so closing any descriptor of the store would cancel the locks its open SQLite
    connection holds; another process closing its last connection would then take the store
    for unused and delete the write-ahead log under us, losing what we commit next (a witness's
    cosignature was lost exactly so)."""
    home, store = tmp_path / "home", tmp_path / "home" / "events.db"
    private_home(home, store)
    held = sqlite3.connect(store)
    held.execute("PRAGMA journal_mode=WAL")
    held.execute("CREATE TABLE t (x INTEGER)")
    held.commit()
    held.execute("SELECT count(*) FROM t").fetchall()
    private_home(home, store)  # a second service of this process, built later
    count = (
        f"import sqlite3; rows = sqlite3.connect({str(store)!r}).execute('SELECT count(*) FROM t')"
        "; print(rows.fetchone()[0])"
    )
    subprocess.run([sys.executable, "-c", count], check=True, capture_output=True)
    held.execute("INSERT INTO t VALUES (1)")
    held.commit()
    seen = subprocess.run([sys.executable, "-c", count], check=True, capture_output=True, text=True)
    held.close()
    assert seen.stdout.strip() == "1", "a commit made after another process closed was lost"
