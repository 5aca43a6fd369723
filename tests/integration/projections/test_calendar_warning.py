"""The projection checks its holiday calendar: missing years warned, a second zone refused."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from projections.wiring import build_runner
from services.runtime.settings import DEFAULT_CONFIG_DIR, Settings
from tests.integration.projections.builders import FakeClock

# Building the runner connects to nothing, so no broker is needed to test what it logs.
UNUSED_BROKER = {"kafka_bootstrap_servers": "127.0.0.1:9"}
ONLY_2026 = 'zone = "Asia/Ho_Chi_Minh"\nweekend = ["saturday", "sunday"]\n[years.2026]\n'


def _warnings(logs: list[dict[str, object]]) -> list[object]:
    return [e["years"] for e in logs if e["event"] == "projection.holidays_missing"]


def test_missing_holiday_years_are_logged_at_start_and_again_when_the_year_turns(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, config)
    (config / "holidays.toml").write_text(ONLY_2026)
    clock = FakeClock(datetime(2026, 6, 1, 2, tzinfo=UTC))
    runner = build_runner(make_settings(config_dir=config, **UNUSED_BROKER), clock=clock)

    with capture_logs() as logs:
        runner.check_calendar()
        runner.check_calendar()  # same gap: said once
        clock.now = datetime(2027, 1, 4, 2, tzinfo=UTC)
        runner.check_calendar()

    assert _warnings(logs) == [[2027], [2027, 2028]]


def test_a_calendar_covering_this_year_and_next_is_not_warned_about(
    make_settings: Callable[..., Settings],
) -> None:
    clock = FakeClock(datetime(2026, 6, 1, 2, tzinfo=UTC))
    runner = build_runner(make_settings(**UNUSED_BROKER), clock=clock)

    with capture_logs() as logs:
        runner.check_calendar()

    assert _warnings(logs) == []


def test_holidays_and_agencies_in_different_time_zones_are_refused_at_start_up(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, config)
    holidays = config / "holidays.toml"
    holidays.write_text(
        holidays.read_text(encoding="utf-8").replace(
            'zone = "Asia/Ho_Chi_Minh"', 'zone = "Asia/Bangkok"'
        ),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="one province, one time zone"):
        build_runner(make_settings(config_dir=config, **UNUSED_BROKER))
