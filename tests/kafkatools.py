"""Test helpers for reading and writing real topics with a deadline (never a bare sleep)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from deploy.kafka.launcher import BrokerEndpoint
from services.runtime.kafkaclients import client_config, ensure_topics


def broker_overrides(endpoint: BrokerEndpoint) -> dict[str, object]:
    """The settings that put a process on ``endpoint`` (address, protocol and login)."""
    return {
        "kafka_bootstrap_servers": endpoint.bootstrap_servers,
        "kafka_security_protocol": endpoint.security_protocol,
        "kafka_username": endpoint.username,
        "kafka_password": endpoint.password,
    }


def create_topics(endpoint: BrokerEndpoint, names: Iterable[str], partitions: int = 1) -> None:
    ensure_topics(endpoint, names, partitions=partitions, replication=1)


def produce(
    endpoint: BrokerEndpoint, topic: str, values: Iterable[bytes], key: bytes | None = None
) -> None:
    producer = KafkaProducer(**client_config(endpoint))
    try:
        for value in values:
            producer.send(topic, value, key=key)
        producer.flush(timeout=30)
    finally:
        producer.close()


def consume(
    endpoint: BrokerEndpoint, topic: str, count: int, timeout_s: float = 30.0, **extra: Any
) -> list[Any]:
    """Read ``count`` records of ``topic`` from the beginning, or fail at the deadline."""
    consumer = KafkaConsumer(
        topic,
        **client_config(endpoint),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **extra,
    )
    records: list[Any] = []
    try:
        poll_until(lambda: _read_into(consumer, records) >= count, timeout_s)
    finally:
        consumer.close()
    return records


def _read_into(consumer: KafkaConsumer, records: list[Any]) -> int:
    for batch in consumer.poll(timeout_ms=500).values():
        records.extend(batch)
    return len(records)


def poll_until(check: Callable[[], bool], timeout_s: float, what: str = "condition") -> None:
    """Call ``check`` until it is true; fail the test when ``timeout_s`` passes first."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout_s}s")
        time.sleep(0.05)
