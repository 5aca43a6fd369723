import json
from pathlib import Path
from typing import Any

import pytest

from events import NAMESPACE, SCHEMA_DIR

STEPS = [
    "CaseReported",
    "TransferredToCommune",
    "InitialRiskAssessed",
    "EmergencyMeasureApplied",
    "NeedsAssessed",
    "SupportPlanDrafted",
    "SupportPlanApproved",
    "ReferralSent",
    "ReferralAccepted",
    "ReferralDeclined",
    "ServiceDelivered",
    "ProsecutionRecommended",
    "PoliceReportReceived",
    "PoliceReportSettled",
    "CriminalCaseInstituted",
    "InvestigationConcluded",
    "DeadlineExtended",
    "ProsecutionDecided",
    "CourtAccepted",
    "TrialScheduled",
    "VerdictDelivered",
    "JuvenileLimitsLifted",
    "TrialPreparationDecided",
    "SupplementaryFileReceived",
    "HearingAdjourned",
    "PoliceReportResumed",
    "SupportPlanNotRequired",
    "AppealAccepted",
    "MedicalSupportRequested",
    "MedicalSupportProvided",
    "LegalAidRequested",
    "LegalAidAssigned",
    "PlanReviewed",
    "CaseClosed",
    "CaseReopened",
    "ConsentRecorded",
    "ConsentWithdrawn",
    "PersonalDataErased",
    "SupervisorFollowedUp",
]
OTHERS = ["PersonalData", "CaseEvent", "Rejection", "Alert"]
FILES = sorted(SCHEMA_DIR.glob("*.avsc"))


def _load(path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def _types(schema: Any) -> list[Any]:
    """Every type mentioned anywhere in a schema."""
    if isinstance(schema, list):
        return [t for item in schema for t in _types(item)]
    if not isinstance(schema, dict):
        return [schema]
    nested = [field["type"] for field in schema.get("fields", [])] + [schema.get("items")]
    return [schema.get("type"), *(t for item in nested if item for t in _types(item))]


def test_there_is_one_schema_file_per_step_and_per_other_record() -> None:
    assert sorted(path.stem for path in FILES) == sorted(STEPS + OTHERS)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_the_record_is_named_after_its_file_in_the_v1_namespace(path: Path) -> None:
    schema = _load(path)
    assert (schema["namespace"], schema["name"]) == (NAMESPACE, path.stem)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_the_record_and_every_field_have_a_doc(path: Path) -> None:
    schema = _load(path)
    items = [f["type"].get("items") for f in schema["fields"] if isinstance(f["type"], dict)]
    records = [schema, *(item for item in items if isinstance(item, dict))]
    assert all(record["doc"] for record in records)
    assert all(field["doc"] for record in records for field in record["fields"])


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_no_schema_uses_enums_unions_or_maps(path: Path) -> None:
    types = _types(_load(path))
    assert not {"enum", "map", "fixed"} & set(map(str, types))
    assert not any(isinstance(t, list) for t in types)


@pytest.mark.parametrize("step", STEPS)
def test_every_step_starts_with_the_common_fields(step: str) -> None:
    fields = _load(SCHEMA_DIR / f"{step}.avsc")["fields"]
    assert [f["name"] for f in fields[:3]] == ["submission_id", "case_id", "occurred_at"]
