"""Juvenile Justice Law 2024: limits halved for a minor accused, cases instituted from 2026."""

from __future__ import annotations

from datetime import datetime

from tests.unit.projections.builders import Story, local, only

INSTITUTED_2026 = local(2026, 3, 2, 9)
INSTITUTED_2025 = local(2025, 12, 1, 9)


def investigation_due(at: datetime, minor: bool) -> datetime:
    story = Story().add(
        "CriminalCaseInstituted", at, crime_category="serious", accused_is_minor=minor
    )
    return only(story.state(), "investigation_serious").due_at


def test_minor_accused_from_2026_halves_the_investigation_limit() -> None:
    # 3 months from 2 March end on 2 June: 92 days; half is 46 days: Friday 17 April.
    assert investigation_due(INSTITUTED_2026, minor=True) == local(2026, 4, 18)


def test_adult_accused_keeps_the_full_limit() -> None:
    assert investigation_due(INSTITUTED_2026, minor=False) == local(2026, 6, 3)


def test_minor_accused_in_a_case_instituted_before_2026_keeps_the_old_limit() -> None:
    # 3 months after 1 Dec 2025 is Sunday 1 March 2026: rolled to Monday 2 March.
    assert investigation_due(INSTITUTED_2025, minor=True) == local(2026, 3, 3)


def test_halving_reaches_later_steps_of_the_same_case() -> None:
    story = Story().add(
        "CriminalCaseInstituted", INSTITUTED_2026, crime_category="serious", accused_is_minor=True
    )
    story.add("CourtAccepted", local(2026, 6, 1, 9))
    # 45 days halved, rounded down: 22 days after 1 June = Tuesday 23 June.
    assert only(story.state(), "trial_preparation_serious").due_at == local(2026, 6, 24)


def test_halving_also_halves_the_maximum_extension() -> None:
    story = Story().add(
        "CriminalCaseInstituted", INSTITUTED_2026, crime_category="serious", accused_is_minor=True
    )
    # At most 8 months, halved to 4: 2 July 2026.
    assert only(story.state(), "investigation_serious").max_due_at == local(2026, 7, 3)


def test_halving_does_not_touch_the_social_protection_track() -> None:
    story = Story().add(
        "CriminalCaseInstituted", INSTITUTED_2026, crime_category="serious", accused_is_minor=True
    )
    story.add("LegalAidRequested", INSTITUTED_2026)
    assert only(story.state(), "legal_aid_assigned").due_at == local(2026, 3, 6)
