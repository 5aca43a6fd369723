"""The case-events topic, read from the offsets the read model stored.

The consumer takes every partition itself (no group rebalancing: one projection process owns
the read model) and seeks to the stored positions; the group ``<prefix>.projections`` only
receives committed offsets after each batch, so lag can be watched with the usual tools.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from projections.messages import Source
from projections.store import Partition
from services.logs import get_logger

log = get_logger(__name__)
METADATA_WAIT = 30.0


class CaseEventFeed:
    """Polls case-events from given positions and commits offsets for monitoring."""

    def __init__(self, consumer_factory: Callable[[], KafkaConsumer], topic: str) -> None:
        self.consumer_factory = consumer_factory
        self.topic = topic
        self._consumer: KafkaConsumer | None = None

    def open(self, positions: Mapping[Partition, int]) -> None:
        """Take every partition and seek to its stored position (or the beginning)."""
        self.close()
        consumer = self.consumer_factory()
        self._consumer = consumer
        partitions = [TopicPartition(self.topic, p) for p in self._partitions(consumer)]
        consumer.assign(partitions)
        for tp in partitions:
            stored = positions.get((tp.topic, tp.partition))
            if stored is None:
                consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, stored)
        log.info("projection.feed_opened", topic=self.topic, partitions=len(partitions))

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
        commit = {
            TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in offsets.items()
        }
        try:
            self._open_consumer().commit(commit)
        except KafkaError as error:
            log.warning("projection.commit_failed", error=type(error).__name__)

    def end_offsets(self) -> dict[Partition, int]:
        """The current end of every partition."""
        consumer = self._open_consumer()
        ends: dict[Any, int] = consumer.end_offsets(list(consumer.assignment()))
        return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}

    def close(self) -> None:
        """Leave the broker."""
        if self._consumer is not None:
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
