"""Case-event messages to engine facts, or a reason to reject them.

The envelope's ``payload`` is the step record; its own fields (without the common ones) become
the fact's fields, with every instant as the wire's epoch milliseconds: the engine reads 0 as
"not given" (e.g. ``ReferralSent.due_at``), which a datetime would have made 1970-01-01. Both
records are read once each, straight into milliseconds (``Codec.decode_wire``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events import Codec, ContractError
from events.instants import from_millis
from projections.stalled import CaseFact

COMMON_FIELDS = frozenset({"submission_id", "case_id", "occurred_at", "personal_data"})
NOT_A_CASE_EVENT = "not_a_case_event"
PAYLOAD_MISMATCH = "payload_mismatch"
BAD_FACT = "bad_fact"


@dataclass(frozen=True)
class DecodedStep:
    """One recorded step: the engine's fact and the id of the stored event."""

    event_id: str
    fact: CaseFact


@dataclass(frozen=True)
class UnusableMessage:
    """Why a message cannot be used; ``detail`` never quotes field values."""

    reason: str
    detail: str


def decode_step(codec: Codec, value: bytes) -> DecodedStep | UnusableMessage:
    """The step a case-event message carries, or why it carries none."""
    try:
        envelope = codec.decode_wire(value)
        if envelope.wire_name != "CaseEvent":
            return UnusableMessage(
                NOT_A_CASE_EVENT, f"a {envelope.wire_name} record on case-events"
            )
        event = envelope.record
        payload = codec.decode_wire(event["payload"])
    except ContractError as error:
        return UnusableMessage(str(error.reason), error.detail)
    if (
        payload.wire_name != event["event_type"]
        or payload.record.get("case_id") != event["case_id"]
    ):
        return UnusableMessage(
            PAYLOAD_MISMATCH, f"payload {payload.wire_name} does not match the envelope"
        )
    return DecodedStep(event["event_id"], _fact(event, payload.record))


def _fact(event: dict[str, Any], payload: dict[str, Any]) -> CaseFact:
    fields = {k: v for k, v in payload.items() if k not in COMMON_FIELDS}
    return CaseFact(
        case_id=event["case_id"],
        sequence=event["sequence"],
        event_type=event["event_type"],
        occurred_at=from_millis(event["occurred_at"]),
        recorded_at=from_millis(event["recorded_at"]),
        agency=event["agency"],
        role=event["role"],
        fields=fields,
    )
