"""``backbone intake`` as real processes: SIGTERM, SIGKILL and two in one group lose nothing."""

from __future__ import annotations

import json
import signal
import subprocess
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer

from events import Codec, Topics
from services.cases.application import CaseService
from services.kafka.provision import provision
from services.runtime.kafkaclients import broker_endpoint, client_config
from services.runtime.settings import Settings
from tests.casefactory import new_case_id, new_submission_id, payload
from tests.kafkatools import poll_until
from tests.processes import spawn

pytestmark = pytest.mark.integration
NOW = 1_760_000_000_000
STEPS = ("CaseReported", "TransferredToCommune", "MedicalSupportRequested")


class Stream:
    """Submissions for many cases, a few garbage records among them, as raw messages."""

    def __init__(self, agencies: Iterable[str], cases: int, garbage_every: int = 0) -> None:
        self.codec = Codec.from_directory()
        self.by_case: dict[str, list[str]] = {}
        self.messages: dict[str, list[tuple[bytes, bytes]]] = defaultdict(list)
        self.garbage = 0
        agency_list = list(agencies)
        for number in range(cases):
            agency = agency_list[number % len(agency_list)]
            self._case(agency)
            if garbage_every and number % garbage_every == 0:
                self.messages[agency].append((b"junk", f"garbage {number}".encode()))
                self.garbage += 1

    def _case(self, agency: str) -> None:
        case_id = new_case_id()
        self.by_case[case_id] = []
        for step in STEPS:
            submission_id = new_submission_id()
            record = {"submission_id": submission_id, "case_id": case_id, "occurred_at": NOW}
            value = self.codec.encode(step, record | payload(step))
            self.messages[agency].append((case_id.encode(), value))
            self.by_case[case_id].append(submission_id)

    @property
    def submissions(self) -> int:
        return sum(len(ids) for ids in self.by_case.values())


def publish(settings: Settings, stream: Stream) -> None:
    """All of ``stream`` through one producer."""
    topics = Topics(settings.topic_prefix)
    producer = KafkaProducer(**client_config(broker_endpoint(settings)), linger_ms=5)
    try:
        for agency, messages in stream.messages.items():
            for key, value in messages:
                producer.send(topics.intake(agency), value, key=key)
        producer.flush(timeout=30)
    finally:
        producer.close()


def recorded(service: CaseService) -> list[Any]:
    return [entry for _, entry in service.entries_since(0, 1_000_000)]


class RejectionReader:
    """Every message on the given rejection topics, duplicates included."""

    def __init__(self, settings: Settings, agencies: Iterable[str]) -> None:
        topics = Topics(settings.topic_prefix)
        self.codec = Codec.from_directory()
        names = [topics.rejected(agency) for agency in agencies]
        config = client_config(broker_endpoint(settings))
        self.consumer = KafkaConsumer(
            *names, **config, auto_offset_reset="earliest", enable_auto_commit=False
        )
        self.rejections: list[dict[str, Any]] = []

    def ids(self) -> set[str]:
        for batch in self.consumer.poll(timeout_ms=200).values():
            self.rejections += [self.codec.decode(r.value).record for r in batch]
        return {r["rejection_id"] for r in self.rejections}

    def close(self) -> None:
        self.consumer.close()


def assert_each_once_in_order(stream: Stream, entries: list[Any]) -> None:
    submission_ids = [e.submission_id for e in entries]
    assert len(submission_ids) == len(set(submission_ids)) == stream.submissions
    by_case: dict[str, list[str]] = defaultdict(list)
    for entry in sorted(entries, key=lambda e: (e.case_id, e.sequence)):
        by_case[entry.case_id].append(entry.submission_id)
    assert by_case == stream.by_case


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


def log_events(path: Path, event: str) -> list[dict[str, Any]]:
    lines = [line for line in path.read_text().splitlines() if line.startswith("{")]
    return [e for e in map(json.loads, lines) if e.get("event") == event]


@pytest.fixture
def provisioned(intake_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    def make(**overrides: object) -> Settings:
        settings = intake_settings(**overrides)
        provision(settings)
        return settings

    return make


def test_sigterm_finishes_the_batch_and_exits_zero(
    provisioned: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = provisioned(batch_size=10)
    stream = Stream(["hotline-111"], cases=30)
    publish(settings, stream)
    service = CaseService.from_settings(settings)
    log = tmp_path / "intake.log"
    intake = spawn(settings, "intake", log=log)
    try:
        poll_until(lambda: len(recorded(service)) >= 10, 60, "first batches recorded")
        assert stop(intake) == 0
        restarted = spawn(settings, "intake", log=log)
        poll_until(lambda: len(recorded(service)) == stream.submissions, 60, "the rest")
        # The first intake may have recorded everything before it stopped: signal the second
        # once it runs (its handler installed), not while it is still importing.
        poll_until(lambda: len(log_events(log, "intake.started")) == 2, 60, "second started")
        assert stop(restarted) == 0
    finally:
        intake.kill()
        service.close()
    assert log_events(log, "intake.stopped")
    assert_each_once_in_order(stream, recorded(CaseService.from_settings(settings)))


def test_sigkill_mid_stream_then_restart_ends_every_submission_once(
    provisioned: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = provisioned(batch_size=20)
    stream = Stream(["hotline-111", "police-khanh-hoa"], cases=100, garbage_every=10)
    publish(settings, stream)
    service = CaseService.from_settings(settings)
    rejections = RejectionReader(settings, ["hotline-111", "police-khanh-hoa"])
    log = tmp_path / "intake.log"
    intake = spawn(settings, "intake", log=log)
    try:
        poll_until(lambda: len(recorded(service)) >= 60, 60, "part of the stream recorded")
        intake.send_signal(signal.SIGKILL)
        intake.wait(timeout=30)
        assert len(recorded(service)) < stream.submissions, "killed after it had finished"
        restarted = spawn(settings, "intake", log=log)
        poll_until(lambda: len(recorded(service)) == stream.submissions, 90, "every step")
        poll_until(lambda: len(rejections.ids()) == stream.garbage, 30, "every rejection")
        assert stop(restarted) == 0
    finally:
        intake.kill()
        rejections.close()
    assert_each_once_in_order(stream, recorded(service))
    assert {r["reason"] for r in rejections.rejections} == {"not_single_object"}
    service.close()


def test_two_intakes_in_one_group_share_the_partitions_and_record_everything_once(
    provisioned: Callable[..., Settings], postgres_url: str, tmp_path: Path
) -> None:
    settings = provisioned(topic_partitions=3, database_url=postgres_url, batch_size=20)
    agencies = ["hotline-111", "police-khanh-hoa", "doh-khanh-hoa"]
    stream = Stream(agencies, cases=120)
    service = CaseService.from_settings(settings)
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    first, second = (spawn(settings, "intake", log=log) for log in logs)
    try:
        poll_until(lambda: all(_owns_partitions(log) for log in logs), 60, "both assigned")
        publish(settings, stream)
        poll_until(lambda: len(recorded(service)) == stream.submissions, 90, "every step")
        assert stop(first) == 0 and stop(second) == 0
    finally:
        first.kill()
        second.kill()
    assert all(log_events(log, "intake.batch_done") for log in logs), "one intake idled"
    assert_each_once_in_order(stream, recorded(service))
    service.close()


def _owns_partitions(log: Path) -> bool:
    assigned = log_events(log, "intake.partitions_assigned") if log.exists() else []
    return bool(assigned and assigned[-1]["partitions"])
