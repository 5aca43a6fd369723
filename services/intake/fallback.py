"""Asking the case service to record a batch, so that a bug costs one submission, not the intake.

The batch goes in one call (one store transaction). Should it fail in an unexpected way (a bug,
not the store being unwell), each submission is recorded on its own to find the one the bug
hits: that one is refused with ``internal_error`` and the others are recorded as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from services.cases import errors
from services.cases.application import StepRequest
from services.cases.views import RecordedStep
from services.intake.refusals import RETRY, InternalError
from services.runtime.logs import get_logger

log = get_logger(__name__)
RecordAnswer = RecordedStep | errors.CaseError


class Recorder(Protocol):
    """The case service as far as the intake records with it."""

    def record_many(self, requests: Sequence[StepRequest]) -> list[RecordAnswer]: ...


def record_all(service: Recorder, requests: Sequence[StepRequest]) -> list[RecordAnswer]:
    """Each request's recorded step or refusal, in order; errors worth retrying are raised."""
    if not requests:
        return []
    try:
        return service.record_many(requests)
    except RETRY:
        raise
    except Exception as error:  # a bug must not stop the intake: find the one it hits
        log.error("intake.batch_failed", error=type(error).__name__)
        return [_record_alone(service, request) for request in requests]


def _record_alone(service: Recorder, request: StepRequest) -> RecordAnswer:
    try:
        return service.record_many([request])[0]
    except RETRY:
        raise
    except Exception as error:  # its text may hold data: only the type goes out
        log.error("intake.internal_error", agency=request.agency, error=type(error).__name__)
        return InternalError(type(error).__name__)
