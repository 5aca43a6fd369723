"""``backbone backup`` and ``backbone restore``: a consistent copy of the store, keys apart.

A backup directory holds ``store/`` (SQLite: a copy made with SQLite's online backup API, which
is consistent while the processes keep writing; PostgreSQL: a ``pg_dump`` archive, one
snapshot), ``manifest.json`` (what kind of store, when, the store's position and the relay's
published positions) and, unless ``--keys`` sends them elsewhere, ``keys/``: the master key, the
erasure list and the home's other key and credential files, owner-only. Keep the two apart: the
store alone holds personal data only under keys it does not contain.

``restore`` refuses a home that is not empty, brings both back and destroys again the keys of
every case on the erasure list (the backup's and the current one beside the master key), so a
case erased after an older backup stays erased. The relay's published position comes back with
the store (it is a table of the same database), so nothing is published twice.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from services.audit.rows import events_table
from services.cases.privacy import KeyStore, create_key_engine, load_master_key
from services.ops.erasures import ERASURES_FILE, erasures_file, read_erasures, write_erasures
from services.runtime.database import open_database
from services.runtime.settings import Settings

MANIFEST = "manifest.json"
SQLITE_COPY = "events.db"
PG_ARCHIVE = "store.dump"
# Home entries that are not keys: the store itself and the local broker's and cluster's data.
NOT_KEYS = ("events.db", "events.db-wal", "events.db-shm", "kafka", "postgres")


class BackupError(Exception):
    """A backup or restore that cannot go on: ``reason`` for machines, the text for people."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def backup(settings: Settings, output: Path, keys: Path | None = None) -> dict[str, Any]:
    """Write the store to ``output/store`` and the keys to ``keys`` (default ``output/keys``)."""
    keys = keys or output / "keys"
    for target in (output, keys):
        if target.exists() and any(target.iterdir()):
            raise BackupError("output_not_empty", f"{target} is not empty: choose a new directory")
        target.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = output / "store"
    store.mkdir(mode=0o700)
    url = sa.make_url(settings.effective_database_url)
    positions = store_positions(settings.effective_database_url)
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(Path(str(url.database)), store / SQLITE_COPY)
    else:
        _run([pg_tool("pg_dump"), "--format=custom", f"--file={store / PG_ARCHIVE}"], url)
    _copy_keys(settings, keys)
    manifest = {
        "store": url.get_backend_name(),
        "taken_at": datetime.now(UTC).isoformat(),
        "keys": str(keys),
    } | positions
    (output / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def restore(settings: Settings, source: Path, keys: Path | None = None) -> dict[str, Any]:
    """Bring a backup back into an empty home; re-apply the erasure list."""
    keys = keys or source / "keys"
    manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    home = settings.home
    if home.exists() and any(home.iterdir()):
        raise BackupError("home_not_empty", f"{home} is not empty: restore into a new home")
    url = sa.make_url(settings.effective_database_url)
    if manifest["store"] != url.get_backend_name():
        raise BackupError(
            "store_kind_differs",
            f"the backup is of a {manifest['store']} store, this home's is not",
        )
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    master = settings.effective_master_key_file
    erased = read_erasures(keys / ERASURES_FILE) | read_erasures(erasures_file(master))
    _restore_keys(keys, settings)
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(source / "store" / SQLITE_COPY, Path(str(url.database)))
    else:
        _restore_postgres(url, source / "store" / PG_ARCHIVE)
    key_store = KeyStore(
        create_key_engine(settings.effective_database_url),
        load_master_key(master),
        erasures_file(master),
    )
    try:
        for case_id in sorted(erased):
            key_store.shred(case_id)
    finally:
        key_store.close()
    write_erasures(erasures_file(master), erased)
    return {"restored_from": str(source), "erasures_applied": len(erased)} | store_positions(
        settings.effective_database_url
    )


def store_positions(database_url: str) -> dict[str, Any]:
    """The store's last notification id and each relay's published position."""
    engine = open_database(database_url)
    try:
        table = events_table(engine)
        with engine.connect() as conn:
            position = 0
            if table is not None:
                position = int(conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0)
            relays: dict[str, int] = {}
            if sa.inspect(engine).has_table("relay_positions"):
                rows = conn.execute(sa.text("SELECT name, position FROM relay_positions"))
                relays = {str(name): int(value) for name, value in rows}
    finally:
        engine.dispose()
    return {"store_position": position, "relay_positions": relays}


def pg_tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: on PATH, else the newest under Debian's directory."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise BackupError("pg_tools_missing", f"{name} is not installed (Debian: postgresql)")
    return found


def _sqlite_backup(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy while writers go on."""
    if not source.exists():
        raise BackupError("no_store", f"there is no store at {source}")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    os.chmod(target, 0o600)


def _restore_postgres(url: sa.URL, archive: Path) -> None:
    engine = open_database(url)
    try:
        tables = sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise BackupError("store_not_empty", "the database is not empty: restore into a new one")
    restore_args = ["--no-owner", "--exit-on-error", f"--dbname={url.database}", str(archive)]
    _run([pg_tool("pg_restore"), *restore_args], url)


def _run(command: list[str], url: sa.URL) -> None:
    """Run a PostgreSQL tool on ``url``; the password goes through the environment only."""
    env = os.environ | {
        "PGHOST": url.host or "localhost",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "",
        "PGPASSWORD": url.password or "",
        "PGDATABASE": url.database or "",
    }
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tool = Path(command[0]).name
        raise BackupError("pg_tool_failed", f"{tool} failed: {done.stderr.strip()[-500:]}")


def _copy_keys(settings: Settings, keys: Path) -> None:
    """The master and sealing keys, the erasure list and the home's other files."""
    master = settings.effective_master_key_file
    for path in (master, settings.effective_sealing_key_file, erasures_file(master)):
        if path.exists():
            shutil.copy2(path, keys / path.name)
    if settings.home.exists():
        for entry in settings.home.iterdir():
            if entry.name in NOT_KEYS or (keys / entry.name).exists():
                continue
            if entry.is_dir():
                shutil.copytree(entry, keys / "home" / entry.name)
            else:
                (keys / "home").mkdir(exist_ok=True, mode=0o700)
                shutil.copy2(entry, keys / "home" / entry.name)


def _restore_keys(keys: Path, settings: Settings) -> None:
    master = settings.effective_master_key_file
    for path in (master, settings.effective_sealing_key_file):
        saved = keys / path.name
        if not saved.exists():
            continue
        if path.exists() and path.read_bytes() != saved.read_bytes():
            raise BackupError("key_differs", f"{path} exists and is not the backup's key")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copy2(saved, path)
    if (keys / "home").exists():
        shutil.copytree(keys / "home", settings.home, dirs_exist_ok=True)
