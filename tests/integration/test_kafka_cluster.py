"""``backbone kafka start --brokers 3``: a replicated cluster the backbone uses unchanged."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource

from deploy.kafka.cluster import LocalKafkaCluster
from deploy.process import read_state
from events import Topics
from services.runtime.kafkaclients import broker_endpoint, client_config, reliable_producer
from services.runtime.settings import Settings
from tests.kafkatools import consume, poll_until, produce
from tests.processes import run

pytestmark = pytest.mark.integration


def describe(settings: Settings, topic: str) -> tuple[list[dict[str, object]], str]:
    """The topic's partitions and its min.insync.replicas."""
    admin = KafkaAdminClient(**client_config(broker_endpoint(settings)))
    try:
        partitions = admin.describe_topics([topic])[0]["partitions"]
        configs = admin.describe_configs([ConfigResource("TOPIC", topic, ["min.insync.replicas"])])
    finally:
        admin.close()
    found = configs if isinstance(configs, dict) else {}
    value = found.get("topic", {}).get(topic, {}).get("min.insync.replicas", {}).get("value", "")
    return partitions, str(value)


@pytest.mark.timeout(900)  # three JVMs start and a provisioning runs: minutes on a busy machine
def test_three_brokers_replicate_every_topic_and_lose_nothing_when_a_leader_dies(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(home=tmp_path / "home")
    started = run(settings, "kafka", "start", "--brokers", "3", timeout=400)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert json.loads(started.stdout)["endpoint"].count("127.0.0.1:") == 3
        status = json.loads(run(settings, "kafka", "status").stdout)
        assert status["running"] and sorted(status["nodes"]) == ["1", "2", "3"]
        provisioned = run(settings, "agencies", "provision", timeout=400)
        assert provisioned.returncode == 0, provisioned.stdout + provisioned.stderr
        topic = Topics(settings.topic_prefix).case_events
        partitions, min_insync = describe(settings, topic)
        assert min_insync == "2"
        assert all(len(p["replica_nodes"]) == 3 for p in partitions)  # type: ignore[arg-type]
        endpoint = broker_endpoint(settings)
        produce(endpoint, topic, [b"before"], key=b"case")
        leader = next(
            int(p["leader_id"])  # type: ignore[call-overload]
            for p in describe(settings, topic)[0]
            if p["partition_index"] == 0
        )
        cluster = LocalKafkaCluster(settings.home / "kafka")
        os.kill(int(read_state(cluster.node(leader).state_file)["pid"]), signal.SIGKILL)
        poll_until(lambda: not cluster.node(leader).status()["running"], 30, "leader gone")
        producer = reliable_producer(settings)  # the backbone's: acks=all, two copies in sync
        try:
            producer.send(topic, b"after", key=b"case").get(timeout=120)
        finally:
            producer.close()
        values = {r.value for r in consume(endpoint, topic, 2, timeout_s=120)}
        assert values == {b"before", b"after"}
    finally:
        stopped = run(settings, "kafka", "stop", timeout=300)
    assert stopped.returncode == 0
