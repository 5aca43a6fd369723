"""Stalled-case projection: query cost against overdue rows, memory, throughput beside Kafka.

    python bench/bench_projections.py [--cases N] [--database-url URL] [--json]
                                      [--memory-events N] [--kafka-events N] [--skip-kafka]
                                      [--skip-query]

1. "Find stalled now" with N/10 and then N open cases (default N = 1,000,000) bulk-loaded into
   the read model on a temp SQLite file (and on PostgreSQL when ``--database-url`` names an
   empty scratch database), for 100 / 1,000 / 10,000 overdue obligations each. Baselines from
   the same run: the same query with the index defeated (``due_at + 0``) and a full scan of
   every open obligation evaluated in Python.
2. Memory: events fed through the projector in batches (no broker), peak and current RSS at
   intervals while the read model grows.
3. Throughput: CaseEvents produced to a local Kafka broker (started in a temp dir), read back
   raw with kafka-python, then projected from the same topic into a fresh read model, in the
   live process's batches and then in a rebuild's (larger ones): on SQLite, then (after more
   raw reads) on PostgreSQL, the scratch database ``--database-url`` names or a throw-away
   local cluster (Debian's ``postgresql``). A first,
   untimed raw read warms the broker and the client: the first read of a fresh topic ran at a
   third of the rate of the next ones, which made the first share look three times better;
   each baseline is then the fastest of three raw reads (the slowest is printed too).
   kafka-python checks each record batch's CRC32C with the ``crc32c`` package (a dependency of
   the project); the figures say which implementation ran.

Beside each wall-time rate, the CPU time per event of this process (the raw consumer's and
the projection's): their ratio swings much less with the shared machine's load.

``--json`` prints one JSON object with every figure (the tables go to stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from events import Codec, Topics
from events.instants import from_millis, to_millis
from projections.messages import Outbox, Source
from projections.projector import Projector
from projections.queries import stalled_cases
from projections.readmodel import ReadModel
from projections.rebuild import REPLAY_BATCH
from projections.rows import obligation_of
from projections.stalled import escalation_level
from projections.wiring import build_feed, obligation_engine
from services.runtime.logs import configure_logging
from services.runtime.settings import Settings, load_settings

CODEC = Codec.from_directory()
T0 = datetime(2026, 3, 2, 2, tzinfo=UTC)
BASE_MS = to_millis(T0 + timedelta(days=30))  # overdue rows fall due one second apart from here
FUTURE_MS = to_millis(T0 + timedelta(days=3650))
OVERDUE_STEPS = (100, 1_000, 10_000)
CHUNK = 20_000
STALL_LIMIT_S = 300.0


def timed(work: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


# -- 1. query cost ------------------------------------------------------------------------------
def bulk_load(db: sa.Engine, model: ReadModel, cases: int) -> None:
    """``cases`` open cases, one open obligation each; the first 10,000 fall due in the past."""
    model.drop(db)
    model.create(db)
    for start in range(0, cases, CHUNK):
        ids = range(start, min(start + CHUNK, cases))
        with db.begin() as conn:
            conn.execute(model.cases.insert(), [_case_row(i) for i in ids])
            conn.execute(model.obligations.insert(), [_obligation_row(i) for i in ids])


def _case_row(i: int) -> dict[str, Any]:
    return {
        "case_id": f"case-{i:07d}",
        "last_sequence": 1,
        "context": "{}",
        "province_code": "58",
        "district_code": "582",
        "commune_code": "22738",
        "is_open": True,
        "stalled": False,
        "level": 0,
        "stall_count": 0,
    }


def _obligation_row(i: int) -> dict[str, Any]:
    due = BASE_MS + i * 1000 if i < max(OVERDUE_STEPS) else FUTURE_MS + i
    opened = BASE_MS - 86_400_000
    return {
        "case_id": f"case-{i:07d}",
        "rule_id": "legal_aid_assigned",
        "key": "",
        "opened_seq": 1,
        "opened_at": opened,
        "due_at": due,
        "earliest_due_at": due,
        "max_due_at": None,
        "closed_at": None,
        "closed_by": None,
        "responsible_role": "state_legal_aid_centre",
        "responsible_agency": None,
        "citation": "Law on Legal Aid 2017 art. 30",
        "due_history": f"[[{opened},{due}]]",
        "met_late": False,
        "extended": 0,
        "extension_refused": False,
        "reported_level": 0,
        "wake_at": due + 1,
    }


def overdue_rows(conn: sa.Connection, model: ReadModel, at_ms: int, *, defeat: bool) -> int:
    """Fetch the open overdue obligation rows; ``defeat`` hides the index (``due_at + 0``)."""
    obs = model.obligations
    due = obs.c.due_at + 0 if defeat else obs.c.due_at
    query = sa.select(obs).where(obs.c.closed_at.is_(None), due < at_ms)
    return len(conn.execute(query).all())


def python_scan(conn: sa.Connection, model: ReadModel, at_ms: int) -> int:
    """Every open obligation loaded and evaluated in Python."""
    at, obs = from_millis(at_ms), model.obligations
    query = sa.select(obs).where(obs.c.closed_at.is_(None))
    rows = conn.execution_options(yield_per=10_000).execute(query).mappings()
    return sum(1 for row in rows if escalation_level(obligation_of(row), at) > 0)


def query_cost(name: str, db: sa.Engine, cases: int) -> list[dict[str, Any]]:
    """Both sizes vary: overdue rows at a fixed number of cases, and cases at fixed overdue rows
    (a tenth of ``cases``, then all of them), so the cost's dependence on each shows."""
    model = ReadModel("bench_")
    print(f"\n[{name}] fetching the open overdue rows, through the partial index and with it")
    print("defeated; then the whole `backbone stalled` answer (rows + evaluation in Python).")
    head = ("open cases", "overdue", "index scan", "index defeated", "stalled answer")
    print(f"{head[0]:>11} {head[1]:>8} {head[2]:>12} {head[3]:>15} {head[4]:>15}")
    figures: list[dict[str, Any]] = []
    for size in (cases // 10, cases):
        start = time.perf_counter()
        bulk_load(db, model, size)
        loaded = time.perf_counter() - start
        with db.connect() as conn:
            for overdue in OVERDUE_STEPS:
                at_ms = BASE_MS + overdue * 1000
                fast, found = timed(lambda a=at_ms: overdue_rows(conn, model, a, defeat=False))
                slow, counted = timed(lambda a=at_ms: overdue_rows(conn, model, a, defeat=True))
                whole, answer = timed(lambda a=at_ms: stalled_cases(conn, model, from_millis(a)))
                assert found == counted == len(answer) == overdue, (found, counted, overdue)
                print(f"{size:>11,} {overdue:>8,} {_ms(fast):>12} {_ms(slow):>15} {_ms(whole):>15}")
                figures.append({"store": name, "open_cases": size, "overdue": overdue,
                                "index_scan_ms": fast * 1000, "index_defeated_ms": slow * 1000,
                                "stalled_answer_ms": whole * 1000})  # fmt: skip
            if size == cases:
                last = BASE_MS + max(OVERDUE_STEPS) * 1000
                scan, counted = timed(lambda a=last: python_scan(conn, model, a), repeat=1)
                print(
                    f"{size:>11,} {counted:>8,} {'':>12} {'':>15} {_ms(scan):>15}"
                    "  <- baseline: every open obligation evaluated in Python"
                )
        print(f"{'':>11} (loading {size:,} cases took {loaded:.1f}s)")
    model.drop(db)
    return figures


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# -- 2. memory ----------------------------------------------------------------------------------
def stories(count: int) -> Iterator[tuple[bytes, bytes]]:
    """(key, CaseEvent): three per case (report, transfer, legal aid request), keyed by case
    id as the relay keys them, so each case stays in order on one partition."""
    for _ in range(count):
        case_id = str(uuid.uuid4())
        for seq, step, fields in (
            (1, "CaseReported", _reported()),
            (2, "TransferredToCommune", {"commune_code": "22738"}),
            (3, "LegalAidRequested", {}),
        ):
            yield case_id.encode(), case_event(case_id, seq, step, fields)


def _reported() -> dict[str, Any]:
    return {
        "channel": "hotline_111",
        "forms_of_abuse": ["neglect"],
        "setting": "family",
        "child_sex": "female",
        "child_age_group": "12-15",
        "province_code": "58",
        "district_code": "582",
        "commune_code": "22738",
        "risk_level": "high",
    }


def case_event(case_id: str, sequence: int, step: str, fields: dict[str, Any]) -> bytes:
    at = T0 + timedelta(minutes=sequence)
    body = {"submission_id": "s", "case_id": case_id, "occurred_at": at, **fields}
    return CODEC.encode(
        "CaseEvent",
        {
            "event_id": str(uuid.uuid4()),
            "case_id": case_id,
            "sequence": sequence,
            "recorded_at": at,
            "occurred_at": at,
            "agency": "hotline-111",
            "role": "hotline",
            "submission_id": "s",
            "event_type": step,
            "payload": CODEC.encode(step, body),
            "previous_hash": "",
            "hash": "00",
            "personal_data": b"",
        },
    )


def rss_mb() -> tuple[float, float]:
    """Current and peak resident set size in MB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    current = pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory(settings: Settings, db: sa.Engine, events: int) -> dict[str, Any]:
    projector = Projector(
        db,
        ReadModel("mem_"),
        obligation_engine(settings),
        Outbox(CODEC, Topics("bench")),
        lambda: T0,
    )
    print(f"\n[memory] {events:,} events through the projector, batches of 500")
    print(f"{'events':>10} {'cases in model':>15} {'events/s':>10} {'RSS MB':>8} {'peak MB':>8}")
    batch: list[Source] = []
    start, done = time.perf_counter(), 0
    for offset, (key, value) in enumerate(stories(events // 3)):
        batch.append(Source("bench.case-events", 0, offset, key, value))
        if len(batch) == 500:
            projector.handle(batch)
            done, batch = done + len(batch), []
            if done % max(500, events // 5 // 500 * 500) == 0:
                current, peak = rss_mb()
                rate = done / (time.perf_counter() - start)
                print(f"{done:>10,} {done // 3:>15,} {rate:>10,.0f} {current:>8.0f} {peak:>8.0f}")
    projector.model.drop(db)
    current, peak = rss_mb()
    rate = done / (time.perf_counter() - start)
    return {"events": done, "events_per_s": rate, "rss_mb": current, "peak_rss_mb": peak}


# -- 3. throughput ------------------------------------------------------------------------------
def throughput(tmp: Path, events: int, database_url: str) -> dict[str, Any]:
    """Raw consume, then a projection into a fresh SQLite read model; raw consume again, then
    one into PostgreSQL (``database_url``, else a throw-away local cluster). Each projection's
    share is of the raw consume measured just before it (load on a shared machine swings)."""
    from kafka import KafkaProducer
    from kafka.record.util import crc32c_c

    from deploy.kafka.launcher import LocalKafka
    from deploy.postgres.launcher import LocalPostgres
    from services.runtime.kafkaclients import client_config, ensure_topics

    broker = LocalKafka(tmp / "kafka")
    postgres = None if database_url else LocalPostgres(tmp / "postgres", durable=False)
    endpoint = broker.start()
    try:
        topic = Topics("bench").case_events
        ensure_topics(endpoint, [topic], partitions=3, replication=1)
        producer = KafkaProducer(**client_config(endpoint), linger_ms=20, batch_size=262144)
        for key, value in stories(events // 3):
            producer.send(topic, value, key=key)
        producer.flush()
        producer.close()
        stores = {
            "sqlite": f"sqlite:///{tmp / 'throughput.db'}",
            "postgresql": database_url or (postgres.start() if postgres else ""),
        }
        crc = "C crc32c" if crc32c_c is not None else "pure-Python CRC32C"
        print(f"\n[throughput] {events:,} CaseEvents on a local Kafka broker, 3 partitions, {crc}")
        figures: dict[str, Any] = {"events": events, "crc32c": crc}
        # Untimed: the first read of a fresh topic ran at a third of the rate of the next ones
        # (the broker's read path still cold, kafka-python's record modules still loading).
        warm = raw_consume(raw_consumer(endpoint), topic, events)
        print(f"{'raw consume, warm-up (not counted)':<34} {warm.per_s:>9,.0f} events/s "
              f"{warm.cpu_us:>7.1f} us CPU/event")  # fmt: skip
        figures["warm_up_raw_consume_events_per_s"] = warm.per_s
        for store, url in stores.items():
            raw, slowest = best_raw_consume(endpoint, topic, events)
            print(f"{f'raw consume, slowest of {RAW_PASSES}':<34} {slowest.per_s:>9,.0f} events/s "
                  f"{slowest.cpu_us:>7.1f} us CPU/event")  # fmt: skip
            settings = load_settings(
                home=tmp / "home",
                topic_prefix="bench",
                kafka_bootstrap_servers=endpoint.bootstrap_servers,
                kafka_username=endpoint.username,
                kafka_password=endpoint.password,
                database_url=url,
            )
            projected = project(settings, events, settings.batch_size)
            rebuilt = project(settings, events, max(settings.batch_size, REPLAY_BATCH))
            print(f"{'raw kafka-python consume':<34} {raw.per_s:>9,.0f} events/s "
                  f"{raw.cpu_us:>7.1f} us CPU/event  (baseline)")  # fmt: skip
            for name, rate in ((f"projection into {store}", projected),
                               (f"rebuild into {store}", rebuilt)):  # fmt: skip
                print(f"{name:<34} {rate.per_s:>9,.0f} events/s "
                      f"{rate.cpu_us:>7.1f} us CPU/event  ({rate.per_s / raw.per_s:.0%}, "
                      f"by CPU time {raw.cpu_us / rate.cpu_us:.0%})")  # fmt: skip
            figures[store] = compared(projected, raw)
            figures[f"{store}_rebuild"] = compared(rebuilt, raw)
        return figures
    finally:
        broker.stop()
        if postgres is not None:
            postgres.destroy()


RAW_PASSES = 3


def best_raw_consume(endpoint: Any, topic: str, events: int) -> tuple[Rate, Rate]:
    """The fastest and the slowest of ``RAW_PASSES`` raw reads of the topic. The fastest is
    the baseline: on a machine others share, a single read's wall time swung by four (its CPU
    time by a tenth), and the best of a few is the least disturbed, i.e. the strictest
    baseline for the projection beside it."""
    passes = sorted(
        (raw_consume(raw_consumer(endpoint), topic, events) for _ in range(RAW_PASSES)),
        key=lambda rate: rate.wall_s,
    )
    return passes[0], passes[-1]


def raw_consumer(endpoint: Any) -> Any:
    """A kafka-python consumer as the raw baselines read with it (no group, 500 per poll)."""
    from kafka import KafkaConsumer

    from services.runtime.kafkaclients import client_config

    return KafkaConsumer(
        **client_config(endpoint),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=500,
    )


@dataclass(frozen=True)
class Rate:
    """Events over wall time, and this process's CPU time per event: on a shared machine the
    wall-time rates swing with the others' load, the CPU time much less (a PostgreSQL server's
    own CPU time is not in it)."""

    events: int
    wall_s: float
    cpu_s: float

    @property
    def per_s(self) -> float:
        return self.events / self.wall_s

    @property
    def cpu_us(self) -> float:
        return self.cpu_s / self.events * 1e6


def compared(rate: Rate, raw: Rate) -> dict[str, float]:
    """A projection's figures beside the raw consume's, as JSON fields."""
    return {"raw_consume_events_per_s": raw.per_s, "projection_events_per_s": rate.per_s,
            "share_of_raw": rate.per_s / raw.per_s, "raw_consume_cpu_us_per_event": raw.cpu_us,
            "projection_cpu_us_per_event": rate.cpu_us,
            "cpu_share_of_raw": raw.cpu_us / rate.cpu_us}  # fmt: skip


def raw_consume(consumer: Any, topic: str, events: int) -> Rate:
    """kafka-python alone: every partition from the beginning, records counted, not decoded."""
    from kafka import TopicPartition

    while not consumer.partitions_for_topic(topic):
        time.sleep(0.1)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    start, cpu, count = time.perf_counter(), time.process_time(), 0
    while count < events:
        if time.perf_counter() - start > STALL_LIMIT_S:
            raise TimeoutError(f"read {count} of {events} events")
        count += sum(len(batch) for batch in consumer.poll(timeout_ms=1000).values())
    rate = Rate(events, time.perf_counter() - start, time.process_time() - cpu)
    consumer.close()
    return rate


def project(settings: Settings, events: int, batch: int) -> Rate:
    """A projection from the start of the topic into a fresh read model, dropped afterwards:
    in the live process's batches, or in a rebuild's (``REPLAY_BATCH``)."""
    from projections.wiring import build_projector

    model = ReadModel("tput_")
    projector = build_projector(settings, model, clock=lambda: T0)
    feed = build_feed(settings)
    feed.open({})
    start, cpu = time.perf_counter(), time.process_time()
    while sum(projector.positions().values()) < events:
        if time.perf_counter() - start > STALL_LIMIT_S:
            raise TimeoutError("the projection did not reach the end of the topic")
        messages = feed.poll(batch, 1000)
        if messages:
            projector.handle(messages)
            feed.commit(projector.positions())
    rate = Rate(events, time.perf_counter() - start, time.process_time() - cpu)
    feed.close()
    model.drop(projector.db)
    projector.db.dispose()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_POSTGRES_URL", ""))
    parser.add_argument("--memory-events", type=int, default=90_000)
    parser.add_argument("--kafka-events", type=int, default=50_000)
    parser.add_argument("--skip-kafka", action="store_true")
    parser.add_argument("--skip-query", action="store_true", help="leave out part 1")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    args.memory_events -= args.memory_events % 3  # whole cases of three events
    args.kafka_events -= args.kafka_events % 3
    if args.cases < 10 * max(OVERDUE_STEPS):
        parser.error(f"--cases must be at least {10 * max(OVERDUE_STEPS):,}")
    configure_logging("WARNING")
    figures: dict[str, Any] = {}
    out = sys.stderr if args.json else sys.stdout
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(out):
        sqlite = sa.create_engine(f"sqlite:///{Path(tmp) / 'readmodel.db'}")
        figures["query_cost"] = [] if args.skip_query else query_cost("sqlite", sqlite, args.cases)
        if args.database_url and not args.skip_query:
            figures["query_cost"] += query_cost(
                "postgresql", sa.create_engine(args.database_url), args.cases
            )
        settings = load_settings(home=Path(tmp) / "home")
        figures["memory"] = memory(settings, sqlite, args.memory_events)
        if not args.skip_kafka:
            figures["throughput"] = throughput(Path(tmp), args.kafka_events, args.database_url)
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
