"""Why a submission was not recorded, as data: a machine reason and a sentence without data.

The reasons come from the contract (``events.Reason``: bytes, sizes, codes, dates), from the
case rules (``services.cases.errors``) and from here (``internal_error``: a bug was hit). Some
say only "not yet" (``NOT_YET``): the case or the step a submission builds on may still be on
another agency's topic, so the hold rule waits before it rejects them.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventsourcing.persistence import PersistenceError
from sqlalchemy.exc import SQLAlchemyError

from services.cases import errors
from services.cases.application import StepRequest
from services.cases.views import RecordedStep

INTERNAL_ERROR = "internal_error"
UNREADABLE = (
    "the backbone failed while reading this submission (an internal error); "
    "send it again later and tell the backbone's operator"
)
NOT_YET = frozenset({"case_not_found", "missing_prerequisite", "unknown_reference"})
"""Refusals that may stop holding once another agency's submission has been applied."""
RETRY = (PersistenceError, SQLAlchemyError, OSError, errors.ConcurrencyConflict)
"""Worth retrying: the store or the network is unwell, not the submission. Never a refusal;
the Kafka loop adds the broker's own errors and applies the whole batch again."""


@dataclass(frozen=True)
class IntakeRefusal:
    """Why a submission was not recorded: a reason code and words without personal data."""

    reason: str
    detail: str
    submission_id: str = ""


class InternalError(errors.CaseError):
    """Recording failed in an unexpected way (a bug); the agency may resend later."""

    reason = INTERNAL_ERROR


def refusal_of(
    outcome: RecordedStep | errors.CaseError, request: StepRequest
) -> IntakeRefusal | None:
    """The case service's answer to ``request`` as a refusal, or None when it was recorded.

    A concurrency conflict is raised, not refused: the batch is applied again.
    """
    if isinstance(outcome, errors.ConcurrencyConflict):
        raise outcome
    if isinstance(outcome, errors.CaseError):
        return IntakeRefusal(outcome.reason, str(outcome), request.submission_id)
    return None
