"""The one recording path: every submission, sent alone or in a batch, is applied here.

``CaseService.record`` records a batch of one and ``record_many`` a batch of many: both fill a
:class:`StepBatch` with the cases the batch touches, apply each submission in order, then save
what changed in one transaction. Applying a submission checks in this order, and the first
check that fails is its refusal: the erasure step is reserved to an erasure order; the agency
(and a referral's addressee) must exist and be in office on the day it happened; the case id
must be a UUID; a resent submission returns what was recorded; the case must not exist yet (a
report) or must exist (a later step); then the aggregate decides, once. A report's personal
data is sealed only after the aggregate admitted it; a later step's is checked and sealed
(merged with what the case holds) before, and a key made for a step that is then refused is
dropped, so a key is written only with an event sealed with it. Nothing here reads or writes
the store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from events.instants import to_millis
from services.cases import errors
from services.cases.agencies import Agency, AgencyDirectory
from services.cases.domainmodel import (
    CASE_REPORTED,
    PERSONAL_DATA_ERASED,
    PERSONAL_FIELDS,
    PRIMITIVE_TYPES,
    Case,
    Submission,
)
from services.cases.privacy import BatchKeys
from services.cases.views import RecordedStep, recorded, recorded_now
from services.cases.workflow import Workflow
from services.runtime.logs import get_logger

log = get_logger(__name__)
_SEQUENCES = (list, tuple)


@dataclass(frozen=True)
class StepRequest:
    """One submission to record: the arguments of ``record`` as a value."""

    case_id: str
    step: str
    fields: Mapping[str, Any]
    agency: str
    submission_id: str
    occurred_at: int
    personal_data: Mapping[str, str] | None = None


class StepBatch:
    """The submissions of one transaction, applied in order to the cases they touch.

    ``cases`` maps each case id read beforehand to its case (None: not reported yet); ``find``
    reads a case that was not. New events stay pending on the cases and new keys in ``keys``
    until the caller saves them.
    """

    def __init__(
        self,
        cases: dict[str, Case | None],
        keys: BatchKeys,
        *,
        workflow: Workflow,
        agencies: AgencyDirectory,
        find: Callable[[str], Case | None],
    ) -> None:
        self.keys = keys
        self._cases = cases
        self._workflow = workflow
        self._agencies = agencies
        self._find = find
        self._changed: dict[str, Case] = {}

    @property
    def changed(self) -> list[Case]:
        """The cases with new events to save."""
        return list(self._changed.values())

    def apply(
        self, request: StepRequest, *, ordered_erasure: bool = False
    ) -> RecordedStep | errors.CaseError:
        """The recorded step, or the refusal of the submission (nothing of it is kept).

        PersonalDataErased is applied only with ``ordered_erasure`` (``CaseService.forget``,
        which also destroys the key): an erasure recorded without it would claim what did not
        happen.
        """
        try:
            if not request.personal_data:  # no key can be made for it: nothing to undo
                return self._apply(request, ordered_erasure)
            with self.keys.for_step():
                return self._apply(request, ordered_erasure)
        except errors.CaseError as refusal:
            return refusal

    def _apply(self, request: StepRequest, ordered_erasure: bool) -> RecordedStep:
        if request.step == PERSONAL_DATA_ERASED and not ordered_erasure:
            raise erasure_reserved()
        submission = self._submission(request)
        case_id = request.case_id
        if case_id not in self._cases:
            self._cases[case_id] = self._find(case_id)
        case = self._cases[case_id]
        if case is not None and case.receipt(request.submission_id) is not None:
            return _duplicate(case_id, case, submission)
        if request.step == CASE_REPORTED:
            if case is not None:
                raise errors.DuplicateCase(case_id)
            case = Case.report(
                case_uuid(case_id),
                submission,
                self._workflow,
                seal=lambda: _seal_new(self.keys, case_id, request.personal_data),
            )
            self._cases[case_id] = case
        elif case is None:
            raise errors.CaseNotFound(case_id)
        else:
            if request.personal_data:  # most steps carry none: nothing to check or seal
                sealed = _seal_merged(self.keys, case_id, case, request.personal_data)
                if sealed:
                    submission = replace(submission, sealed_personal_data=sealed)
            case.record(submission, self._workflow)
        self._changed[case_id] = case
        return recorded_now(case_id, case.last_event)

    def _submission(self, request: StepRequest) -> Submission:
        agency = agency_on(self._agencies, request.agency, request.occurred_at)
        addressee = request.fields.get("to_agency")
        if isinstance(addressee, str) and addressee:
            agency_on(self._agencies, addressee, request.occurred_at)  # it must exist too
        payload = {
            key: value if type(value) in PRIMITIVE_TYPES else _primitive(value)
            for key, value in request.fields.items()
        }
        submission = object.__new__(Submission)  # the frozen dataclass's __init__, without
        fields = vars(submission)  # a call per field (one submission for every event)
        fields["step"] = request.step
        fields["payload"] = payload
        fields["agency"] = agency.id
        fields["role"] = agency.role
        fields["occurred_at"] = request.occurred_at
        fields["submission_id"] = request.submission_id
        fields["sealed_personal_data"] = ""
        return submission


def agency_on(agencies: AgencyDirectory, agency_id: str, occurred_at: int) -> Agency:
    """The agency, if it exists and was in office on the (local) day of ``occurred_at``."""
    agency = agencies.get(agency_id)
    if agency is None:
        raise errors.UnknownAgency(agency_id)
    day = agencies.local_day_of(occurred_at)
    if not agency.valid_on(day):
        acting = agencies.in_office(agency_id, day)
        raise errors.AgencyNotValid(agency_id, day.isoformat(), acting.id if acting else None)
    return agency


def case_uuid(case_id: str) -> UUID:
    """The case id as a UUID, or the refusal of one that is not."""
    try:
        return UUID(case_id)
    except (ValueError, TypeError, AttributeError):
        raise errors.InvalidCaseId(case_id) from None


def erasure_reserved() -> errors.StepNotAllowed:
    return errors.StepNotAllowed(
        PERSONAL_DATA_ERASED, "any", "only an erasure order (backbone forget) records it"
    )


def _duplicate(case_id: str, case: Case, submission: Submission) -> RecordedStep:
    """The recorded step of a resent submission; a different one under its id is refused."""
    submission_id = submission.submission_id
    receipt = case.receipt(submission_id)
    if receipt is None:
        raise errors.CaseNotFound(case_id)
    if receipt.content != submission.content:
        raise errors.SubmissionIdReused(case_id, submission_id)
    log.info("case.duplicate_submission", case_id=case_id, submission_id=submission_id)
    return recorded(case_id, receipt, duplicate=True)


def _seal_new(keys: BatchKeys, case_id: str, personal_data: Mapping[str, str] | None) -> str:
    cleaned = _clean(personal_data)
    if not cleaned:
        return ""
    keys.ensure_key(case_id)
    return keys.seal(case_id, cleaned)


def _seal_merged(
    keys: BatchKeys, case_id: str, case: Case, personal_data: Mapping[str, str] | None
) -> str:
    cleaned = _clean(personal_data)
    if not cleaned:
        return ""
    if case.personal_data_erased:
        raise errors.PersonalDataErasedError(case_id)
    keys.ensure_key(case_id)
    sealed = case.sealed_personal_data
    current = keys.unseal(case_id, sealed) if sealed else {}
    return keys.seal(case_id, current | cleaned)


def _clean(personal_data: Mapping[str, str] | None) -> dict[str, str]:
    """The non-empty PersonalData fields; refuses unknown fields and non-text values."""
    if not personal_data:
        return {}
    bad = [
        k for k, v in personal_data.items() if k not in PERSONAL_FIELDS or not isinstance(v, str)
    ]
    if bad:
        raise errors.InvalidPersonalData(sorted(bad))
    return {key: value for key, value in personal_data.items() if value}


def _primitive(value: Any) -> Any:
    """Timestamps as epoch milliseconds (the wire's timestamp-millis), so events stay JSON."""
    if type(value) in PRIMITIVE_TYPES:  # most fields: nothing to convert, nothing more to ask
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a timestamp without a time zone")
        return to_millis(value)
    if isinstance(value, _SEQUENCES):  # a tuple of types: an isinstance of a union is slower
        return [item if type(item) in PRIMITIVE_TYPES else _primitive(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _primitive(item) for key, item in value.items()}
    return value
