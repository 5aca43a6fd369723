"""Reporting duties that are on the board whatever day the tests run."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from projections.statistics.duties import DutyStatus, load_reporting
from services.cases.agencies import load_agencies
from services.runtime.settings import Settings


def always_on_board(settings: Settings, folder: Path) -> Settings:
    """``settings`` with a copy of its config whose reports show for a year either side of
    their due date, so a sending recorded today is on today's board."""
    copy = folder / "config"
    shutil.copytree(settings.config_dir, copy)
    toml = copy / "reporting.toml"
    text = re.sub(r"(?m)^notice_days = \d+", "notice_days = 366", toml.read_text())
    toml.write_text(re.sub(r"(?m)^late_for_days = \d+", "late_for_days = 366", text))
    return settings.model_copy(update={"config_dir": copy})


def today(settings: Settings) -> date:
    return datetime.now(UTC).astimezone(load_agencies(settings.config_dir).zone).date()


def first_on_board(settings: Settings) -> tuple[DutyStatus, int]:
    """The first report on today's board and the year it is due in."""
    status = load_reporting(settings.config_dir).on_board(today(settings))[0]
    return status, status.due_before.year
