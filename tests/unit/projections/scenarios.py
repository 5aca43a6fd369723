"""One scenario per default policy rule: the steps that open it, the step that closes it, and
the due time (and extension cap) expected when the steps happen at T0 (Mon 2 March 2026, 09:00
local time). The figures are worked out by hand from docs/LEGAL.md, not from the engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.unit.projections.builders import T0, local, millis

Step = tuple[str, dict[str, object]]
REPORTED: Step = ("CaseReported", {"channel": "hotline_111"})
SERIOUS: Step = ("InitialRiskAssessed", {"risk_level": "high", "serious_danger": True})
ITEM_DUE = local(2026, 3, 20, 17)
REFERRAL_DUE = local(2026, 3, 13, 17)
PLAN: Step = (
    "SupportPlanDrafted",
    {
        "plan_id": "p1",
        "items": [
            {"item_id": "i1", "service": "counselling", "responsible_role": "health",
             "due_at": millis(ITEM_DUE)},
        ],
    },
)  # fmt: skip


def instituted(category: str, minor: bool = False) -> Step:
    """The police institute a criminal case of this category."""
    return ("CriminalCaseInstituted", {"crime_category": category, "accused_is_minor": minor})


@dataclass(frozen=True)
class Scenario:
    """How one rule's obligation opens and closes, and when it is due."""

    rule_id: str
    opens: tuple[Step, ...]
    closes: Step
    due: datetime
    cap: datetime | None = None

    @property
    def allowed(self) -> timedelta:
        """Time allowed from opening (T0) to the due time."""
        return self.due - T0


CONCLUDED: Step = ("InvestigationConcluded", {"outcome": "recommend_prosecution"})
DECIDED: Step = ("ProsecutionDecided", {"decision": "indict"})
ACCEPTED: Step = ("CourtAccepted", {})
RETURNED: Step = ("TrialPreparationDecided", {"decision": "returned"})
SCHEDULED: Step = ("TrialScheduled", {"trial_at": millis(local(2026, 3, 16, 8))})

