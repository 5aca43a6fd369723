"""The real broker carries messages, and keeps them across a stop and start."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.kafka.launcher import BrokerEndpoint, LocalKafka
from tests.kafkatools import consume, create_topics, produce

pytestmark = pytest.mark.integration


def test_messages_round_trip_through_the_broker(
    kafka_endpoint: BrokerEndpoint, unique_name: str
) -> None:
    topic = f"{unique_name}.roundtrip"
    create_topics(kafka_endpoint, [topic], partitions=3)
    sent = [f"message {i}".encode() for i in range(50)]

    produce(kafka_endpoint, topic, sent, key=b"one-case")
    received = consume(kafka_endpoint, topic, count=len(sent))

    assert [r.value for r in received] == sent
    assert {r.partition for r in received} == {received[0].partition}


def test_messages_survive_a_broker_restart(tmp_path: Path) -> None:
    broker = LocalKafka(tmp_path / "kafka")
    endpoint = broker.start()
    try:
        create_topics(endpoint, ["restart.check"])
        sent = [bytes([i]) * 100 for i in range(20)]
        produce(endpoint, "restart.check", sent)
        broker.stop()
        assert broker.status()["running"] is False

        again = broker.start()
        assert again.bootstrap_servers == endpoint.bootstrap_servers
        received = consume(again, "restart.check", count=len(sent))
    finally:
        broker.stop()
    assert [r.value for r in received] == sent
