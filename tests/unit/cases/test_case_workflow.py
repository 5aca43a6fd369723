"""The case aggregate, Given events / When command / Then events; no database."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from services.cases import errors
from services.cases.chain import GENESIS, event_hash
from services.cases.domainmodel import Case, Submission
from services.cases.views import RecordedStep, recorded, recorded_now
from services.cases.workflow import load_workflow, parse_workflow
from services.runtime.settings import DEFAULT_CONFIG_DIR, REPO_ROOT

WORKFLOW = load_workflow(DEFAULT_CONFIG_DIR / "workflow.toml")
CASE_ID = UUID("6f1c1a52-3f5e-4c1e-9a51-0d7a1f0e2b11")


@dataclass(frozen=True)
class Step:
    step: str
    role: str
    payload: Mapping[str, Any]


def step(name: str, role: str, **payload: Any) -> Step:
    return Step(name, role, payload)


REPORTED = step("CaseReported", "hotline", channel="phone")
COURT_PATH = [
    step("CriminalCaseInstituted", "police", crime_category="serious", accused_is_minor=False),
    step("InvestigationConcluded", "police", outcome="done"),
    step("ProsecutionDecided", "procuracy", decision="indict"),
    step("CourtAccepted", "court"),
]


def submit(given: Step, number: int) -> Submission:
    return Submission(
        given.step, given.payload, f"agency-{given.role}", given.role, 1000, f"s{number}"
    )


def given(*steps: Step) -> Case:
    """A case with these steps already recorded (and no pending events)."""
    case = Case.report(CASE_ID, submit(steps[0], 0), WORKFLOW)
    for number, later in enumerate(steps[1:], start=1):
        case.record(submit(later, number), WORKFLOW)
    case.collect_events()
    return case


def when(case: Case, command: Step) -> list[str]:
    """Record ``command``; the steps of the events it triggered."""
    case.record(submit(command, 99), WORKFLOW)
    return [event.step for event in case.collect_events()]  # type: ignore[attr-defined]


def test_report_opens_the_case_as_the_first_link_of_its_chain() -> None:
    case = Case.report(CASE_ID, submit(REPORTED, 0), WORKFLOW)
    (event,) = case.collect_events()
    assert isinstance(event, Case.Reported)
    assert event.previous_hash == GENESIS
    assert event.hash == event_hash(str(CASE_ID), 1, event)
    assert case.status == "open"


def test_an_event_is_the_one_its_dataclass_constructor_makes() -> None:
    """Commands build their events without the library's constructor: the same attributes, in
    field order (the order of the stored state's keys), equal to the constructor's event."""
    case = given(REPORTED)
    case.record(submit(step("TransferredToCommune", "hotline", commune_code="22738"), 1), WORKFLOW)
    case.record(submit(step("PersonalDataErased", "supervisor"), 2), WORKFLOW)
    events = [*Case.report(CASE_ID, submit(REPORTED, 0), WORKFLOW).collect_events()]
    events += case.collect_events()
    assert [type(e) for e in events] == [
        Case.Reported,
        Case.StepRecorded,
        Case.PersonalDataErased,
    ]
    for event in events:
        names = [f.name for f in dataclasses.fields(event)]  # type: ignore[arg-type]
        assert list(vars(event)) == names
        assert type(event)(**{name: getattr(event, name) for name in names}) == event


def test_each_step_carries_the_hash_of_its_predecessor() -> None:
    case = given(REPORTED)
    head = case.head_hash
    when(case, step("TransferredToCommune", "hotline", commune_code="22738"))
    assert case.head_hash != head
    assert case.version == 2


def test_no_verdict_before_prosecution() -> None:
    case = given(REPORTED, *COURT_PATH[:2])
    with pytest.raises(errors.MissingPrerequisite, match="ProsecutionDecided"):
        when(case, step("VerdictDelivered", "court", outcome="guilty"))


def test_court_records_a_verdict_after_prosecution_and_acceptance() -> None:
    case = given(REPORTED, *COURT_PATH)
    assert when(case, step("VerdictDelivered", "court", outcome="guilty")) == ["VerdictDelivered"]


def test_police_may_not_record_court_steps() -> None:
    case = given(REPORTED, *COURT_PATH[:3])
    with pytest.raises(errors.RoleNotAllowed) as refused:
        when(case, step("CourtAccepted", "police"))
    assert (refused.value.role, refused.value.step) == ("police", "CourtAccepted")


def test_nothing_but_reopening_consent_or_erasure_after_closure() -> None:
    case = given(REPORTED, step("CaseClosed", "commune", reason="resolved"))
    with pytest.raises(errors.CaseClosedError):
        when(case, step("NeedsAssessed", "commune", needs=["school"]))


def test_a_closed_case_may_be_reopened() -> None:
    case = given(REPORTED, step("CaseClosed", "commune", reason="resolved"))
    assert when(case, step("CaseReopened", "commune", reason="new facts")) == ["CaseReopened"]
    assert case.status == "open"


def test_consent_may_be_recorded_after_closure() -> None:
    case = given(REPORTED, step("CaseClosed", "commune", reason="resolved"))
    consent = step("ConsentRecorded", "commune", given_by="guardian", scope="data")
    assert when(case, consent) == ["ConsentRecorded"]


def test_an_open_case_cannot_be_reopened() -> None:
    with pytest.raises(errors.StepNotAllowed, match="only while"):
        when(given(REPORTED), step("CaseReopened", "commune", reason="x"))


def test_a_case_is_reported_only_once() -> None:
    with pytest.raises(errors.AlreadyRecorded):
        when(given(REPORTED), REPORTED)


def test_a_case_starts_with_a_report() -> None:
    with pytest.raises(errors.CaseNotReported):
        Case.report(CASE_ID, submit(step("CaseClosed", "commune", reason="x"), 0), WORKFLOW)


def test_accepting_needs_an_earlier_referral_with_that_id() -> None:
    with pytest.raises(errors.UnknownReference, match="r-1"):
        when(given(REPORTED), step("ReferralAccepted", "health", referral_id="r-1"))


def test_only_the_addressee_accepts_a_referral() -> None:
    sent = step(
        "ReferralSent",
        "commune",
        referral_id="r-1",
        to_agency="agency-health",
        service="exam",
        due_at=0,
    )
    case = given(REPORTED, sent)
    with pytest.raises(errors.NotAddressee):
        when(case, step("ReferralAccepted", "legal_aid", referral_id="r-1"))
    assert when(case, step("ReferralAccepted", "health", referral_id="r-1")) == ["ReferralAccepted"]


def test_a_referral_id_is_not_reused() -> None:
    sent = step("ReferralSent", "commune", referral_id="r-1", to_agency="x", service="exam")
    with pytest.raises(errors.DuplicateReference):
        when(given(REPORTED, sent), sent)


def test_settling_a_police_report_needs_it_received() -> None:
    with pytest.raises(errors.UnknownReference):
        when(
            given(REPORTED),
            step("PoliceReportSettled", "police", report_id="p-1", outcome="instituted"),
        )


def test_a_value_outside_the_vocabulary_is_refused() -> None:
    received = step("PoliceReportReceived", "police", report_id="p-1")
    with pytest.raises(errors.InvalidValue, match="outcome"):
        when(
            given(REPORTED, received),
            step("PoliceReportSettled", "police", report_id="p-1", outcome="maybe"),
        )


def test_an_unknown_step_is_refused() -> None:
    with pytest.raises(errors.UnknownStep):
        when(given(REPORTED), step("CaseTeleported", "police"))


def test_personal_data_outside_the_sealed_field_is_refused() -> None:
    with pytest.raises(errors.PersonalDataInPayload):
        when(given(REPORTED), step("NeedsAssessed", "commune", child_name="A"))


def test_erasure_is_recorded_once() -> None:
    case = given(REPORTED, step("PersonalDataErased", "supervisor"))
    assert case.personal_data_erased
    with pytest.raises(errors.AlreadyRecorded):
        when(case, step("PersonalDataErased", "supervisor"))


def test_a_refused_command_triggers_nothing() -> None:
    case = given(REPORTED)
    with pytest.raises(errors.CaseError):
        when(case, step("VerdictDelivered", "court", outcome="x"))
    assert case.version == 1
    assert case.collect_events() == []


def test_a_resubmission_is_recognised_by_its_submission_id() -> None:
    case = given(REPORTED, step("NeedsAssessed", "commune", needs=[]))
    receipt = case.receipt("s1")
    assert receipt is not None and (receipt.sequence, receipt.step) == (2, "NeedsAssessed")


def test_every_refusal_has_its_own_reason_code() -> None:
    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    reasons = [cls.reason for cls in subclasses(errors.CaseError)]
    assert len(reasons) == len(set(reasons))
    assert all(re.fullmatch(r"[a-z_]+", reason) for reason in reasons)


def test_the_workflow_covers_every_step_of_the_design() -> None:
    design = (REPO_ROOT / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    section = design.split("## Steps of a case")[1].split("\n## ")[0]
    wire_names = set(re.findall(r"^\| ([A-Z]\w+) \|", section, flags=re.MULTILINE))
    assert wire_names == set(WORKFLOW.steps)


def test_a_rule_naming_an_unknown_step_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="Nowhere"):
        parse_workflow({"steps": {"A": {"roles": ["court"], "requires": ["Nowhere"]}}})


def test_the_answer_to_a_new_step_is_the_one_its_dataclass_constructor_makes() -> None:
    """Recording answers each new event without the frozen dataclass's constructor: the same
    attributes, in field order, equal to the constructor's answer and to the case's receipt."""
    case = given(REPORTED)
    case.record(submit(step("TransferredToCommune", "hotline", commune_code="22738"), 1), WORKFLOW)
    answer = recorded_now(str(CASE_ID), case.last_event)
    names = [f.name for f in dataclasses.fields(RecordedStep)]
    assert list(vars(answer)) == names
    assert answer == RecordedStep(**{name: getattr(answer, name) for name in names})
    assert answer == recorded(str(CASE_ID), case.last_receipt, duplicate=False)
    assert (answer.sequence, answer.submission_id, answer.duplicate) == (2, "s1", False)
