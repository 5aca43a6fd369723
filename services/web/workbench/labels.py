"""Titles of steps and of their fields as people read them (msgids of the one catalogue)."""

from __future__ import annotations

STEP_TITLES = {
    "AppealAccepted": "Appeal accepted",
    "CaseClosed": "Case closed",
    "CaseReopened": "Case reopened",
    "CaseReported": "Case reported",
    "ConsentRecorded": "Consent recorded",
    "ConsentWithdrawn": "Consent withdrawn",
    "CourtAccepted": "Court accepted the case",
    "CriminalCaseInstituted": "Criminal case instituted",
    "DeadlineExtended": "Deadline extended",
    "EmergencyMeasureApplied": "Emergency measure applied",
    "HearingAdjourned": "Hearing adjourned",
    "InitialRiskAssessed": "Initial risk assessed",
    "InvestigationConcluded": "Investigation concluded",
    "JuvenileLimitsLifted": "Juvenile time limits lifted",
    "LegalAidAssigned": "Legal aid assigned",
    "LegalAidRequested": "Legal aid requested",
    "MedicalSupportProvided": "Medical support provided",
    "MedicalSupportRequested": "Medical support requested",
    "NeedsAssessed": "Needs assessed",
    "PlanReviewed": "Plan reviewed",
    "PoliceReportReceived": "Police report received",
    "PoliceReportResumed": "Police report resumed",
    "PoliceReportSettled": "Police report settled",
    "ProsecutionDecided": "Prosecution decided",
    "ProsecutionRecommended": "Prosecution recommended",
    "ReferralAccepted": "Referral accepted",
    "ReferralDeclined": "Referral declined",
    "ReferralSent": "Referral sent",
    "ServiceDelivered": "Service delivered",
    "SupervisorFollowedUp": "Supervisor followed up",
    "SupplementaryFileReceived": "Supplementary file received",
    "SupportPlanApproved": "Support plan approved",
    "SupportPlanDrafted": "Support plan drafted",
    "SupportPlanNotRequired": "No support plan required",
    "TransferredToCommune": "Transferred to the commune",
    "TrialPreparationDecided": "Trial preparation decided",
    "TrialScheduled": "Trial scheduled",
    "VerdictDelivered": "Verdict delivered",
}

FIELD_TITLES = {
    "accused_is_minor": "The accused is a minor",
    "authority": "Authority",
    "channel": "Channel",
    "chased_agency": "Agency chased",
    "child_address": "Child's address",
    "child_age_group": "Child's age group",
    "child_birth_date": "Child's date of birth",
    "child_contact": "How to reach the child or family",
    "child_name": "Child's full name",
    "child_sex": "Child's sex",
    "commune_code": "Commune",
    "court_level": "Court level",
    "crime_category": "Crime category",
    "decision": "Decision",
    "district_code": "District",
    "due_at": "Due by",
    "facility": "Facility",
    "forms_of_abuse": "Forms of abuse",
    "given_by": "Given by",
    "item_id": "Item id",
    "items": "Plan items",
    "measure": "Measure",
    "needs": "Needs",
    "new_due_at": "New due date",
    "new_trial_at": "New trial date",
    "note": "Note",
    "obligation": "Obligation",
    "occurred_at": "When it happened",
    "outcome": "Outcome",
    "personal_data": "Personal data (sealed in this browser before sending)",
    "plan_id": "Plan id",
    "procuracy_notified": "Procuracy notified",
    "provider": "Provider",
    "province_code": "Province",
    "reason": "Reason",
    "referral_id": "Referral",
    "report_id": "Police report",
    "reporter_contact": "How to reach the reporter",
    "reporter_name": "Reporter's name",
    "responsible_role": "Responsible role",
    "risk_level": "Risk level",
    "scope": "Scope",
    "serious_danger": "The child is in serious danger",
    "service": "Service",
    "setting": "Setting",
    "supervisor": "Supervisor",
    "to_agency": "To agency",
    "trial_at": "Trial date",
}


def step_title(step: str) -> str:
    return STEP_TITLES.get(step, step)


def field_title(name: str) -> str:
    return FIELD_TITLES.get(name, name.replace("_", " "))


# The refusals an officer may meet, in words (msgids); the code is shown beside them.
REASON_WORDS = {
    "role_not_allowed": "Your agency's role may not record this step.",
    "step_not_allowed": "The case does not allow this step in its present state.",
    "missing_prerequisite": "An earlier step this one needs has not been recorded yet.",
    "unknown_reference": "The step names an earlier step the case does not have.",
    "duplicate_reference": "This id is already used by an earlier step of the case.",
    "not_addressee": "That referral was addressed to another agency.",
    "invalid_value": "A value is not one the rules allow.",
    "already_recorded": "This step may be recorded only once and already was.",
    "case_closed": "The case is closed.",
    "case_not_found": "There is no such case among your agency's.",
    "unknown_code": "A code is not in the vocabulary.",
    "schema_violation": "A field is missing or has the wrong type.",
    "occurred_in_future": "The step cannot have happened in the future.",
    "occurred_too_early": "The date the step happened is too early.",
    "field_too_long": "A field is too long.",
    "control_character": "A field holds a control character.",
    "personal_data_in_payload": "Personal data must go in the sealed part, not in the step.",
    "not_openable": "The sealed personal data could not be opened by the backbone.",
    "submission_id_reused": "This submission id was already used for another step.",
    "purpose_required": "State why you open this child's personal data (at least 5 letters).",
    "personal_data_access_denied": "Your agency may not read this child's personal data.",
    "personal_data_erased": "This child's personal data has been erased.",
    "broker_unavailable": "The backbone could not take the step now; it will be sent again.",
    "unknown_case": "There is no such case among your agency's.",
}


def reason_words(code: str) -> str:
    """The msgid that says a refusal in words (the code itself when none is known)."""
    return REASON_WORDS.get(code, code.replace("_", " "))
