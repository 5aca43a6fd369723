"""Whole-store verification beside a raw ordered scan of the same rows, same run.

    python bench/bench_verify.py [--events N] [--postgres URL|local] [--repeat N] [--no-exact]
                                  [--json]

Fills a throw-away SQLite store (or the given PostgreSQL database, or with ``--postgres local``
a throw-away local cluster) with N case events: one case of 10 events recorded by the case
service in a store of its own, copied as N/10 cases with their own ids, submission ids and
valid hash chains, written by the driver straight into the event table (the rows the service
would write, at tens of thousands a second). Then measures:

* the audit log's first sync of the N events (leaves and subtrees) and a checkpoint, with the
  process's resident memory before and at its peak (in a forked child, so that filling the
  store does not hide it) and, in a separate traced run of the sync alone, the most Python
  memory it held at once (tracemalloc);
* ``verify_store`` (every chain, every leaf against the signed checkpoint) in events/s, with
  the store's stretches (rows, leaves, Merkle subtrees) proved by a worker process per core as
  ``backbone verify --all`` does, and in one process (``Cores(workers=0)``), beside the raw
  baselines of the same run: one ordered scan of the columns it reads (the events' id,
  case, version and state, and the leaves' columns), through the same plain-tuple reader, with
  nothing done to the rows; and the same scan hashing each stored state once with SHA-256;
  and its memory, measured like the sync's;
* unless ``--no-exact``, the exact pass alone (``exact=True``: what verification did before
  the sweep, and what it does to name a change), for the before/after in one run;
* a checkpoint after 1,000 more events (the incremental cost) and an inclusion proof
  (mean of 200 random leaves), each with its verification.

Default 20,000 events; ``--events 1000000 --repeat 1 --no-exact`` is the large run, by hand
only (5 to 10 minutes on the shared 2-core machine; no test runs this file). Times
are the best of ``--repeat`` runs of wall time.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

# The checkout this file is in, before any installed copy of the services.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_projections import timed

from deploy.postgres.launcher import LocalPostgres
from services.audit import merkle, store
from services.audit.proving import Cores
from services.audit.rows import RowEvent, events_table, parse_state, quick_hash, stream
from services.audit.service import AuditService
from services.audit.stretch import event_rows, leaf_rows
from services.audit.verify import VerificationReport, verify_store
from services.cases.application import CaseService
from services.cases.chain import event_hash
from services.runtime.logs import configure_logging
from services.runtime.settings import load_settings

STEPS_PER_CASE = 10
FILL_BATCH = 20_000
FIRST_CASE = str(uuid.UUID(int=1))


def template(home: Path) -> list[tuple[str, dict[str, Any]]]:
    """(topic, state) of one case of ``STEPS_PER_CASE`` events as the case service records
    them, in a throw-away store of its own: what ``fill`` copies, so its rows have the store's
    format (topics, fields, compact JSON) without the service's cost per event."""
    settings = load_settings(home=home, database_url=f"sqlite:///{home / 'template.db'}")
    service = CaseService.from_settings(settings)
    case, now = str(uuid.UUID(int=0)), 1_700_000_000_000
    service.report(case, {"channel": "hotline"}, "hotline-111", f"{case}-0", now)
    for n in range(1, STEPS_PER_CASE):
        fields = {"needs": ["shelter", "school"]}
        service.record(case, "NeedsAssessed", fields, "commune-22738", f"{case}-{n}", now)
    recorder: Any = service.recorder
    table: sa.Table = recorder.events_record_cls.__table__
    query = sa.select(table.c.topic, table.c.state).order_by(table.c.originator_version)
    with recorder.datastore.engine.connect() as connection:
        found = [(str(t), json.loads(bytes(state))) for t, state in connection.execute(query)]
    service.close()
    return found


