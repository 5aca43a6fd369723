"""Issue 19 point 3: backup, wipe, restore and verify, on both stores."""

from __future__ import annotations

import json
import shutil
import stat
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.audit.service import AuditService
from services.audit.verify import verify_store
from services.cases.application import CaseService
from services.kafka.relaystate import RelayState
from services.ops.backup import BackupError, backup, restore, store_positions
from services.runtime.settings import Settings
from tests.processes import run
from tests.realparts import create_database

NOW = 1_700_000_000_000
PERSONAL = {"child_name": "Nguyễn Văn A"}


def record_cases(settings: Settings, count: int) -> list[str]:
    service = CaseService.from_settings(settings)
    audit = AuditService.from_settings(settings)
    try:
        cases = [str(uuid.uuid4()) for _ in range(count)]
        for case in cases:
            service.report(case, {"channel": "hotline"}, "hotline-111", f"{case}-0", NOW, PERSONAL)
            service.record(
                case, "NeedsAssessed", {"needs": ["n"]}, "commune-22738", f"{case}-1", NOW
            )
        audit.checkpoint()
        # The relay has published everything so far.
        engine = sa.create_engine(settings.effective_database_url)
        RelayState(engine, "relay").advance(
            store_positions(settings.effective_database_url)["store_position"], {}
        )
        engine.dispose()
    finally:
        audit.close()
        service.close()
    return cases


def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A second, empty database of the same kind as the test's store."""
    if request.node.callspec.params["database_url"] == "sqlite":
        return f"sqlite:///{tmp_path / 'restored' / 'events.db'}"
    admin: str = request.getfixturevalue("postgres_admin_url")
    return create_database(admin, f"r{uuid.uuid4().hex[:12]}")


def test_an_older_backup_restores_verifies_and_keeps_later_erasures(
    make_settings: Callable[..., Settings],
    database_url: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    settings = make_settings(database_url=database_url)
    erased, kept = record_cases(settings, 2)
    manifest = backup(settings, tmp_path / "backup")
    keys = tmp_path / "backup" / "keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert (keys / "master.key").exists() and not (
        tmp_path / "backup" / "store" / "master.key"
    ).exists()
    assert manifest["relay_positions"] == {"relay": manifest["store_position"]} != {"relay": 0}

    service = CaseService.from_settings(settings)  # erased after the backup was taken
    service.forget(erased, "commune-22921")
    service.close()
    shutil.rmtree(settings.home)  # the disk is lost; the master key and erasure list are not

    again = make_settings(home=tmp_path / "home2", database_url=target_url(request, tmp_path))
    restored = restore(again, tmp_path / "backup")
    assert restored["erasures_applied"] == 1
    assert restored["store_position"] == manifest["store_position"]
    assert (
        restored["relay_positions"] == manifest["relay_positions"]
    )  # the relay resumes after what it sent

    service = CaseService.from_settings(again)
    audit = AuditService.from_settings(again)
    try:
        assert service.keys.is_shredded(erased)
        assert service.read_personal_data(kept, "commune-22921") == PERSONAL
        report = verify_store(audit)
        assert report.ok, report.as_json()
    finally:
        audit.close()
        service.close()

    with pytest.raises(BackupError, match="not empty") as refused:
        restore(again, tmp_path / "backup")
    assert refused.value.reason == "home_not_empty"


def test_the_commands_back_up_restore_and_the_restored_store_verifies(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()  # the embedded store: SQLite in the home
    record_cases(settings, 1)
    taken = run(settings, "backup", "--output", str(tmp_path / "b"), "--keys", str(tmp_path / "k"))
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert not (tmp_path / "b" / "keys").exists() and (tmp_path / "k" / "master.key").exists()

    again = make_settings(home=tmp_path / "new-home")
    back = run(again, "restore", str(tmp_path / "b"), "--keys", str(tmp_path / "k"))
    assert back.returncode == 0, back.stderr[-2000:]
    verified = run(again, "verify", "--all", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr[-2000:]

    refused = run(again, "restore", str(tmp_path / "b"), "--keys", str(tmp_path / "k"))
    assert refused.returncode == 2
    assert json.loads(refused.stdout)["error"] == "home_not_empty"
    assert "Traceback" not in refused.stderr
