"""A replicated Apache Kafka 4 cluster of KRaft nodes on loopback, from the same jars.

``LocalKafkaCluster(home, brokers=3)`` keeps the cluster's plan in ``home/cluster.json``
(owner-only: the shared passwords, the cluster id, each node's ports and log-dir id) and one
home per node under ``home/node-<id>``, each an ordinary :class:`LocalKafka` home whose
``server.properties`` names every node as a controller voter. Every node is broker and
controller, so the quorum survives one node down; with three nodes the internal topics keep
three copies and a write needs two in sync (``min.insync.replicas=2``).

``local_kafka(home)`` answers which kind lives in a home: the processes find their broker
through it, whichever was started.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploy.kafka.launcher import (
    BrokerEndpoint,
    LocalKafka,
    NodeConfig,
    kafka_uuid,
    render_node,
)
from deploy.process import LaunchError, free_port, private_dir, read_state, write_state

PLAN = "cluster.json"
SHARED = ("password", "controller_password", "cluster_id")


class LocalKafkaCluster:
    """Start, stop and inspect the ``brokers`` KRaft nodes that live under ``home``."""

    def __init__(self, home: Path, brokers: int = 3, heap: str = "384m") -> None:
        self.home = home.resolve()
        self.plan_file = self.home / PLAN
        planned = read_state(self.plan_file)
        self.brokers = len(planned["nodes"]) if planned else brokers
        if self.brokers < 2:
            raise LaunchError("a cluster has at least two brokers; one is `backbone kafka start`")
        self.heap = heap

    def start(self, timeout: float = 180.0) -> BrokerEndpoint:
        """Start every node that is not running; return once each answers on its listener."""
        nodes = self.nodes()
        for node in nodes:
            node.launch()  # all JVMs first: a node answers only once a quorum has formed
        for node in nodes:
            node.wait_answering(timeout)
        return self.endpoint()

    def stop(self, timeout: float = 60.0) -> None:
        for node in self.nodes():
            node.stop(timeout)

    def status(self) -> dict[str, object]:
        nodes = {str(node.node_id): node.status() for node in self.nodes()}
        return {
            "running": all(bool(n["running"]) for n in nodes.values()),
            "brokers": self.brokers,
            "bootstrap_servers": self.endpoint().bootstrap_servers,
            "nodes": nodes,
            "home": str(self.home),
        }

    def endpoint(self) -> BrokerEndpoint:
        plan = self._plan()
        servers = ",".join(f"127.0.0.1:{n['port']}" for n in plan["nodes"])
        return BrokerEndpoint(servers, "backbone", plan["password"])

    def nodes(self) -> list[ClusterNode]:
        plan = self._plan()
        return [ClusterNode(self, int(n["node_id"]), self.heap) for n in plan["nodes"]]

    def node(self, node_id: int) -> ClusterNode:
        """The node whose KRaft id is ``node_id`` (e.g. a partition's leader)."""
        return ClusterNode(self, node_id, self.heap)

    def voters(self) -> list[NodeConfig]:
        return [
            NodeConfig(
                int(n["node_id"]),
                int(n["port"]),
                int(n["controller_port"]),
                self.home / f"node-{n['node_id']}" / "data",
            )
            for n in self._plan()["nodes"]
        ]

    def _plan(self) -> dict[str, Any]:
        """The cluster's plan, made (owner-only) the first time."""
        plan = read_state(self.plan_file)
        if not plan:
            private_dir(self.home)
            plan = {
                "password": secrets.token_urlsafe(24),
                "controller_password": secrets.token_urlsafe(24),
                "cluster_id": kafka_uuid(),
                "nodes": [
                    {
                        "node_id": node_id,
                        "port": free_port(),
                        "controller_port": free_port(),
                        "directory_id": kafka_uuid(),
                    }
                    for node_id in range(1, self.brokers + 1)
                ],
            }
            write_state(self.plan_file, plan)
        return plan


class ClusterNode(LocalKafka):
    """One node of a :class:`LocalKafkaCluster`: its values come from the cluster's plan."""

    def __init__(self, cluster: LocalKafkaCluster, node_id: int, heap: str) -> None:
        super().__init__(cluster.home / f"node-{node_id}", heap)
        self.cluster = cluster
        self.node_id = node_id

    def _fresh(self) -> dict[str, Callable[[], Any]]:
        plan = self.cluster._plan()
        mine = next(n for n in plan["nodes"] if int(n["node_id"]) == self.node_id)
        values = {key: plan[key] for key in SHARED} | mine
        return {key: _constant(value) for key, value in values.items()}

    def _render(self, state: dict[str, Any]) -> str:
        voters = self.cluster.voters()
        return render_node(next(v for v in voters if v.node_id == self.node_id), voters, state)

    def _quorum_args(self, state: dict[str, Any]) -> list[str]:
        plan = self.cluster._plan()["nodes"]
        voters = (
            f"{n['node_id']}@127.0.0.1:{n['controller_port']}:{n['directory_id']}" for n in plan
        )
        return ["--initial-controllers", ",".join(voters)]


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def local_kafka(home: Path) -> LocalKafka | LocalKafkaCluster:
    """The local broker or cluster kept in ``home`` (a single broker when nothing is there)."""
    if (home / PLAN).exists():
        return LocalKafkaCluster(home)
    return LocalKafka(home)


def start_local(home: Path, brokers: int) -> BrokerEndpoint:
    """``backbone kafka start [--brokers N]``: refuse to turn one kind of home into the other."""
    if brokers > 1 and (home / "state.json").exists():
        raise LaunchError(
            f"{home} holds a single broker; stop it and use another BACKBONE_HOME for a cluster"
        )
    if brokers == 1 and not (home / PLAN).exists():
        return LocalKafka(home).start()
    return LocalKafkaCluster(home, brokers).start()
