"""Minor accused (Law on Juvenile Justice 2024 art. 120, transition art. 179(1)(a)): which
matters are halved, how a halved month is counted, and the full limits coming back
(issue 11, point 2). Dates are counted by hand in the comments."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.unit.projections.builders import Story, local, only

INSTITUTED = local(2026, 1, 10, 9)


def _instituted(story: Story, at: datetime, category: str = "serious") -> Story:
    return story.add("CriminalCaseInstituted", at, crime_category=category, accused_is_minor=True)


def test_a_report_received_in_2025_keeps_the_full_limits_after_institution_in_2026() -> None:
    # The report was being settled on 1 January 2026: the matter was in progress. Full limit:
    # 3 months from Sat 10 Jan 2026 is Fri 10 April (halved it would be 45 days: 24 February).
    story = Story().add("PoliceReportReceived", local(2025, 12, 15, 9), report_id="r1")
    story.add("PoliceReportSettled", INSTITUTED, report_id="r1", outcome="instituted")
    _instituted(story, INSTITUTED)
    assert only(story.state(), "investigation_serious").due_at == local(2026, 4, 11)


def test_a_recommendation_to_prosecute_made_in_2025_also_began_the_matter() -> None:
    story = Story().add("ProsecutionRecommended", local(2025, 12, 20, 9), to_agency="police-1")
    _instituted(story, INSTITUTED)
    assert only(story.state(), "investigation_serious").due_at == local(2026, 4, 11)


def test_a_matter_begun_in_2026_is_halved_from_the_span_of_its_months() -> None:
    # 10 Jan -> 10 Apr 2026 spans 21 + 28 + 31 + 10 = 90 days; half is 45: Tue 24 February.
    story = Story().add("PoliceReportReceived", local(2026, 1, 5, 9), report_id="r1")
    _instituted(story, INSTITUTED)
    assert only(story.state(), "investigation_serious").due_at == local(2026, 2, 25)


def test_half_of_a_month_limit_never_exceeds_half_of_the_actual_span() -> None:
    # Very serious, instituted Sat 31 Oct 2026: 4 months end on 28 Feb 2027, 30 + 31 + 31 + 28
    # = 120 days; half is 60 days: Wed 30 Dec 2026 (2 calendar months would give 31 Dec, 61).
    story = _instituted(Story(), local(2026, 10, 31, 9), "very_serious")
    assert only(story.state(), "investigation_very_serious").due_at == local(2026, 12, 31)


@pytest.mark.parametrize("reason", ["especially_complex", "diversion_notice"])
def test_lifting_restores_the_full_deadline_of_an_open_obligation(reason: str) -> None:
    # Instituted Mon 2 March 2026, halved: due 17 April, cap 2 July. Lifted on 10 April:
    # 3 months -> Tue 2 June, cap 8 months -> Mon 2 November.
    story = _instituted(Story(), local(2026, 3, 2, 9))
    story.add("JuvenileLimitsLifted", local(2026, 4, 10, 9), reason=reason)
    investigation = only(story.state(), "investigation_serious")
    assert investigation.due_at == local(2026, 6, 3)
    assert investigation.max_due_at == local(2026, 11, 3)
    assert investigation.due_as_of(local(2026, 4, 1)) == local(2026, 4, 18)  # before: halved


def test_after_lifting_an_extension_to_the_full_8_months_is_accepted() -> None:
    story = _instituted(Story(), local(2026, 3, 2, 9))
    story.add("JuvenileLimitsLifted", local(2026, 4, 10, 9), reason="especially_complex")
    # Art. 172 for a serious crime: one extension of 3 months (2 June -> 2 September), then one
    # of 2 months (-> 2 November): 8 months in all.
    for new_due in (local(2026, 9, 3), local(2026, 11, 3)):
        story.add(
            "DeadlineExtended",
            local(2026, 5, 25, 9),
            obligation="investigation_serious",
            new_due_at=new_due,
            authority="procuracy",
        )
    investigation = only(story.state(), "investigation_serious")
    assert investigation.due_at == local(2026, 11, 3)
    assert not investigation.extension_refused


def test_without_lifting_the_same_extension_is_refused() -> None:
    story = _instituted(Story(), local(2026, 3, 2, 9))
    story.add(
        "DeadlineExtended",
        local(2026, 4, 10, 9),
        obligation="investigation_serious",
        new_due_at=local(2026, 11, 3),
        authority="procuracy",
    )
    assert only(story.state(), "investigation_serious").extension_refused


def test_steps_after_lifting_get_the_full_limits() -> None:
    # Court accepts on Mon 1 June 2026, after the lift: 45 days (serious) -> Thu 16 July.
    story = _instituted(Story(), local(2026, 3, 2, 9))
    story.add("JuvenileLimitsLifted", local(2026, 4, 10, 9), reason="diversion_notice")
    story.add("CourtAccepted", local(2026, 6, 1, 9))
    assert only(story.state(), "trial_preparation_serious").due_at == local(2026, 7, 17)


def test_appeal_preparation_is_halved_too() -> None:
    # Appeal file received by the provincial court on Mon 1 June 2026: 60 days halved = 30 days
    # -> Wed 1 July 2026 (an adult's case: 60 days -> Fri 31 July).
    story = _instituted(Story(), local(2026, 1, 5, 9))
    story.add("AppealAccepted", local(2026, 6, 1, 9), court_level="provincial")
    assert only(story.state(), "appeal_preparation_provincial").due_at == local(2026, 7, 2)
