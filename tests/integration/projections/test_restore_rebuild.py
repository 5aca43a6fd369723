"""Issue 19 point 3: after a backup is restored, the projections rebuild to the same answer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from services.ops.backup import backup, restore
from services.runtime.settings import Settings, load_settings
from tests.integration.projections.builders import T0, CaseStory
from tests.integration.projections.conftest import Projection, publish
from tests.processes import run


def test_the_restored_read_model_equals_a_rebuild_from_case_events(
    kafka_settings: Settings, projection: Projection, tmp_path: Path
) -> None:
    stories = [
        CaseStory().add("LegalAidRequested", T0, agency="police-khanh-hoa", role="police"),
        CaseStory().add("PoliceReportReceived", T0, report_id="R1"),
    ]
    publish(kafka_settings, stories)
    projection.drain(sum(len(s.messages) for s in stories))
    projection.close()
    backup(kafka_settings, tmp_path / "backup")
    shutil.rmtree(kafka_settings.home)

    fields = kafka_settings.model_dump(exclude_none=True)
    again = load_settings(**(fields | {"home": tmp_path / "new-home"}))
    restore(again, tmp_path / "backup")
    rebuilt = run(again, "projections", "rebuild", "--json")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr[-2000:]
    report = json.loads(rebuilt.stdout)
    assert report["messages"] == sum(len(s.messages) for s in stories)