def fill(
    service: CaseService, copies: list[tuple[str, dict[str, Any]]], events: int, start_case: int = 0
) -> None:
    """``events`` rows copied from ``copies`` (``STEPS_PER_CASE`` a case, valid hash chains),
    written straight into the event table by the driver, ``FILL_BATCH`` a transaction."""
    recorder: Any = service.recorder
    engine: sa.Engine = recorder.datastore.engine
    postgres = engine.dialect.name == "postgresql"
    sql = event_insert(engine)
    batch: list[tuple[Any, ...]] = []
    n = start_case
    while events > 0:
        case = uuid.UUID(int=n + 1)
        for sequence, (topic, state) in enumerate(_chain(case, copies)[:events], start=1):
            batch.append((case if postgres else case.bytes, sequence, topic, state))
        events -= min(events, len(copies))
        n += 1
        if len(batch) >= FILL_BATCH or events == 0:
            with engine.begin() as connection:
                connection.exec_driver_sql(sql, batch)
            batch.clear()


def event_insert(engine: sa.Engine) -> str:
    """The driver's INSERT of one event row (case id, version, topic, state) on ``engine``."""
    mark = "%s" if engine.dialect.name == "postgresql" else "?"
    return (
        "INSERT INTO cases_events (originator_id, originator_version, topic, state) "
        f"VALUES ({mark}, {mark}, {mark}, {mark})"
    )


def _chain(case: uuid.UUID, copies: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, bytes]]:
    """The copies as one case's chain: its submission ids, each hash over the one before."""
    rows, previous, case_id = [], "", str(case)
    for sequence, (topic, state) in enumerate(copies, start=1):
        state = state | {"submission_id": f"{case_id}-{sequence - 1}", "previous_hash": previous}
        event = parse_state(orjson.dumps(state))
        assert event is not None
        state["hash"] = previous = _hash(case_id, sequence, event)
        rows.append((topic, orjson.dumps(state)))
    return rows


def _hash(case_id: str, sequence: int, event: RowEvent) -> str:
    """``event_hash`` through orjson (the same bytes for this content: no floats; see
    ``rows.quick_hash``), checked by the exact formula on the first case only."""
    fast = quick_hash(case_id, sequence, event)
    if case_id == FIRST_CASE:
        assert fast == event_hash(case_id, sequence, event)
    assert fast is not None
    return fast


def raw_scan(engine: sa.Engine, hash_state: bool) -> int:
    """The baseline: the columns verification reads, one ordered scan of the events and one of
    the leaves, through the same reader; nothing done to a row but (``hash_state``) one
    SHA-256 of its stored state. Returns the number of events."""
    count = 0
    table = events_table(engine)
    assert table is not None
    for batch in stream(engine, event_rows(table, 0, 2**62)):
        count += len(batch)
        if hash_state:
            for row in batch:
                hashlib.sha256(row[3]).digest()
    for _ in stream(engine, leaf_rows(0, 2**62)):
        pass
    return count


