"""What the intake checks before the case rules, and how it returns a message too large to echo.

Sizes (the maximum submission size, the contract's field limits), a plausible ``occurred_at``
and known codes (``deploy/config/vocabulary.toml``) are refused with a reason of the contract.
A rejection the broker will not take in full is sent again carrying only the message's first
bytes (with its size and SHA-256), so one agency's huge message never holds the intake back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kafka import KafkaProducer
from kafka.errors import MessageSizeTooLargeError, RecordListTooLargeError

from events import ContractError, Decoded, Reason
from events.limits import check_lengths, check_occurred_at
from services.settings import Settings
from services.vocabulary import Vocabulary, load_vocabulary

PREFIX_BYTES = 4096
"""How much of a message a rejection carries when it cannot carry all of it."""
TOO_LARGE = (MessageSizeTooLargeError, RecordListTooLargeError)
"""The broker (or the producer, before sending) will not take a message this large."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Bounds:
    """The checks and their settings; ``clock`` is the backbone's (tests give their own)."""

    vocabulary: Vocabulary
    max_bytes: int = 262_144
    skew: timedelta = timedelta(minutes=10)
    floor: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    clock: Callable[[], datetime] = field(default=_utc_now)

    @classmethod
    def from_settings(cls, settings: Settings) -> Bounds:
        return cls(
            vocabulary=load_vocabulary(settings.config_dir),
            max_bytes=settings.max_submission_bytes,
            skew=timedelta(seconds=settings.clock_skew_seconds),
            floor=datetime.combine(settings.occurred_at_floor, datetime.min.time(), UTC),
        )

    def check_size(self, value: bytes) -> None:
        """Refuse a message beyond the maximum submission size, before decoding it."""
        if len(value) > self.max_bytes:
            raise ContractError(
                Reason.SUBMISSION_TOO_LARGE,
                f"the message is {len(value)} bytes, at most {self.max_bytes} are accepted; "
                "send one step per message within the contract's field limits",
            )

    def check(self, decoded: Decoded) -> None:
        """Refuse an oversized field, an implausible occurred_at or an unknown code."""
        check_lengths(decoded.wire_name, decoded.record)
        occurred_at = decoded.record.get("occurred_at")
        if isinstance(occurred_at, datetime):
            check_occurred_at(occurred_at, self.clock(), self.skew, self.floor)
        self.vocabulary.check(decoded.wire_name, decoded.record)


class _Refused:
    """A send the producer refused before it reached the broker, as a failed future."""

    def __init__(self, error: Exception) -> None:
        self.exception = error

    def succeeded(self) -> bool:
        return False

    def get(self, timeout: float = 0) -> None:
        raise self.exception


def send_or_refused(producer: KafkaProducer, topic: str, value: bytes, key: bytes | None) -> Any:
    """``producer.send``, with a too-large refusal as a failed future instead of an exception."""
    try:
        return producer.send(topic, value, key=key)
    except TOO_LARGE as error:
        return _Refused(error)


def failed_as_too_large(future: Any) -> bool:
    """The send failed because the message was too large for the producer or the broker."""
    return not future.succeeded() and isinstance(getattr(future, "exception", None), TOO_LARGE)


def rejection_of(
    record: Any, agency: str, reason: str, detail: str, *, whole: bool
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
