"""Projection rate per partition, per process and with two processes in one consumer group.

    python bench/bench_projection_rate.py [--events N] [--partitions P] [--database-url URL]
                                          [--store postgresql|sqlite|both] [--json]

The same CaseEvents (three per case: report, transfer, legal aid request; keyed by case id as
the relay keys them) are produced to three fresh topics on a local Kafka broker started in a
temp dir: one with a single partition and two with ``P`` partitions (default 6). The read model
is on PostgreSQL, as in a deployment: a throw-away local cluster (Debian's ``postgresql``), or
the empty scratch database ``--database-url`` names; and on an SQLite file, as the embedded
store has it (``--store`` picks one). Then, for each, in a fresh read model:

- **per partition**: one projection process (``build_projector`` + ``build_feed``, the code the
  ``backbone projections run`` loop drives) on the single-partition topic;
- **per process**: one projection process holding every partition of a ``P``-partition topic;
- **two processes in a group**: two OS processes with ``BACKBONE_PROJECTION_GROUP=true`` sharing
  the other ``P``-partition topic; the rate counts from the first batch either of them applies to
  the last, so the group's join is inside it.

Baseline from the same run, beside each figure: kafka-python reading the same topic raw (records
counted, not decoded), one consumer, just before the projection; for one process, also the
ratio of their CPU times per event (steadier on a shared machine; a PostgreSQL server's own CPU
time is not in it). ``--json`` prints one JSON object (the table goes to stderr).

Default size (30,000 events) runs in a few minutes on a shared 2-core machine. The large variant,
by hand only: ``--events 300000``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_projections import (
    STALL_LIMIT_S,
    T0,
    Rate,
    compared,
    raw_consume,
    raw_consumer,
    stories,
)

from events import Topics
from projections.readmodel import ReadModel
from services.runtime.logs import configure_logging
from services.runtime.settings import Settings, load_settings


def settings_for(base: dict[str, Any], prefix: str, group: bool) -> Settings:
    return load_settings(**base, topic_prefix=prefix, projection_group=group)


def model_of(prefix: str) -> str:
    """A fresh read model per run: its tables' prefix."""
    return f"{prefix.replace('-', '_')}_"


def project_until(settings: Settings, model: str, events: int) -> dict[str, float]:
    """Project ``settings``' case-events into the read model ``model`` until the model's stored
    positions (of every member) add up to ``events``; wall-clock times of the first and last
    batch this process applied, and how many events it applied."""
    from projections.wiring import build_feed, build_projector

    projector = build_projector(settings, ReadModel(model), clock=lambda: T0)
    feed = build_feed(settings)
    feed.open(projector.positions)
    first = last = 0.0
    applied = 0
    cpu = time.process_time()
    deadline = time.monotonic() + STALL_LIMIT_S
    while sum(projector.positions().values()) < events:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{settings.topic_prefix}: the projection did not reach the end")
        messages = feed.poll(settings.batch_size, 500)
        if messages:
            projector.handle(messages)
            feed.commit(projector.positions())
            last = time.time()
            first = first or last
            applied += len(messages)
    cpu = time.process_time() - cpu
    feed.close()
    projector.db.dispose()
    return {"first": first, "last": last, "applied": applied, "cpu_s": cpu}


def _member(base: dict[str, Any], prefix: str, model: str, events: int, out: Any) -> None:
    configure_logging("WARNING")
    out.put(project_until(settings_for(base, prefix, group=True), model, events))


def group_rate(base: dict[str, Any], prefix: str, events: int, members: int) -> dict[str, Any]:
    """``members`` projection processes in one group on ``prefix``'s case-events."""
    spawn = multiprocessing.get_context("spawn")
    out = spawn.Queue()
    model = model_of(prefix)
    procs = [
        spawn.Process(target=_member, args=(base, prefix, model, events, out))
        for _ in range(members)
    ]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=STALL_LIMIT_S * 2) for _ in procs]
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise RuntimeError(f"a group member exited with {proc.exitcode}")
    # A member the group gave no partition (or none with events left) applied nothing.
    elapsed = max(r["last"] for r in results) - min(r["first"] for r in results if r["applied"])
    return {"events_per_s": events / elapsed, "applied_per_member": [r["applied"] for r in results]}


