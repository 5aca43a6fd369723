"""An old case of Ninh Thuận still open after the 2025 merger, on the board (issue 11, point 7).

Its steps were recorded as the Ninh Thuận agencies that have ended since: the board names the
successors in office today, ``--agency`` finds the case under the successor, an ended agency as a
filter gets an error that says whom to ask for (not an empty board), and the board as of a day
before the merger still shows the old agency.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from services.cases.agencies import load_agencies
from services.runtime.database import read_model_db
from services.runtime.settings import DEFAULT_CONFIG_DIR, Settings
from tests.integration.projections.builders import (
    HOUR,
    T0,
    CaseStory,
    FakeClock,
    Offsets,
    projector,
)
from tests.processes import run as backbone

BEFORE = datetime(2025, 5, 5, 2, tzinfo=UTC)  # Monday 5 May 2025, 09:00 in Vietnam
OLD_AREA = {"province_code": "58", "district_code": "582", "commune_code": "22741"}


@pytest.fixture
def old_case(make_settings: Callable[..., Settings]) -> tuple[Settings, str]:
    settings = make_settings(lang="en")
    story = CaseStory().add("CaseReported", BEFORE, **OLD_AREA)
    story.add("ReferralSent", BEFORE + HOUR, referral_id="r-1", to_agency="hospital-ninh-thuan",
              due_at=BEFORE + 48 * HOUR)  # fmt: skip
    proj = projector(settings, read_model_db(settings), FakeClock(T0))
    proj.handle(Offsets().sources(story.messages))
    return settings, story.case_id


def _board(settings: Settings, *args: str) -> dict[str, Any]:
    done = backbone(settings, "stalled", "--json", *args)
    assert done.returncode == 0, done.stderr
    board: dict[str, Any] = json.loads(done.stdout)
    return board


def test_every_obligation_of_an_old_case_names_an_agency_that_exists_today(
    old_case: tuple[Settings, str],
) -> None:
    settings, case_id = old_case
    [case] = _board(settings)["cases"]
    assert case["case_id"] == case_id
    named = {o["responsible_agency"] for o in case["overdue"]}
    assert {"hospital-khanh-hoa", "commune-22921"} <= named
    directory = load_agencies(DEFAULT_CONFIG_DIR)
    today = directory.local_day(datetime.now(UTC))
    for agency_id in named:
        agency = directory.get(agency_id)
        assert agency is not None and agency.valid_on(today), agency_id


def test_the_successor_finds_the_old_case_with_agency(old_case: tuple[Settings, str]) -> None:
    settings, case_id = old_case
    found = _board(settings, "--agency", "hospital-khanh-hoa")["cases"]
    assert [c["case_id"] for c in found] == [case_id]


def test_an_ended_agency_as_a_filter_is_told_who_took_over(old_case: tuple[Settings, str]) -> None:
    settings, _ = old_case
    done = backbone(settings, "stalled", "--agency", "hospital-ninh-thuan")
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    assert "use --agency hospital-khanh-hoa" in done.stderr
    vietnamese = backbone(settings, "stalled", "--agency", "hospital-ninh-thuan", "--lang", "vi")
    assert vietnamese.returncode == 2
    assert "hãy dùng --agency hospital-khanh-hoa" in vietnamese.stderr


def test_before_the_merger_the_board_names_the_old_agency(old_case: tuple[Settings, str]) -> None:
    settings, case_id = old_case
    as_of = datetime(2025, 5, 20, 3, tzinfo=UTC).isoformat()
    board = _board(settings, "--agency", "hospital-ninh-thuan", "--as-of", as_of)
    [case] = board["cases"]
    assert case["case_id"] == case_id
    assert {o["responsible_agency"] for o in case["overdue"]} == {"hospital-ninh-thuan"}
