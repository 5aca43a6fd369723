"""Composition root of the relay, the alert router and the webhook deliverer: each built from
the settings (the intake has its own, ``intake_wiring``)."""

from __future__ import annotations

from kafka import KafkaConsumer

from events import Codec, Topics
from services.cases.application import CaseService
from services.kafka.alertrouting import AlertRouter
from services.kafka.relay import Relay
from services.kafka.relaystate import RelayState
from services.kafka.routing import load_router
from services.kafka.sealingkeys import agency_keypair
from services.kafka.webhooks import Deliverer, HookFile, post
from services.runtime.database import database_engine
from services.runtime.kafkaclients import (
    broker_endpoint,
    client_config,
    ensure_topics,
    reliable_producer,
    replication_of,
)
from services.runtime.settings import Settings


def build_relay(settings: Settings, service: CaseService | None = None) -> Relay:
    service = service or CaseService.from_settings(settings)
    return Relay(
        service=service,
        state=RelayState(database_engine(settings), name="case-events"),
        router=load_router(settings.config_dir, service.agencies),
        topics=Topics(settings.topic_prefix),
        codec=Codec.from_directory(),
        producer_factory=lambda: reliable_producer(settings),
        public_key_of=lambda agency: agency_keypair(settings, agency).public_key,
        batch_size=settings.batch_size,
    )


def build_alert_router(settings: Settings) -> AlertRouter:
    """The ``backbone alerts route`` process."""
    topics, endpoint = Topics(settings.topic_prefix), broker_endpoint(settings)
    consumer = KafkaConsumer(
        topics.alerts,
        **client_config(endpoint),
        group_id=f"{settings.topic_prefix}.alert-router",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    partitions, replication = settings.topic_partitions, replication_of(settings)
    return AlertRouter(
        consumer,
        lambda: reliable_producer(settings),
        Codec.from_directory(),
        topics,
        lambda name: ensure_topics(endpoint, [name], partitions, replication),
    )


def build_deliverer(settings: Settings) -> Deliverer:
    """The ``backbone webhooks deliver`` process."""
    consumer = KafkaConsumer(
        **client_config(broker_endpoint(settings)),
        group_id=f"{settings.topic_prefix}.webhooks",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    timeout = settings.webhook_timeout_seconds
    return Deliverer(
        HookFile(settings.effective_webhooks_file),
        consumer,
        Codec.from_directory(),
        Topics(settings.topic_prefix),
        database_engine(settings),
        lambda hook, ident, body: post(hook, ident, body, timeout),
        settings.webhook_max_attempts,
        settings.webhook_backoff_seconds,
    )
