"""``backbone projections run`` as a real process: SIGKILL mid-stream, restart, rebuild."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from events import Topics
from projections.readmodel import ReadModel
from services.runtime.database import read_model_db
from services.runtime.settings import Settings
from tests.integration.projections.builders import HOUR, T0, CaseStory
from tests.integration.projections.conftest import publish
from tests.kafkatools import poll_until
from tests.processes import env_for, spawn

pytestmark = pytest.mark.integration
CASES = 300
DUPLICATED = 40  # cases whose last two steps are published twice
MESSAGES = 3 * CASES + 2 * DUPLICATED
MODEL = ReadModel()


def stories(count: int) -> list[CaseStory]:
    return [
        CaseStory()
        .add("CaseReported", T0)
        .add("TransferredToCommune", T0 + HOUR)
        .add("LegalAidRequested", T0 + HOUR, agency="police-khanh-hoa", role="police")
        for _ in range(count)
    ]


def count(db: sa.Engine, table: sa.Table, *where: object) -> int:
    with db.connect() as conn:
        found = conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar()
    return int(found or 0)


def steps(db: sa.Engine) -> int:
    try:
        return count(db, MODEL.timeline)
    except sa.exc.OperationalError:
        return 0  # the process has not created its tables yet


def consumed(db: sa.Engine) -> int:
    """Messages the live model has read: its next offsets summed (every partition starts at 0)."""
    with db.connect() as conn:
        found = conn.execute(sa.select(sa.func.sum(MODEL.positions.c.next_offset))).scalar()
    return int(found or 0)


def test_sigkill_mid_stream_then_restart_counts_every_event_once_and_rebuild_agrees(
    kafka_settings: Settings, topics: Topics, tmp_path: Path
) -> None:
    cases = stories(CASES)
    publish(kafka_settings, cases)
    publish(kafka_settings, cases[:DUPLICATED], start=1)  # the relay published a tail twice
    settings = kafka_settings.model_copy(update={"batch_size": 20})
    db, log = read_model_db(settings), tmp_path / "projection.log"
    process = spawn(settings, "projections", "run", log=log)
    try:
        poll_until(lambda: steps(db) >= 200, 90, "part of the stream projected")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
    assert steps(db) < 3 * CASES, "the projection was killed after it had finished"
    restarted = spawn(settings, "projections", "run", log=log)
    try:
        poll_until(lambda: steps(db) == 3 * CASES, 120, "every step after the restart")
        # The duplicated tail comes after the last new step: wait until it is read too, so the
        # live model is caught up, as a rebuild's comparison requires.
        poll_until(lambda: consumed(db) == MESSAGES, 60, "the duplicated tail read")
        poll_until(
            lambda: count(db, MODEL.outbox, MODEL.outbox.c.published_at.is_(None)) == 0,
            60,
            "alerts published",
        )
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=60) == 0
    assert "projection.stopped" in log.read_text()
    assert count(db, MODEL.obligations) == 3 * CASES  # report, plan, legal aid per case
    assert count(db, MODEL.outbox, MODEL.outbox.c.kind == "stalled") == CASES

    rebuilt = subprocess.run(
        [sys.executable, "-m", "services.cli", "projections", "rebuild", "--json"],
        env=env_for(settings),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    report = json.loads(rebuilt.stdout)
    assert report["equal"] and report["live_stalled"] == CASES
    # The statistics tables are counted exactly once through the kill and compared too.
    assert count(db, MODEL.stats_cases) == CASES
    checked = {t["table"]: t for t in report["tables"]}
    assert checked["stats_cases"]["rebuilt_rows"] == CASES and checked["stats_cases"]["equal"]
