"""An agency's worklist: the open obligations that fall to it, on SQLite and PostgreSQL."""

from __future__ import annotations

from projections.readmodel import ReadModel
from projections.responsible import load_responsibility
from services.cases.agencies import load_agencies
from services.runtime.database import read_model_db
from services.runtime.settings import Settings
from services.web.workbench.worklist import agency_duties
from tests.integration.projections.builders import DAY, T0, CaseStory, FakeClock, Offsets, projector

AREA_22783 = {"province_code": "58", "district_code": "585", "commune_code": "22783"}


def test_each_commune_sees_the_plans_due_from_it_and_not_its_neighbours(
    settings: Settings,
) -> None:
    here = CaseStory().add("CaseReported", T0)  # commune 22738, now under 22921
    there = CaseStory().add("CaseReported", T0, **AREA_22783)
    drafted = (
        CaseStory()
        .add("CaseReported", T0)
        .add("SupportPlanDrafted", T0 + DAY, plan_id="p1", items=[])
    )
    engine, at = read_model_db(settings), T0 + 10 * DAY
    projector(settings, engine, FakeClock(at)).handle(
        Offsets().sources([*here.messages, *there.messages, *drafted.messages])
    )
    responsibility = load_responsibility(settings.config_dir, load_agencies(settings.config_dir))
    with engine.connect() as conn:
        model = ReadModel().create(engine)
        mine = agency_duties(conn, model, responsibility, "commune-22921", at)
        theirs = agency_duties(conn, model, responsibility, "commune-22930", at)
    plans = {d.case_id for d in mine if d.obligation.rule_id == "support_plan_drafted"}
    assert plans == {here.case_id}  # the drafted plan is met; the neighbour's is not ours
    assert {d.case_id for d in theirs} == {there.case_id}
    assert all(d.state in ("overdue", "escalated") for d in mine + theirs)
    assert [d.obligation.due_at for d in mine] == sorted(d.obligation.due_at for d in mine)