SCENARIOS = [
    Scenario("report_to_commune", (REPORTED,), ("TransferredToCommune", {"commune_code": "c1"}),
             local(2026, 3, 3, 9)),
    Scenario("emergency_intervention", (REPORTED, SERIOUS),
             ("EmergencyMeasureApplied", {"measure": "separation"}), local(2026, 3, 2, 21)),
    Scenario("support_plan_drafted", (REPORTED,), PLAN, local(2026, 3, 10)),
    Scenario("support_plan_approved", (PLAN,), ("SupportPlanApproved", {"plan_id": "p1"}),
             local(2026, 3, 5)),
    Scenario("support_plan_item", (PLAN,),
             ("ServiceDelivered", {"item_id": "i1", "service": "counselling"}), ITEM_DUE),
    Scenario("referral_service",
             (("ReferralSent", {"referral_id": "r1", "to_agency": "hospital-1",
                                "service": "medical", "due_at": millis(REFERRAL_DUE)}),),
             ("ServiceDelivered", {"referral_id": "r1", "service": "medical"}), REFERRAL_DUE),
    Scenario("medical_examination", (("MedicalSupportRequested", {"facility": "h1"}),),
             ("MedicalSupportProvided", {"facility": "h1"}), local(2026, 3, 3, 9)),
    Scenario("legal_aid_assigned", (("LegalAidRequested", {}),),
             ("LegalAidAssigned", {"provider": "centre"}), local(2026, 3, 6)),
    Scenario("police_settle_report", (("PoliceReportReceived", {"report_id": "R1"}),),
             ("PoliceReportSettled", {"report_id": "R1", "outcome": "instituted"}),
             local(2026, 3, 24), local(2026, 7, 3)),
    Scenario("police_settle_resumed", (("PoliceReportResumed", {"report_id": "R1"}),),
             ("PoliceReportSettled", {"report_id": "R1", "outcome": "instituted"}),
             local(2026, 3, 24), local(2026, 7, 3)),
    Scenario("police_settle_recommendation",
             (("ProsecutionRecommended", {"to_agency": "police-1", "procuracy_notified": True}),),
             ("PoliceReportSettled", {"report_id": "R1", "outcome": "instituted"}),
             local(2026, 3, 24), local(2026, 7, 3)),
    Scenario("investigation_less_serious", (instituted("less_serious"),), CONCLUDED,
             local(2026, 5, 5), local(2026, 7, 3)),
    Scenario("investigation_serious", (instituted("serious"),), CONCLUDED,
             local(2026, 6, 3), local(2026, 11, 3)),
    Scenario("investigation_very_serious", (instituted("very_serious"),), CONCLUDED,
             local(2026, 7, 3), local(2027, 3, 3)),
    Scenario("investigation_especially_serious", (instituted("especially_serious"),), CONCLUDED,
             local(2026, 7, 3), local(2027, 11, 3)),
    Scenario("prosecution_less_serious", (instituted("less_serious"), CONCLUDED), DECIDED,
             local(2026, 3, 24), local(2026, 4, 2)),
    Scenario("prosecution_serious", (instituted("serious"), CONCLUDED), DECIDED,
             local(2026, 3, 24), local(2026, 4, 2)),
    Scenario("prosecution_very_serious", (instituted("very_serious"), CONCLUDED), DECIDED,
             local(2026, 4, 2), local(2026, 4, 17)),
    Scenario("prosecution_especially_serious", (instituted("especially_serious"), CONCLUDED),
             DECIDED, local(2026, 4, 2), local(2026, 5, 5)),
    Scenario("trial_preparation_less_serious", (instituted("less_serious"), ACCEPTED), SCHEDULED,
             local(2026, 4, 2), local(2026, 4, 17)),
    Scenario("trial_preparation_serious", (instituted("serious"), ACCEPTED), SCHEDULED,
             local(2026, 4, 17), local(2026, 5, 5)),
    Scenario("trial_preparation_very_serious", (instituted("very_serious"), ACCEPTED), SCHEDULED,
             local(2026, 5, 5), local(2026, 6, 4)),
    Scenario("trial_preparation_especially_serious", (instituted("especially_serious"), ACCEPTED),
             SCHEDULED, local(2026, 6, 3), local(2026, 7, 3)),
    Scenario("trial_opens", (SCHEDULED,), ("VerdictDelivered", {"outcome": "guilty"}),
             local(2026, 3, 18), local(2026, 4, 2)),
    # 1 month after 2 March: Thu 2 April.
    Scenario("supplementary_investigation",
             (instituted("serious"), ACCEPTED, RETURNED),
             ("SupplementaryFileReceived", {}), local(2026, 4, 3)),
    # 15 days after 2 March: Tue 17 March.
    Scenario("trial_after_return", (("SupplementaryFileReceived", {}),), SCHEDULED,
             local(2026, 3, 18)),
    # 60 days after 2 March: Fri 1 May (Labour Day), then the weekend: Mon 4 May.
    Scenario("appeal_preparation_provincial",
             (("AppealAccepted", {"court_level": "provincial"}),), SCHEDULED, local(2026, 5, 5)),
    # 90 days after 2 March: Sun 31 May, rolled to Mon 1 June.
    Scenario("appeal_preparation_high",
             (("AppealAccepted", {"court_level": "high"}),), SCHEDULED, local(2026, 6, 2)),
    # 30 days after 2 March: Wed 1 April.
    Scenario("hearing_resumes", (("HearingAdjourned", {"new_trial_at": 0}),),
             ("VerdictDelivered", {"outcome": "guilty"}), local(2026, 4, 2)),
]  # fmt: skip
CAPPED = [scenario for scenario in SCENARIOS if scenario.cap is not None]
