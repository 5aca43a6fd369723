"""Event store throughput beside raw SQLAlchemy inserts into the same database.

    python bench/bench_store.py [--events N] [--postgres | --database-url URL] [--json]

Runs on a fresh SQLite file, and on PostgreSQL when ``--database-url`` or ``BENCH_POSTGRES_URL``
names one (use an empty scratch database: the run refuses a database that already has cases),
or on a throw-away local cluster (Debian's ``postgresql``) that ``--postgres`` starts and
destroys again.
For each store it prints events appended per second through ``CaseService.record`` (load, check
the rules, hash, save: one transaction per event), the same through ``record_many`` in batches of
200 events (one transaction a batch, as the intake does), the same with personal data on every
fifth case (20 %), events read back per second through ``history``, and the raw rate of
inserting as many rows of the same size with SQLAlchemy Core into a table like the store's (the
same columns with the same types, its key and its unique index on case and version): one
transaction per row, in batches of 200 rows a transaction (the shape of ``record_many``'s
batches) and in one batch.
The batches of ``record_many``, with and without personal data, and the raw batches of 200 take
turns, so that the load of a shared machine weighs on all three alike. The shares printed last
are ``record_many`` to the raw batches of 200, and what personal data on 20 % of cases costs,
each the median of the rounds' ratios.
The figures of one transaction per event (``record``, the raw insert of one row, and the reads
of those cases) come from at most 1,000 events: at a few hundred a second more adds only time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa

from deploy.postgres.launcher import LocalPostgres
from services.cases.application import CaseService, StepRequest
from services.runtime.logs import configure_logging
from services.runtime.settings import load_settings

EVENTS_PER_CASE = 10
BATCH_CASES = 20  # 200 events a transaction
PERSONAL_EVERY = 5  # personal data on 20 % of the cases
ONE_BY_ONE_CASES = 100  # a transaction per event is slow: rates of these come from 1,000 events
PERSONAL = {"child_name": "Nguyễn Văn An", "child_birth_date": "2015-03-02"}
T0 = 1_700_000_000_000


@dataclass(frozen=True)
class Figures:
    store: str
    events: int
    one_by_one_events: int
    appended_per_s: float
    batched_per_s: float
    batched_personal_per_s: float
    read_per_s: float
    raw_per_row_per_s: float
    raw_batches_per_s: float
    raw_batch_per_s: float
    row_bytes: int
    share_of_raw: float
    """``record_many`` as a share of the raw batched insert of as many rows: the median over
    the rounds (a spike of load on a shared machine moves a sum, not a median)."""
    personal_extra: float
    """What personal data on 20 % of cases adds to the time of a batch: the median over the
    rounds (two runs of the very same batches differ by about 10 % on a loaded machine)."""


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


def batch_requests(case_ids: list[str], personal: bool = False) -> list[StepRequest]:
    """One batch of the intake: every event of ``case_ids``, reported then assessed;
    ``personal``: every fifth case is reported with personal data."""
    requests = []
    for n, case_id in enumerate(case_ids):
        data = PERSONAL if personal and n % PERSONAL_EVERY == 0 else None
        requests.append(
            StepRequest(
                case_id, "CaseReported", {"channel": "hotline"}, "hotline-111", "s0", T0, data
            )
        )
        for step in range(1, EVENTS_PER_CASE):
            fields = {"needs": ["school", "shelter"], "round": step}
            requests.append(
                StepRequest(case_id, "NeedsAssessed", fields, "commune-22738", f"s{step}", T0)
            )
    return requests


def batches_of(case_ids: list[str]) -> list[list[str]]:
    return [case_ids[n : n + BATCH_CASES] for n in range(0, len(case_ids), BATCH_CASES)]


@dataclass(frozen=True)
class Rounds:
    """Seconds of each round of :func:`interleaved`: ``record_many`` without and with
    personal data, and the raw insert of as many rows."""

    plain: list[float]
    personal: list[float]
    raw: list[float]

    def share_of_raw(self) -> float:
        return statistics.median(r / p for r, p in zip(self.raw, self.plain, strict=True))

    def personal_extra(self) -> float:
        pairs = zip(self.personal, self.plain, strict=True)
        return statistics.median(pd / p - 1 for pd, p in pairs)


def interleaved(service: CaseService, engine: sa.Engine, cases: int, size: int) -> Rounds:
    """``record_many`` without and with personal data and the raw insert of as many rows of
    ``size`` bytes, a batch of each in turn: a shared machine's swings of load then fall on
    all three alike. Which goes first rotates from round to round, since a batch after another
    connection's write finds SQLite's page cache cold."""
    rounds = Rounds([], [], [])
    spent = (rounds.plain, rounds.personal, rounds.raw)
    table = raw_table(store_table(service))
    table.create(engine)
    try:
        for turn, case_ids in enumerate(batches_of([str(uuid.uuid4()) for _ in range(cases)])):
            plain = batch_requests(case_ids)
            personal = batch_requests([str(uuid.uuid4()) for _ in case_ids], personal=True)
            rows = raw_rows(len(plain), size)
            work: list[Callable[[], object]] = [
                lambda: service.record_many(plain),  # noqa: B023
                lambda: service.record_many(personal),  # noqa: B023
                lambda: _insert(engine, table, rows),  # noqa: B023
            ]
            for step in range(3):
                which = (turn + step) % 3
                spent[which].append(timed(work[which]))
    finally:
        table.drop(engine)
    return rounds


def read_cases(service: CaseService, case_ids: list[str]) -> int:
    return sum(len(service.history(case_id)) for case_id in case_ids)


def average_row_bytes(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        query = "SELECT AVG(LENGTH(state)) FROM cases_events"
        return int(connection.exec_driver_sql(query).scalar_one())


def store_table(service: CaseService) -> sa.Table:
    table: sa.Table = service.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
    return table


def raw_table(like: sa.Table) -> sa.Table:
    """A table like the store's events table ``like``: its columns with their very types (the
    case id a UUID, bound as the store binds it: 16 bytes on SQLite, a native UUID on
    PostgreSQL), its key and a unique index on (case, version), under another name."""
    columns = [
        sa.Column(
            column.name,
            column.type,
            primary_key=column.primary_key,
            autoincrement=column.autoincrement,
            nullable=column.nullable,
        )
        for column in like.columns
    ]
    unique = sa.Index("bench_raw_events_index", "originator_id", "originator_version", unique=True)
    return sa.Table("bench_raw_events", sa.MetaData(), *columns, unique)


def raw_rows(count: int, size: int) -> list[dict[str, object]]:
    case_ids = [uuid.uuid4() for _ in range(count // EVENTS_PER_CASE + 1)]
    return [
        {
            "originator_id": case_ids[i // EVENTS_PER_CASE],
            "originator_version": i % EVENTS_PER_CASE + 1,
            "topic": "services.cases.domainmodel:Case.StepRecorded",
            "state": os.urandom(size),
        }
        for i in range(count)
    ]


def raw_inserts(
    engine: sa.Engine, like: sa.Table, alone: int, count: int, size: int
) -> tuple[float, float]:
    """Seconds to insert ``alone`` rows one transaction each, and ``count`` in one batch, into
    a table like ``like``."""
    table = raw_table(like)
    table.create(engine)
    try:
        per_row = timed(lambda: _insert_each(engine, table, raw_rows(alone, size), 1))
        whole = _raw_seconds(engine, table, count, size, count)
    finally:
        table.drop(engine)
    return per_row, whole


def _raw_seconds(engine: sa.Engine, table: sa.Table, count: int, size: int, batch: int) -> float:
    with engine.begin() as connection:
        connection.execute(table.delete())
    rows = raw_rows(count, size)
    return timed(lambda: _insert_each(engine, table, rows, batch))


def _insert_each(
    engine: sa.Engine, table: sa.Table, rows: list[dict[str, object]], batch: int
) -> None:
    for start in range(0, len(rows), batch):
        _insert(engine, table, rows[start : start + batch])


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
    engine = sa.create_engine(url)
    cases = max(1, events // EVENTS_PER_CASE)
    case_ids = [str(uuid.uuid4()) for _ in range(min(cases, ONE_BY_ONE_CASES))]
    total = cases * EVENTS_PER_CASE
    one_by_one = len(case_ids) * EVENTS_PER_CASE
    try:
        warm_up = [str(uuid.uuid4()) for _ in range(BATCH_CASES)]
        service.record_many(batch_requests(warm_up, personal=True))  # caches, compiled queries
        size = average_row_bytes(engine)
        rounds = interleaved(service, engine, cases, size)
        append_s = timed(lambda: append_cases(service, case_ids))
        read_s = timed(lambda: read_cases(service, case_ids))
        per_row_s, batch_s = raw_inserts(engine, store_table(service), one_by_one, total, size)
    finally:
        service.close()
        engine.dispose()
    return Figures(
        store,
        total,
        one_by_one,
        one_by_one / append_s,
        total / sum(rounds.plain),
        total / sum(rounds.personal),
        one_by_one / read_s,
        one_by_one / per_row_s,
        total / sum(rounds.raw),
        total / batch_s,
        size,
        rounds.share_of_raw(),
        rounds.personal_extra(),
    )


def report(rows: list[Figures]) -> None:
    header = (
        f"{'store':<12}{'events':>8}{'bytes/row':>11}{'appended/s':>12}{'batched/s':>11}"
        f"{'+pd 20%/s':>11}{'read/s':>10}"
        f"{'raw 1 tx/row /s':>17}{'raw 200/tx /s':>15}{'raw 1 tx /s':>13}"
    )
    print(header)
    for f in rows:
        print(
            f"{f.store:<12}{f.events:>8}{f.row_bytes:>11}{f.appended_per_s:>12.0f}"
            f"{f.batched_per_s:>11.0f}{f.batched_personal_per_s:>11.0f}"
            f"{f.read_per_s:>10.0f}{f.raw_per_row_per_s:>17.0f}{f.raw_batches_per_s:>15.0f}"
            f"{f.raw_batch_per_s:>13.0f}"
        )
    for f in rows:
        print(
            f"{f.store}: record_many at {f.share_of_raw:.0%} of the raw batched insert "
            f"(goal >= 50 %); personal data on 20 % of cases costs {f.personal_extra:+.0%} "
            "(goal <= 20 %)"
        )


def as_json(rows: list[Figures]) -> str:
    return json.dumps({f.store: asdict(f) for f in rows})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="events per store")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_POSTGRES_URL", ""),
        help="also run on this (PostgreSQL) database",
    )
    parser.add_argument(
        "--postgres", action="store_true", help="also run on a throw-away local PostgreSQL cluster"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args(argv)
    configure_logging(level="WARNING")
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        home = Path(tmp)
        stores = [("sqlite", f"sqlite:///{home / 'events.db'}")]
        postgres = LocalPostgres(home / "postgres", durable=False) if args.postgres else None
        try:
            if postgres is not None:
                stores.append(("postgresql", postgres.start()))
            elif args.database_url:
                backend = sa.make_url(args.database_url).get_backend_name()
                stores.append((backend, args.database_url))
            figures = [bench(name, url, home / name, args.events) for name, url in stores]
        finally:
            if postgres is not None:
                postgres.destroy()
    if args.json:
        print(as_json(figures))
    else:
        report(figures)


if __name__ == "__main__":
    main()
