"""A start-up check that the broker really carries messages."""

from __future__ import annotations

import uuid

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from deploy.kafka.launcher import BrokerEndpoint
from services.runtime.kafkaclients import client_config, ensure_topics


class SelfCheckFailed(RuntimeError):
    """The broker accepted a message but did not hand it back."""


def round_trip(endpoint: BrokerEndpoint, topic: str, timeout_s: float = 30.0) -> None:
    """Produce one message and read it back from the same partition offset."""
    ensure_topics(endpoint, [topic], partitions=1, replication=1)
    token = uuid.uuid4().bytes
    producer = KafkaProducer(**client_config(endpoint))
    try:
        sent = producer.send(topic, token).get(timeout=timeout_s)
    finally:
        producer.close()
    consumer = KafkaConsumer(**client_config(endpoint), enable_auto_commit=False)
    try:
        partition = TopicPartition(topic, sent.partition)
        consumer.assign([partition])
        consumer.seek(partition, sent.offset)
        batches = consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=1)
        values = [r.value for records in batches.values() for r in records]
    finally:
        consumer.close()
    if values != [token]:
        raise SelfCheckFailed(f"broker self-check on {topic} read {len(values)} unexpected records")
