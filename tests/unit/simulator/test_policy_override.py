"""The simulated agencies run late or in time against the deadlines the projection enforces."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from services.runtime.settings import DEFAULT_CONFIG_DIR
from services.simulator.deadlines import load_clock

MONDAY = datetime(2026, 3, 2, 2, tzinfo=UTC)  # 09:00 in Vietnam
ONE_WORKING_DAY = """
[[rules]]
id = "legal_aid_assigned"
opened_by = "LegalAidRequested"
closed_by = ["LegalAidAssigned"]
deadline = { amount = 1, unit = "working_days" }
clock = "working"
responsible_role = "state_legal_aid_centre"
citation = "Provincial decision (test)"
confirmed = true
"""


def test_a_province_override_moves_the_simulator_s_due_times_too(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, config)
    default_due = load_clock(config).due("legal_aid_assigned", MONDAY, {})
    (config / "policy.toml").write_text(ONE_WORKING_DAY, encoding="utf-8")

    overridden_due = load_clock(config).due("legal_aid_assigned", MONDAY, {})

    assert overridden_due == datetime(2026, 3, 3, 17, tzinfo=UTC)  # end of Tuesday, local
    assert overridden_due < default_due
