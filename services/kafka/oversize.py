"""How the intake gets a rejection out when the broker will not take it in full.

A rejection carries the refused message whole; one beyond the broker's (or the producer's) size
limit is sent again carrying only the message's first ``PREFIX_BYTES`` bytes (with its size and
SHA-256, see ``services.intake.rejection``), so one agency's huge message never holds the intake
back. These helpers tell such a refusal apart from any other failed send.
"""

from __future__ import annotations

from typing import Any

from kafka import KafkaProducer
from kafka.errors import MessageSizeTooLargeError, RecordListTooLargeError

from services.intake.rejection import PREFIX_BYTES

__all__ = ["PREFIX_BYTES", "TOO_LARGE", "failed_as_too_large", "send_or_refused"]

TOO_LARGE = (MessageSizeTooLargeError, RecordListTooLargeError)
"""The broker (or the producer, before sending) will not take a message this large."""


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
