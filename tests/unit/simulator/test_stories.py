"""Generated case flows follow the workflow, the deadlines and the province's data."""

from __future__ import annotations

import tomllib
from datetime import timedelta

import pytest

from projections.stalled import status_as_of
from services.runtime.settings import DEFAULT_CONFIG_DIR
from services.simulator.codeweights import weighted
from services.vocabulary import load_vocabulary
from tests.unit.simulator.helpers import NOW, obligations, record, stories

SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_generated_step_is_accepted_by_the_case_rules(seed: int) -> None:
    for story in stories(seed, 8):
        case = record(story)
        assert case.version == len(story.steps)


def test_the_same_seed_tells_the_same_stories() -> None:
    assert stories(11, 5) == stories(11, 5)


def test_different_seeds_tell_different_stories() -> None:
    assert [s.case_id for s in stories(1, 3)] != [s.case_id for s in stories(2, 3)]


def test_steps_told_in_time_meet_their_deadlines_on_the_real_policy() -> None:
    told = [s for seed in SEEDS for s in stories(seed, 8) if s.deviation == "none"]
    late = [ob for s in told for ob in obligations(s).obligations if ob.met_late]
    assert told and not late


def test_cases_without_a_deviation_are_never_stalled_while_they_run() -> None:
    for story in (s for seed in range(10) for s in stories(seed, 8) if s.deviation == "none"):
        for step in story.steps:
            before = step.occurred_at - timedelta(milliseconds=1)
            assert not status_as_of(obligations(story, before).obligations, before).stalled


def test_a_late_step_stalls_the_case_until_it_arrives() -> None:
    late = [s for seed in SEEDS for s in stories(seed, 8) if s.deviation == "late"]
    assert len(late) >= 10
    for story in late:
        step = next(s for s in story.steps if s.timing == "late")
        assert step.due_at is not None and step.occurred_at > step.due_at
        just_before = step.occurred_at - timedelta(milliseconds=1)
        assert status_as_of(obligations(story, just_before).obligations, just_before).stalled
        assert any(ob.met_late for ob in obligations(story, step.occurred_at).obligations)


def test_some_late_steps_come_back_after_now_so_recovery_shows_live() -> None:
    late = [s for seed in SEEDS for s in stories(seed, 8) if s.deviation == "late"]
    live = [s for s in late for step in s.steps if step.timing == "late" and step.occurred_at > NOW]
    assert live


def test_a_missing_step_leaves_the_case_open_and_stalled() -> None:
    missing = [s for seed in SEEDS for s in stories(seed, 8) if s.deviation == "missing"]
    assert len(missing) >= 5
    for story in missing:
        assert story.missed and not story.closed
        assert all(m.due_at < NOW for m in story.missed)
        assert status_as_of(obligations(story).obligations, NOW).stalled


def test_stories_are_back_dated_and_some_continue_after_now() -> None:
    told = [s for seed in range(10) for s in stories(seed, 8)]
    assert all(s.reported_at < NOW for s in told)
    assert any(s.steps[-1].occurred_at > NOW for s in told)
    assert any(s.closed for s in told)


def test_reports_name_a_commune_that_exists_on_the_case_s_date() -> None:
    # NOW is in 2026: Ninh Thuận (58) and its districts ended on 30 June 2025; cases happen in
    # the communes Khánh Hòa (56) has since 1 July 2025, which belong to no district.
    with (DEFAULT_CONFIG_DIR / "areas.toml").open("rb") as file:
        communes = {c["code"]: c for c in tomllib.load(file)["commune"]}
    for story in stories(5, 30):
        report = story.steps[0]
        commune = communes[report.fields["commune_code"]]
        assert report.step == "CaseReported" and report.personal_data
        assert report.fields["province_code"] == "56" == commune["province"]
        assert report.fields["district_code"] == ""
        assert commune["valid_from"] <= report.occurred_at.date()
        assert "valid_to" not in commune


def test_criminal_cases_reach_a_verdict_in_some_stories() -> None:
    steps = {s.step for seed in range(10) for story in stories(seed, 8) for s in story.steps}
    expected = {
        "EmergencyMeasureApplied",
        "ReferralDeclined",
        "PoliceReportSettled",
        "CriminalCaseInstituted",
        "VerdictDelivered",
        "LegalAidAssigned",
        "MedicalSupportProvided",
        "PlanReviewed",
        "CaseClosed",
    }
    assert expected <= steps


def test_every_code_the_simulator_sends_is_a_code_of_the_vocabulary() -> None:
    vocabulary = load_vocabulary(DEFAULT_CONFIG_DIR)
    for story in (s for seed in range(20) for s in stories(seed, 8)):
        for step in story.steps:
            assert vocabulary.unknown_codes(step.step, step.fields) == [], step.step


def test_the_simulator_refuses_to_weigh_a_code_the_vocabulary_does_not_have() -> None:
    with pytest.raises(ValueError, match=r"codes \['maybe'\] that list 'sex'"):
        weighted("sex", {"female": 0.5, "maybe": 0.5})
