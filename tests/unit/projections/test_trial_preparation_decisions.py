"""Trial preparation ends with one of four decisions (CPC art. 277), and an adjourned hearing is
not a late opening (issue 11, point 3). Dates are counted by hand in the comments."""

from __future__ import annotations

from projections.stalled import status_as_of
from tests.unit.projections.builders import Story, local, obligations_of, only

ACCEPTED = local(2026, 3, 2, 9)  # Mon 2 March: 45 days (serious) -> Thu 16 April


def _accepted() -> Story:
    story = Story().add(
        "CriminalCaseInstituted", local(2026, 1, 5, 9), crime_category="serious",
        accused_is_minor=False,
    )  # fmt: skip
    story.add("InvestigationConcluded", local(2026, 2, 20, 9), outcome="recommend_prosecution")
    story.add("ProsecutionDecided", local(2026, 2, 25, 9), decision="indict")
    return story.add("CourtAccepted", ACCEPTED)


def _decided(decision: str, at: tuple[int, int, int] = (2026, 3, 20)) -> Story:
    return _accepted().add("TrialPreparationDecided", local(*at, 9), decision=decision)


def _stalled_rules(story: Story, year: int, month: int, day: int) -> set[str]:
    status = status_as_of(story.state().obligations, local(year, month, day))
    return {s.obligation.rule_id for s in status.overdue}


def test_the_base_deadline() -> None:
    assert only(_accepted().state(), "trial_preparation_serious").due_at == local(2026, 4, 17)


def test_a_returned_file_ends_preparation_in_time_and_starts_the_supplementary_investigation() -> (
    None
):
    story = _decided("returned")
    preparation = only(story.state(), "trial_preparation_serious")
    assert (preparation.is_open, preparation.met_late) == (False, False)
    # 1 month after Fri 20 March: Mon 20 April.
    assert only(story.state(), "supplementary_investigation").due_at == local(2026, 4, 21)
    assert _stalled_rules(story, 2026, 4, 20) == set()  # past 16 April: no false stall


def test_the_file_back_in_court_gives_the_court_15_days() -> None:
    story = _decided("returned").add("SupplementaryFileReceived", local(2026, 4, 15, 9))
    # 15 days after Wed 15 April is Thu 30 April (Victory Day), then 1 May (Labour Day) and the
    # weekend: the period ends on Mon 4 May.
    assert only(story.state(), "trial_after_return").due_at == local(2026, 5, 5)
    assert not only(story.state(), "supplementary_investigation").is_open
    assert _stalled_rules(story, 2026, 5, 5) == set()
    assert _stalled_rules(story, 2026, 5, 6) == {"trial_after_return"}


def test_a_suspension_stops_the_count() -> None:
    assert _stalled_rules(_decided("suspended"), 2026, 6, 1) == set()


def test_a_resumption_counts_the_limit_again_from_the_resumption() -> None:
    story = _decided("suspended").add(
        "TrialPreparationDecided", local(2026, 6, 1, 9), decision="resumed"
    )
    # 45 days after Mon 1 June: Thu 16 July.
    old, resumed = obligations_of(story.state(), "trial_preparation_serious")
    assert not old.is_open and resumed.is_open
    assert resumed.due_at == local(2026, 7, 17)


def test_a_dismissal_ends_preparation_and_opens_nothing() -> None:
    story = _decided("dismissed")
    assert not any(ob.is_open for ob in story.state().obligations if ob.rule_id.startswith("trial"))
    assert _stalled_rules(story, 2026, 9, 1) == set()


def test_an_adjourned_hearing_is_not_a_late_opening() -> None:
    # Brought to trial Mon 2 March: open within 15 days -> Tue 17 March. Adjourned on Mon 16
    # March: the opening obligation ends in time; the hearing resumes within 30 days -> Wed 15
    # April.
    story = Story().add("TrialScheduled", ACCEPTED, trial_at=local(2026, 3, 16, 8))
    story.add("HearingAdjourned", local(2026, 3, 16, 10), new_trial_at=local(2026, 4, 10, 8))
    opening = only(story.state(), "trial_opens")
    assert (opening.is_open, opening.met_late, opening.closed_by) == (
        False, False, "HearingAdjourned",
    )  # fmt: skip
    assert only(story.state(), "hearing_resumes").due_at == local(2026, 4, 16)
    assert _stalled_rules(story, 2026, 3, 20) == set()