def produce(endpoint: Any, topic: str, partitions: int, events: int) -> None:
    from kafka import KafkaProducer

    from services.runtime.kafkaclients import client_config, ensure_topics

    ensure_topics(endpoint, [topic], partitions=partitions, replication=1)
    producer = KafkaProducer(**client_config(endpoint), linger_ms=20, batch_size=262144)
    for key, value in stories(events // 3):
        producer.send(topic, value, key=key)
    producer.flush()
    producer.close()


def measure(
    tmp: Path, events: int, partitions: int, database_url: str, stores: list[str]
) -> dict[str, Any]:
    from deploy.kafka.launcher import LocalKafka
    from deploy.postgres.launcher import LocalPostgres

    broker = LocalKafka(tmp / "kafka")
    postgres = (
        LocalPostgres(tmp / "postgres", durable=False)
        if "postgresql" in stores and not database_url
        else None
    )
    endpoint = broker.start()
    try:
        urls = {
            "postgresql": database_url or (postgres.start() if postgres else ""),
            "sqlite": f"sqlite:///{tmp / 'readmodel.db'}",
        }
        runs = (
            ("per partition (1 partition, 1 process)", "rate-p1", 1, 0),
            (f"per process ({partitions} partitions, 1 process)", "rate-one", partitions, 0),
            (f"group ({partitions} partitions, 2 processes)", "rate-two", partitions, 2),
        )
        figures: list[dict[str, Any]] = []
        for name, prefix, count, members in runs:
            topic = Topics(prefix).case_events
            produce(endpoint, topic, count, events)
            for store in stores:
                base = {
                    "home": tmp / "home",
                    "kafka_bootstrap_servers": endpoint.bootstrap_servers,
                    "kafka_username": endpoint.username,
                    "kafka_password": endpoint.password,
                    "database_url": urls[store],
                    "log_level": "WARNING",
                }
                raw = raw_consume(raw_consumer(endpoint), topic, events)
                if members:
                    found = group_rate(base, prefix, events, members)
                    rate = float(found["events_per_s"])
                    figures_of_run = {"raw_consume_events_per_s": raw.per_s,
                                      "projection_events_per_s": rate,
                                      "share_of_raw": rate / raw.per_s, **found}  # fmt: skip
                    cpu = ""
                else:
                    settings = settings_for(base, prefix, False)
                    times = project_until(settings, model_of(prefix), events)
                    projected = Rate(events, times["last"] - times["first"], times["cpu_s"])
                    figures_of_run = compared(projected, raw)
                    rate = projected.per_s
                    cpu = f", by CPU time {raw.cpu_us / projected.cpu_us:.1%}"
                figures.append({"run": name, "store": store, "partitions": count,
                                "processes": members or 1, **figures_of_run})  # fmt: skip
                print(f"{name:<40} {store:<10} {rate:>9,.0f} events/s   raw consume "
                      f"{raw.per_s:>9,.0f} events/s ({rate / raw.per_s:.1%}{cpu})",
                      flush=True)  # fmt: skip
        return {"events": events, "stores": stores, "runs": figures}
    finally:
        broker.stop()
        if postgres is not None:
            postgres.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--database-url", default="", help="an empty scratch PostgreSQL database")
    parser.add_argument(
        "--store",
        choices=("postgresql", "sqlite", "both"),
        default="both",
        help="the read model's database (default: both, PostgreSQL first)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    args.events -= args.events % 3  # whole cases of three events
    configure_logging("WARNING")
    out = sys.stderr if args.json else sys.stdout
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(out):
        stores = ["postgresql", "sqlite"] if args.store == "both" else [args.store]
        print(f"{args.events:,} CaseEvents per topic; read model on {' and '.join(stores)}; "
              "raw consume measured before each projection")  # fmt: skip
        figures = measure(Path(tmp), args.events, args.partitions, args.database_url, stores)
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
