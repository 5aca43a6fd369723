"""Proving each stored event's hash from its row, on every core the machine has.

What costs the whole-store sweep most is proving a row: parsing its JSON, writing the hashed
content canonically and hashing it (about twice what reading the row costs). Rows prove
independently of each other, so a large store's rows are cut into ranges of notification ids
and proved by worker processes, a few ranges ahead of the sweep, which takes the proofs in
store order and does what needs them all in order (chains, leaves, the Merkle frontier). A
small store is proved in the sweep's own process: starting workers costs more than it saves.

A proof is only ever a row whose stored hash its content gives; a row that cannot be proved
ends the sweep (``Unproven``) and the exact pass reads everything again and names it.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa

from events.steps import CASE_REPORTED
from services.audit.rows import (
    NAMES_KEPT,
    StoredRow,
    case_text,
    events_table,
    parse_state,
    proven_fast,
    stream,
)
from services.cases.chain import event_hash
from services.runtime.database import open_database

AREA_FIELDS = ("province_code", "district_code", "commune_code")
Proof = tuple[int, str, int, str, str, int, tuple[str, ...] | None]
"""A proved row: (notification id, case id, version, hash, previous hash, recorded at, and the
area codes when the event is the case's report, else None)."""


class Unproven(Exception):
    """A row whose stored hash its content does not give (or cannot be read)."""


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class Cores:
    """How the rows' proofs are spread over processes."""

    workers: int = field(default_factory=_cpus)
    """Worker processes; 0 proves in the sweep's own process. One per core by default: on two
    cores one worker beside the sweep proved 75,000 events/s, two 90,000 (the sweep's own
    share, the leaves and the chains, needs most of a core)."""
    span: int = 10_000
    """Notification ids a worker proves per task (what it holds and sends back at once)."""
    from_rows: int = 150_000
    """The smallest store proved by workers: below it, starting them costs more than it saves."""
    ahead: int = 2
    """Tasks queued per worker beyond the one the sweep is reading: bounds the memory held."""


def proofs(engine: sa.Engine, cores: Cores) -> Generator[Proof, None, None]:
    """Every stored event's proof, in notification order; raises Unproven at the first row
    that cannot be proved."""
    table = events_table(engine)
    if table is None:
        return
    c = table.c
    with engine.connect() as connection:
        low, high = connection.execute(sa.select(sa.func.min(c.id), sa.func.max(c.id))).one()
    if low is None:
        return
    if cores.workers < 1 or high - low + 1 < cores.from_rows:
        yield from prove_rows(stream(engine, event_rows(table, low, high + 1)))
        return
    url = engine.url.render_as_string(hide_password=False)
    ranges = [(at, min(at + cores.span, high + 1)) for at in range(low, high + 1, cores.span)]
    with _Workers(url, cores.workers) as workers:
        for n, (start, end) in enumerate(ranges):
            workers.ask(n, start, end)
            if n >= cores.workers * cores.ahead:
                yield from workers.answer(n - cores.workers * cores.ahead)
        for n in range(max(0, len(ranges) - cores.workers * cores.ahead), len(ranges)):
            yield from workers.answer(n)


class _Workers:
    """Worker processes (``python -m services.audit.proving URL``), task ``n`` to worker ``n``
    modulo their number, so answers come back in task order by reading the workers in turn.
    Plain processes rather than ``multiprocessing``: that would run the caller's main script
    again in each worker, and a script without a ``__main__`` guard would recurse.

    A worker that failed (it logs why to the shared standard error) leaves its tasks
    unproven: the exact pass then reads everything itself."""

    def __init__(self, url: str, count: int) -> None:
        home = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH")
        env = os.environ | {"PYTHONPATH": home if not path else home + os.pathsep + path}
        command = [sys.executable, "-m", "services.audit.proving", url]
        self.processes = [
            subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
            for _ in range(count)
        ]

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            process.kill()
            process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()

    def ask(self, n: int, start: int, end: int) -> None:
        pipe = self.processes[n % len(self.processes)].stdin
        assert pipe is not None
        try:
            pipe.write(b"%d %d\n" % (start, end))
            pipe.flush()
        except BrokenPipeError:
            raise Unproven from None

    def answer(self, n: int) -> list[Proof]:
        pipe = self.processes[n % len(self.processes)].stdout
        assert pipe is not None
        header = pipe.read(8)
        if len(header) < 8:
            raise Unproven  # the worker is gone
        size = int.from_bytes(header, "big")
        proved: list[Proof] | None = pickle.loads(pipe.read(size))
        if proved is None:
            raise Unproven
        return proved


def event_rows(table: sa.Table, start: int, end: int) -> sa.Select[Any]:
    """The columns a proof reads, of the rows with notification ids in [start, end)."""
    c = table.c
    return (
        sa.select(c.id, c.originator_id, c.originator_version, c.state)
        .where(c.id >= start, c.id < end)
        .order_by(c.id)
    )


def serve(url: str, tasks: BinaryIO, answers: BinaryIO) -> None:
    """A worker's loop: for each task line "start end", the proofs of the rows with
    notification ids in [start, end) (None when one cannot be proved), pickled and preceded
    by their length."""
    engine = open_database(url)
    table = events_table(engine)
    assert table is not None  # the sweep saw rows in it
    for line in tasks:
        start, end = (int(n) for n in line.split())
        proved: list[Proof] | None
        try:
            proved = list(prove_rows(stream(engine, event_rows(table, start, end))))
        except Unproven:
            proved = None
        data = pickle.dumps(proved, protocol=pickle.HIGHEST_PROTOCOL)
        answers.write(len(data).to_bytes(8, "big"))
        answers.write(data)
        answers.flush()
    engine.dispose()


def prove_rows(batches: Iterable[Sequence[Any]]) -> Iterator[Proof]:
    """The proofs of rows (id, case id as stored, version, state), batch by batch."""
    names: dict[Any, str] = {}
    for batch in batches:
        for notification, originator, version, state in batch:
            case_id = names.get(originator)
            if case_id is None:
                if len(names) >= NAMES_KEPT:
                    names.clear()
                case_id = names[originator] = case_text(originator)
            proven = proven_fast(case_id, version, bytes(state))
            if proven is None:
                proven = _proven_exactly(case_id, version, state)
                if proven is None:
                    raise Unproven
            digest, previous, recorded, step, payload = proven
            area = None
            if step == CASE_REPORTED:
                area = tuple(str(payload.get(k, "")) for k in AREA_FIELDS)
            yield notification, case_id, version, digest, previous, recorded, area


def _proven_exactly(case_id: str, sequence: int, state: bytes) -> tuple[Any, ...] | None:
    """``proven_fast``'s answer by the chain's exact formula (current, else the first
    release's), for rows the fast path cannot show: floats, huge integers, legacy hashes."""
    event = parse_state(state)
    if event is None:
        return None
    content = StoredRow(0, case_id, sequence, event).content_hash()
    if content != event.hash and event_hash(case_id, sequence, event, legacy=True) != event.hash:
        return None
    return event.hash, event.previous_hash, event.recorded_at, event.step, event.payload


if __name__ == "__main__":
    serve(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)
