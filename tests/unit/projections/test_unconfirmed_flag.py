"""A deadline resting on an unconfirmed figure is flagged, and the board and case view say so
(issue 11, point 8)."""

from datetime import datetime

from rich.console import Console

from projections.queries import StalledCase
from projections.responsible import load_responsibility
from projections.stalled import status_as_of
from services.cases.agencies import load_agencies
from services.commands.boardview import stalled_json, stalled_table
from services.runtime.i18n import translator
from services.runtime.settings import DEFAULT_CONFIG_DIR
from tests.unit.projections.builders import T0, Story, local, only


def test_a_rule_with_an_unconfirmed_figure_gives_an_unconfirmed_obligation() -> None:
    state = Story().add("CaseReported", T0).state()
    # report_to_commune: "immediately" read as 24 h, a choice; support_plan_drafted: 5 working
    # days, confirmed by Decree 56 art. 28(1), and Monday 2 - Monday 9 March 2026 has no holiday.
    assert not only(state, "report_to_commune").confirmed
    assert only(state, "support_plan_drafted").confirmed


def test_a_count_across_an_estimated_holiday_is_unconfirmed() -> None:
    # Report Wed 3 Feb 2027: Thu 4 is day 1; Fri 5 - Thu 11 Feb are the estimated Tết 2027 days;
    # Fri 12 day 2, Mon 15, Tue 16, Wed 17 -> due end of Wed 17 Feb, resting on the estimate.
    state = Story().add("CaseReported", local(2027, 2, 3, 9)).state()
    plan = only(state, "support_plan_drafted")
    assert plan.due_at == local(2027, 2, 18)
    assert not plan.confirmed


def test_a_plan_item_due_as_the_plan_says_is_not_marked() -> None:
    item = {"item_id": "i1", "due_at": local(2026, 3, 20), "responsible_role": "school"}
    state = (
        Story()
        .add("CaseReported", T0)
        .add("SupportPlanDrafted", T0, plan_id="p1", items=[item])
        .state()
    )
    assert only(state, "support_plan_item").confirmed


NAMES = load_responsibility(DEFAULT_CONFIG_DIR, load_agencies(DEFAULT_CONFIG_DIR))


def _rendered(case: StalledCase, at: datetime) -> str:
    out = Console(width=250, record=True)
    out.print(stalled_table([case], at, translator("en", "Asia/Ho_Chi_Minh"), NAMES))
    return out.export_text()


def test_the_board_marks_an_unconfirmed_due_time_and_only_that_one() -> None:
    state = Story().add("CaseReported", T0).state()
    at = local(2026, 3, 20)  # both the 24 h and the 5 working days have run out
    status = status_as_of(state.obligations, at)
    no_agency = (None,) * len(status.overdue)
    case = StalledCase("case-1", status.level, {}, status.overdue, no_agency)
    assert _rendered(case, at).count("(unconfirmed)") == 1
    flags = {o["rule_id"]: o["confirmed"] for o in stalled_json(case, at, NAMES)["overdue"]}
    assert flags == {"report_to_commune": False, "support_plan_drafted": True}
