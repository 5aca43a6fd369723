"""On the real broker: the simulator publishes each case's steps on its agencies' intake
topics, and what it publishes is accepted by the real case application."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from typing import Any

import pytest
from kafka import KafkaConsumer

from deploy.kafka.launcher import BrokerEndpoint
from events import Codec, Topics, open_sealed
from services.cases.application import CaseService
from services.kafka.provision import provision
from services.kafka.sealingkeys import backbone_keypair
from services.runtime.kafkaclients import broker_endpoint, client_config
from services.runtime.settings import Settings, load_settings
from services.runtime.supervisor import StopFlag
from services.simulator.personas import FAKE_PHONE_PREFIX
from services.simulator.runner import Options, Tally
from services.simulator.wiring import AgencyClients, build_simulator
from tests.kafkatools import broker_overrides

pytestmark = pytest.mark.integration
CASES = 3


@pytest.fixture(scope="module")
def kafka_settings(
    kafka_endpoint: BrokerEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """Settings shared by this module's tests: provisioning 30 agencies once takes ~20 s."""
    home = tmp_path_factory.mktemp("simulate")
    return load_settings(
        home=home / "home",
        topic_prefix=f"t{uuid.uuid4().hex[:12]}",
        master_key_file=home / "master.key",
        **broker_overrides(kafka_endpoint),
    )


@pytest.fixture(scope="module")
def simulated(kafka_settings: Settings) -> tuple[Tally, list[Any]]:
    """Three cases told at full speed, and every intake record read back."""
    provision(kafka_settings)
    options = Options(cases=CASES, rate=600, speed=1e7, duration=30)
    clients = AgencyClients(kafka_settings)
    try:
        tally = build_simulator(kafka_settings, options, seed=42, clients=clients).run(StopFlag())
    finally:
        clients.close()
    return tally, _read_intake(kafka_settings, tally.submitted)


def _read_intake(settings: Settings, count: int, timeout_s: float = 30.0) -> list[Any]:
    consumer = KafkaConsumer(
        **client_config(broker_endpoint(settings)),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    consumer.subscribe(pattern=Topics(settings.topic_prefix).intake_pattern)
    records: list[Any] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < count and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
    finally:
        consumer.close()
    assert len(records) == count, f"read {len(records)} of {count} intake records"
    return records


def test_every_step_of_every_case_is_on_its_agencys_intake_topic(
    simulated: tuple[Tally, list[Any]], kafka_settings: Settings
) -> None:
    tally, records = simulated
    codec, topics = Codec.from_directory(), Topics(kafka_settings.topic_prefix)
    assert tally.cases == CASES and tally.failed == 0
    decoded = [(r, codec.decode(r.value)) for r in records]
    assert len({d.record["case_id"] for _, d in decoded}) == CASES
    assert all(r.key.decode() == d.record["case_id"] for r, d in decoded)
    assert all(topics.agency_of(r.topic) for r, _ in decoded)
    reports = [d for _, d in decoded if d.wire_name == "CaseReported"]
    assert len(reports) == CASES


def test_personal_data_crosses_kafka_sealed_and_synthetic(
    simulated: tuple[Tally, list[Any]], kafka_settings: Settings
) -> None:
    _, records = simulated
    codec, private = Codec.from_directory(), backbone_keypair(kafka_settings).private_key
    for record in records:
        decoded = codec.decode(record.value)
        if decoded.wire_name != "CaseReported":
            continue
        sealed = decoded.record["personal_data"]
        person = codec.decode(open_sealed(private, sealed)).record
        assert person["child_name"].encode() not in sealed
        assert person["child_contact"].startswith(FAKE_PHONE_PREFIX)


def test_the_case_application_records_every_published_step(
    simulated: tuple[Tally, list[Any]], kafka_settings: Settings
) -> None:
    _, records = simulated
    codec, topics = Codec.from_directory(), Topics(kafka_settings.topic_prefix)
    by_case: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r.timestamp):
        decoded = codec.decode(record.value)
        by_case[decoded.record["case_id"]].append((topics.agency_of(record.topic), decoded))
    service = CaseService.from_settings(kafka_settings)
    try:
        for case_id, steps in by_case.items():
            for agency, decoded in steps:
                _record(service, agency, decoded)
            assert len(service.history(case_id)) == len(steps)
    finally:
        service.close()


def _record(service: CaseService, agency: str, decoded: Any) -> None:
    fields = dict(decoded.record)
    common = [fields.pop(k) for k in ("case_id", "submission_id", "occurred_at")]
    fields.pop("personal_data", None)
    occurred_ms = int(common[2].timestamp() * 1000)
    service.record(common[0], decoded.wire_name, fields, agency, common[1], occurred_ms)
