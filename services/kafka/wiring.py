"""Composition root of the Kafka-facing processes: build them from the settings."""

from __future__ import annotations

import sqlalchemy as sa
from kafka import KafkaProducer

from events import Codec, Topics
from services.cases.application import CaseService
from services.kafka.clients import broker_endpoint, client_config
from services.kafka.keys import agency_keypair
from services.kafka.relay import Relay
from services.kafka.relaystate import RelayState
from services.kafka.routing import load_router
from services.settings import Settings


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


def database_engine(settings: Settings) -> sa.Engine:
    """An engine on the store's database for the processes' own small tables."""
    url = settings.effective_database_url
    connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
    return sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True)


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
