"""Issue 19 point 1 (part): ``backbone status`` on a healthy and on an unhealthy system."""

from __future__ import annotations

import json
import uuid

from kafka import KafkaProducer

from events import Topics
from services.cases.application import CaseService
from services.runtime.kafkaclients import broker_endpoint, client_config, ensure_topics
from services.runtime.settings import Settings
from tests.processes import run

NOW = 1_700_000_000_000


def status(settings: Settings, *args: str) -> tuple[int, dict[str, object]]:
    done = run(settings, "status", "--json", *args)
    assert done.stdout, done.stderr[-2000:]
    return done.returncode, json.loads(done.stdout)


def test_status_is_healthy_when_nothing_waits_and_names_each_backlog_when_processes_stop(
    kafka_settings: Settings,
) -> None:
    topic = Topics(kafka_settings.topic_prefix).case_events
    ensure_topics(broker_endpoint(kafka_settings), [topic], 2, 1)
    code, healthy = status(kafka_settings)
    assert (code, healthy["healthy"]) == (0, True), json.dumps(healthy)
    assert healthy["relay_backlog"] == {"relay": 0}
    assert healthy["projection_lag"] == {"0": 0, "1": 0}

    # The relay is stopped: two cases recorded, none published.
    service = CaseService.from_settings(kafka_settings)
    for _ in range(2):
        case = str(uuid.uuid4())
        service.report(case, {"channel": "hotline"}, "hotline-111", f"{case}-0", NOW)
    service.close()
    # The projections are stopped: three case events wait on partition 1.
    producer = KafkaProducer(**client_config(broker_endpoint(kafka_settings)))
    for _ in range(3):
        producer.send(topic, b"event", partition=1)
    producer.flush(timeout=30)
    producer.close()

    code, behind = status(kafka_settings)
    assert (code, behind["healthy"]) == (1, False), behind
    assert behind["relay_backlog"] == {"relay": behind["store_position"]}
    assert behind["store_position"] >= 2
    assert behind["projection_lag"] == {"0": 0, "1": 3}
    assert behind["alert_outbox_backlog"] == 0

    table = run(kafka_settings, "status", "--lang", "en")
    assert table.returncode == 1
    assert "Behind" in table.stdout and "Relay backlog" in table.stdout
