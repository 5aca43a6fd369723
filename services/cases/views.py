"""What the case use cases return: plain, frozen values with ids and no personal data."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from services.cases.domainmodel import Case, Receipt

EVENT_ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:referral-backbone:case-event")
_NAMESPACE_BYTES = EVENT_ID_NAMESPACE.bytes
_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class RecordedStep:
    """Where a submission was recorded; ``duplicate`` when it had been recorded before."""

    case_id: str
    sequence: int
    step: str
    submission_id: str
    hash: str
    duplicate: bool

    @property
    def event_id(self) -> str:
        return event_id(self.case_id, self.sequence)


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded event as auditors and the relay see it (personal data only as a flag)."""

    event_id: str
    case_id: str
    sequence: int
    step: str
    payload: Mapping[str, Any]
    agency: str
    role: str
    occurred_at: int
    recorded_at: int
    submission_id: str
    previous_hash: str
    hash: str
    has_personal_data: bool


@dataclass(frozen=True)
class CaseView:
    """A case as it stands."""

    case_id: str
    status: str
    version: int
    head_hash: str
    step_counts: Mapping[str, int]
    has_personal_data: bool
    personal_data_erased: bool


def event_id(case_id: str, sequence: int) -> str:
    """Stable id of the event at ``sequence`` of a case (consumers drop duplicates by it): the
    name-based UUID (version 5) of ``<case uuid>/<sequence>``.

    Worked out with one hash and no UUID object for a case id already in canonical form (the
    relay names every event it publishes, and three UUID objects an event were a tenth of its
    read); any other spelling is made canonical first, so the id is the same.
    """
    if not _CANONICAL.fullmatch(case_id):
        case_id = str(UUID(case_id))
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{case_id}/{sequence}".encode()).digest())
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    hexa = digest[:16].hex()
    return f"{hexa[:8]}-{hexa[8:12]}-{hexa[12:16]}-{hexa[16:20]}-{hexa[20:]}"


def recorded(case_id: str, receipt: Receipt, duplicate: bool) -> RecordedStep:
    return RecordedStep(
        case_id, receipt.sequence, receipt.step, receipt.submission_id, receipt.hash, duplicate
    )


def recorded_now(case_id: str, event: Case.Event) -> RecordedStep:
    """The recorded step of ``event``, just recorded (not a duplicate).

    Filled in as the frozen dataclass's ``__init__`` fills it (its attributes, in field order)
    without its call per field: recording answers every event with one."""
    step = object.__new__(RecordedStep)
    fields = vars(step)
    fields["case_id"] = case_id
    fields["sequence"] = event.originator_version
    fields["step"] = event.step
    fields["submission_id"] = event.submission_id
    fields["hash"] = event.hash
    fields["duplicate"] = False
    return step


def entry_of(event: Case.Event) -> HistoryEntry:
    case_id = str(event.originator_id)
    return HistoryEntry(
        event_id=event_id(case_id, event.originator_version),
        case_id=case_id,
        sequence=event.originator_version,
        step=event.step,
        payload=dict(event.payload),
        agency=event.agency,
        role=event.role,
        occurred_at=event.occurred_at,
        recorded_at=event.recorded_at,
        submission_id=event.submission_id,
        previous_hash=event.previous_hash,
        hash=event.hash,
        has_personal_data=bool(event.sealed_personal_data),
    )


def view_of(case_id: str, case: Case) -> CaseView:
    return CaseView(
        case_id=case_id,
        status=case.status,
        version=case.version,
        head_hash=case.head_hash,
        step_counts=case.step_counts,
        has_personal_data=bool(case.sealed_personal_data),
        personal_data_erased=case.personal_data_erased,
    )
