"""A case service and the relay's topics on the session broker, fresh for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from events import Codec, Topics
from services.cases.application import CaseService
from services.runtime.kafkaclients import broker_endpoint
from services.runtime.settings import Settings
from tests.kafkatools import create_topics


@pytest.fixture
def service(kafka_settings: Settings) -> Iterator[CaseService]:
    app = CaseService.from_settings(kafka_settings)
    topics = Topics(kafka_settings.topic_prefix)
    names = [topics.case_events, *(topics.inbox(a.id) for a in app.agencies.all())]
    create_topics(broker_endpoint(kafka_settings), names, partitions=2)
    yield app
    app.close()


@pytest.fixture
def codec() -> Codec:
    return Codec.from_directory()
