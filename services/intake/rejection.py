"""The record published on ``<prefix>.rejected.<agency>`` when a submission is refused.

A ``Rejection`` names the refused record (topic, partition, offset: also its ``rejection_id``,
so a replayed rejection is the same rejection), the reason and its sentence, and carries the
original bytes so the agency can find and fix what it sent. A message too large to echo is
carried by its first ``PREFIX_BYTES`` bytes with its size and SHA-256: each rejection comes
in both forms and the loop sends the bounded one only if the broker refuses the whole one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from events import Codec, Topics
from services.intake.incoming import ReadRecord
from services.intake.refusals import IntakeRefusal

PREFIX_BYTES = 4096
"""How much of a message a rejection carries when it cannot carry all of it."""


@dataclass(frozen=True)
class Outgoing:
    """A rejection to publish; ``bounded`` is the same with only the message's first bytes."""

    topic: str
    key: bytes | None
    value: bytes
    bounded: bytes


def rejection(
    codec: Codec, topics: Topics, max_bytes: int, record: ReadRecord, refusal: IntakeRefusal
) -> Outgoing:
    """The rejection of ``record`` on its agency's rejections topic, keyed by submission id.

    A message within ``max_bytes`` (the maximum submission size) is carried whole in both forms.
    """
    agency = topics.agency_of(record.topic)
    key = refusal.submission_id.encode() if refusal.submission_id else None
    whole = len(record.value or b"") <= max_bytes
    return Outgoing(
        topics.rejected(agency),
        key,
        _encoded(codec, record, agency, refusal, whole=whole),
        _encoded(codec, record, agency, refusal, whole=False),
    )


def _encoded(
    codec: Codec, record: ReadRecord, agency: str, refusal: IntakeRefusal, *, whole: bool
) -> bytes:
    carried = rejection_of(record, agency, refusal.reason, refusal.detail, whole=whole)
    return codec.encode("Rejection", carried | {"submission_id": refusal.submission_id})


def rejection_of(
    record: ReadRecord, agency: str, reason: str, detail: str, *, whole: bool
) -> dict[str, Any]:
    """The fields of the ``Rejection`` of a consumer record (all but its submission id): the
    message in full, or (not ``whole``) its first ``PREFIX_BYTES`` bytes."""
    value = bytes(record.value or b"")
    truncated = not whole and len(value) > PREFIX_BYTES
    return {
        "rejection_id": f"{record.topic}:{record.partition}:{record.offset}",
        "agency": agency,
        "source_topic": record.topic,
        "source_partition": record.partition,
        "source_offset": record.offset,
        "reason": reason,
        "detail": detail,
        "original": value[:PREFIX_BYTES] if truncated else value,
        "rejected_at": datetime.now(UTC),
        "original_size": len(value),
        "original_sha256": hashlib.sha256(value).hexdigest(),
        "original_truncated": truncated,
    }
