"""The report's figures for a hand-built province, computed by hand (see ``province.py``)."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from projections.readmodel import ReadModel
from projections.statistics.catalogue import load_catalogue
from projections.statistics.figures import Deadlines, Figures, collect
from projections.statistics.period import parse_period
from services.runtime.settings import Settings
from tests.integration.reports.province import AS_OF, later, project, stories

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def model(make_settings: Callable[..., Settings], db: sa.Engine) -> ReadModel:
    return project(make_settings(), db, stories()).model


def figures(db: sa.Engine, model: ReadModel, period: str = "2026-H1", **kw: object) -> Figures:
    with db.connect() as conn:
        return collect(
            conn,
            model,
            parse_period(period),
            kw.pop("as_of", AS_OF),
            ZONE,  # type: ignore[arg-type]
            steps=load_catalogue().steps,
            **kw,  # type: ignore[arg-type]
        )


def test_cases_count_by_district_and_by_each_breakdown(db: sa.Engine, model: ReadModel) -> None:
    f = figures(db, model)
    # A, B in district 582; C, D in 584. E (2025) is outside the period, F was not yet recorded.
    assert f.cases_by_area == {"582": 2, "584": 2}
    assert f.by["child_sex"] == {("582", "female"): 1, ("582", "male"): 1, ("584", "female"): 2}
    assert f.by["child_age_group"] == {
        ("582", "12-15"): 1,
        ("582", "6-11"): 1,
        ("584", "16-17"): 1,
        ("584", "12-15"): 1,
    }
    assert f.by["setting"] == {
        ("582", "family"): 1,
        ("582", "school"): 1,
        ("584", "community"): 1,
        ("584", "family"): 1,
    }
    # A has two forms and counts under both.
    assert f.by["form"] == {
        ("582", "sexual_abuse"): 1,
        ("582", "neglect"): 1,
        ("582", "violence"): 1,
        ("584", "violence"): 1,
        ("584", "neglect"): 1,
    }
    assert f.by["channel"] == {
        ("582", "hotline_111"): 1,
        ("582", "social_affairs"): 1,
        ("584", "hotline_111"): 2,
    }
    assert f.by["agency"][("582", "dolisa-ninh-thuan")] == 1


def test_months_and_the_position_of_the_data(db: sa.Engine, model: ReadModel) -> None:
    f = figures(db, model)
    assert f.months == [
        ("2026-01", 0),
        ("2026-02", 0),
        ("2026-03", 4),
        ("2026-04", 0),
        ("2026-05", 0),
        ("2026-06", 0),
    ]
    # Events on record at AS_OF: A 4 + B 2 + C 1 + D 2 + E 5; F's one step came later.
    assert f.events == 14


def test_obligations_met_on_time_late_and_overdue(db: sa.Engine, model: ReadModel) -> None:
    f = figures(db, model)
    # report_to_commune (24 h): A 2 h and D 1 h on time, B 30 h late, C never (overdue).
    assert f.deadlines["report_to_commune"] == Deadlines(on_time=2, late=1, overdue=1)
    # support_plan_drafted (5 working days): A on time; B, C overdue; D not yet due.
    assert f.deadlines["support_plan_drafted"] == Deadlines(on_time=1, overdue=2, pending=1)
    assert f.deadlines["support_plan_approved"] == Deadlines(on_time=1)
    # Supported in time: A (582) and D (584); B (582) and C (584) were not.
    assert f.late_cases_by_area == {"582": 1, "584": 1}


def test_hours_from_the_report_to_each_step(db: sa.Engine, model: ReadModel) -> None:
    f = figures(db, model)
    # Passed to the commune after 2 h (A), 30 h (B), 1 h (D): median 2; the 90th percentile
    # (inclusive) lies 0.8 of the way from 2 to 30.
    assert f.step_summary("TransferredToCommune") == (3, 2.0, 24.4)
    assert f.step_summary("SupportPlanApproved") == (1, 48.0, 48.0)
    assert f.step_summary("CaseClosed") == (0, None, None)


def test_stalled_cases_by_responsible_and_level(db: sa.Engine, model: ReadModel) -> None:
    f = figures(db, model)
    # C: its report was due at the commune 8 days ago (24 h allowed): escalated; B: the plan is
    # overdue by 3 days of its 5 working days: overdue only.
    assert f.stalled == {("receiving_point", 2): 1, ("commune_child_protection_officer", 1): 1}


def test_one_area_is_broken_down_by_commune(db: sa.Engine, model: ReadModel) -> None:
    f = figures(db, model, area="582")
    assert f.cases_by_area == {"22738": 1, "22741": 1}


def test_a_later_instant_counts_what_was_recorded_since(db: sa.Engine, model: ReadModel) -> None:
    f = figures(db, model, as_of=later(21))
    assert f.cases_by_area == {"582": 2, "584": 3}  # F, recorded on day 20, now counts
    assert f.events == 15
