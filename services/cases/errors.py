"""Named refusals of the case context.

Each error has a machine-readable ``reason`` code (the intake puts it on the agency's rejection
topic) and a message that says why in words. Messages carry ids and step names only, never
personal data.
"""

from __future__ import annotations


class CaseError(Exception):
    """Base of every refusal: nothing was recorded."""

    reason = "case_error"


class UnknownStep(CaseError):
    reason = "unknown_step"

    def __init__(self, step: str) -> None:
        super().__init__(f"{step!r} is not a step of the workflow")
        self.step = step


class RoleNotAllowed(CaseError):
    reason = "role_not_allowed"

    def __init__(self, role: str, step: str) -> None:
        super().__init__(f"an agency with role {role!r} may not record {step}")
        self.role = role
        self.step = step


class StepNotAllowed(CaseError):
    """The step does not fit the case as it stands; ``why`` says what is missing."""

    reason = "step_not_allowed"

    def __init__(self, step: str, state: str, why: str) -> None:
        super().__init__(f"{step} not allowed while the case is {state}: {why}")
        self.step = step
        self.state = state
        self.why = why


class MissingPrerequisite(StepNotAllowed):
    reason = "missing_prerequisite"


class UnknownReference(StepNotAllowed):
    reason = "unknown_reference"


class DuplicateReference(StepNotAllowed):
    reason = "duplicate_reference"


class NotAddressee(StepNotAllowed):
    reason = "not_addressee"


class InvalidValue(StepNotAllowed):
    reason = "invalid_value"


class AlreadyRecorded(StepNotAllowed):
    reason = "already_recorded"


class CaseClosedError(StepNotAllowed):
    reason = "case_closed"


class CaseNotReported(StepNotAllowed):
    reason = "case_not_reported"


class PersonalDataInPayload(CaseError):
    reason = "personal_data_in_payload"

    def __init__(self, step: str, fields: list[str]) -> None:
        super().__init__(f"{step} carries personal data fields {fields} outside personal_data")
        self.step = step
        self.fields = fields


class InvalidPersonalData(CaseError):
    reason = "invalid_personal_data"

    def __init__(self, fields: list[str]) -> None:
        super().__init__(f"personal data fields {fields} are unknown or not text")
        self.fields = fields


class DuplicateCase(CaseError):
    reason = "duplicate_case"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id} was already reported")
        self.case_id = case_id


class CaseNotFound(CaseError):
    reason = "case_not_found"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id} does not exist")
        self.case_id = case_id


class InvalidCaseId(CaseError):
    reason = "invalid_case_id"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case id {case_id!r} is not a UUID")
        self.case_id = case_id


class UnknownAgency(CaseError):
    reason = "unknown_agency"

    def __init__(self, agency_id: str) -> None:
        super().__init__(f"agency {agency_id!r} is not in the agency directory")
        self.agency_id = agency_id


class AgencyNotValid(CaseError):
    reason = "agency_not_valid"

    def __init__(self, agency_id: str, on: str, successor: str | None = None) -> None:
        message = f"agency {agency_id!r} did not exist on {on}"
        if successor:
            message += f"; {successor!r} acts for it from then on"
        super().__init__(message)
        self.agency_id = agency_id
        self.successor = successor


class PersonalDataAccessDenied(CaseError):
    reason = "personal_data_access_denied"

    def __init__(self, who: str) -> None:
        super().__init__(f"{who!r} may not read personal data")
        self.who = who


class PersonalDataErasedError(CaseError):
    reason = "personal_data_erased"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"the personal data of case {case_id} was erased")
        self.case_id = case_id


class SubmissionIdReused(CaseError):
    reason = "submission_id_reused"

    def __init__(self, case_id: str, submission_id: str) -> None:
        super().__init__(
            f"submission id {submission_id!r} was already recorded on case {case_id} with other "
            "content; send this submission under a new submission id"
        )
        self.case_id = case_id
        self.submission_id = submission_id


class ConcurrencyConflict(CaseError):
    reason = "concurrency_conflict"

    def __init__(self, case_id: str, attempts: int) -> None:
        super().__init__(f"case {case_id} kept changing; gave up after {attempts} attempts")
        self.case_id = case_id
