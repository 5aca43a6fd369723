"""Stall status over time: time-driven stalls, as-of evaluation, escalation, wake-ups."""

from __future__ import annotations

from datetime import timedelta

from projections.stalled import ESCALATED, NOT_DUE, OVERDUE, next_change, status_as_of
from tests.unit.projections.builders import T0, Story, local, millis, only

HOUR = timedelta(hours=1)


def legal_aid_requested() -> Story:
    return Story().add("LegalAidRequested", T0)  # due end of Thu 5 March (3 working days)


def test_case_stalls_as_time_passes_without_new_events() -> None:
    obligations = legal_aid_requested().state().obligations
    assert not status_as_of(obligations, local(2026, 3, 5, 23)).stalled
    assert status_as_of(obligations, local(2026, 3, 6, 1)).stalled


def test_the_due_instant_itself_is_still_in_time() -> None:
    obligations = legal_aid_requested().state().obligations
    assert not status_as_of(obligations, local(2026, 3, 6)).stalled


def test_escalation_level_two_after_the_allowed_time_passes_again() -> None:
    ob = only(legal_aid_requested().state(), "legal_aid_assigned")
    allowed = ob.due_at - ob.opened_at
    levels = [
        status_as_of([ob], at).level
        for at in (ob.due_at, ob.due_at + HOUR, ob.due_at + allowed, ob.due_at + allowed + HOUR)
    ]
    assert levels == [NOT_DUE, OVERDUE, OVERDUE, ESCALATED]


def test_as_of_a_past_instant_an_obligation_closed_later_counts_as_open() -> None:
    story = legal_aid_requested().add("LegalAidAssigned", local(2026, 3, 9, 10), provider="c")
    obligations = story.state().obligations
    assert status_as_of(obligations, local(2026, 3, 7)).stalled
    assert not status_as_of(obligations, local(2026, 3, 9, 11)).stalled


def test_as_of_gives_what_was_on_record_then_not_a_closure_back_dated_later() -> None:
    # Assigned in time (Wed 4 March) but recorded only on Mon 9 March, after the due time.
    story = legal_aid_requested().add(
        "LegalAidAssigned", local(2026, 3, 4, 10), recorded=local(2026, 3, 9, 10), provider="c"
    )
    ob = only(story.state(), "legal_aid_assigned")
    assert not ob.met_late  # the law judges when it happened
    assert status_as_of([ob], local(2026, 3, 7)).stalled  # what supervisors saw on 7 March
    assert not status_as_of([ob], local(2026, 3, 9, 11)).stalled  # once it was on record


def test_as_of_an_obligation_opened_by_a_late_recorded_step_is_not_yet_seen() -> None:
    story = Story().add("LegalAidRequested", T0, recorded=local(2026, 3, 4, 9))
    ob = only(story.state(), "legal_aid_assigned")
    assert status_as_of([ob], local(2026, 3, 3, 12)).open == ()
    assert len(status_as_of([ob], local(2026, 3, 4, 10)).open) == 1


def test_an_extension_recorded_late_applies_from_its_recording() -> None:
    story = Story().add("PoliceReportReceived", T0, report_id="R1")
    story.add(
        "DeadlineExtended", local(2026, 3, 20, 9), recorded=local(2026, 3, 27, 9),
        obligation="police_settle_report", new_due_at=millis(local(2026, 5, 1)),
        authority="procuracy",
    )  # fmt: skip
    obligations = story.state().obligations
    assert status_as_of(obligations, local(2026, 3, 25)).stalled  # the old due time was on record
    assert not status_as_of(obligations, local(2026, 3, 27, 10)).stalled


def test_as_of_before_opening_the_obligation_does_not_exist() -> None:
    obligations = legal_aid_requested().state().obligations
    assert status_as_of(obligations, T0 - HOUR).open == ()


def test_as_of_before_an_extension_the_old_deadline_applies() -> None:
    story = Story().add("PoliceReportReceived", T0, report_id="R1")
    extended_on = local(2026, 3, 27, 9)  # after the 20 days ran out on 23 March
    story.add(
        "DeadlineExtended", extended_on, obligation="police_settle_report",
        new_due_at=millis(local(2026, 5, 1)), authority="procuracy",
    )  # fmt: skip
    obligations = story.state().obligations
    assert status_as_of(obligations, local(2026, 3, 25)).stalled
    assert not status_as_of(obligations, extended_on).stalled


def test_extension_of_one_keyed_obligation_leaves_the_others() -> None:
    story = Story().add("PoliceReportReceived", T0, report_id="R1")
    story.add("PoliceReportReceived", T0, report_id="R2")
    story.add(
        "DeadlineExtended", T0 + HOUR, obligation="police_settle_report:R2",
        new_due_at=millis(local(2026, 5, 1)), authority="procuracy",
    )  # fmt: skip
    extended = {ob.key: ob.extended for ob in story.state().obligations}
    assert extended == {"R1": 0, "R2": 1}


def test_next_change_is_just_after_the_due_time() -> None:
    ob = only(legal_aid_requested().state(), "legal_aid_assigned")
    wake = next_change([ob], T0)
    assert wake is not None and wake > ob.due_at
    assert status_as_of([ob], wake).stalled


def test_next_change_after_escalation_of_a_closed_case_is_none() -> None:
    story = legal_aid_requested().add("CaseClosed", T0 + HOUR, reason="done")
    assert next_change(story.state().obligations, T0 + 2 * HOUR) is None
