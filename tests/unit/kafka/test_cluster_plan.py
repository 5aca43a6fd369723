"""The local cluster's plan and node configurations (issue 18.1), without starting a JVM."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from deploy.kafka.cluster import LocalKafkaCluster, local_kafka, start_local
from deploy.kafka.launcher import LocalKafka, NodeConfig, render_node
from deploy.process import LaunchError, write_state

SECRETS = {"password": "p", "controller_password": "c"}


def properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and line[0] != "#")
    return {key: value for key, value in pairs}


def test_a_cluster_of_three_keeps_three_copies_and_needs_two_in_sync(tmp_path: Path) -> None:
    voters = [NodeConfig(n, 9000 + n, 9100 + n, tmp_path / str(n)) for n in (1, 2, 3)]
    props = properties(render_node(voters[1], voters, SECRETS))
    assert props["node.id"] == "2"
    assert props["controller.quorum.bootstrap.servers"].count("127.0.0.1:91") == 3
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert props["offsets.topic.replication.factor"] == "3"
    assert props["transaction.state.log.min.isr"] == "2"


def test_a_single_broker_keeps_one_copy(tmp_path: Path) -> None:
    node = NodeConfig(1, 9001, 9101, tmp_path)
    props = properties(render_node(node, [node], SECRETS))
    assert props["default.replication.factor"] == "1"
    assert props["min.insync.replicas"] == "1"


def test_every_node_is_formatted_with_all_three_controllers(tmp_path: Path) -> None:
    cluster = LocalKafkaCluster(tmp_path / "kafka", brokers=3)
    nodes = cluster.nodes()
    quorum = {node._quorum_args({})[1] for node in nodes}
    assert len(quorum) == 1  # the same initial controllers on every node
    voters = quorum.pop().split(",")
    assert [v.split("@")[0] for v in voters] == ["1", "2", "3"]
    assert len({v.rsplit(":", 1)[1] for v in voters}) == 3  # a log-dir id each
    ports = {node._fresh()["port"]() for node in nodes}
    assert len(ports) == 3


def test_the_plan_holding_the_passwords_is_owner_only(tmp_path: Path) -> None:
    cluster = LocalKafkaCluster(tmp_path / "kafka", brokers=3)
    cluster.nodes()
    assert stat.S_IMODE(cluster.plan_file.stat().st_mode) == 0o600
    assert isinstance(local_kafka(tmp_path / "kafka"), LocalKafkaCluster)
    assert local_kafka(tmp_path / "kafka").endpoint().bootstrap_servers.count(",") == 2


def test_a_single_broker_home_is_not_turned_into_a_cluster(tmp_path: Path) -> None:
    home = tmp_path / "kafka"
    write_state(home / "state.json", {"port": 1})
    assert isinstance(local_kafka(home), LocalKafka)
    with pytest.raises(LaunchError, match="single broker"):
        start_local(home, brokers=3)
