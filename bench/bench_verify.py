"""Whole-store verification beside a raw ordered scan of the same rows, same run.

    python bench/bench_verify.py [--events N] [--postgres URL] [--repeat N] [--json]

Fills a throw-away SQLite store (or the given PostgreSQL database) with N case events (10 per
case, valid hash chains, written straight into the event table so that filling stays quick),
then measures:

* the audit log's first sync of the N events (leaves and subtrees) and a checkpoint;
* ``verify_store`` (every chain, every leaf against the signed checkpoint) in events/s, beside
  the raw baselines of the same run: one ordered scan of the columns it reads (the events' id,
  case, version and state, and the leaves' columns), through the same plain-tuple reader, with
  nothing done to the rows; and the same scan hashing each stored state once with SHA-256;
* the exact pass alone (``exact=True``: what verification did before the sweep, and what it
  does to name a change), for the before/after in one run;
* the peak memory one verification allocates (tracemalloc, a separate run: tracing slows it);
* a checkpoint after 1,000 more events (the incremental cost) and an inclusion proof
  (mean of 200 random leaves), each with its verification.

Default 20,000 events; ``--events 1000000`` is the large run, by hand only (filling and the
first sync take tens of minutes on the shared 2-core machine). Times are the best of
``--repeat`` runs of wall time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import sys
import tempfile
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

# The checkout this file is in, before any installed copy of the services.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_projections import timed

from events.instants import from_millis
from services.audit import merkle
from services.audit.rows import parse_state
from services.audit.service import AuditService
from services.audit.sweep import event_batches, leaf_batches
from services.audit.verify import VerificationReport, verify_store
from services.cases.application import CaseService
from services.cases.chain import event_hash
from services.runtime.logs import configure_logging
from services.runtime.settings import load_settings

STEPS_PER_CASE = 10
TOPIC = "services.cases.domainmodel:Case.Event"


def fill(service: CaseService, events: int, start_case: int = 0) -> None:
    recorder: Any = service.recorder
    table: sa.Table = recorder.events_record_cls.__table__
    engine: sa.Engine = recorder.datastore.engine
    batch: list[dict[str, Any]] = []
    cases = (events + STEPS_PER_CASE - 1) // STEPS_PER_CASE
    written = 0
    for n in range(start_case, start_case + cases):
        case = uuid.UUID(int=n + 1)
        previous = ""
        for sequence in range(1, STEPS_PER_CASE + 1):
            if written == events:
                break
            batch.append(_row(case, sequence, previous))
            previous = json.loads(batch[-1]["state"])["hash"]
            written += 1
        if len(batch) >= 5000:
            _insert(engine, table, batch)
    _insert(engine, table, batch)


def _row(case: uuid.UUID, sequence: int, previous: str) -> dict[str, Any]:
    recorded = 1_700_000_000_000 + sequence * 60_000
    stamp = from_millis(recorded).isoformat()
    state: dict[str, Any] = {
        "timestamp": {"_type_": "datetime_iso", "_data_": stamp},
        "originator_topic": "services.cases.domainmodel:Case",
        "step": "NeedsAssessed" if sequence > 1 else "CaseReported",
        "payload": {"needs": ["shelter", "school"]} if sequence > 1 else {"channel": "hotline"},
        "agency": "commune-22738",
        "role": "commune",
        "occurred_at": recorded - 1000,
        "submission_id": f"{case}-{sequence}",
        "sealed_personal_data": "",
        "previous_hash": previous,
        "hash": "",
    }

    event = parse_state(json.dumps(state).encode())
    assert event is not None
    state["hash"] = event_hash(str(case), sequence, event)
    return {"originator_id": case, "originator_version": sequence, "topic": TOPIC,
            "state": json.dumps(state).encode()}  # fmt: skip


def _insert(engine: sa.Engine, table: sa.Table, batch: list[dict[str, Any]]) -> None:
    if batch:
        with engine.begin() as connection:
            connection.execute(table.insert(), batch)
        batch.clear()


def raw_scan(engine: sa.Engine, hash_state: bool) -> int:
    """The baseline: the columns verification reads, one ordered scan of the events and one of
    the leaves, through the same reader; nothing done to a row but (``hash_state``) one
    SHA-256 of its stored state. Returns the number of events."""
    count = 0
    for batch in event_batches(engine):
        count += len(batch)
        if hash_state:
            for row in batch:
                hashlib.sha256(row[3]).digest()
    for _ in leaf_batches(engine, 2**62):
        pass
    return count


def peak_mb(work: Any) -> float:
    """The most memory ``work()`` held at once (Python allocations), in MB."""
    tracemalloc.start()
    try:
        work()
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--postgres", help="PostgreSQL URL of an empty database")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument("--repeat", type=int, default=3, help="best of N for scan and verify")
    args = parser.parse_args(argv)
    configure_logging("WARNING", "json")
    with tempfile.TemporaryDirectory() as home:
        url = args.postgres or f"sqlite:///{Path(home) / 'events.db'}"
        settings = load_settings(home=Path(home), database_url=url)
        service = CaseService.from_settings(settings)
        audit = AuditService.from_settings(settings)
        fill(service, args.events)
        sync_s, _ = timed(audit.checkpoint, 1)
        raw_s, raw_count = timed(lambda: raw_scan(audit.engine, False), args.repeat)
        raw_hash_s, _ = timed(lambda: raw_scan(audit.engine, True), args.repeat)
        verify_s, report = timed(lambda: verify_store(audit), args.repeat)
        exact_s, exact = timed(lambda: verify_store(audit, exact=True), args.repeat)
        assert report.ok and report.events == raw_count == args.events, report.findings[:3]
        assert _same(report, exact)
        verify_mb = peak_mb(lambda: verify_store(audit))
        exact_mb = peak_mb(lambda: verify_store(audit, exact=True))
        fill(service, 1000, start_case=args.events)
        incremental_s, note = timed(audit.checkpoint, 1)
        size = audit.checkpoint_of(note).size
        picks = [random.randrange(size) for _ in range(200)]
        proof_s, _ = timed(lambda: [_prove(audit, i, size) for i in picks], 1)
        audit.close()
        service.close()
    result = {
        "events": args.events,
        "store": "postgresql" if args.postgres else "sqlite",
        "verify_events_per_s": round(args.events / verify_s),
        "raw_scan_events_per_s": round(raw_count / raw_s),
        "raw_scan_hash_events_per_s": round(raw_count / raw_hash_s),
        "verify_share_of_raw": round(raw_s / verify_s, 3),
        "verify_share_of_raw_hash": round(raw_hash_s / verify_s, 3),
        "exact_pass_events_per_s": round(args.events / exact_s),
        "verify_peak_mb": verify_mb,
        "exact_pass_peak_mb": exact_mb,
        "first_sync_and_checkpoint_s": round(sync_s, 3),
        "checkpoint_after_1000_more_s": round(incremental_s, 4),
        "inclusion_proof_ms": round(proof_s / len(picks) * 1000, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"events                      {args.events:>12,}  ({result['store']})")
        print(
            f"verify --all                {result['verify_events_per_s']:>12,} events/s  "
            f"peak {verify_mb} MB"
        )
        print(
            f"raw ordered scan            {result['raw_scan_events_per_s']:>12,} events/s  "
            f"(verify: {result['verify_share_of_raw']:.0%})"
        )
        print(
            f"raw ordered scan + SHA-256  {result['raw_scan_hash_events_per_s']:>12,} events/s  "
            f"(verify: {result['verify_share_of_raw_hash']:.0%})"
        )
        print(f"exact pass alone            {result['exact_pass_events_per_s']:>12,} events/s  "
              f"peak {exact_mb} MB")  # fmt: skip
        print(f"first sync + checkpoint     {sync_s:>12.3f} s")
        print(f"checkpoint after 1,000 more {incremental_s:>12.4f} s")
        print(f"inclusion proof (+verify)   {result['inclusion_proof_ms']:>12.3f} ms")
        print(f"peak RSS (fill, log, verify) {result['peak_rss_mb']:>11} MB")
    return result


def _same(a: VerificationReport, b: VerificationReport) -> bool:
    return a.as_json() == b.as_json()


def _prove(audit: AuditService, index: int, size: int) -> None:
    leaf = audit.log.leaves(index, index + 1)[0]
    proof = audit.log.inclusion(index, size)
    merkle.verify_inclusion(leaf.hash, index, size, proof, audit.log.root(size))


if __name__ == "__main__":
    main(sys.argv[1:])
