"""A resumed report settlement restarts its clock (CPC art. 148), and a support plan that is not
needed, or the emergency exception of Decree 56 art. 28(1), ends the plan obligation (issue 11,
point 5). Dates are counted by hand in the comments; T0 is Mon 2 March 2026, 09:00 local."""

from __future__ import annotations

import pytest

from projections.stalled import status_as_of
from tests.unit.projections.builders import T0, Story, local, obligations_of, only


def _suspended() -> Story:
    story = Story().add("PoliceReportReceived", T0, report_id="r1")
    return story.add(
        "PoliceReportSettled", local(2026, 3, 10, 9), report_id="r1", outcome="suspended"
    )


def test_a_suspended_settlement_is_not_stalled_while_suspended() -> None:
    state = _suspended().state()
    assert not only(state, "police_settle_report").met_late
    assert not status_as_of(state.obligations, local(2026, 6, 1)).stalled


def test_resuming_restarts_the_20_days_from_the_resumption() -> None:
    # Resumed Wed 1 July 2026: 20 days -> Tue 21 July, a working day.
    story = _suspended().add("PoliceReportResumed", local(2026, 7, 1, 9), report_id="r1")
    resumed = only(story.state(), "police_settle_resumed")
    assert resumed.due_at == local(2026, 7, 22)
    assert not resumed.confirmed  # our reading of art. 148: shown "unconfirmed"
    assert status_as_of(story.state().obligations, local(2026, 7, 23)).stalled


def test_settling_the_resumed_report_closes_it() -> None:
    story = _suspended().add("PoliceReportResumed", local(2026, 7, 1, 9), report_id="r1")
    story.add("PoliceReportSettled", local(2026, 7, 15, 9), report_id="r1", outcome="instituted")
    (resumed,) = obligations_of(story.state(), "police_settle_resumed")
    assert not resumed.is_open and not resumed.met_late


@pytest.mark.parametrize("reason", ["not_needed", "emergency"])
def test_no_plan_needed_or_the_emergency_exception_ends_the_plan_obligation(reason: str) -> None:
    # The plan would be due at the end of Mon 9 March (5 working days after Mon 2 March).
    story = Story().add("CaseReported", T0)
    story.add("SupportPlanNotRequired", local(2026, 3, 4, 9), reason=reason)
    plan = only(story.state(), "support_plan_drafted")
    assert (plan.is_open, plan.met_late, plan.closed_by) == (False, False, "SupportPlanNotRequired")
    assert "support_plan_drafted" not in {
        s.obligation.rule_id
        for s in status_as_of(story.state().obligations, local(2026, 3, 12)).open
    }
