"""``backbone relay`` as a real process: SIGTERM, SIGKILL and a broker restart lose nothing."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer

from deploy.kafka.launcher import LocalKafka
from events import Codec, Topics
from services.cases.application import CaseService
from services.kafka.wiring import build_relay
from services.runtime.kafkaclients import broker_endpoint, client_config
from services.runtime.settings import Settings
from services.runtime.supervisor import StopFlag
from tests.casefactory import new_case_id, new_submission_id, payload
from tests.kafkatools import create_topics, poll_until
from tests.processes import spawn

pytestmark = pytest.mark.integration
NOW = 1_760_000_000_000


def record_cases(service: CaseService, count: int) -> set[str]:
    """``count`` cases of three events each; return every event id."""
    ids: set[str] = set()
    for _ in range(count):
        case_id = new_case_id()
        for step, agency in (
            ("CaseReported", "hotline-111"),
            ("PoliceReportReceived", "police-khanh-hoa"),
            ("LegalAidRequested", "police-khanh-hoa"),
        ):
            done = service.record(case_id, step, payload(step), agency, new_submission_id(), NOW)
            ids.add(done.event_id)
    return ids


class CaseEventReader:
    """Reads case-events from the start and keeps every event (duplicates included)."""

    def __init__(self, settings: Settings) -> None:
        self.codec = Codec.from_directory()
        self.consumer = KafkaConsumer(
            Topics(settings.topic_prefix).case_events,
            **client_config(broker_endpoint(settings)),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.events: list[dict[str, Any]] = []

    def read(self) -> set[str]:
        for batch in self.consumer.poll(timeout_ms=300).values():
            self.events += [self.codec.decode(r.value).record for r in batch]
        return {e["event_id"] for e in self.events}

    def in_case_order(self) -> bool:
        """Per case, first sightings of events come in sequence order, without holes."""
        seen: dict[str, list[int]] = {}
        for event in self.events:
            sequences = seen.setdefault(event["case_id"], [])
            if event["sequence"] not in sequences:
                sequences.append(event["sequence"])
        return all(s == list(range(1, len(s) + 1)) for s in seen.values())


@pytest.fixture
def relay_topics(kafka_settings: Settings) -> None:
    topics = Topics(kafka_settings.topic_prefix)
    service = CaseService.from_settings(kafka_settings)
    names = [topics.case_events, *(topics.inbox(a.id) for a in service.agencies.all())]
    service.close()
    create_topics(broker_endpoint(kafka_settings), names, partitions=3)


def test_sigterm_finishes_the_batch_and_exits_zero(
    kafka_settings: Settings, relay_topics: None, tmp_path: Path
) -> None:
    service = CaseService.from_settings(kafka_settings)
    expected = record_cases(service, 20)
    reader = CaseEventReader(kafka_settings)
    relay = spawn(kafka_settings, "relay", log=tmp_path / "relay.log")
    try:
        poll_until(lambda: len(reader.read()) > 0, 60, "first published events")
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(timeout=60) == 0
    finally:
        relay.kill()
        service.close()
    assert "relay.stopped" in (tmp_path / "relay.log").read_text()
    restarted = spawn(kafka_settings, "relay", log=tmp_path / "relay.log")
    try:
        poll_until(lambda: reader.read() == expected, 60, "all events after restart")
    finally:
        restarted.terminate()
        restarted.wait(timeout=60)


def test_sigkill_mid_stream_then_restart_publishes_every_event_without_gaps(
    kafka_settings: Settings, relay_topics: None, tmp_path: Path
) -> None:
    service = CaseService.from_settings(kafka_settings.model_copy(update={}))
    expected = record_cases(service, 150)
    service.close()
    reader = CaseEventReader(kafka_settings)
    small_batches = kafka_settings.model_copy(update={"batch_size": 20})
    relay = spawn(small_batches, "relay", log=tmp_path / "relay.log")
    try:
        poll_until(lambda: len(reader.read()) >= 60, 60, "part of the stream published")
        relay.send_signal(signal.SIGKILL)
        relay.wait(timeout=30)
    finally:
        relay.kill()
    assert len(reader.read()) < len(expected), "the relay was killed after it had finished"
    restarted = spawn(small_batches, "relay", log=tmp_path / "relay.log")
    try:
        poll_until(lambda: reader.read() == expected, 90, "every event after the restart")
    finally:
        restarted.terminate()
        assert restarted.wait(timeout=60) == 0
    assert reader.in_case_order()


def test_the_relay_rides_out_a_broker_restart(make_settings: Any, tmp_path: Path) -> None:
    broker = LocalKafka(tmp_path / "kafka")
    endpoint = broker.start()
    settings = make_settings(
        kafka_bootstrap_servers=endpoint.bootstrap_servers,
        kafka_username=endpoint.username,
        kafka_password=endpoint.password,
    )
    topics = Topics(settings.topic_prefix)
    service = CaseService.from_settings(settings)
    create_topics(
        endpoint, [topics.case_events, *(topics.inbox(a.id) for a in service.agencies.all())]
    )
    relay, stop = build_relay(settings, service), StopFlag()
    worker = threading.Thread(
        target=relay.run, args=(stop,), kwargs={"idle_wait": 0.05, "retry_wait": 0.5}
    )
    worker.start()
    try:
        expected = record_cases(service, 5)
        reader = CaseEventReader(settings)
        poll_until(lambda: reader.read() == expected, 60, "events before the restart")
        reader.consumer.close()
        broker.stop()
        expected |= record_cases(service, 5)
        broker.start()
        reader = CaseEventReader(settings)
        poll_until(lambda: reader.read() == expected, 120, "events recorded while it was down")
    finally:
        stop.set()
        worker.join(timeout=60)
        service.close()
        broker.stop()
    assert not worker.is_alive()
