"""Supervisors read the stalled list and a case's timeline through the ``backbone`` command."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from services.runtime.database import read_model_db
from services.runtime.settings import Settings
from tests.integration.projections.builders import (
    DAY,
    HOUR,
    T0,
    CaseStory,
    FakeClock,
    Offsets,
    projector,
)
from tests.processes import run as backbone

KHANH_HOA = {"province_code": "56", "district_code": ""}  # no districts since 1 July 2025


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def stories(settings: Settings) -> dict[str, CaseStory]:
    """A stalled case in commune 22924 of Khánh Hòa and a case whose obligations were all met."""
    stuck = CaseStory().add("CaseReported", T0, **KHANH_HOA, commune_code="22924")
    done = CaseStory().add("CaseReported", T0, **KHANH_HOA, commune_code="22921")
    done.add("TransferredToCommune", T0 + HOUR, commune_code="22921")
    done.add("SupportPlanDrafted", T0 + DAY, plan_id="p1", items=[])
    done.add("SupportPlanApproved", T0 + 2 * DAY, plan_id="p1")
    proj = projector(settings, read_model_db(settings), FakeClock(T0 + 3 * DAY))
    proj.handle(Offsets().sources([*stuck.messages, *done.messages]))
    return {"stuck": stuck, "done": done}


def test_stalled_json_lists_the_stalled_cases_with_their_overdue_obligations(
    settings: Settings, stories: dict[str, CaseStory]
) -> None:
    done = backbone(settings, "stalled", "--json")
    assert done.returncode == 0, done.stderr
    (case,) = json.loads(done.stdout)["cases"]
    assert case["case_id"] == stories["stuck"].case_id and case["level"] == 2
    assert {o["rule_id"] for o in case["overdue"]} == {"report_to_commune", "support_plan_drafted"}


def test_stalled_as_of_a_past_instant_and_by_area(
    settings: Settings, stories: dict[str, CaseStory]
) -> None:
    early = backbone(settings, "stalled", "--json", "--as-of", (T0 + HOUR).isoformat())
    assert json.loads(early.stdout)["cases"] == []
    elsewhere = backbone(settings, "stalled", "--json", "--area", "22921")
    assert json.loads(elsewhere.stdout)["cases"] == []


def test_stalled_prints_a_readable_table(settings: Settings, stories: dict[str, CaseStory]) -> None:
    done = backbone(settings, "stalled", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert "Stalled cases" in done.stdout and "Report passed to the commune" in done.stdout
    assert stories["stuck"].case_id in done.stdout


def test_case_shows_the_timeline_and_open_obligations_with_citations(
    settings: Settings, stories: dict[str, CaseStory]
) -> None:
    shown = backbone(settings, "case", stories["stuck"].case_id, "--json")
    assert shown.returncode == 0, shown.stderr
    view = json.loads(shown.stdout)
    assert [s["step"] for s in view["steps"]] == ["CaseReported"]
    assert all(o["citation"] for o in view["open_obligations"])
    table = backbone(settings, "case", stories["done"].case_id, "--lang", "en")
    assert "SupportPlanApproved" in table.stdout and "Timeline" in table.stdout


def test_an_unknown_case_is_refused(settings: Settings) -> None:
    assert backbone(settings, "case", "no-such-case").returncode == 2


def test_every_overdue_obligation_names_the_agency_that_must_act_and_agency_finds_it(
    settings: Settings, stories: dict[str, CaseStory]
) -> None:
    # The report was made in commune 22924: its commune agency must pass it on and plan.
    board = json.loads(backbone(settings, "stalled", "--json").stdout)
    overdue = board["cases"][0]["overdue"]
    assert {o["responsible_agency"] for o in overdue} == {"commune-22924"}
    assert all(o["responsible_agency_name"] for o in overdue)
    found = json.loads(backbone(settings, "stalled", "--json", "--agency", "commune-22924").stdout)
    assert [c["case_id"] for c in found["cases"]] == [stories["stuck"].case_id]
    other = json.loads(backbone(settings, "stalled", "--json", "--agency", "commune-22921").stdout)
    assert other["cases"] == []


def test_the_board_is_in_vietnamese_on_the_provinces_clock_by_default(
    settings: Settings, stories: dict[str, CaseStory]
) -> None:
    done = backbone(settings, "stalled")
    assert "Vụ việc chậm trễ tính đến" in done.stdout and "UTC+07:00" in done.stdout
    assert "Chuyển thông tin về" in done.stdout  # the rule's title (wrapped after this)
    as_json = backbone(settings, "stalled", "--json").stdout
    assert "\\u" not in as_json
