"""Extensions as the law counts them (CPC arts. 147 and 172; issue 11, point 4): a request
beyond the number or the size allowed is refused with its reason, even when the total fits.
Dates are counted by hand in the comments; T0 is Mon 2 March 2026, 09:00 local."""

from __future__ import annotations

from datetime import datetime

from projections.stalled import Obligation
from tests.unit.projections.builders import T0, Story, local, only


def _extend(story: Story, rule_id: str, *new_dues: datetime) -> Obligation:
    for new_due in new_dues:
        story.add(
            "DeadlineExtended",
            T0,
            obligation=rule_id,
            new_due_at=new_due,
            authority="procuracy",
        )
    return only(story.state(), rule_id)


def _report() -> Story:
    # 20 days after 2 March is Sun 22 March: rolled to Mon 23 March.
    return Story().add("PoliceReportReceived", T0, report_id="r1")


def test_a_report_base_deadline() -> None:
    assert only(_report().state(), "police_settle_report").due_at == local(2026, 3, 24)


def test_a_third_extension_of_a_report_is_refused_although_the_total_fits() -> None:
    # 1st (complex report): to the end of 1 May, within 2 months of receipt (2 May, Sat -> 4 May).
    # 2nd (the procuracy, once): 2 months from 1 May -> Wed 1 July.
    # 3rd: to 2 July, inside the 4-month total (Thu 2 July), but art. 147 allows no third.
    ob = _extend(
        _report(), "police_settle_report", local(2026, 5, 2), local(2026, 7, 2), local(2026, 7, 3)
    )
    assert ob.due_at == local(2026, 7, 2)
    assert ob.extended == 2
    assert (ob.extension_refused, ob.extension_refusal) == (True, "extension_count")


def test_one_report_extension_to_the_whole_4_months_is_cut_to_what_it_may_add() -> None:
    # The first extension may reach 2 months from receipt: Sat 2 May, rolled to Mon 4 May.
    ob = _extend(_report(), "police_settle_report", local(2026, 7, 3))
    assert ob.due_at == local(2026, 5, 5)
    assert (ob.extension_refused, ob.extension_refusal) == (True, "extension_size")


def _instituted(category: str) -> Story:
    return Story().add(
        "CriminalCaseInstituted", T0, crime_category=category, accused_is_minor=False
    )


def test_a_serious_crime_investigation_extends_by_3_months_then_by_2() -> None:
    # Base: 3 months -> Tue 2 June. Asking for 2 November at once: the first extension adds at
    # most 3 months -> Wed 2 September, National Day, rolled to Thu 3 September. The second
    # adds at most 2 months (-> Tue 3 November): 2 November is accepted.
    story = _instituted("serious")
    ob = _extend(story, "investigation_serious", local(2026, 11, 3))
    assert ob.due_at == local(2026, 9, 4)
    assert ob.extension_refusal == "extension_size"
    ob = _extend(story, "investigation_serious", local(2026, 11, 3))
    assert ob.due_at == local(2026, 11, 3)


def test_a_less_serious_crime_investigation_extends_only_once() -> None:
    # Base: 2 months -> Sat 2 May, rolled to Mon 4 May. One extension to Thu 2 July (the 4-month
    # total); a second one, even to a day before, is refused.
    ob = _extend(
        _instituted("less_serious"), "investigation_less_serious",
        local(2026, 7, 3), local(2026, 7, 2),
    )  # fmt: skip
    assert ob.due_at == local(2026, 7, 3)
    assert (ob.extended, ob.extension_refusal) == (1, "extension_count")


def test_an_unrefused_extension_keeps_no_reason() -> None:
    ob = _extend(_report(), "police_settle_report", local(2026, 4, 10))
    assert (ob.due_at, ob.extension_refused, ob.extension_refusal) == (
        local(2026, 4, 10),
        False,
        "",
    )
