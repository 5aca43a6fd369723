"""End to end through the backbone, beside raw kafka-python on the same broker, same run.

    python bench/bench_backbone.py [--submissions N] [--paced N] [--rate R]
        [--store sqlite|postgresql] [--database-url URL] [--store-cases N] [--json]

Starts a throw-away local broker, provisions the backbone's topics, and runs ``backbone intake``,
``backbone relay`` and ``backbone projections run`` as real processes on an SQLite store (or,
with ``--store postgresql``, on a throw-away local PostgreSQL cluster with durable commits, or
on the empty scratch database ``--database-url`` names). Then, for the backbone and for a raw
topic on the same broker:

* throughput: N messages produced as fast as possible, until the last one is read back
  (backbone: submissions on the intake topics until their events are on case-events);
* latency: messages produced at R per second, each timed from send to read-back (p50, p90,
  p99); for the backbone also from sending a report to its case's obligation in the stalled board's
  table (the read model the board queries, looked at every 5 ms), and split where the time
  goes: send to recorded in the store (the event's ``recorded_at``: the intake), recorded to
  on case-events (the relay), on case-events to on the board (the projections);
* CPU: each process's share of one core over a few seconds with nothing to do (a loop that
  waits for work must not spin), and while the paced submissions are sent;
* memory: the largest resident set of the intake and the relay during the run, with
  ``--store-cases`` cases recorded in the store beforehand (as already published);
* the machine's load average (1 min) before and after the measured runs: on a shared machine
  the p99 follows it, while the p50 and the split into stages move much less.

The raw baseline is a kafka-python producer and consumer on one topic with the same partitions
and message sizes: what the broker and client cost before the backbone adds anything.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
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
from typing import Any

import psutil
import sqlalchemy as sa
from kafka import KafkaConsumer, KafkaProducer

from deploy.kafka.launcher import BrokerEndpoint, LocalKafka
from events import Codec, Topics
from projections.readmodel import ReadModel
from services.cases.application import CaseService, StepRequest
from services.kafka.provision import provision
from services.kafka.relaystate import RelayState
from services.runtime.database import database_engine
from services.runtime.kafkaclients import broker_endpoint, client_config, ensure_topics
from services.runtime.logs import configure_logging
from services.runtime.settings import Settings, load_settings

STEPS_PER_CASE = 10
AGENCY = "commune-22921"
REPORT = {
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


def bench_settings(
    home: Path, endpoint: BrokerEndpoint, database_url: str = "", **overrides: Any
) -> Settings:
    """Settings of a benchmark's backbone on the throw-away broker (and database, if any)."""
    return load_settings(
        home=home,
        kafka_bootstrap_servers=endpoint.bootstrap_servers,
        kafka_username=endpoint.username,
        kafka_password=endpoint.password,
        topic_prefix="bench",
        topic_partitions=3,
        log_level="WARNING",
        **({"database_url": database_url} if database_url else {}),
        **overrides,
    )


IDLE_SECONDS = 5.0


@dataclass
class Reader:
    """Reads a topic in a thread; remembers when each id was first seen (and, for case events,
    when the store recorded it, on the same clock)."""

    settings: Settings
    topic: str
    read: Callable[[bytes], tuple[str, float | None]]  # value -> (id, recorded at, if known)
    seen: dict[str, float] = field(default_factory=dict)
    recorded: dict[str, float] = field(default_factory=dict)
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
                    ident, recorded = self.read(record.value)
                    self.seen.setdefault(ident, now)
                    if recorded is not None:
                        self.recorded.setdefault(ident, recorded)
        consumer.close()

    def wait_for(self, ids: set[str], timeout: float) -> float:
        deadline = time.perf_counter() + timeout
        while not ids <= self.seen.keys():
            if time.perf_counter() > deadline:
                raise TimeoutError(f"only {len(ids & self.seen.keys())} of {len(ids)} arrived")
            time.sleep(0.01)
        return max(self.seen[i] for i in ids)


