"""Issue 19 point 3, on both stores with the real broker: after a restore the relay publishes
nothing twice, the store verifies (hash chains and signed checkpoints), and the projections
rebuild from case-events to the restored read model."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from events import Codec, Topics
from projections.wiring import build_runner
from services.audit.service import AuditService
from services.audit.verify import verify_store
from services.cases.application import CaseService
from services.kafka.wiring import build_relay
from services.ops.backup import backup, restore
from services.runtime.kafkaclients import broker_endpoint, client_config
from services.runtime.settings import Settings, load_settings
from tests.casefactory import payload
from tests.kafkatools import consume, create_topics, poll_until
from tests.processes import run
from tests.realparts import create_database

NOW = 1_700_000_000_000


def record(settings: Settings, cases: int) -> None:
    """Two events per case, then a signed checkpoint."""
    service = CaseService.from_settings(settings)
    audit = AuditService.from_settings(settings)
    try:
        for _ in range(cases):
            case = str(uuid.uuid4())
            reported = payload("CaseReported", commune_code="22741")
            service.record(case, "CaseReported", reported, "hotline-111", f"{case}-0", NOW)
            police = payload("PoliceReportReceived")
            service.record(
                case, "PoliceReportReceived", police, "police-ninh-thuan", f"{case}-1", NOW
            )
        audit.checkpoint()
    finally:
        audit.close()
        service.close()


def relay_all(settings: Settings) -> int:
    """Run the relay's batches until it has nothing left; return how many events it sent."""
    relay = build_relay(settings)
    sent = 0
    try:
        while published := relay.step():
            sent += published
    finally:
        relay._reset_producer()
        relay.service.close()
    return sent


def project_all(settings: Settings, messages: int) -> None:
    runner = build_runner(settings)
    try:
        positions = runner.projector.positions
        runner.feed.open(positions())
        poll_until(lambda: runner.step() >= 0 and sum(positions().values()) >= messages, 60)
    finally:
        runner.feed.close()
        runner.publisher.close()


def on_case_events(settings: Settings) -> int:
    """How many messages case-events holds (a fresh topic: the sum of its end offsets)."""
    topic = Topics(settings.topic_prefix).case_events
    consumer = KafkaConsumer(**client_config(broker_endpoint(settings)))
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()


def event_ids(settings: Settings, count: int) -> list[str]:
    topic = Topics(settings.topic_prefix).case_events
    codec = Codec.from_directory()
    records = consume(broker_endpoint(settings), topic, count)
    return [codec.decode(r.value).record["event_id"] for r in records]


def fresh_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.node.callspec.params["database_url"] == "sqlite":
        return ""  # the embedded store in the new home
    admin: str = request.getfixturevalue("postgres_admin_url")
    return create_database(admin, f"r{uuid.uuid4().hex[:12]}")


def test_a_restored_store_relays_only_what_is_new_verifies_and_rebuilds_the_same(
    kafka_settings_any_store: Settings, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = kafka_settings_any_store
    topics = Topics(settings.topic_prefix)
    service = CaseService.from_settings(settings)
    ids = [a.id for a in service.agencies.all()]
    service.close()
    per_agency = [f(a) for a in ids for f in (topics.inbox, topics.alerts_for, topics.rejected)]
    names = [topics.case_events, topics.alerts, *per_agency]
    create_topics(broker_endpoint(settings), names, partitions=2)
    record(settings, 3)
    assert relay_all(settings) == 6
    project_all(settings, 6)
    backup(settings, tmp_path / "backup")
    shutil.rmtree(settings.home)  # the disk is lost; the keys were kept apart

    fields = settings.model_dump(exclude_none=True)
    new = {"home": tmp_path / "new-home", "database_url": fresh_store(request, tmp_path)}
    again = load_settings(**(fields | new))
    restore(again, tmp_path / "backup")

    audit = AuditService.from_settings(again)
    try:
        report = verify_store(audit)
        assert report.ok, report.as_json()
        assert report.checkpoint_size == report.events == 6  # all under a signed checkpoint
    finally:
        audit.close()
    rebuilt = run(again, "projections", "rebuild", "--json")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr[-2000:]
    assert json.loads(rebuilt.stdout)["equal"] is True

    assert relay_all(again) == 0  # what was published before the backup stays published
    record(again, 1)
    assert relay_all(again) == 2
    assert on_case_events(again) == 8
    published = event_ids(again, 8)
    assert len(published) == len(set(published)) == 8
