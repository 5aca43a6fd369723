"""Composition root of the agency API: the application and its backend built from the settings."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from kafka import KafkaConsumer

from events import Codec, Topics
from services.api.apikeys import KeyFile
from services.api.app import create_api
from services.api.backend import Backend
from services.api.kafkaside import Publisher, RejectionWatcher, TopicPager
from services.api.ledger import Ledger
from services.cases.agencies import load_agencies
from services.cases.application import CaseService
from services.kafka.routing import load_router
from services.kafka.sealingkeys import backbone_keypair
from services.runtime.database import database_engine, read_model_db
from services.runtime.kafkaclients import broker_endpoint, client_config, reliable_producer
from services.runtime.settings import Settings


def build_backend(settings: Settings) -> Backend:
    topics, codec = Topics(settings.topic_prefix), Codec.from_directory()
    endpoint = broker_endpoint(settings)

    def pager_consumer() -> KafkaConsumer:
        return KafkaConsumer(**client_config(endpoint), enable_auto_commit=False)

    def watcher_consumer() -> KafkaConsumer:
        return KafkaConsumer(
            **client_config(endpoint),
            group_id=f"{settings.topic_prefix}.api.rejections",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=5000,  # sees a new agency's rejection topic within seconds
        )

    read_model = read_model_db(settings)  # first: it makes the embedded store's home
    ledger = Ledger(database_engine(settings))
    agencies = load_agencies(settings.config_dir)
    return Backend(
        codec=codec,
        topics=topics,
        agencies=agencies,
        router=load_router(settings.config_dir, agencies),
        keys=KeyFile(settings.effective_api_keys_file),
        backbone_public_key=backbone_keypair(settings).public_key,
        service=lambda: CaseService.from_settings(settings),
        ledger=ledger,
        publisher=Publisher(lambda: reliable_producer(settings)),
        pager=TopicPager(pager_consumer),
        watcher=RejectionWatcher(watcher_consumer, topics, codec, ledger),
        read_model=read_model,
    )


def build_api(settings: Settings) -> FastAPI:
    """The agency API on a backend of its own (``app.state.backend``; the host closes it)."""
    return create_api(settings, build_backend(settings))


def backend_factory(settings: Settings) -> Callable[[], Backend]:
    """A backend built at first use, for a dashboard served without the API beside it (tests,
    benchmarks): the workbench submits through it."""

    def build() -> Backend:
        return build_backend(settings)

    return build
