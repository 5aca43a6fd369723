"""Which alerts a review owes: stall once, escalate once per obligation, recover on action."""

from __future__ import annotations

from datetime import timedelta

from projections.casefile import CaseFile
from projections.stalled import status_as_of
from projections.stalled.alerts import Tracked, Watch, review
from tests.unit.projections.builders import T0, Story, engine, millis, only

DAY = timedelta(days=1)


def legal_aid() -> Tracked:
    return Tracked(only(Story().add("LegalAidRequested", T0).state(), "legal_aid_assigned"))


def test_a_case_becoming_overdue_raises_one_stalled_alert() -> None:
    first = review(Watch("case-1"), [legal_aid()], T0 + 5 * DAY)
    again = review(first.watch, [Tracked(legal_aid().obligation, 1)], T0 + 6 * DAY)
    assert [a.kind for a in first.alerts] == ["stalled"] and again.alerts == ()
    assert first.alerts[0].alert_id == "case-1:stalled:1"


def test_escalation_is_raised_once_per_obligation() -> None:
    first = review(Watch("case-1", True, 1, 1), [Tracked(legal_aid().obligation, 1)], T0 + 12 * DAY)
    again = review(first.watch, [Tracked(legal_aid().obligation, 2)], T0 + 13 * DAY)
    assert [a.kind for a in first.alerts] == ["escalated"] and again.alerts == ()


def test_nothing_overdue_any_more_recovers_the_case_when_the_step_is_recorded() -> None:
    done = review(Watch("case-1", True, 1, 1), [], T0 + 9 * DAY, cause=T0 + 8 * DAY)
    (alert,) = done.alerts
    assert (alert.kind, alert.alert_id, alert.effective_at) == (
        "recovered",
        "case-1:recovered:1",
        T0 + 8 * DAY,
    )
    assert not done.watch.stalled


def test_the_next_review_is_due_when_the_level_next_changes() -> None:
    tracked = legal_aid()
    done = review(Watch("case-1"), [tracked], T0)
    assert done.wake_at[tracked.obligation.ident] == tracked.obligation.due_at + timedelta(
        milliseconds=1
    )


def test_a_stall_dates_from_its_due_time_when_the_obligation_was_on_record_then() -> None:
    tracked = legal_aid()
    (alert,) = review(Watch("case-1"), [tracked], T0 + 5 * DAY).alerts
    assert alert.effective_at == tracked.obligation.due_at + timedelta(milliseconds=1)


def test_a_stall_recorded_late_dates_from_the_recording_as_an_as_of_query_sees_it() -> None:
    # Requested on T0 but recorded on day 20: overdue from the moment it was on record.
    story = Story().add("LegalAidRequested", T0, recorded=T0 + 20 * DAY)
    tracked = Tracked(only(story.state(), "legal_aid_assigned"))
    stalled, escalated = review(Watch("case-1"), [tracked], T0 + 20 * DAY).alerts
    assert (stalled.kind, stalled.effective_at) == ("stalled", T0 + 20 * DAY)
    assert (escalated.kind, escalated.effective_at) == ("escalated", T0 + 20 * DAY)
    assert status_as_of([tracked.obligation], T0 + 20 * DAY - timedelta(milliseconds=1)).open == ()


def test_an_extension_that_leaves_the_case_overdue_does_not_restart_the_stall() -> None:
    story = Story().add("LegalAidRequested", T0)
    due = only(story.state(), "legal_aid_assigned").due_at
    story.add(
        "DeadlineExtended", due + 3 * DAY, obligation="legal_aid_assigned",
        new_due_at=millis(due + DAY), authority="legal_aid_centre",
    )  # fmt: skip
    tracked = Tracked(only(story.state(), "legal_aid_assigned"))
    (alert, *_) = review(Watch("case-1"), [tracked], due + 4 * DAY).alerts
    assert (alert.kind, alert.effective_at) == ("stalled", due + timedelta(milliseconds=1))
    assert status_as_of([tracked.obligation], due + 2 * DAY).stalled


def test_an_alert_is_never_dated_after_the_review_that_raises_it() -> None:
    tracked = legal_aid()
    at = tracked.obligation.due_at + timedelta(microseconds=500)  # overdue, within the tick
    (alert,) = review(Watch("case-1"), [tracked], at).alerts
    assert alert.effective_at <= at


def test_a_recovery_is_dated_by_the_step_that_relieved_the_case_not_the_batch_s_last() -> None:
    story = Story().add("LegalAidRequested", T0)
    due = only(story.state(), "legal_aid_assigned").due_at
    file = CaseFile.new(story.case_id)
    file.apply(engine(), "e1", story.facts[0])
    assert [a.kind for a in file.review(due + DAY)] == ["stalled"]

    story.add("LegalAidAssigned", due + 2 * DAY, provider="c")
    story.add("NeedsAssessed", due + 3 * DAY, needs=["school"])
    for n, fact in enumerate(story.facts[1:], start=2):
        file.apply(engine(), f"e{n}", fact)
    (alert,) = file.review(due + 4 * DAY, cause=story.facts[-1].recorded_at)

    assert (alert.kind, alert.effective_at) == ("recovered", due + 2 * DAY)