def in_child(work: Callable[[], Any], engine: sa.Engine, traced: bool) -> dict[str, float]:
    """Run ``work()`` in a forked child, so its memory is its own: the wall time, the child's
    resident set before and at its peak (``getrusage``: the child starts from the parent's
    pages, not from the parent's peak), and with ``traced`` the most Python memory it held at
    once (tracemalloc, which slows the work: time a traced run for nothing else)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        engine.dispose(close=False)  # the parent's connections stay the parent's
        start_mb = _rss_mb()
        if traced:
            tracemalloc.start()
        began = time.perf_counter()
        work()
        seconds = time.perf_counter() - began
        found = {
            "s": round(seconds, 3),
            "rss_start_mb": start_mb,
            "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
        if traced:
            found["traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        os.write(write, json.dumps(found).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0 and answer, f"the measured child failed ({status})"
    result: dict[str, float] = json.loads(answer)
    return result


def _rss_mb() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20)


def forget_log(audit: AuditService) -> None:
    """Empty the log (leaves, subtrees, checkpoints, mirror) so the first sync runs again."""
    with audit.engine.begin() as connection:
        for table in (store.leaves, store.nodes, store.checkpoints):
            connection.execute(sa.delete(table))
    audit.mirror.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument(
        "--postgres",
        help="an empty PostgreSQL database's URL, or 'local' (a throw-away cluster)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument("--repeat", type=int, default=3, help="best of N for scan and verify")
    parser.add_argument("--no-exact", action="store_true", help="skip the exact pass alone")
    args = parser.parse_args(argv)
    configure_logging("WARNING", "json")
    with tempfile.TemporaryDirectory() as home, contextlib.ExitStack() as stack:
        url = args.postgres or f"sqlite:///{Path(home) / 'events.db'}"
        if args.postgres == "local":
            cluster = LocalPostgres(Path(home) / "postgres", durable=False)
            url = cluster.start()
            stack.callback(cluster.destroy)
        copies = template(Path(home) / "template")
        settings = load_settings(home=Path(home), database_url=url)
        service = CaseService.from_settings(settings)
        audit = AuditService.from_settings(settings)
        fill_s, _ = timed(lambda: fill(service, copies, args.events), 1)
        sync_mem = in_child(audit.sync, audit.engine, traced=True)
        forget_log(audit)
        first = in_child(audit.checkpoint, audit.engine, traced=False)
        raw_s, raw_count = timed(lambda: raw_scan(audit.engine, False), args.repeat)
        raw_hash_s, _ = timed(lambda: raw_scan(audit.engine, True), args.repeat)
        verify_s, report = timed(lambda: verify_store(audit), args.repeat)
        one_core = Cores(workers=0)
        one_core_s, _ = timed(lambda: verify_store(audit, cores=one_core), args.repeat)
        assert report.ok and report.events == raw_count == args.events, report.findings[:3]
        verify_rss = in_child(lambda: verify_store(audit), audit.engine, traced=False)
        verify_mem = in_child(lambda: verify_store(audit), audit.engine, traced=True)
        exact_s = exact_mb = None
        if not args.no_exact:
            exact_s, exact = timed(lambda: verify_store(audit, exact=True), args.repeat)
            assert _same(report, exact)
            exact_mb = in_child(lambda: verify_store(audit, exact=True), audit.engine, True)
        fill(service, copies, 1000, start_case=args.events)
        incremental_s, note = timed(audit.checkpoint, 1)
        size = audit.checkpoint_of(note).size
        picks = [random.randrange(size) for _ in range(200)]
        proof_s, _ = timed(lambda: all(_prove(audit, i, size) for i in picks), 1)
        audit.close()
        service.close()
    result = {
        "events": args.events,
        "store": "postgresql" if args.postgres else "sqlite",
        "fill_events_per_s": round(args.events / fill_s),
        "verify_events_per_s": round(args.events / verify_s),
        "raw_scan_events_per_s": round(raw_count / raw_s),
        "raw_scan_hash_events_per_s": round(raw_count / raw_hash_s),
        "verify_share_of_raw": round(raw_s / verify_s, 3),
        "verify_share_of_raw_hash": round(raw_hash_s / verify_s, 3),
        "verify_workers": Cores().workers,
        "verify_one_process_events_per_s": round(args.events / one_core_s),
        "verify_one_process_share_of_raw_hash": round(raw_hash_s / one_core_s, 3),
        "verify_rss_start_mb": verify_rss["rss_start_mb"],
        "verify_rss_peak_mb": verify_rss["rss_peak_mb"],
        "verify_traced_peak_mb": verify_mem["traced_peak_mb"],
        "exact_pass_events_per_s": None if exact_s is None else round(args.events / exact_s),
        "exact_pass_traced_peak_mb": None if exact_mb is None else exact_mb["traced_peak_mb"],
        "first_sync_and_checkpoint_s": first["s"],
        "first_sync_and_checkpoint_rss_start_mb": first["rss_start_mb"],
        "first_sync_and_checkpoint_rss_peak_mb": first["rss_peak_mb"],
        "first_sync_traced_peak_mb": sync_mem["traced_peak_mb"],
        "checkpoint_after_1000_more_s": round(incremental_s, 4),
        "inclusion_proof_ms": round(proof_s / len(picks) * 1000, 3),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:<40} {value}")
    return result


def _same(a: VerificationReport, b: VerificationReport) -> bool:
    return a.as_json() == b.as_json()


def _prove(audit: AuditService, index: int, size: int) -> bool:
    leaf = audit.log.leaves(index, index + 1)[0]
    proof = audit.log.inclusion(index, size)
    merkle.verify_inclusion(leaf.hash, index, size, proof, audit.log.root(size))
    return True


if __name__ == "__main__":
    main(sys.argv[1:])
