"""Composition root of the projection process: everything built from the settings."""

from __future__ import annotations

from kafka import KafkaConsumer

from events import Codec, Topics
from projections.calendarfile import load_calendar
from projections.escalation import load_addressing
from projections.feed import CaseEventFeed
from projections.messages import Outbox
from projections.policyfile import deployment_policy
from projections.projector import Clock, Projector, system_clock
from projections.publisher import OutboxPublisher
from projections.readmodel import ReadModel
from projections.runner import ProjectionRunner
from projections.stalled import ObligationEngine
from services.cases.agencies import load_agencies
from services.runtime.database import read_model_db
from services.runtime.kafkaclients import broker_endpoint, client_config, reliable_producer
from services.runtime.settings import Settings

HOLIDAYS = "holidays.toml"


def obligation_engine(settings: Settings) -> ObligationEngine:
    """The default policy (with the deployment's overrides, if any) on its holiday calendar."""
    policy = deployment_policy(settings.config_dir)
    return ObligationEngine(policy, load_calendar(settings.config_dir / HOLIDAYS))


def build_projector(
    settings: Settings, model: ReadModel | None = None, clock: Clock = system_clock
) -> Projector:
    """The projector on the store's database (``model``: the live tables by default)."""
    engine = obligation_engine(settings)
    agencies = load_agencies(settings.config_dir)
    if engine.calendar.zone.key != agencies.zone.key:
        raise ValueError(
            f"{HOLIDAYS} counts deadlines in {engine.calendar.zone.key} but agencies.toml dates "
            f"agencies in {agencies.zone.key}: one province, one time zone"
        )
    addressing = load_addressing(settings.config_dir, agencies)
    outbox = Outbox(Codec.from_directory(), Topics(settings.topic_prefix), addressing)
    return Projector(read_model_db(settings), model or ReadModel(), engine, outbox, clock)


def build_feed(settings: Settings) -> CaseEventFeed:
    """case-events, committing to the group ``<prefix>.projections`` (and sharing its
    partitions with the group's other members when ``settings.projection_group``)."""
    config = client_config(broker_endpoint(settings))

    def consumer() -> KafkaConsumer:
        return KafkaConsumer(
            **config,
            group_id=f"{settings.topic_prefix}.projections",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=settings.batch_size,
        )

    return CaseEventFeed(
        consumer, Topics(settings.topic_prefix).case_events, group=settings.projection_group
    )


def build_runner(settings: Settings, clock: Clock = system_clock) -> ProjectionRunner:
    """The whole projection process."""
    projector = build_projector(settings, clock=clock)
    publisher = OutboxPublisher(
        projector.db, projector.model, lambda: reliable_producer(settings), settings.batch_size
    )
    return ProjectionRunner(
        projector, build_feed(settings), publisher, settings.batch_size, settings.poll_interval_ms
    )
