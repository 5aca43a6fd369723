"""Whole-store verification beside a raw ordered scan of the same rows, same run.

    python bench/bench_verify.py [--events N] [--postgres URL] [--repeat N] [--json]

Fills a throw-away SQLite store (or the given PostgreSQL database) with N case events (10 per
case, valid hash chains, written straight into the event table so that filling stays quick),
then measures:

* the audit log's first sync of the N events (leaves and subtrees) and a checkpoint;
* ``verify_store`` (every chain, every leaf against the signed checkpoint) in events/s,
  beside the raw baseline: one ordered scan of the same rows that hashes each row's stored
  state once with SHA-256 (what reading and hashing cost before the audit adds anything);
* a checkpoint after 1,000 more events (the incremental cost) and an inclusion proof
  (mean of 200 random leaves), each with its verification.

Default 20,000 events; ``--events 1000000`` for the large run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_projections import timed

from events.instants import from_millis
from services.audit import merkle
from services.audit.rows import events_table, parse_state
from services.audit.service import AuditService
from services.audit.verify import verify_store
from services.cases.application import CaseService
from services.cases.chain import event_hash
from services.logs import configure_logging
from services.settings import load_settings

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


def raw_scan(engine: sa.Engine) -> int:
    """The baseline: read the rows in store order, hash each stored state once."""
    table = events_table(engine)
    assert table is not None
    count, position = 0, 0
    while True:
        query = sa.select(table.c.id, table.c.state).where(table.c.id > position)
        with engine.connect() as connection:
            rows = connection.execute(query.order_by(table.c.id).limit(5000)).all()
        for _, state in rows:
            hashlib.sha256(state).digest()
        count += len(rows)
        if len(rows) < 5000:
            return count
        position = int(rows[-1][0])


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
        raw_s, raw_count = timed(lambda: raw_scan(audit.engine), args.repeat)
        verify_s, report = timed(lambda: verify_store(audit), args.repeat)
        assert report.ok and report.events == raw_count == args.events, report.findings[:3]
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
        "raw_scan_hash_events_per_s": round(raw_count / raw_s),
        "verify_share_of_raw": round((args.events / verify_s) / (raw_count / raw_s), 3),
        "first_sync_and_checkpoint_s": round(sync_s, 3),
        "checkpoint_after_1000_more_s": round(incremental_s, 4),
        "inclusion_proof_ms": round(proof_s / len(picks) * 1000, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"events                      {args.events:>12,}  ({result['store']})")
        print(f"verify --all                {result['verify_events_per_s']:>12,} events/s  "
              f"beside raw ordered scan+hash {result['raw_scan_hash_events_per_s']:,} events/s "
              f"({result['verify_share_of_raw']:.0%})")  # fmt: skip
        print(f"first sync + checkpoint     {sync_s:>12.3f} s")
        print(f"checkpoint after 1,000 more {incremental_s:>12.4f} s")
        print(f"inclusion proof (+verify)   {result['inclusion_proof_ms']:>12.3f} ms")
        print(f"peak RSS (fill, log, verify) {result['peak_rss_mb']:>11} MB")
    return result


def _prove(audit: AuditService, index: int, size: int) -> None:
    leaf = audit.log.leaves(index, index + 1)[0]
    proof = audit.log.inclusion(index, size)
    merkle.verify_inclusion(leaf.hash, index, size, proof, audit.log.root(size))


if __name__ == "__main__":
    main(sys.argv[1:])
