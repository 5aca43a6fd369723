"""Supervisors see the plan's periodic reports beside the stalled cases when due or late."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from projections.statistics.duties import DutyStatus
from services.runtime.settings import Settings
from tests.processes import run as backbone
from tests.processes import run_in_terminal
from tests.reportingtools import always_on_board, first_on_board, today


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


def _entries(found: list[dict[str, Any]], status: DutyStatus) -> list[dict[str, Any]]:
    due = status.due_before.isoformat()
    return [d for d in found if d["duty"] == status.duty.id and d["due_before"] == due]


def test_a_report_recorded_as_sent_shows_on_the_board_as_sent_from_then_on(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = always_on_board(make_settings(), tmp_path)
    status, year = first_on_board(settings)
    sent_file = tmp_path / "sent.pdf"
    sent_file.write_bytes(b"%PDF-1.4 the report as sent")
    before = backbone(settings, "stalled", "--json")
    (entry,) = _entries(json.loads(before.stdout)["reporting_duties"], status)
    assert entry["state"] in ("due", "late") and entry["sent_on"] is None
    code, screen = run_in_terminal(
        settings, "report-sent", status.duty.id, str(year), "--reference", "45/BC-SYT",
        "--file", str(sent_file),
    )  # fmt: skip
    assert code == 0, screen
    said = screen.strip().splitlines()[-1]  # after the log line on stderr (structlog, JSON)
    assert said.startswith(f"Đã ghi nhận: {status.duty.name_vi} {year} đã gửi "), screen
    after = json.loads(backbone(settings, "stalled", "--json").stdout)["reporting_duties"]
    (entry,) = _entries(after, status)
    assert (entry["state"], entry["sent_on"]) == ("sent", today(settings).isoformat())
    table = backbone(settings, "stalled", "--lang", "en").stdout
    assert "sent" in table


def test_a_report_is_recorded_as_sent_once(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    sent = tmp_path / "bao-cao-2025.pdf"
    sent.write_bytes(b"%PDF-1.4 the yearly report of 2025")
    first = backbone(
        settings, "report-sent", "yearly", "2025", "--on", "2025-11-10", "--file", str(sent),
        "--json",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    said = json.loads(first.stdout)
    assert (said["sent_on"], said["recipient"]) == ("2025-11-10", "doh-khanh-hoa")
    assert said["sha256"] == hashlib.sha256(sent.read_bytes()).hexdigest()
    again = backbone(
        settings, "report-sent", "yearly", "2025", "--on", "2025-11-12", "--lang", "en"
    )
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr.strip() == (
        "backbone: the yearly report of 2025 was already recorded as sent on 2025-11-10; "
        "nothing was recorded"
    )


def test_an_unknown_report_or_a_day_to_come_is_refused_in_one_line(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    unknown = backbone(settings, "report-sent", "quarterly", "2026")
    assert unknown.returncode == 2 and "the reports are: six_monthly, yearly" in unknown.stderr
    future = backbone(settings, "report-sent", "yearly", "2026", "--on", "2099-01-01", "--json")
    assert future.returncode == 2 and json.loads(future.stdout)["error"] == "sent_in_future"
    assert "Traceback" not in unknown.stderr + future.stderr
