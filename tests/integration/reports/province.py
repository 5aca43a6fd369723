"""A hand-built province: six cases told step by step and projected as the relay publishes them.

Reported in the first half of 2026 (T0 is Monday 2 March 2026, 09:00 in Vietnam):
- A  district 582, commune 22738; female, 12-15, family; sexual abuse and neglect; hotline 111.
     Passed to the commune after 2 h, plan drafted after 1 day, approved after 2 days.
- B  district 582, commune 22741; male, 6-11, school; violence; social affairs.
     Passed to the commune after 30 h (late: 24 h allowed); no plan.
- C  district 584, commune 22783; female, 16-17, community; violence; hotline 111; reported at
     T0 + 1 day, nothing after.
- D  district 584, commune 22783; female, 12-15, family; neglect; hotline 111; reported at
     T0 + 8 days, passed to the commune 1 h later; plan not yet due at the report's instant.
Outside the report:
- E  reported in June 2025 and handled in time and closed.
- F  reported at T0 + 1 day but recorded only at T0 + 20 days (after the report's instant).

The report is taken as of AS_OF = T0 + 10 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from projections.projector import Projector
from services.runtime.settings import Settings
from tests.integration.projections.builders import (
    DAY,
    HOUR,
    T0,
    CaseStory,
    FakeClock,
    Offsets,
    projector,
)

AS_OF = T0 + 10 * DAY
SOCIAL = {"agency": "dolisa-ninh-thuan", "role": "social_affairs"}


def reported(at: datetime, district: str, commune: str, **fields: object) -> CaseStory:
    area = {"province_code": "58", "district_code": district, "commune_code": commune}
    agency = fields.pop("agency", "hotline-111")
    role = fields.pop("role", "hotline")
    recorded = fields.pop("recorded", None)
    return CaseStory().add(
        "CaseReported", at, agency=agency, role=role, recorded=recorded, **area, **fields
    )


def stories() -> dict[str, CaseStory]:
    a = reported(
        T0,
        "582",
        "22738",
        child_sex="female",
        child_age_group="12-15",
        setting="family",
        forms_of_abuse=["sexual_abuse", "neglect"],
        channel="hotline_111",
    )
    a.add("TransferredToCommune", T0 + 2 * HOUR, commune_code="22738")
    a.add("SupportPlanDrafted", T0 + DAY, plan_id="pa", items=[])
    a.add("SupportPlanApproved", T0 + 2 * DAY, plan_id="pa")
    b = reported(
        T0,
        "582",
        "22741",
        child_sex="male",
        child_age_group="6-11",
        setting="school",
        forms_of_abuse=["violence"],
        channel="social_affairs",
        **SOCIAL,
    )
    b.add("TransferredToCommune", T0 + 30 * HOUR, commune_code="22741")
    c = reported(
        T0 + DAY,
        "584",
        "22783",
        child_sex="female",
        child_age_group="16-17",
        setting="community",
        forms_of_abuse=["violence"],
        channel="hotline_111",
    )
    d = reported(
        T0 + 8 * DAY,
        "584",
        "22783",
        child_sex="female",
        child_age_group="12-15",
        setting="family",
        forms_of_abuse=["neglect"],
        channel="hotline_111",
    )
    d.add("TransferredToCommune", T0 + 8 * DAY + HOUR, commune_code="22783")
    e_at = datetime(2025, 6, 2, 2, tzinfo=T0.tzinfo)
    e = reported(
        e_at,
        "582",
        "22738",
        child_sex="male",
        child_age_group="0-5",
        setting="family",
        forms_of_abuse=["neglect"],
        channel="hotline_111",
    )
    e.add("TransferredToCommune", e_at + HOUR, commune_code="22738")
    e.add("SupportPlanDrafted", e_at + DAY, plan_id="pe", items=[])
    e.add("SupportPlanApproved", e_at + 2 * DAY, plan_id="pe")
    e.add("CaseClosed", e_at + 3 * DAY, reason="goals_met")
    f = reported(
        T0 + DAY,
        "584",
        "22786",
        child_sex="male",
        child_age_group="12-15",
        setting="online",
        forms_of_abuse=["other"],
        channel="hotline_111",
        recorded=T0 + 20 * DAY,
    )
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f}


def project(
    settings: Settings, db: sa.Engine, cases: dict[str, CaseStory], now: datetime = AS_OF
) -> Projector:
    """Feed every story to a projector on ``db`` whose clock reads ``now``."""
    proj = projector(settings, db, FakeClock(now))
    messages = [m for story in cases.values() for m in story.messages]
    proj.handle(Offsets().sources(messages))
    return proj


def later(days: int) -> datetime:
    return T0 + timedelta(days=days)
