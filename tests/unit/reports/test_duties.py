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


def test_a_report_recorded_as_sent_shows_as_sent_with_its_day() -> None:
    sent = {("six_monthly", 2026): date(2026, 5, 12)}
    (status,) = load_reporting(CONFIG).on_board(date(2026, 5, 14), lambda d, y: sent.get((d, y)))
    assert (status.state, status.sent_on, status.sent_late) == ("sent", date(2026, 5, 12), False)


def test_a_report_sent_after_its_due_date_is_marked_sent_late() -> None:
    sent = {("six_monthly", 2026): date(2026, 5, 20)}
    (status,) = load_reporting(CONFIG).on_board(date(2026, 6, 1), lambda d, y: sent.get((d, y)))
    assert status.state == "sent" and status.sent_late


def test_the_board_of_a_day_before_the_sending_still_shows_the_report_due() -> None:
    sent = {("six_monthly", 2026): date(2026, 5, 12)}
    (status,) = load_reporting(CONFIG).on_board(date(2026, 5, 10), lambda d, y: sent.get((d, y)))
    assert (status.state, status.sent_on) == ("due", None)


def test_the_sending_of_another_year_leaves_this_years_report_late() -> None:
    sent = {("six_monthly", 2025): date(2025, 5, 12)}
    (status,) = load_reporting(CONFIG).on_board(date(2026, 5, 20), lambda d, y: sent.get((d, y)))
    assert status.state == "late"
