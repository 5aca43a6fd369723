"""Copies each alert to the topics of the supervising agencies it is addressed to.

``backbone.alerts`` carries every alert; an ``Alert`` names its addressees in ``notify``. A
supervising agency reads ``backbone.alerts.<agency>`` with its own login (the ACLs allow it
that topic and no other agency's). Offsets are committed once the copies are acknowledged, so
a crash copies the tail of a batch again: delivery is at least once, and readers drop
duplicates by ``alert_id``.
"""

from __future__ import annotations

from collections.abc import Callable

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from events import Codec, ContractError, Topics
from services.runtime.logs import get_logger
from services.runtime.supervisor import StopFlag

log = get_logger(__name__)


class AlertRouter:
    def __init__(
        self,
        consumer: KafkaConsumer,
        producer_factory: Callable[[], KafkaProducer],
        codec: Codec,
        topics: Topics,
        ensure_topic: Callable[[str], None],
    ) -> None:
        self.consumer = consumer
        self.producer_factory = producer_factory
        self.codec = codec
        self.topics = topics
        self.ensure_topic = ensure_topic
        self._producer: KafkaProducer | None = None
        self._ready: set[str] = set()

    def run(self, stop: StopFlag) -> None:
        log.info("alerts.routing_started")
        while not stop.stopped:
            try:
                self.step()
            except KafkaError as error:  # the batch is read again from the committed offset
                log.warning("alerts.retrying", error=type(error).__name__)
                self._reset()
                stop.wait(1.0)
        self._reset()
        self.consumer.close(autocommit=False)
        log.info("alerts.routing_stopped")

    def step(self) -> int:
        batch = self.consumer.poll(timeout_ms=200, max_records=500)
        if not batch:
            return 0
        copies = [
            (topic, record.key, record.value)
            for records in batch.values()
            for record in records
            for topic in self._addressees(bytes(record.value or b""))
        ]
        if copies:
            for topic in {topic for topic, _, _ in copies} - self._ready:
                self.ensure_topic(topic)
                self._ready.add(topic)
            producer = self._producer = self._producer or self.producer_factory()
            futures = [producer.send(topic, value, key=key) for topic, key, value in copies]
            producer.flush()
            for future in futures:
                future.get(timeout=0)
        self.consumer.commit()
        log.info("alerts.routed", alerts=sum(len(r) for r in batch.values()), copies=len(copies))
        return len(copies)

    def _addressees(self, value: bytes) -> list[str]:
        try:
            alert = self.codec.decode(value).record
        except ContractError as error:
            log.warning("alerts.unreadable", reason=error.reason)
            return []
        topics = []
        for agency in alert.get("notify", []):
            try:
                topics.append(self.topics.alerts_for(agency))
            except ContractError:
                log.warning("alerts.bad_addressee", alert_id=alert.get("alert_id"))
        return topics

    def _reset(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None
