"""Supervisors see the plan's periodic reports beside the stalled cases when due or late."""

from __future__ import annotations

import json
from collections.abc import Callable

from services.settings import Settings
from tests.processes import run as backbone


def test_stalled_lists_the_periodic_reports_due_or_late(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    done = backbone(settings, "stalled", "--json", "--as-of", "2026-05-20T00:00:00+07:00")
    assert done.returncode == 0, done.stderr
    (duty,) = json.loads(done.stdout)["reporting_duties"]
    assert (duty["duty"], duty["state"], duty["recipient"]) == (
        "six_monthly",
        "late",
        "doh-khanh-hoa",
    )
    table = backbone(settings, "stalled", "--as-of", "2026-05-01", "--lang", "en")
    assert "Six-monthly report" in table.stdout
    assert "Department of Health of Khánh Hòa" in table.stdout


def test_no_report_is_listed_when_none_is_due(make_settings: Callable[..., Settings]) -> None:
    done = backbone(make_settings(), "stalled", "--json", "--as-of", "2026-03-01")
    assert json.loads(done.stdout)["reporting_duties"] == []
