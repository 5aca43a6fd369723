"""A submission the case rules refuse goes back to its agency with the rule's reason and words.

The case service answers each step request with the recorded step or a named refusal
(``services.cases.errors``); the translator turns the refusal into the rejection published on
the agency's rejections topic, keyed and tagged with the submission id. Refusals that say only
"not yet" are held first (see test_holding); here the hold is over, so every refusal is final.
"""

from __future__ import annotations

import pytest

from services.cases import errors
from services.cases.views import RecordedStep
from services.intake.refusals import NOT_YET, IntakeRefusal, InternalError
from services.intake.rejection import Outgoing
from services.intake.translator import StepTranslator
from tests.unit.events.samples import SAMPLES
from tests.unit.intake.given import (
    CODEC,
    HOLD_S,
    Clock,
    Record,
    decided,
    plan,
    sent,
    translator,
)

CASE = SAMPLES["CaseClosed"]["case_id"]
SUBMISSION = SAMPLES["CaseClosed"]["submission_id"]
# One refusal of each kind the case service can answer a step request with.
CASE_REFUSALS: list[errors.CaseError] = [
    errors.UnknownStep("CaseArchived"),
    errors.RoleNotAllowed("police", "CaseClosed"),
    errors.StepNotAllowed("CaseClosed", "reported", "only while ['assessed']"),
    errors.MissingPrerequisite("SupportPlanApproved", "assessed", "needs SupportPlanDrafted first"),
    errors.UnknownReference("ReferralAccepted", "planned", "no referral r-1 was sent"),
    errors.DuplicateReference("ReferralSent", "planned", "referral r-1 was already sent"),
    errors.NotAddressee("ReferralAccepted", "planned", "r-1 was sent to another agency"),
    errors.InvalidValue("ReferralSent", "planned", "to_agency must be a non-empty string"),
    errors.AlreadyRecorded("CaseReported", "reported", "only a case's first event"),
    errors.CaseClosedError("ReferralSent", "closed", "the case is closed"),
    errors.CaseNotReported("CaseClosed", "not reported", "a case starts with a first step"),
    errors.PersonalDataInPayload("CaseClosed", ["child_name"]),
    errors.InvalidPersonalData(["child_shoe_size"]),
    errors.DuplicateCase(CASE),
    errors.CaseNotFound(CASE),
    errors.InvalidCaseId("case-1"),
    errors.UnknownAgency("police-atlantis"),
    errors.AgencyNotValid("police-khanh-hoa", "2026-03-02", "police-khanh-hoa-2"),
    errors.PersonalDataErasedError(CASE),
    errors.SubmissionIdReused(CASE, SUBMISSION),
    InternalError("KeyError"),
]
NOT_RECORDING = {
    errors.PersonalDataAccessDenied,  # reading personal data, never recording
    errors.ConcurrencyConflict,  # worth retrying: see test_bugs_and_outages
}


def test_every_refusal_of_the_case_rules_is_specified_here() -> None:
    homes = {errors.__name__, InternalError.__module__}  # not other contexts' refusals
    kinds = {kind for kind in _subclasses(errors.CaseError) if kind.__module__ in homes}
    kinds -= NOT_RECORDING
    assert kinds == {type(refusal) for refusal in CASE_REFUSALS}


@pytest.mark.parametrize("refusal", CASE_REFUSALS, ids=lambda refusal: refusal.reason)
def test_a_refusal_of_the_case_rules_is_returned_with_its_reason_words_and_submission_id(
    refusal: errors.CaseError,
) -> None:
    record = sent("CaseClosed")
    rejection = decided(_after_the_hold(), record, refusal)
    assert isinstance(rejection, Outgoing)
    assert rejection.topic == "backbone.rejected.hotline-111"
    assert rejection.key == SUBMISSION.encode()
    carried = CODEC.decode(rejection.value).record
    assert (carried["reason"], carried["detail"]) == (refusal.reason, str(refusal))
    assert carried["submission_id"] == SUBMISSION and carried["original"] == record.value


def test_a_recorded_step_is_neither_held_nor_rejected() -> None:
    recorded = RecordedStep(CASE, 3, "CaseClosed", SUBMISSION, "ab" * 32, duplicate=False)
    assert decided(translator(), sent("CaseClosed"), recorded) is None


def test_an_agency_outside_the_directory_is_refused_before_the_case_rules() -> None:
    record = Record(sent("CaseClosed").value, topic="backbone.intake.police-atlantis")
    assert plan(record) == IntakeRefusal(
        "unknown_agency", "agency 'police-atlantis' is not in the agency directory", SUBMISSION
    )


def test_only_case_not_found_missing_prerequisite_and_unknown_reference_say_not_yet() -> None:
    assert {refusal.reason for refusal in CASE_REFUSALS} & NOT_YET == {
        "case_not_found",
        "missing_prerequisite",
        "unknown_reference",
    }


def _after_the_hold() -> StepTranslator:
    """A translator that first read the sample's record a whole hold ago."""
    clock = Clock()
    the_translator = translator(clock=clock)
    the_translator.holds.waited(sent("CaseClosed"))
    clock.now += HOLD_S
    return the_translator


def _subclasses(kind: type[errors.CaseError]) -> list[type[errors.CaseError]]:
    found = []
    for sub in kind.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
