"""The plan's periodic reports on the supervisors' board, with the recipient of their day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from deploy.config import __file__ as config_init
from projections.statistics.duties import load_reporting

CONFIG = Path(config_init).parent


def test_the_six_monthly_report_is_due_within_30_days_of_15_may() -> None:
    (status,) = load_reporting(CONFIG).on_board(date(2026, 5, 1))
    assert status.duty.id == "six_monthly" and status.state == "due"
    assert (status.period_start, status.period_end) == (date(2025, 11, 15), date(2026, 5, 14))
    assert status.due_before == date(2026, 5, 15)


def test_from_15_may_it_is_late() -> None:
    (status,) = load_reporting(CONFIG).on_board(date(2026, 5, 15))
    assert status.state == "late"


def test_nothing_is_on_the_board_in_march_or_august() -> None:
    reporting = load_reporting(CONFIG)
    assert reporting.on_board(date(2026, 3, 1)) == []
    assert reporting.on_board(date(2026, 8, 1)) == []


def test_the_recipient_changed_with_the_2025_reorganisation() -> None:
    reporting = load_reporting(CONFIG)
    (before,) = reporting.on_board(date(2025, 5, 10))
    (after,) = reporting.on_board(date(2025, 11, 1))
    assert before.recipient is not None and before.recipient.id == "dolisa-ninh-thuan"
    assert after.recipient is not None and after.recipient.id == "doh-khanh-hoa"
    assert after.duty.id == "yearly"


def test_the_dashboard_gets_each_report_as_json() -> None:
    from projections.statistics.duties import duty_json

    (status,) = load_reporting(CONFIG).on_board(date(2026, 11, 20))
    entry = duty_json(status, "vi")
    assert entry["duty"] == "yearly" and entry["state"] == "late"
    assert entry["recipient_name"] == "Sở Y tế tỉnh Khánh Hòa"
    assert entry["due_before"] == "2026-11-15" and entry["unconfirmed"] is True
