"""Event store throughput beside raw SQLAlchemy inserts into the same database.

    python bench/bench_store.py [--events N] [--database-url URL]

Runs on a fresh SQLite file, and on PostgreSQL when ``--database-url`` or ``BENCH_POSTGRES_URL``
names one (use an empty scratch database: the run refuses a database that already has cases).
For each store it prints events appended per second through ``CaseService.record`` (load, check
the rules, hash, save: one transaction per event), the same through ``record_many`` in batches of
200 events (one transaction a batch, as the intake does), events read back per second through
``history``, and the raw rate of inserting as many rows of the same size with
SQLAlchemy Core, one transaction per row and in one batch.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from services.cases.application import CaseService, StepRequest
from services.logs import configure_logging
from services.settings import load_settings

EVENTS_PER_CASE = 10
BATCH_CASES = 20  # 200 events a transaction
T0 = 1_700_000_000_000


@dataclass(frozen=True)
class Figures:
    store: str
    events: int
    appended_per_s: float
    batched_per_s: float
    read_per_s: float
    raw_per_row_per_s: float
    raw_batch_per_s: float
    row_bytes: int


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def append_cases(service: CaseService, case_ids: list[str]) -> None:
    for case_id in case_ids:
        service.report(case_id, {"channel": "hotline"}, "hotline-111", "s0", T0)
        for n in range(1, EVENTS_PER_CASE):
            fields = {"needs": ["school", "shelter"], "round": n}
            service.record(case_id, "NeedsAssessed", fields, "commune-22738", f"s{n}", T0)


def append_batched(service: CaseService, case_ids: list[str]) -> None:
    """The same events through ``record_many``, a batch per BATCH cases, as the intake does."""
    for start in range(0, len(case_ids), BATCH_CASES):
        requests = []
        for case_id in case_ids[start : start + BATCH_CASES]:
            requests.append(
                StepRequest(
                    case_id, "CaseReported", {"channel": "hotline"}, "hotline-111", "s0", T0
                )
            )
            for n in range(1, EVENTS_PER_CASE):
                fields = {"needs": ["school", "shelter"], "round": n}
                requests.append(
                    StepRequest(case_id, "NeedsAssessed", fields, "commune-22738", f"s{n}", T0)
                )
        service.record_many(requests)


def read_cases(service: CaseService, case_ids: list[str]) -> int:
    return sum(len(service.history(case_id)) for case_id in case_ids)


def average_row_bytes(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        query = "SELECT AVG(LENGTH(state)) FROM cases_events"
        return int(connection.exec_driver_sql(query).scalar_one())


def raw_table() -> sa.Table:
    return sa.Table(
        "bench_raw_events",
        sa.MetaData(),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("originator_id", sa.String(36), nullable=False),
        sa.Column("originator_version", sa.Integer, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("originator_id", "originator_version"),
    )


def raw_rows(count: int, size: int) -> list[dict[str, object]]:
    case_ids = [str(uuid.uuid4()) for _ in range(count // EVENTS_PER_CASE + 1)]
    return [
        {
            "originator_id": case_ids[i // EVENTS_PER_CASE],
            "originator_version": i % EVENTS_PER_CASE + 1,
            "topic": "services.cases.domainmodel:Case.StepRecorded",
            "state": os.urandom(size),
        }
        for i in range(count)
    ]


def raw_inserts(engine: sa.Engine, count: int, size: int) -> tuple[float, float]:
    """Seconds to insert ``count`` rows one transaction each, then in one batch."""
    table = raw_table()
    table.create(engine)
    try:
        rows = raw_rows(count, size)
        per_row = timed(lambda: _insert_each(engine, table, rows))
        with engine.begin() as connection:
            connection.execute(table.delete())
        rows = raw_rows(count, size)
        batch = timed(lambda: _insert(engine, table, rows))
    finally:
        table.drop(engine)
    return per_row, batch


def _insert_each(engine: sa.Engine, table: sa.Table, rows: list[dict[str, object]]) -> None:
    for row in rows:
        _insert(engine, table, [row])


def _insert(engine: sa.Engine, table: sa.Table, rows: list[dict[str, object]]) -> None:
    with engine.begin() as connection:
        connection.execute(table.insert(), rows)


def refuse_used_database(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        if sa.inspect(engine).has_table("cases_events"):
            sys.exit(f"refusing to benchmark on {engine.url!r}: it already holds cases")
    finally:
        engine.dispose()


def bench(store: str, url: str, home: Path, events: int) -> Figures:
    refuse_used_database(url)
    settings = load_settings(home=home, database_url=url, master_key_file=home / "master.key")
    service = CaseService.from_settings(settings)
    case_ids = [str(uuid.uuid4()) for _ in range(max(1, events // EVENTS_PER_CASE))]
    batched_ids = [str(uuid.uuid4()) for _ in case_ids]
    total = len(case_ids) * EVENTS_PER_CASE
    try:
        append_s = timed(lambda: append_cases(service, case_ids))
        batched_s = timed(lambda: append_batched(service, batched_ids))
        read_s = timed(lambda: read_cases(service, case_ids))
    finally:
        service.close()
    engine = sa.create_engine(url)
    try:
        size = average_row_bytes(engine)
        per_row_s, batch_s = raw_inserts(engine, total, size)
    finally:
        engine.dispose()
    return Figures(
        store,
        total,
        total / append_s,
        total / batched_s,
        total / read_s,
        total / per_row_s,
        total / batch_s,
        size,
    )


def report(rows: list[Figures]) -> None:
    header = (
        f"{'store':<12}{'events':>8}{'bytes/row':>11}{'appended/s':>12}{'batched/s':>11}"
        f"{'read/s':>10}"
        f"{'raw 1 tx/row /s':>17}{'raw batch /s':>14}"
    )
    print(header)
    for f in rows:
        print(
            f"{f.store:<12}{f.events:>8}{f.row_bytes:>11}{f.appended_per_s:>12.0f}"
            f"{f.batched_per_s:>11.0f}"
            f"{f.read_per_s:>10.0f}{f.raw_per_row_per_s:>17.0f}{f.raw_batch_per_s:>14.0f}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events per store")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_POSTGRES_URL", ""),
        help="also run on this (PostgreSQL) database",
    )
    args = parser.parse_args(argv)
    configure_logging(level="WARNING")
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        home = Path(tmp)
        stores = [("sqlite", f"sqlite:///{home / 'events.db'}")]
        if args.database_url:
            stores.append((sa.make_url(args.database_url).get_backend_name(), args.database_url))
        report([bench(name, url, home / name, args.events) for name, url in stores])


if __name__ == "__main__":
    main()
