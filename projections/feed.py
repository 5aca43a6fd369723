"""The case-events topic, read from the offsets the read model stored.

By default the consumer takes every partition itself (one projection process owns the read
model) and seeks to the stored positions. With ``group=True`` (``BACKBONE_PROJECTION_GROUP``)
several processes share the partitions as members of one consumer group: at every assignment
each seeks its new partitions to the positions stored in the read model *at that moment*
(another member may have moved them), and :meth:`CaseEventFeed.owner` tells which cases are
its own (a case's events are keyed by its id, so a case lives on one partition). Either way
the group ``<prefix>.projections`` receives the committed offsets after each batch, so lag can
be watched with the usual tools; they are sent without waiting for the answer
(``BackgroundCommits``): the stored positions, not these, are where the projection resumes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.partitioner.default import murmur2
from kafka.structs import OffsetAndMetadata

from projections.messages import Source
from projections.store import Partition
from services.runtime.logs import get_logger
from services.runtime.offsetcommits import BackgroundCommits

log = get_logger(__name__)
METADATA_WAIT = 30.0
Positions = Mapping[Partition, int]


def partition_of(case_id: str, partitions: int) -> int:
    """The partition the relay's producer puts ``case_id``'s events on (Kafka's default
    partitioner: murmur2 of the key, the case id)."""
    return int(murmur2(case_id.encode()) & 0x7FFFFFFF) % partitions


class CaseEventFeed:
    """Polls case-events from given positions and commits offsets for monitoring."""

    def __init__(
        self, consumer_factory: Callable[[], KafkaConsumer], topic: str, group: bool = False
    ) -> None:
        self.consumer_factory = consumer_factory
        self.topic = topic
        self.group = group
        self._consumer: KafkaConsumer | None = None
        self._partitions_count = 0
        self._commits = BackgroundCommits("projection.commit_failed")

    def open(self, positions: Positions | Callable[[], Positions]) -> None:
        """Take every partition (or join the group) and seek to the stored positions."""
        self._commits.forget()  # reopened after a broker error: nothing to confirm on the way
        self.close()
        consumer = self.consumer_factory()
        self._consumer = consumer
        read = positions if callable(positions) else (lambda: positions)
        found = self._partitions(consumer)
        self._partitions_count = len(found)
        if self.group:
            consumer.subscribe([self.topic], listener=_SeekToStored(consumer, read))
        else:
            partitions = [TopicPartition(self.topic, p) for p in found]
            consumer.assign(partitions)
            seek_to_stored(consumer, partitions, read())
        log.info(
            "projection.feed_opened", topic=self.topic, partitions=len(found), group=self.group
        )

    def owner(self) -> Callable[[str], bool] | None:
        """Which cases this process reviews on the clock: None when it owns every partition,
        else a test of a case id against the partitions the group assigned it now."""
        if not self.group:
            return None
        mine = {tp.partition for tp in self._open_consumer().assignment()}
        count = self._partitions_count
        return lambda case_id: partition_of(case_id, count) in mine

    def poll(self, max_records: int, timeout_ms: int) -> list[Source]:
        """The next records, in partition order."""
        records = self._open_consumer().poll(timeout_ms=timeout_ms, max_records=max_records)
        return [
            Source(r.topic, r.partition, r.offset, r.key, r.value)
            for batch in records.values()
            for r in batch
        ]

    def commit(self, offsets: Mapping[Partition, int]) -> None:
        """Tell the group how far the projection got (monitoring only; failures are logged)."""
        consumer = self._open_consumer()
        commit = {
            TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in offsets.items()
        }
        if self.group:  # another member's partitions are its to report
            commit = {tp: at for tp, at in commit.items() if tp in consumer.assignment()}
        self._commits.send(consumer, commit)

    def end_offsets(self) -> dict[Partition, int]:
        """The current end of every partition."""
        consumer = self._open_consumer()
        ends: dict[Any, int] = consumer.end_offsets(list(consumer.assignment()))
        return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}

    def close(self) -> None:
        """Leave the broker, the last offsets confirmed."""
        if self._consumer is not None:
            self._commits.confirm(self._consumer)
            self._consumer.close(autocommit=False)
            self._consumer = None

    def _open_consumer(self) -> KafkaConsumer:
        if self._consumer is None:
            raise RuntimeError("the feed is not open")
        return self._consumer

    def _partitions(self, consumer: KafkaConsumer) -> list[int]:
        deadline = time.monotonic() + METADATA_WAIT
        while time.monotonic() < deadline:
            found = consumer.partitions_for_topic(self.topic)
            if found:
                return sorted(found)
            time.sleep(0.2)
        raise KafkaError(f"topic {self.topic} has no partitions")


def seek_to_stored(
    consumer: KafkaConsumer, partitions: list[TopicPartition], positions: Positions
) -> None:
    """Seek each partition to its stored next offset, or to its beginning if none is stored."""
    for tp in partitions:
        stored = positions.get((tp.topic, tp.partition))
        if stored is None:
            consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, stored)


class _SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
    """At each assignment, start the new partitions where the read model says they are."""

    def __init__(self, consumer: KafkaConsumer, positions: Callable[[], Positions]) -> None:
        self.consumer = consumer
        self.positions = positions

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        log.info("projection.partitions_revoked", partitions=sorted(tp.partition for tp in revoked))

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        seek_to_stored(self.consumer, list(assigned), self.positions())
        log.info(
            "projection.partitions_assigned", partitions=sorted(tp.partition for tp in assigned)
        )
