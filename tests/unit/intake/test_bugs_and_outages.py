"""A bug costs one submission (``internal_error``), never the intake; an outage costs nothing.

A submission the backbone fails on in an unexpected way is refused with a sentence that asks
the agency to send it again later, and the others of its batch are recorded as usual. When the
store or the network is unwell, nothing is refused: the error reaches the loop, which applies
the whole batch again after a back-off.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from services.cases import errors
from services.cases.application import StepRequest
from services.cases.views import RecordedStep
from services.intake.fallback import RecordAnswer, record_all
from services.intake.refusals import UNREADABLE, IntakeRefusal, InternalError
from tests.unit.events.samples import SAMPLES
from tests.unit.intake.given import sent, translator

CASE = SAMPLES["CaseClosed"]["case_id"]


class Failing:
    """A codec that fails on any message with ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def decode(self, data: bytes) -> Any:
        raise self.error


class CaseService:
    """Records every request, except that a request for ``bug_on`` trips a bug or an outage."""

    def __init__(self, bug_on: str, error: Exception) -> None:
        self.bug_on, self.error = bug_on, error
        self.calls: list[list[str]] = []

    def record_many(self, requests: Sequence[StepRequest]) -> list[RecordAnswer]:
        self.calls.append([request.submission_id for request in requests])
        if any(request.submission_id == self.bug_on for request in requests):
            raise self.error
        return [_recorded(request) for request in requests]


def test_a_message_that_trips_a_bug_is_refused_instead_of_stopping_the_intake() -> None:
    refused = translator(codec=Failing(RuntimeError("a bug"))).plan(sent("CaseClosed"))
    assert refused == IntakeRefusal("internal_error", UNREADABLE)
    assert "send it again later" in UNREADABLE


def test_a_bug_while_recording_refuses_that_submission_and_records_the_others() -> None:
    requests = [_request("first"), _request("buggy"), _request("last")]
    service = CaseService(bug_on="buggy", error=KeyError("Hoa"))
    outcomes = record_all(service, requests)
    assert service.calls == [["first", "buggy", "last"], ["first"], ["buggy"], ["last"]]
    assert [type(outcome) for outcome in outcomes] == [RecordedStep, InternalError, RecordedStep]
    buggy = outcomes[1]
    assert isinstance(buggy, InternalError) and buggy.reason == "internal_error"
    assert str(buggy) == "KeyError"  # the type only: the error's text may hold data ("Hoa")


def test_nothing_to_record_asks_nothing_of_the_case_service() -> None:
    service = CaseService(bug_on="", error=RuntimeError())
    assert record_all(service, []) == [] and service.calls == []


def test_a_store_outage_while_recording_is_raised_not_refused() -> None:
    outage = OperationalError("INSERT", {}, ConnectionError("gone"))
    service = CaseService(bug_on="first", error=outage)
    with pytest.raises(OperationalError):
        record_all(service, [_request("first")])
    assert service.calls == [["first"]]  # no submission-by-submission search for a bug


def test_an_outage_while_reading_a_message_is_raised_not_refused() -> None:
    with pytest.raises(OSError):
        translator(codec=Failing(OSError("disk"))).plan(sent("CaseClosed"))


def test_a_case_that_kept_changing_is_raised_so_that_the_batch_is_applied_again() -> None:
    the_translator = translator()
    record = sent("CaseClosed")
    request = the_translator.plan(record)
    with pytest.raises(errors.ConcurrencyConflict):
        the_translator.decide([record], [request], [errors.ConcurrencyConflict(CASE, 5)])


def _request(submission_id: str) -> StepRequest:
    return StepRequest(CASE, "CaseClosed", {}, "hotline-111", submission_id, 0)


def _recorded(request: StepRequest) -> RecordedStep:
    return RecordedStep(request.case_id, 2, request.step, request.submission_id, "", False)
