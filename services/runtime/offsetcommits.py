"""Consumer offset commits sent without waiting for the broker's answer, the last confirmed on
closing.

A synchronous commit costs a broker round trip per batch, and the next batch's records wait for
it. The intake and the projections can do without: what they commit is either replayed
harmlessly when lost (the intake's submissions are idempotent) or only watched (the projections
resume from the positions stored with the read model). Requests on one connection are answered
in order, so a later commit is never overtaken by an earlier one. Closing commits the last
offsets of the partitions still assigned once more and waits for that answer, so a clean stop
leaves nothing to replay.
"""

from __future__ import annotations

from collections.abc import Mapping

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from services.runtime.logs import get_logger

log = get_logger(__name__)
CLOSING_COMMIT_MS = 5000  # a broker that does not answer holds a stop no longer than this

Offsets = Mapping[TopicPartition, OffsetAndMetadata]


class BackgroundCommits:
    """The offsets sent to a consumer's group, remembered until they are confirmed."""

    def __init__(self, failed_event: str) -> None:
        self.failed_event = failed_event  # logged, with the error's type, when one fails
        self._sent: dict[TopicPartition, OffsetAndMetadata] = {}

    def send(self, consumer: KafkaConsumer, offsets: Offsets) -> None:
        """Commit ``offsets`` without waiting; a failure is logged when the answer comes."""
        if not offsets:
            return
        self._sent.update(offsets)
        consumer.commit_async(dict(offsets), callback=self._answered)

    def confirm(self, consumer: KafkaConsumer) -> None:
        """Commit the last offsets of the partitions still assigned and wait for the answer
        (before closing the consumer); a failure is logged: the next owner replays."""
        mine = consumer.assignment()
        last = {tp: at for tp, at in self._sent.items() if tp in mine}
        self._sent = {}
        if not last:
            return
        try:
            consumer.commit(last, timeout_ms=CLOSING_COMMIT_MS)
        except KafkaError as error:
            log.warning(self.failed_event, error=type(error).__name__)

    def forget(self) -> None:
        """Drop what was sent (the consumer is being replaced after a broker error)."""
        self._sent = {}

    def _answered(self, offsets: object, answer: object) -> None:
        if isinstance(answer, Exception):
            log.warning(self.failed_event, error=type(answer).__name__)