@dataclass
class BoardReader:
    """Looks every 5 ms for awaited cases' obligations in the stalled board's table."""

    engine: sa.Engine
    awaited: set[str] = field(default_factory=set)
    seen: dict[str, float] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> BoardReader:
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def await_cases(self, case_ids: set[str]) -> None:
        with self.lock:
            self.awaited |= case_ids

    def _run(self) -> None:
        obligations = ReadModel().obligations
        while not self.stop.is_set():
            with self.lock:
                wanted = sorted(self.awaited - self.seen.keys())
            if wanted:
                query = sa.select(obligations.c.case_id).where(obligations.c.case_id.in_(wanted))
                try:
                    with self.engine.connect() as conn:
                        found = set(conn.execute(query).scalars())
                except sa.exc.OperationalError:  # the table is not created yet
                    found = set()
                now = time.perf_counter()
                for case_id in found:
                    self.seen.setdefault(case_id, now)
            time.sleep(0.005)

    def wait_for(self, ids: set[str], timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while not ids <= self.seen.keys():
            if time.perf_counter() > deadline:
                raise TimeoutError(f"only {len(ids & self.seen.keys())} of {len(ids)} on the board")
            time.sleep(0.01)


@dataclass
class PeakMemory:
    """The largest resident set of each process, sampled twice a second."""

    processes: dict[str, int]
    peak: dict[str, int] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> PeakMemory:
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def _run(self) -> None:
        watched = {name: psutil.Process(pid) for name, pid in self.processes.items()}
        while not self.stop.is_set():
            for name, process in watched.items():
                try:
                    rss = process.memory_info().rss
                except psutil.Error:
                    continue
                self.peak[name] = max(self.peak.get(name, 0), rss)
            time.sleep(0.5)


@dataclass
class CpuShare:
    """Each process's CPU time from ``start()`` to ``shares()``, as % of one core."""

    processes: dict[str, int]
    _before: dict[str, float] = field(default_factory=dict)
    _started: float = 0.0

    def start(self) -> CpuShare:
        self._before = {name: self._used(pid) for name, pid in self.processes.items()}
        self._started = time.perf_counter()
        return self

    def shares(self) -> dict[str, float]:
        seconds = time.perf_counter() - self._started
        return {
            name: round(100 * (self._used(pid) - self._before[name]) / seconds, 1)
            for name, pid in self.processes.items()
        }

    @staticmethod
    def _used(pid: int) -> float:
        return float(sum(psutil.Process(pid).cpu_times()[:2]))


def idle_cpu(processes: dict[str, int], seconds: float = IDLE_SECONDS) -> dict[str, float]:
    """Each process's CPU over ``seconds`` with nothing to do, as % of one core."""
    share = CpuShare(processes).start()
    time.sleep(seconds)
    return share.shares()


def case_event_of(codec: Codec) -> Callable[[bytes], tuple[str, float | None]]:
    """A case event's submission id and when the store recorded it (perf_counter seconds)."""

    def read(value: bytes) -> tuple[str, float | None]:
        record = codec.decode(value).record
        recorded = record["recorded_at"]
        millis = recorded.timestamp() * 1000 if isinstance(recorded, datetime) else recorded
        wall_to_perf = time.time() - time.perf_counter()  # now: a clock step is not measured
        return record["submission_id"], millis / 1000 - wall_to_perf

    return read


def fill_store(settings: Settings, cases: int) -> None:
    """Record ``cases`` reported cases, and mark them published (the relay starts after them)."""
    if not cases:
        return
    service = CaseService.from_settings(settings)
    t0 = int(time.time() * 1000)
    try:
        for start in range(0, cases, 500):
            service.record_many(
                [
                    StepRequest(
                        str(uuid.uuid4()),
                        "CaseReported",
                        {"channel": "hotline"},
                        "hotline-111",
                        f"fill-{n}",
                        t0,
                    )
                    for n in range(start, min(start + 500, cases))
                ]
            )
        last = service.recorder.max_notification_id() or 0
    finally:
        service.close()
    engine = database_engine(settings)
    try:
        RelayState(engine, "case-events").advance(last, {})
    finally:
        engine.dispose()


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
            yield sid, case_id.encode(), codec.encode("CaseReported", common | REPORT)
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


def percentiles_ms(latencies: list[float]) -> dict[str, float]:
    """The median, 90th and 99th percentiles of latencies in seconds, as milliseconds."""
    q = statistics.quantiles(latencies, n=100)
    return {"p50_ms": q[49] * 1000, "p90_ms": q[89] * 1000, "p99_ms": q[98] * 1000}


def per_second(count: int, action: Callable[..., object], *args: object) -> float:
    """``count`` divided by the seconds ``action(*args)`` takes."""
    start = time.perf_counter()
    action(*args)
    return count / (time.perf_counter() - start)


@contextlib.contextmanager
def backbone_processes(
    home: Path, commands: list[list[str]], env: dict[str, str]
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """The backbone's processes (``backbone <command>``), each logging to ``home/<name>.log``,
    by name; stopped on leaving."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for command in commands:
            with (home / f"{command[0]}.log").open("wb") as log:
                processes[command[0]] = subprocess.Popen(
                    [sys.executable, "-m", "services.cli", *command],
                    env=env,
                    stdout=log,
                    stderr=log,
                )
        yield processes
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(timeout=60)


def run(args: argparse.Namespace) -> dict[str, object]:
    configure_logging("WARNING")
    home = Path(tempfile.mkdtemp(prefix="bench-backbone-"))
    broker = LocalKafka(home / "kafka")
    postgres = None
    if args.store == "postgresql" and not args.database_url:
        from deploy.postgres.launcher import LocalPostgres

        postgres = LocalPostgres(home / "postgres", durable=True)
    endpoint = broker.start()
    try:
        database_url = args.database_url or (postgres.start() if postgres else "")
        settings = bench_settings(home, endpoint, database_url)
        return run_on(args, home, settings)
    finally:
        broker.stop()
        if postgres is not None:
            postgres.destroy()
        print(f"(logs of the processes in {home})", file=sys.stderr)


def run_on(args: argparse.Namespace, home: Path, settings: Settings) -> dict[str, object]:
    """The figures of the backbone's processes on ``settings``' broker and store."""
    codec, topics = Codec.from_directory(), Topics("bench")
    commands = [["intake"], ["relay"], ["projections", "run"]]
    env = {**settings.as_environment(), "BACKBONE_LOG_LEVEL": args.process_log_level}
    provision(settings)
    fill_store(settings, args.store_cases)
    raw_topic = "bench.raw"
    ensure_topics(broker_endpoint(settings), [raw_topic], 3, 1)
    with backbone_processes(home, commands, env) as processes:
        pids = {name: p.pid for name, p in processes.items()}
        memory = PeakMemory(pids).start()
        board = BoardReader(database_engine(settings)).start()
        warm = list(submissions(codec, STEPS_PER_CASE))
        backbone = Reader(settings, topics.case_events, case_event_of(codec)).start()
        measure(settings, backbone, topics.intake(AGENCY), warm, None)
        board.await_cases({warm[0][1].decode()})
        board.wait_for({warm[0][1].decode()}, timeout=600)
        idle = idle_cpu(pids)
        raw = Reader(settings, raw_topic, lambda v: (submission_id(codec, v), None)).start()
        figures = compare(args, settings, backbone, raw, board, codec, topics, pids)
        figures["idle_cpu_percent"] = idle
        figures["peak_rss_mb"] = {k: round(v / 2**20, 1) for k, v in memory.peak.items()}
        figures["store_cases"] = args.store_cases
        figures["store"] = sa.make_url(settings.effective_database_url).get_backend_name()
        for reader in (backbone, raw, board, memory):
            reader.stop.set()
        return figures


def submission_id(codec: Codec, value: bytes) -> str:
    return str(codec.decode(value).record["submission_id"])


def reports_of(codec: Codec, messages: list[tuple[str, bytes, bytes]]) -> dict[str, str]:
    """Submission id -> case id of the reports among ``messages`` (each opens a case)."""
    return {
        submission_id(codec, value): key.decode()
        for n, (_, key, value) in enumerate(messages)
        if n % STEPS_PER_CASE == 0
    }


def compare(
    args: argparse.Namespace,
    settings: Settings,
    backbone: Reader,
    raw: Reader,
    board: BoardReader,
    codec: Codec,
    topics: Topics,
    pids: dict[str, int],
) -> dict[str, object]:
    figures: dict[str, object] = {"submissions": args.submissions, "paced": args.paced}
    figures["rate"] = args.rate
    loads = [os.getloadavg()[0]]  # the machine may be shared: the load it ran under
    for label, reader, topic in (
        ("raw", raw, "bench.raw"),
        ("backbone", backbone, topics.intake(AGENCY)),
    ):
        burst = list(submissions(codec, args.submissions))
        throughput = per_second(len(burst), measure, settings, reader, topic, burst, None)
        if label == "backbone":  # the projections catch up before the latencies are taken
            board.await_cases(set(reports_of(codec, burst).values()))
            board.wait_for(set(reports_of(codec, burst).values()), timeout=600)
        paced_messages = list(submissions(codec, args.paced))
        reports = reports_of(codec, paced_messages)
        board.await_cases(set(reports.values()))
        busy = CpuShare(pids).start()
        sent = produce(settings, topic, paced_messages, args.rate)
        if label == "backbone":
            figures["paced_cpu_percent"] = busy.shares()
        reader.wait_for(set(sent), timeout=600)
        latencies = [reader.seen[i] - t for i, t in sent.items()]
        figures[label] = {"per_s": throughput} | percentiles_ms(latencies)
        if label == "backbone":
            board.wait_for(set(reports.values()), timeout=600)
            waits = [board.seen[case] - sent[sid] for sid, case in reports.items()]
            figures["board"] = percentiles_ms(waits)
            figures["stages"] = {
                "intake": percentiles_ms([reader.recorded[i] - t for i, t in sent.items()]),
                "relay": percentiles_ms([reader.seen[i] - reader.recorded[i] for i in sent]),
                "projections": percentiles_ms(
                    [board.seen[case] - reader.seen[sid] for sid, case in reports.items()]
                ),
            }
    figures["load_average"] = [round(load, 2) for load in (*loads, os.getloadavg()[0])]
    return figures


def report(figures: dict[str, Any]) -> None:
    print(
        f"\n{'path':<28}{'msgs/s (burst)':>16}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}"
        f"   ({figures['store']}; {figures['submissions']} burst, {figures['paced']} paced at "
        f"{figures['rate']}/s)"
    )
    rows = (
        ("raw kafka-python", figures["raw"]),
        ("backbone to case-events", figures["backbone"]),
        ("backbone to stalled board", {"per_s": float("nan")} | figures["board"]),
    )
    for label, row in rows:
        print(
            f"{label:<28}{row['per_s']:>16.0f}"
            f"{row['p50_ms']:>10.1f}{row['p90_ms']:>10.1f}{row['p99_ms']:>10.1f}"
        )
    stages = {
        "intake": "  stage: sent to recorded",
        "relay": "  stage: to case-events",
        "projections": "  stage: to the board",
    }
    for stage, row in figures["stages"].items():
        columns = "".join(f"{row[p]:>10.1f}" for p in ("p50_ms", "p90_ms", "p99_ms"))
        print(f"{stages[stage]:<44}{columns}")
    print(
        "goals: case-events p99 <= 60 ms, board p99 <= 150 ms at 200/s; peak RSS (MB) with "
        f"{figures['store_cases']:,} cases stored: {figures['peak_rss_mb']} (goal < 300)"
    )
    print(f"idle CPU (% of a core over {IDLE_SECONDS:.0f} s): {figures['idle_cpu_percent']}")
    print(f"CPU while paced (% of a core): {figures['paced_cpu_percent']}")
    start, end = figures["load_average"]
    print(f"load average (1 min) before and after the measured runs: {start} and {end}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--paced", type=int, default=2000)
    parser.add_argument("--process-log-level", default="WARNING")
    parser.add_argument("--rate", type=float, default=200.0, help="paced messages per second")
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default="", help="an empty PostgreSQL database")
    parser.add_argument("--store-cases", type=int, default=0, help="cases stored beforehand")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    figures = run(args)
    if args.json:
        print(json.dumps(figures))
    else:
        report(figures)


if __name__ == "__main__":
    main()
