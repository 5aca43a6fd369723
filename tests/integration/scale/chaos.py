"""The parts of the failure test: steady load, a fleet of real processes, seeded kills.

Everything is real: the brokers are the JVMs of a :class:`LocalKafkaCluster`, the backbone's
processes are ``backbone intake|relay|projections run`` sub-processes, PostgreSQL is a private
cluster; a kill is ``SIGKILL`` on the process id.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from deploy.kafka.cluster import LocalKafkaCluster
from deploy.process import read_state, reap
from events import Codec, Topics
from services.runtime.kafkaclients import broker_endpoint, client_config
from services.runtime.settings import Settings
from tests.casefactory import new_case_id, new_submission_id, payload
from tests.kafkatools import poll_until
from tests.processes import spawn

NOW = 1_760_000_000_000  # the steps happened in 2025: their deadlines have passed, cases stall
STEPS = ("CaseReported", "TransferredToCommune", "MedicalSupportRequested")


class Load:
    """Submissions at a steady rate on the agencies' intake topics, in a thread.

    Per case three steps in order; every 25th case also a record that is not a submission
    (garbage) and every 20th a step of a case nobody reported (refused once held). Every
    message the broker acknowledged is remembered; the producer is idempotent, so a retried
    send is not a second submission.
    """

    def __init__(self, settings: Settings, agencies: list[str], cases_per_second: float) -> None:
        self.settings = settings
        self.topics = Topics(settings.topic_prefix)
        self.codec = Codec.from_directory()
        self.agencies = agencies
        self.interval = 1.0 / cases_per_second
        self.acked = 0
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Load:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    def _run(self) -> None:
        producer = KafkaProducer(
            **client_config(broker_endpoint(self.settings)),
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            delivery_timeout_ms=120_000,
            max_block_ms=120_000,
        )
        number = 0
        try:
            while not self._stop.is_set():
                for topic, key, value in self._messages(number):
                    producer.send(topic, value, key=key).add_callback(self._ok).add_errback(
                        self._failed
                    )
                number += 1
                self._stop.wait(self.interval)
            producer.flush(timeout=120)
        finally:
            producer.close(timeout=30)

    def _ok(self, _metadata: Any) -> None:
        self.acked += 1

    def _failed(self, _error: Any) -> None:
        self.failed += 1

    def _messages(self, number: int) -> list[tuple[str, bytes, bytes]]:
        agency = self.agencies[number % len(self.agencies)]
        topic, case_id = self.topics.intake(agency), new_case_id()
        out = [(topic, case_id.encode(), self._step(case_id, step)) for step in STEPS]
        if number % 25 == 0:
            out.append((topic, b"junk", f"garbage {number}".encode()))
        if number % 20 == 0:
            orphan = new_case_id()
            out.append((topic, orphan.encode(), self._step(orphan, "TransferredToCommune")))
        return out

    def _step(self, case_id: str, step: str) -> bytes:
        record = {"submission_id": new_submission_id(), "case_id": case_id, "occurred_at": NOW}
        return self.codec.encode(step, record | payload(step))


@dataclass
class Fleet:
    """The backbone's processes by name, each restartable after a kill.

    ``commands`` maps a name to its sub-command and the log event it writes once running.
    """

    settings: Settings
    logs: Path
    commands: dict[str, tuple[tuple[str, ...], str]]
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    exited_by_themselves: int = 0
    _log_start: dict[str, int] = field(default_factory=dict)

    def start(self) -> Fleet:
        for name in self.commands:
            self._spawn(name)
        return self

    def ready(self, name: str) -> bool:
        """Whether ``name``, as last started, has said it runs (its log's started event)."""
        log = self.logs / f"{name}.log"
        with log.open("rb") as file:
            file.seek(self._log_start[name])
            return self.commands[name][1].encode() in file.read()

    def kill(self, name: str) -> None:
        """SIGKILL ``name`` and start it again."""
        process = self.running[name]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        self._spawn(name)

    def revive(self) -> None:
        """Restart what died on its own (what a supervisor's restart policy does); count it."""
        for name, process in self.running.items():
            if process.poll() is not None:
                self.exited_by_themselves += 1
                self._spawn(name)

    def stop(self) -> dict[str, int]:
        """SIGTERM each; the exit codes by name."""
        for process in self.running.values():
            process.send_signal(signal.SIGTERM)
        codes = {}
        for name, process in self.running.items():
            try:
                codes[name] = process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = process.wait(timeout=30)
        return codes

    def _spawn(self, name: str) -> None:
        log = self.logs / f"{name}.log"
        self._log_start[name] = log.stat().st_size if log.exists() else 0
        self.running[name] = spawn(self.settings, *self.commands[name][0], log=log)


def leader_of(settings: Settings, topic: str, partition: int) -> int:
    """The broker id that leads ``topic``'s ``partition`` now."""
    admin = KafkaAdminClient(**client_config(broker_endpoint(settings)))
    try:
        found = admin.describe_topics([topic])[0]["partitions"]
    finally:
        admin.close()
    return int(next(p["leader_id"] for p in found if p["partition_index"] == partition))


def fully_replicated(settings: Settings, topic: str, replicas: int) -> bool:
    admin = KafkaAdminClient(**client_config(broker_endpoint(settings)))
    try:
        found = admin.describe_topics([topic])[0]["partitions"]
    except Exception:
        return False
    finally:
        admin.close()
    return all(len(p["isr_nodes"]) == replicas for p in found)


def kill_broker(cluster: LocalKafkaCluster, node_id: int) -> None:
    """SIGKILL the broker's JVM, then start it again and wait until it answers."""
    node = cluster.node(node_id)
    pid = int(read_state(node.state_file)["pid"])
    os.kill(pid, signal.SIGKILL)
    poll_until(lambda: _dead(pid), 30, f"broker {node_id} gone")
    node.launch()
    node.wait_answering(180)


def _dead(pid: int) -> bool:
    reap(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] == "Z"


@dataclass
class KillPlan:
    """Seeded: which target is killed when. The seed reproduces a run."""

    seed: int
    kills: int
    targets: tuple[str, ...]
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def schedule(self) -> list[tuple[float, str]]:
        """(pause before the kill in seconds, target), every target at least once."""
        picks = list(self.targets) + [
            self.rng.choice(self.targets) for _ in range(self.kills - len(self.targets))
        ]
        self.rng.shuffle(picks)
        return [(self.rng.uniform(0.5, 3.0), target) for target in picks]


def read_all(settings: Settings, topics: list[str], timeout: float = 120) -> list[Any]:
    """Every record now on ``topics``, from their beginnings to their current ends."""
    consumer = KafkaConsumer(
        *topics, **client_config(broker_endpoint(settings)), enable_auto_commit=False
    )
    records: list[Any] = []
    try:
        poll_until(lambda: bool(consumer.assignment()) or _poll(consumer, records), 60, "assign")
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(list(consumer.assignment()))

        def done() -> bool:
            for batch in consumer.poll(timeout_ms=300).values():
                records.extend(batch)
            return all(consumer.position(tp) >= end for tp, end in ends.items())

        poll_until(done, timeout, f"{topics} read to the end")
    finally:
        consumer.close()
    return records


def _poll(consumer: KafkaConsumer, records: list[Any]) -> bool:
    consumer.poll(timeout_ms=200)
    return False
