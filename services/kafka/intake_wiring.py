"""Composition root of the intake process: its consumer, producer and case service from the
settings (``backbone intake`` runs it; tests run it in a thread)."""

from __future__ import annotations

from kafka import KafkaConsumer

from events import Codec, Topics
from services.cases.application import CaseService
from services.intake.bounds import Bounds
from services.kafka.intake import Intake, LogAssignments
from services.kafka.sealingkeys import backbone_keypair
from services.runtime.kafkaclients import (
    broker_endpoint,
    client_config,
    ensure_topics,
    reliable_producer,
    replication_of,
)
from services.runtime.settings import Settings
from services.runtime.supervisor import StopFlag


def intake_consumer(settings: Settings) -> KafkaConsumer:
    """The intake's consumer: group ``<prefix>.intake`` on every agency's intake topic."""
    topics = Topics(settings.topic_prefix)
    consumer = KafkaConsumer(
        **client_config(broker_endpoint(settings)),
        group_id=f"{settings.topic_prefix}.intake",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        metadata_max_age_ms=5000,  # finds a new agency's intake topic within seconds
        # A killed intake's partitions move to the others (or its restart) within seconds.
        session_timeout_ms=10000,
        heartbeat_interval_ms=2000,
        max_poll_records=settings.batch_size,
    )
    consumer.subscribe(pattern=topics.intake_pattern, listener=LogAssignments())
    return consumer


def build_intake(settings: Settings, service: CaseService | None = None) -> Intake:
    """The intake loop on the settings' broker and store (``service``: a given case service)."""
    endpoint = broker_endpoint(settings)
    partitions, replication = settings.topic_partitions, replication_of(settings)
    return Intake(
        service=service or CaseService.from_settings(settings),
        codec=Codec.from_directory(),
        topics=Topics(settings.topic_prefix),
        private_key=backbone_keypair(settings).private_key,
        consumer=intake_consumer(settings),
        producer_factory=lambda: reliable_producer(settings),
        ensure_topic=lambda name: ensure_topics(endpoint, [name], partitions, replication),
        bounds=Bounds.from_settings(settings),
        batch_size=settings.batch_size,
        poll_ms=settings.poll_interval_ms,
        hold_s=settings.intake_hold_seconds,
    )


def run_intake(settings: Settings, stop: StopFlag, service: CaseService | None = None) -> None:
    """Run the intake until ``stop`` is set (in a thread for tests, in ``backbone intake``); a
    case service built here is closed here, a given one is left to its owner."""
    intake = build_intake(settings, service)
    try:
        intake.run(stop)
    finally:
        if service is None:
            intake.service.close()
