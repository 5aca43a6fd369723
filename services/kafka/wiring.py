"""Composition root of the Kafka-facing processes: build them from the settings."""

from __future__ import annotations

from events import Codec, Topics
from services.cases.application import CaseService
from services.kafka.clients import reliable_producer
from services.kafka.keys import agency_keypair
from services.kafka.relay import Relay
from services.kafka.relaystate import RelayState
from services.kafka.routing import load_router
from services.runtime.database import database_engine
from services.settings import Settings


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
