"""The intake's translator: a record read from an agency's intake topic becomes a step request
for the case service or a refusal, and each record's outcome becomes nothing, a hold or a
rejection to publish.

The agency comes from the topic name (never from the body), the body is decoded with the
contract's codec and checked against the contract's bounds, and sealed personal data is opened
with the backbone's key. A bug met on one record refuses that record (``internal_error``)
instead of stopping the intake on it for ever; errors worth retrying are raised to the loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from events import Codec, ContractError, Decoded, Topics, open_sealed
from events.instants import millis_within
from events.limits import ID, check_lengths
from events.steps import COMMON_FIELDS as STEP_COMMON_FIELDS
from services.cases import errors
from services.cases.application import StepRequest
from services.cases.views import RecordedStep
from services.intake.bounds import Bounds
from services.intake.holding import HELD, Held, Holds, after_holds
from services.intake.incoming import ReadRecord
from services.intake.refusals import (
    INTERNAL_ERROR,
    RETRY,
    UNREADABLE,
    IntakeRefusal,
    refusal_of,
)
from services.intake.rejection import Outgoing, rejection
from services.runtime import metrics
from services.runtime.logs import get_logger

log = get_logger(__name__)
COMMON_FIELDS = frozenset(STEP_COMMON_FIELDS)
PERSONAL_DATA = "personal_data"
Plan = StepRequest | IntakeRefusal
Disposition = Outgoing | Held | None
"""A record's fate: recorded (None), held for a moment, or rejected."""


class Directory(Protocol):
    """The agency directory as far as the intake needs it."""

    def get(self, agency_id: str) -> object | None: ...


class StepTranslator:
    """The intake's rules over one process's lifetime (``holds`` remembers first readings)."""

    def __init__(
        self,
        codec: Codec,
        topics: Topics,
        private_key: str,
        bounds: Bounds,
        agencies: Directory,
        holds: Holds,
    ) -> None:
        self.codec = codec
        self.topics = topics
        self.private_key = private_key
        self.bounds = bounds
        self.agencies = agencies
        self.holds = holds

    def plan(self, record: ReadRecord) -> Plan:
        """What to ask of the case service, or why not to: agency, body and personal data."""
        agency, submission_id = self.topics.agency_of(record.topic), ""
        value = bytes(record.value or b"")
        try:
            self.bounds.check_size(value)
            decoded = self.codec.decode(value)
            submission_id = str(decoded.record.get("submission_id", ""))
            if len(submission_id) > ID:  # never echoed or logged: the refusal says its length
                submission_id = ""
            if self.agencies.get(agency) is None:
                raise errors.UnknownAgency(agency)
            return self._request(agency, decoded)
        except ContractError as error:
            return IntakeRefusal(error.reason, error.detail, submission_id)
        except errors.CaseError as error:
            return IntakeRefusal(error.reason, str(error), submission_id)
        except RETRY:
            raise
        except Exception as error:  # a bug must not stop the intake on this message for ever
            log.error("intake.plan_failed", agency=agency, error=type(error).__name__)
            return IntakeRefusal(INTERNAL_ERROR, UNREADABLE, submission_id)

    def decide(
        self,
        records: Sequence[ReadRecord],
        plans: Sequence[Plan],
        recorded: Sequence[RecordedStep | errors.CaseError],
    ) -> list[Disposition]:
        """Each record's fate, given its plan and the case service's answers to the requests
        among the plans (in order). A refusal that only says "not yet" is held while the hold
        lasts, and so is every later record of its partition."""
        answers = iter(recorded)
        refusals = [
            plan if isinstance(plan, IntakeRefusal) else refusal_of(next(answers), plan)
            for plan in plans
        ]
        outcomes = [
            self._outcome(record, refusal)
            for record, refusal in zip(records, refusals, strict=True)
        ]
        return after_holds(records, outcomes)

    def reject(self, record: ReadRecord, refusal: IntakeRefusal) -> Outgoing:
        """The rejection to publish for ``record``, counted and logged (ids only, no data)."""
        agency = self.topics.agency_of(record.topic)
        metrics.rejected(agency, refusal.reason)
        log.info(
            "intake.rejected",
            agency=agency,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            submission_id=refusal.submission_id,
            reason=refusal.reason,
        )
        return rejection(self.codec, self.topics, self.bounds.max_bytes, record, refusal)

    def _outcome(self, record: ReadRecord, refusal: IntakeRefusal | None) -> Disposition:
        if refusal is None:
            return None
        if self.holds.holds(record, refusal):
            return HELD
        return self.reject(record, refusal)

    def _request(self, agency: str, decoded: Decoded) -> StepRequest:
        step = decoded.record
        if not step.keys() >= COMMON_FIELDS:
            raise errors.UnknownStep(decoded.wire_name)
        self.bounds.check(decoded)
        specific = step.keys() - COMMON_FIELDS - {PERSONAL_DATA}
        return StepRequest(
            case_id=str(step["case_id"]),
            step=decoded.wire_name,
            fields={name: millis_within(step[name]) for name in specific},
            agency=agency,
            submission_id=str(step["submission_id"]),
            occurred_at=millis_within(step["occurred_at"]),
            personal_data=self._personal_data(step.get(PERSONAL_DATA, b"")),
        )

    def _personal_data(self, sealed: bytes) -> dict[str, str] | None:
        if not sealed:
            return None
        opened = self.codec.decode(open_sealed(self.private_key, sealed))
        if opened.wire_name != "PersonalData":
            raise errors.InvalidPersonalData([opened.wire_name])
        check_lengths(opened.wire_name, opened.record)
        return {key: str(value) for key, value in opened.record.items()}
