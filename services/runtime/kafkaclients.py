"""Kafka client settings, the reliable producer and topic administration shared by every
process."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import ConfigResource, NewTopic
from kafka.errors import TopicAlreadyExistsError

from deploy.kafka.cluster import LocalKafkaCluster, local_kafka
from deploy.kafka.launcher import BrokerEndpoint
from services.runtime.settings import Settings


def broker_endpoint(settings: Settings) -> BrokerEndpoint:
    """The configured broker, or the local one that ``backbone kafka start`` runs in home."""
    if settings.kafka_bootstrap_servers:
        return BrokerEndpoint(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            username=settings.kafka_username,
            password=settings.kafka_password,
            security_protocol=settings.kafka_security_protocol,
            sasl_mechanism=settings.kafka_sasl_mechanism,
        )
    return local_kafka(settings.home / "kafka").endpoint()


def replication_of(settings: Settings) -> int:
    """Copies of each topic: the setting, or every node of the local cluster when one runs."""
    if settings.kafka_bootstrap_servers:
        return settings.topic_replication
    local = local_kafka(settings.home / "kafka")
    brokers = local.brokers if isinstance(local, LocalKafkaCluster) else 1
    return max(settings.topic_replication, min(brokers, 3))


def min_insync_of(replication: int) -> int:
    """In-sync copies a write with ``acks=all`` needs: all but one, at least one (3 -> 2)."""
    return max(1, replication - 1)


def client_config(endpoint: BrokerEndpoint) -> dict[str, Any]:
    """Keyword arguments for any kafka-python client talking to ``endpoint``."""
    config: dict[str, Any] = {
        "bootstrap_servers": endpoint.bootstrap_servers.split(","),
        "security_protocol": endpoint.security_protocol,
    }
    if endpoint.security_protocol.startswith("SASL"):
        config |= {
            "sasl_mechanism": endpoint.sasl_mechanism,
            "sasl_plain_username": endpoint.username,
            "sasl_plain_password": endpoint.password,
        }
    return config


def reliable_producer(settings: Settings) -> KafkaProducer:
    """Idempotent, acknowledged by all in-sync replicas, keyed by case id."""
    return KafkaProducer(
        **client_config(broker_endpoint(settings)),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_block_ms=30000,
        delivery_timeout_ms=60000,
    )


def ensure_topics(
    endpoint: BrokerEndpoint, names: Iterable[str], partitions: int, replication: int
) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    admin = KafkaAdminClient(**client_config(endpoint))
    try:
        missing = set(names) - set(admin.list_topics())
        configs = {"min.insync.replicas": str(min_insync_of(replication))}
        for name in sorted(missing):
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [NewTopic(name, partitions, replication, topic_configs=configs)]
                )
    finally:
        admin.close()


def set_topic_configs(
    endpoint: BrokerEndpoint, names: Iterable[str], configs: Mapping[str, str]
) -> None:
    """Set ``configs`` on existing topics, keeping their other settings (incremental alter)."""
    admin = KafkaAdminClient(**client_config(endpoint))
    try:
        resources = [ConfigResource("TOPIC", name, dict(configs)) for name in sorted(set(names))]
        # The broker checks the keys itself; the client's own check races new topics' metadata.
        results = admin.alter_configs(resources, raise_on_unknown=False) if resources else {}
        failed = {
            name: result
            for by_name in results.values()
            for name, result in by_name.items()
            if result != "OK"
        }
        if failed:
            raise RuntimeError(f"the broker refused topic settings {dict(configs)}: {failed}")
    finally:
        admin.close()
