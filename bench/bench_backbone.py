"""End to end through the backbone, beside raw kafka-python on the same broker, same run.

    python bench/bench_backbone.py [--submissions N] [--paced N] [--rate R]

Starts a throw-away local broker, provisions the backbone's topics, and runs ``backbone intake``
and ``backbone relay`` as real processes on an SQLite store. Then, for the backbone and for a
raw topic on the same broker:

* throughput: N messages produced as fast as possible, until the last one is read back
  (backbone: submissions on the intake topics until their events are on case-events);
* latency: messages produced at R per second, each timed from send to read-back (p50/p99).

The raw baseline is a kafka-python producer and consumer on one topic with the same partitions
and message sizes: what the broker and client cost before the backbone adds anything.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer

from deploy.kafka.launcher import LocalKafka
from events import Codec, Topics
from services.kafka.clients import broker_endpoint, client_config, ensure_topics
from services.kafka.provision import provision
from services.logs import configure_logging
from services.settings import Settings, load_settings

STEPS_PER_CASE = 10
AGENCY = "commune-22921"


@dataclass
class Reader:
    """Reads a topic in a thread; remembers when each id was first seen."""

    settings: Settings
    topic: str
    id_of: Callable[[bytes], str]
    seen: dict[str, float] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Reader:
        consumer = KafkaConsumer(
            self.topic,
            **client_config(broker_endpoint(self.settings)),
            auto_offset_reset="latest",
            enable_auto_commit=False,
        )
        while not consumer.assignment():
            consumer.poll(timeout_ms=100)
        threading.Thread(target=self._run, args=(consumer,), daemon=True).start()
        return self

    def _run(self, consumer: KafkaConsumer) -> None:
        while not self.stop.is_set():
            for records in consumer.poll(timeout_ms=100).values():
                now = time.perf_counter()
                for record in records:
                    self.seen.setdefault(self.id_of(record.value), now)
        consumer.close()

    def wait_for(self, ids: set[str], timeout: float) -> float:
        deadline = time.perf_counter() + timeout
        while not ids <= self.seen.keys():
            if time.perf_counter() > deadline:
                raise TimeoutError(f"only {len(ids & self.seen.keys())} of {len(ids)} arrived")
            time.sleep(0.01)
        return max(self.seen[i] for i in ids)


def submissions(codec: Codec, count: int) -> Iterator[tuple[str, bytes, bytes]]:
    """(submission id, key, value): cases of one report and nine assessments each."""
    now = datetime.now(UTC)
    case_id = ""
    for n in range(count):
        if n % STEPS_PER_CASE == 0:
            case_id = str(uuid.uuid4())
        sid = str(uuid.uuid4())
        common = {"submission_id": sid, "case_id": case_id, "occurred_at": now}
        if n % STEPS_PER_CASE == 0:
            body = {
                "channel": "commune_officer",
                "forms_of_abuse": ["violence"],
                "setting": "family",
                "child_sex": "female",
                "child_age_group": "6-11",
                "province_code": "58",
                "district_code": "582",
                "commune_code": "22738",
                "risk_level": "medium",
            }
            yield sid, case_id.encode(), codec.encode("CaseReported", common | body)
        else:
            needs = {"needs": ["counselling"]}
            yield sid, case_id.encode(), codec.encode("NeedsAssessed", common | needs)


def produce(
    settings: Settings, topic: str, messages: list[tuple[str, bytes, bytes]], rate: float | None
) -> dict[str, float]:
    producer = KafkaProducer(**client_config(broker_endpoint(settings)), linger_ms=5)
    sent: dict[str, float] = {}
    start = time.perf_counter()
    for n, (ident, key, value) in enumerate(messages):
        if rate:
            time.sleep(max(0.0, start + n / rate - time.perf_counter()))
        sent[ident] = time.perf_counter()
        producer.send(topic, value, key=key)
    producer.flush()
    producer.close()
    return sent


def measure(
    settings: Settings,
    reader: Reader,
    topic: str,
    messages: list[tuple[str, bytes, bytes]],
    rate: float | None,
) -> list[float]:
    sent = produce(settings, topic, messages, rate)
    reader.wait_for(set(sent), timeout=600)
    return [reader.seen[i] - t for i, t in sent.items()]


def run(args: argparse.Namespace) -> None:
    configure_logging("WARNING")
    home = Path(tempfile.mkdtemp(prefix="bench-backbone-"))
    broker = LocalKafka(home / "kafka")
    endpoint = broker.start()
    settings = load_settings(
        home=home,
        kafka_bootstrap_servers=endpoint.bootstrap_servers,
        kafka_username=endpoint.username,
        kafka_password=endpoint.password,
        topic_prefix="bench",
        topic_partitions=3,
        log_level="WARNING",
    )
    codec, topics = Codec.from_directory(), Topics("bench")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        provision(settings)
        raw_topic = "bench.raw"
        ensure_topics(endpoint, [raw_topic], 3, 1)
        env = {**settings.as_environment(), "BACKBONE_LOG_LEVEL": args.process_log_level}
        for command in ("intake", "relay"):
            with (home / f"{command}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "services.cli", command],
                        env=env,
                        stdout=log,
                        stderr=log,
                    )
                )
        warm = list(submissions(codec, STEPS_PER_CASE))
        event_sid: Callable[[bytes], str] = lambda v: codec.decode(v).record["submission_id"]  # noqa: E731
        backbone = Reader(settings, topics.case_events, event_sid).start()
        measure(settings, backbone, topics.intake(AGENCY), warm, None)
        raw = Reader(settings, raw_topic, lambda v: codec.decode(v).record["submission_id"]).start()
        report(args, settings, backbone, raw, codec, topics)
        backbone.stop.set()
        raw.stop.set()
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=60)
        broker.stop()
        print(f"(logs of the intake and relay in {home})")


def report(
    args: argparse.Namespace,
    settings: Settings,
    backbone: Reader,
    raw: Reader,
    codec: Codec,
    topics: Topics,
) -> None:
    rows = []
    for label, reader, topic in (
        ("raw kafka-python", raw, "bench.raw"),
        ("backbone", backbone, topics.intake(AGENCY)),
    ):
        burst = list(submissions(codec, args.submissions))
        start = time.perf_counter()
        measure(settings, reader, topic, burst, None)
        throughput = len(burst) / (time.perf_counter() - start)
        paced = measure(settings, reader, topic, list(submissions(codec, args.paced)), args.rate)
        q = statistics.quantiles(paced, n=100)
        rows.append((label, throughput, q[49] * 1000, q[98] * 1000))
    print(
        f"\n{'path':<20}{'msgs/s (burst)':>16}{'p50 ms':>10}{'p99 ms':>10}"
        f"   ({args.submissions} burst, {args.paced} paced at {args.rate}/s)"
    )
    for label, throughput, p50, p99 in rows:
        print(f"{label:<20}{throughput:>16.0f}{p50:>10.1f}{p99:>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--paced", type=int, default=400)
    parser.add_argument("--process-log-level", default="WARNING")
    parser.add_argument("--rate", type=float, default=50.0, help="paced messages per second")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
