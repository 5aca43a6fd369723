"""Engine behaviours beyond single rules: start anchors, carried due times, redelivery."""

from __future__ import annotations

from datetime import timedelta

import pytest

from projections.stalled import ESCALATED, OVERDUE, FactError, next_change, status_as_of
from tests.unit.projections.builders import T0, Story, engine, local, millis, only

HOUR = timedelta(hours=1)


def test_emergency_deadline_counts_from_receipt_of_the_report() -> None:
    story = Story().add("CaseReported", T0).add("InitialRiskAssessed", T0 + 5 * HOUR,
                                                 serious_danger=True)  # fmt: skip
    assert only(story.state(), "emergency_intervention").due_at == T0 + 12 * HOUR


def test_emergency_escalates_after_its_whole_12_hours_again_not_after_what_was_left() -> None:
    # Assessed 10 hours after the report: due at 12 h; escalation after 12 more hours, at 24 h.
    story = Story().add("CaseReported", T0).add("InitialRiskAssessed", T0 + 10 * HOUR,
                                                 serious_danger=True)  # fmt: skip
    ob = only(story.state(), "emergency_intervention")
    levels = [status_as_of([ob], T0 + h * HOUR).level for h in (13, 23, 24)]
    assert levels == [OVERDUE, OVERDUE, OVERDUE]
    assert status_as_of([ob], T0 + 24 * HOUR + timedelta(milliseconds=1)).level == ESCALATED
    assert next_change([ob], T0 + 13 * HOUR) == T0 + 24 * HOUR + timedelta(milliseconds=1)


def test_an_obligation_opened_after_its_due_time_is_overdue_not_escalated_at_once() -> None:
    story = Story().add("CaseReported", T0).add("InitialRiskAssessed", T0 + 14 * HOUR,
                                                 serious_danger=True)  # fmt: skip
    ob = only(story.state(), "emergency_intervention")
    assert status_as_of([ob], T0 + 14 * HOUR).level == OVERDUE


def test_no_emergency_obligation_without_serious_danger() -> None:
    story = Story().add("CaseReported", T0).add("InitialRiskAssessed", T0, serious_danger=False)
    assert not [ob for ob in story.state().obligations if ob.rule_id == "emergency_intervention"]


def test_referral_without_due_at_gets_the_policy_default() -> None:
    story = Story().add("ReferralSent", T0, referral_id="r1", to_agency="a", service="s", due_at=0)
    assert only(story.state(), "referral_service").due_at == local(2026, 3, 10)


def test_referral_names_the_receiving_agency_as_responsible() -> None:
    story = Story().add("ReferralSent", T0, referral_id="r1", to_agency="hospital-1", service="s")
    assert only(story.state(), "referral_service").responsible_agency == "hospital-1"


def test_declined_referral_closes_only_that_referral() -> None:
    story = Story().add("ReferralSent", T0, referral_id="r1", to_agency="a", service="s")
    story.add("ReferralSent", T0, referral_id="r2", to_agency="b", service="s")
    story.add("ReferralDeclined", T0 + HOUR, referral_id="r1", reason="full")
    assert {ob.key: ob.is_open for ob in story.state().obligations} == {"r1": False, "r2": True}


def test_each_plan_item_is_an_obligation_owed_by_its_role() -> None:
    items = [
        {"item_id": "i1", "service": "s", "responsible_role": "health", "due_at": millis(T0)},
        {"item_id": "i2", "service": "s", "responsible_role": "school", "due_at": 0},
    ]
    story = Story().add("SupportPlanDrafted", T0, plan_id="p1", items=items)
    roles = {o.key: o.responsible_role for o in story.state().obligations if o.key.startswith("i")}
    assert roles == {"i1": "health", "i2": "school"}


def test_replan_review_closes_the_old_plan_items() -> None:
    items = [{"item_id": "i1", "service": "s", "responsible_role": "r", "due_at": 0}]
    story = Story().add("SupportPlanDrafted", T0, plan_id="p1", items=items)
    story.add("PlanReviewed", T0 + HOUR, plan_id="p1", outcome="replan")
    assert only(story.state(), "support_plan_item").closed_by == "PlanReviewed"


def test_a_redelivered_fact_changes_nothing() -> None:
    story = Story().add("LegalAidRequested", T0)
    state = story.state()
    assert engine().apply(state, story.facts[0]) == (state, ())


def test_apply_returns_only_the_rows_it_changed() -> None:
    story = Story().add("LegalAidRequested", T0).add("MedicalSupportRequested", T0, facility="h")
    state = engine().replay("case-1", story.facts[:1])
    _, changes = engine().apply(state, story.facts[1])
    assert [ob.rule_id for ob in changes] == ["medical_examination"]


def test_a_second_opening_while_open_keeps_the_first_deadline() -> None:
    story = Story().add("LegalAidRequested", T0).add("LegalAidRequested", T0 + 48 * HOUR)
    assert only(story.state(), "legal_aid_assigned").opened_at == T0


def test_a_naive_time_is_refused() -> None:
    story = Story().add("LegalAidRequested", T0.replace(tzinfo=None))
    with pytest.raises(FactError, match="naive"):
        story.state()


def test_extension_without_new_due_at_is_refused() -> None:
    story = Story().add("LegalAidRequested", T0)
    story.add("DeadlineExtended", T0, obligation="legal_aid_assigned", authority="x")
    with pytest.raises(FactError, match="new_due_at"):
        story.state()
