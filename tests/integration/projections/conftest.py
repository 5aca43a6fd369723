"""Topics of a projection test on the session broker, and a projection driven step by step."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from kafka import KafkaProducer

from events import Codec, Topics
from projections.messages import REJECTED_AS
from projections.runner import ProjectionRunner
from projections.wiring import build_runner
from services.runtime.kafkaclients import broker_endpoint, client_config
from services.runtime.settings import Settings
from tests.integration.projections.builders import T0, CaseStory, FakeClock
from tests.kafkatools import consume, create_topics, poll_until

CODEC = Codec.from_directory()


@pytest.fixture
def topics(kafka_settings: Settings) -> Topics:
    names = Topics(kafka_settings.topic_prefix)
    endpoint = broker_endpoint(kafka_settings)
    create_topics(endpoint, [names.case_events], partitions=2)
    create_topics(endpoint, [names.alerts, names.rejected(REJECTED_AS)])
    return names


def publish(settings: Settings, stories: Iterable[CaseStory], start: int = 0) -> None:
    """Produce every story's messages from ``start`` on, keyed by case id."""
    topic = Topics(settings.topic_prefix).case_events
    producer = KafkaProducer(**client_config(broker_endpoint(settings)))
    try:
        for story in stories:
            for message in story.messages[start:]:
                producer.send(topic, message, key=story.case_id.encode())
        producer.flush(timeout=30)
    finally:
        producer.close()


def decoded(settings: Settings, topic: str, count: int) -> list[dict[str, Any]]:
    records = consume(broker_endpoint(settings), topic, count)
    return [CODEC.decode(r.value).record for r in records]


class Projection:
    """The projection process's parts in this test, on a clock the test moves."""

    def __init__(self, settings: Settings) -> None:
        self.clock = FakeClock(T0)
        self.runner: ProjectionRunner = build_runner(settings, self.clock)
        self.runner.tick_every = 0.0
        self.runner.feed.open(self.runner.projector.positions())

    @property
    def db(self) -> sa.Engine:
        return self.runner.projector.db

    def drain(self, messages: int) -> None:
        """Step until ``messages`` messages in all were projected."""
        poll_until(lambda: self.runner.step() == 0 and self._read() >= messages, 30, "projected")

    def tick(self) -> None:
        self.runner.step()

    def _read(self) -> int:
        return sum(self.runner.projector.positions().values())

    def close(self) -> None:
        self.runner.feed.close()
        self.runner.publisher.close()


@pytest.fixture
def projection(kafka_settings: Settings, topics: Topics) -> Iterator[Projection]:
    running = Projection(kafka_settings)
    yield running
    running.close()
