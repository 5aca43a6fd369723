"""The intake's Kafka loop: agencies' submissions from ``<prefix>.intake.<agency>`` into the store.

Each record is applied or rejected, never dropped. The rules (what a record becomes, the hold,
the causal merge, the rejection record) live in ``services.intake`` and need no broker; this
loop polls a batch, hands it to them, records through the case service, publishes the
rejections on ``<prefix>.rejected.<agency>`` and commits. Offsets are committed only once the
batch's effects are durable (store appends done, rejections acknowledged), so a crash replays
the tail of a batch: the case service returns the recorded step for a known submission id and a
replayed rejection carries the same ``rejection_id``. A held record is read again: its
partition is sought back to it and committed no further. The commit is sent without waiting
for its answer (``BackgroundCommits``): a lost one only replays records, which is harmless.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from events import Codec, Topics
from services.cases.application import CaseService, StepRequest
from services.intake.bounds import Bounds
from services.intake.fallback import record_all
from services.intake.holding import HELD, Holds, held_offsets, in_time_order
from services.intake.refusals import RETRY
from services.intake.rejection import Outgoing
from services.intake.translator import Disposition, StepTranslator
from services.kafka.oversize import failed_as_too_large, send_or_refused
from services.runtime import metrics
from services.runtime.logs import get_logger
from services.runtime.offsetcommits import BackgroundCommits
from services.runtime.supervisor import StopFlag

log = get_logger(__name__)
TRANSIENT = (*RETRY, KafkaError)
"""Worth retrying: the store, the broker or the network is unwell, not the submission."""


class Intake:
    """Consumes every agency's intake topic in one consumer group and applies the records."""

    def __init__(
        self,
        service: CaseService,
        codec: Codec,
        topics: Topics,
        private_key: str,
        consumer: KafkaConsumer,
        producer_factory: Callable[[], KafkaProducer],
        ensure_topic: Callable[[str], None],
        bounds: Bounds,
        batch_size: int = 500,
        poll_ms: int = 200,
        hold_s: float = 30.0,
    ) -> None:
        self.service = service
        self.topics = topics
        self.consumer = consumer
        self.producer_factory = producer_factory
        self.ensure_topic = ensure_topic
        self.batch_size = batch_size
        self.poll_ms = poll_ms
        self.translator = StepTranslator(
            codec, topics, private_key, bounds, service.agencies, Holds(hold_s)
        )
        self.holding = False
        self.commits = BackgroundCommits("intake.commit_failed")
        self._producer: KafkaProducer | None = None
        self._ready_topics: set[str] = set()

    def run(self, stop: StopFlag, retry_wait: float = 0.5, max_wait: float = 15.0) -> None:
        """Apply batches until ``stop`` is set; the batch in flight is always finished first."""
        log.info("intake.started", pattern=self.topics.intake_pattern)
        wait = retry_wait
        while not stop.stopped:
            try:
                applied = self.step()
                wait = retry_wait
                # Give an awaited submission a moment to arrive, unless the batch did other
                # work: then more may be waiting, and the held records cannot spin the loop.
                if self.holding and not applied:
                    stop.wait(self.poll_ms / 1000)
            except TRANSIENT as error:
                log.warning("intake.retrying", error=type(error).__name__, wait_s=wait)
                self._reset_producer()
                stop.wait(wait)
                wait = min(wait * 2, max_wait)
        self.close()
        log.info("intake.stopped")

    def step(self) -> int:
        """Poll one batch, apply it, publish its rejections, commit; return how many of its
        records were settled (recorded or rejected, not held: a held record is read again).

        On a transient error nothing is committed and the batch's partitions are sought back,
        so the whole batch is applied again after the back-off.
        """
        batch = self.consumer.poll(timeout_ms=self.poll_ms, max_records=self.batch_size)
        if not batch:
            return 0
        started = time.monotonic()
        records = in_time_order(batch)
        try:
            outcomes = self.apply(records)
            rejections = [r for r in outcomes if isinstance(r, Outgoing)]
            self._publish(rejections)
        except TRANSIENT:
            for partition, part in batch.items():
                self.consumer.seek(partition, part[0].offset)
            raise
        held = self._hold(records, outcomes)
        self.holding = bool(held)
        self._commit(batch, held)
        metrics.batch("intake", len(records), started)
        done = (r for r, o in zip(records, outcomes, strict=True) if o is not HELD)
        metrics.records("intake", (self.topics.agency_of(r.topic) for r in done))
        log.info(
            "intake.batch_done", records=len(records), rejected=len(rejections), held=len(held)
        )
        return len(records) - sum(1 for outcome in outcomes if outcome is HELD)

    def apply(self, records: list[Any]) -> list[Disposition]:
        """Plan every record, record the requests in order (one store transaction), and
        decide each record's fate: recorded, held, or a rejection to publish."""
        plans = [self.translator.plan(record) for record in records]
        requests = [plan for plan in plans if isinstance(plan, StepRequest)]
        return self.translator.decide(records, plans, record_all(self.service, requests))

    def _hold(self, records: list[Any], outcomes: list[Disposition]) -> dict[TopicPartition, int]:
        """Seek each partition back to its first held record; return those offsets."""
        first = held_offsets(records, outcomes)
        held = {TopicPartition(topic, n): offset for (topic, n), offset in first.items()}
        for partition, offset in held.items():
            self.consumer.seek(partition, offset)
        if held:
            log.info("intake.held", partitions=_names(set(held)))
        return held

    def close(self) -> None:
        """Leave the group and release the clients, the last batch's offsets confirmed."""
        self._reset_producer()
        self.commits.confirm(self.consumer)
        self.consumer.close(autocommit=False)

    def _publish(self, messages: list[Outgoing]) -> None:
        if not messages:
            return
        for topic in {m.topic for m in messages} - self._ready_topics:
            self.ensure_topic(topic)  # an agency outside the directory has no topics yet
            self._ready_topics.add(topic)
        # Rejections no longer than their bounded form go out together; each longer one (which
        # the topic's limit may refuse) alone after them: kafka-python fails every unfinished
        # batch of a producer when one is refused as too large, including batches the broker
        # may already have taken, so a small rejection sent beside a refused big one could be
        # published twice.
        self._send([m for m in messages if len(m.value) <= len(m.bounded)])
        for message in messages:
            if len(message.value) > len(message.bounded):
                self._send([message])

    def _send(self, messages: list[Outgoing]) -> None:
        if not messages:
            return
        producer = self._producer or self.producer_factory()
        self._producer = producer
        futures = [send_or_refused(producer, m.topic, m.value, m.key) for m in messages]
        producer.flush()
        too_large: list[Outgoing] = []
        for message, future in zip(messages, futures, strict=True):
            if failed_as_too_large(future):
                too_large.append(message)
            else:
                future.get(timeout=0)  # the broker's refusal, if any, before the commit
        if too_large:  # one agency's huge message must not hold back the other rejections
            log.warning("intake.rejection_bounded", rejections=len(too_large))
            self._reset_producer()  # an idempotent producer is unusable after such a refusal
            producer = self._producer = self.producer_factory()
            again = [producer.send(m.topic, m.bounded, key=m.key) for m in too_large]
            producer.flush()
            for future in again:
                future.get(timeout=0)

    def _commit(
        self, batch: Mapping[TopicPartition, list[Any]], held: Mapping[TopicPartition, int]
    ) -> None:
        offsets = {
            tp: OffsetAndMetadata(held.get(tp, records[-1].offset + 1), "", -1)
            for tp, records in batch.items()
        }
        committed = {(tp.topic, tp.partition): at.offset for tp, at in offsets.items()}
        self.translator.holds.forget_committed(committed)
        # A failed commit (e.g. a rebalance) is logged: the next owner replays, idempotently.
        self.commits.send(self.consumer, offsets)

    def _reset_producer(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None


class LogAssignments(ConsumerRebalanceListener):  # type: ignore[misc]
    """Logs which intake partitions this member gains and loses (given to its consumer)."""

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        log.info("intake.partitions_revoked", partitions=_names(revoked))

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("intake.partitions_assigned", partitions=_names(assigned))


def _names(partitions: set[TopicPartition]) -> list[str]:
    return sorted(f"{tp.topic}:{tp.partition}" for tp in partitions)
