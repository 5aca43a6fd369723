"""One realistic record per wire name, as an agency system would send it."""

from datetime import UTC, datetime
from typing import Any

WHEN = datetime(2025, 3, 14, 8, 30, tzinfo=UTC)
DUE = datetime(2025, 3, 21, 17, 0, tzinfo=UTC)
COMMON = {
    "submission_id": "6f1c2a9e-3b7d-4c1e-9a52-0d8e4b7f1a23",
    "case_id": "0b7f3e12-58c4-4a9d-8e21-7c3d9f6a5b40",
    "occurred_at": WHEN,
}

STEPS: dict[str, dict[str, Any]] = {
    "CaseReported": {
        "channel": "hotline_111",
        "forms_of_abuse": ["sexual_abuse", "neglect"],
        "setting": "family",
        "child_sex": "female",
        "child_age_group": "12-15",
        "province_code": "58",
        "district_code": "582",
        "commune_code": "22738",
        "risk_level": "high",
        "personal_data": b"\x8a\x11sealed-blob",
    },
    "TransferredToCommune": {"commune_code": "22738"},
    "InitialRiskAssessed": {"risk_level": "high", "serious_danger": True},
    "EmergencyMeasureApplied": {"measure": "temporary_separation"},
    "NeedsAssessed": {"needs": ["medical", "counselling", "legal_aid"]},
    "SupportPlanDrafted": {
        "plan_id": "a3d9c1f0-2e4b-4f6a-8c7d-1b2e3f4a5b6c",
        "items": [
            {
                "item_id": "1",
                "service": "counselling",
                "responsible_role": "social_affairs",
                "due_at": DUE,
            },
            {"item_id": "2", "service": "medical", "responsible_role": "health", "due_at": DUE},
        ],
    },
    "SupportPlanApproved": {"plan_id": "a3d9c1f0-2e4b-4f6a-8c7d-1b2e3f4a5b6c"},
    "ReferralSent": {
        "referral_id": "r-2025-0042",
        "to_agency": "khanhhoa-health",
        "service": "medical",
        "due_at": DUE,
    },
    "ReferralAccepted": {"referral_id": "r-2025-0042"},
    "ReferralDeclined": {"referral_id": "r-2025-0042", "reason": "outside our area"},
    "ServiceDelivered": {"referral_id": "r-2025-0042", "item_id": "2", "service": "medical"},
    "ProsecutionRecommended": {"to_agency": "khanhhoa-police", "procuracy_notified": True},
    "PoliceReportReceived": {"report_id": "CA-58-2025-117"},
    "PoliceReportSettled": {"report_id": "CA-58-2025-117", "outcome": "instituted"},
    "CriminalCaseInstituted": {"crime_category": "very_serious", "accused_is_minor": False},
    "InvestigationConcluded": {"outcome": "recommend_prosecution"},
    "DeadlineExtended": {
        "obligation": "investigation",
        "new_due_at": DUE,
        "authority": "procuracy",
    },
    "ProsecutionDecided": {"decision": "indict"},
    "CourtAccepted": {},
    "TrialScheduled": {"trial_at": DUE},
    "VerdictDelivered": {"outcome": "convicted"},
    "JuvenileLimitsLifted": {"reason": "especially_complex"},
    "TrialPreparationDecided": {"decision": "returned"},
    "SupplementaryFileReceived": {},
    "HearingAdjourned": {"new_trial_at": DUE},
    "PoliceReportResumed": {"report_id": "r-1"},
    "SupportPlanNotRequired": {"reason": "not_needed"},
    "AppealAccepted": {"court_level": "provincial"},
    "MedicalSupportRequested": {"facility": "khanhhoa-general-hospital"},
    "MedicalSupportProvided": {"facility": "khanhhoa-general-hospital"},
    "LegalAidRequested": {},
    "LegalAidAssigned": {"provider": "khanhhoa-legal-aid-centre"},
    "PlanReviewed": {"plan_id": "a3d9c1f0-2e4b-4f6a-8c7d-1b2e3f4a5b6c", "outcome": "continue"},
    "CaseClosed": {"reason": "goals_met"},
    "CaseReopened": {"reason": "new_report"},
    "ConsentRecorded": {"given_by": "guardian", "scope": "share_with_health"},
    "ConsentWithdrawn": {"given_by": "guardian"},
    "PersonalDataErased": {},
    "SupervisorFollowedUp": {
        "supervisor": "province.lead",
        "chased_agency": "commune-22741",
        "obligation": "report_to_commune",
        "note": "Called the commune office; they will assess tomorrow.",
    },
}

SAMPLES: dict[str, dict[str, Any]] = {name: COMMON | fields for name, fields in STEPS.items()}
SAMPLES["PersonalData"] = {
    "child_name": "Nguyễn Thị Lan",
    "child_birth_date": "2011-06-02",
    "child_address": "Thôn Phước Thiện, xã Phước Nam",
    "child_contact": "0912 345 678",
    "reporter_name": "Trần Văn Minh",
    "reporter_contact": "0987 654 321",
}
SAMPLES["CaseEvent"] = {
    "event_id": "5d0c6a8e-7f41-4b2a-9c3e-8a1b2c3d4e5f",
    "case_id": COMMON["case_id"],
    "sequence": 1,
    "recorded_at": WHEN,
    "occurred_at": WHEN,
    "agency": "hotline-111",
    "role": "intake",
    "submission_id": COMMON["submission_id"],
    "event_type": "CaseReported",
    "payload": b"\xc3\x01payload",
    "previous_hash": "",
    "hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "personal_data": b"",
}
SAMPLES["Rejection"] = {
    "rejection_id": "e2a4c6d8-1357-4b9d-8f0e-2468ace13579",
    "submission_id": "",
    "agency": "hotline-111",
    "source_topic": "backbone.intake.hotline-111",
    "source_partition": 0,
    "source_offset": 1234567890123,
    "reason": "unknown_fingerprint",
    "detail": "no known schema has fingerprint 0011223344556677",
    "original": b"\xc3\x01\x00\x11\x22\x33\x44\x55\x66\x77",
    "rejected_at": WHEN,
    "original_size": 10,
    "original_sha256": "5f0a53b3d8e0f6a1f1f3a7ea9a42c5f0a8b7c4b9e1d2f3a4b5c6d7e8f9a0b1c2",
    "original_truncated": False,
}
SAMPLES["Alert"] = {
    "alert_id": "0b7f3e12-58c4-4a9d-8e21-7c3d9f6a5b40:stalled:1",
    "kind": "stalled",
    "case_id": COMMON["case_id"],
    "level": 1,
    "rule_id": "legal_aid_assigned",
    "obligation_key": "",
    "responsible_role": "legal_aid_centre",
    "responsible_agency": "",
    "due_at": DUE,
    "citation": "Law on Legal Aid 2017 art. 30",
    "province_code": "58",
    "district_code": "582",
    "commune_code": "22738",
    "effective_at": DUE,
    "raised_at": WHEN,
    "notify": ["district-582"],
}
