"""One stretch of the store, proved on its own: its rows, their leaves, its Merkle subtrees.

Whole-store verification cuts the checkpointed log into stretches of leaves, each starting on a
multiple of a power of two at least as long as the stretch, so that every complete subtree of a
stretch is a subtree of the whole tree. The event rows are cut at the notification ids those
leaves name (the log was appended in notification order), and the rows after the log's last
event leaf are cut into stretches of their own. Each stretch is then proved without the others,
in a worker process or in turn in the sweep's own (``proving``):

* each row's stored hash from its content (``rows.proven_fast``, else the exact formula);
* each row beside the leaf with its notification id (same case, position and hash), or counted
  as not yet in the log when no leaf names it;
* a case's events in the stretch as one unbroken run of its chain;
* the leaves hashed into the stretch's complete subtrees, at its end and at each signed size
  inside it.

What the sweep needs to join the stretches is their ``Summary``: per case the run's two ends,
the leaves that are not events (access records, which it checks), and the subtrees. Anything
that does not fit an intact store raises ``Misfit``: the sweep gives up and the exact pass
reads everything again and names what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from hashlib import sha256
from itertools import pairwise
from typing import Any

import sqlalchemy as sa

from events.steps import CASE_REPORTED
from services.audit import merkle
from services.audit.rows import (
    NAMES_KEPT,
    StoredRow,
    case_text,
    events_table,
    parse_state,
    proven_fast,
    stream,
)
from services.audit.store import EVENT, leaves
from services.cases.chain import event_hash

AREA_FIELDS = ("province_code", "district_code", "commune_code")
LEAF = b"\x00"  # merkle.leaf_hash's prefix, inlined: every leaf is hashed here

Run = tuple[str, int, str, int, str, int, tuple[str, ...] | None]
"""A case's events in one stretch: (case id, first version, the hash it follows, last version,
last hash, latest recording time, area codes of its last report in the stretch or None)."""


class Misfit(Exception):
    """Something that does not fit an intact store (the exact pass will name it)."""


@dataclass(frozen=True, slots=True)
class Stretch:
    """Leaves [first_leaf, end_leaf) and event rows with notification ids [first_row, end_row)."""

    first_leaf: int
    end_leaf: int
    first_row: int
    end_row: int
    signed: tuple[int, ...]
    """The signed checkpoint sizes in (first_leaf, end_leaf]: roots the sweep checks."""


@dataclass(slots=True)
class Summary:
    """What the sweep joins of a proved stretch."""

    events: int
    pending: int
    """Rows no leaf of the stretch names: recorded after the checkpoint."""
    runs: list[Run]
    others: list[tuple[int, str, int, str]]
    """Leaves that are not events: (index, case id, sequence, hash)."""
    subtrees: dict[int, list[tuple[bytes, int]]]
    """At each signed size and at ``end_leaf``: the complete subtrees (hash, height) of the
    stretch's leaves up to there, largest first."""


def plan(engine: sa.Engine, size: int, signed: Iterable[int], span: int) -> list[Stretch]:
    """The stretches of a store whose log is checkpointed up to ``size`` leaves: ``span`` (a
    power of two) leaves each, then the rows after the log ``span`` notification ids each."""
    if span < 1 or span & (span - 1):
        raise ValueError(f"a stretch spans a power of two of leaves, not {span}")
    table = events_table(engine)
    with engine.connect() as connection:
        low = high = None
        if table is not None:
            ids = table.c.id
            low, high = connection.execute(sa.select(sa.func.min(ids), sa.func.max(ids))).one()
        starts = list(range(0, size, span))
        cuts = [_first_event(connection, start, size) for start in starts[1:]]
        logged = _after_last_event(connection, size)
    first = 0 if low is None else low
    logged = first if logged is None else logged
    bounds = [first, *(logged if cut is None else cut for cut in cuts), logged]
    if any(later < earlier for earlier, later in pairwise(bounds)):
        raise Misfit  # the event leaves are not in notification order
    sizes = sorted(set(signed))
    stretches = []
    for n, start in enumerate(starts):
        end = min(start + span, size)
        inside = tuple(s for s in sizes if start < s <= end)
        stretches.append(Stretch(start, end, bounds[n], bounds[n + 1], inside))
    if high is not None:
        stretches += [
            Stretch(size, size, at, min(at + span, high + 1), ())
            for at in range(logged, high + 1, span)
        ]
    return stretches


def _first_event(connection: sa.Connection, start: int, size: int) -> int | None:
    """The notification id of the first event leaf at or after ``start`` (None if none)."""
    c = leaves.c
    query = (
        sa.select(c.source_id)
        .where(c.idx >= start, c.idx < size, c.kind == EVENT)
        .order_by(c.idx)
        .limit(1)
    )
    found = connection.execute(query).scalar()
    return None if found is None else int(found)


def _after_last_event(connection: sa.Connection, size: int) -> int | None:
    """One past the notification id of the last event leaf before ``size`` (None if none)."""
    c = leaves.c
    query = (
        sa.select(c.source_id).where(c.idx < size, c.kind == EVENT).order_by(c.idx.desc()).limit(1)
    )
    found = connection.execute(query).scalar()
    return None if found is None else int(found) + 1


def summarize(engine: sa.Engine, stretch: Stretch) -> Summary:
    """Prove one stretch (raises Misfit at the first thing that does not fit)."""
    table = events_table(engine)
    rows: Iterable[Sequence[Any]] = ()
    if table is not None and stretch.first_row < stretch.end_row:
        rows = stream(engine, event_rows(table, stretch.first_row, stretch.end_row))
    log = _Leaves(stretch)
    read = stream(engine, leaf_rows(stretch.first_leaf, stretch.end_leaf))
    summary = _join(log.leaves(read), rows)
    summary.others, summary.subtrees = log.others, log.subtrees
    if log.frontier.size != stretch.end_leaf - stretch.first_leaf:
        raise Misfit  # leaves are missing
    log.subtrees[stretch.end_leaf] = log.frontier.subtrees()
    return summary


class _Leaves:
    """A stretch's leaves as they stream past, hashed into its subtrees batch by batch."""

    def __init__(self, stretch: Stretch) -> None:
        self.start = stretch.first_leaf
        self.signed = stretch.signed
        self.frontier = merkle.Frontier()
        self.others: list[tuple[int, str, int, str]] = []
        self.subtrees: dict[int, list[tuple[bytes, int]]] = {}

    def leaves(self, batches: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        for batch in batches:
            self._absorb(batch)
            yield from batch

    def _absorb(self, batch: Sequence[Any]) -> None:
        hashes = [sha256(LEAF + bytes.fromhex(leaf[5])).digest() for leaf in batch]
        at = self.start + self.frontier.size
        cuts = [size - at for size in self.signed if at < size <= at + len(hashes)]
        done = 0
        for cut in cuts:
            self.frontier.extend(hashes[done:cut])
            self.subtrees[at + cut] = self.frontier.subtrees()
            done = cut
        self.frontier.extend(hashes[done:])
        for index, kind, _, case_id, sequence, entry in batch:
            if kind != EVENT:  # read as the exact pass reads them (SQLite keeps 2.5 as 2.5)
                self.others.append((int(index), case_id, int(sequence), entry))


def _join(log: Iterator[Sequence[Any]], rows: Iterable[Sequence[Any]]) -> Summary:
    """Prove the rows (id, case id as stored, version, state) beside the stretch's leaves: each
    row's hash from its content, each event leaf naming the row with its notification id, and
    each case's rows following each other in its chain. One loop, no layers: at a million rows
    every call a row makes costs a visible share of the whole verification."""
    runs: dict[str, list[Any]] = {}
    names: dict[Any, str] = {}
    events = pending = 0
    leaf = next(log, None)
    for batch in rows:
        for notification, originator, version, state in batch:
            case_id = names.get(originator)
            if case_id is None:
                if len(names) >= NAMES_KEPT:
                    names.clear()
                case_id = names[originator] = case_text(originator)
            proven = proven_fast(case_id, version, bytes(state)) or _proven_exactly(
                case_id, version, state
            )
            if proven is None:
                raise Misfit  # the row's content does not give its stored hash
            digest, previous, recorded, step, payload = proven
            while leaf is not None and (leaf[1] != EVENT or leaf[2] < notification):
                if leaf[1] == EVENT:
                    raise Misfit  # a checkpointed event's row is gone or moved
                leaf = next(log, None)
            if leaf is not None and leaf[2] == notification:
                if leaf[3] != case_id or leaf[4] != version or leaf[5] != digest:
                    raise Misfit
                leaf = next(log, None)
            else:
                pending += 1
            codes = None
            if step == CASE_REPORTED:
                codes = tuple(str(payload.get(k, "")) for k in AREA_FIELDS)
            run = runs.get(case_id)
            if run is None:
                runs[case_id] = [case_id, version, previous, version, digest, recorded, codes]
            else:
                if version != run[3] + 1 or previous != run[4]:
                    raise Misfit
                run[3], run[4] = version, digest
                if recorded > run[5]:
                    run[5] = recorded
                if codes is not None:
                    run[6] = codes
            events += 1
    while leaf is not None:
        if leaf[1] == EVENT:
            raise Misfit
        leaf = next(log, None)
    ends = [(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in runs.values()]
    return Summary(events, pending, ends, [], {})


def event_rows(table: sa.Table, start: int, end: int) -> sa.Select[Any]:
    """The columns a proof reads, of the rows with notification ids in [start, end)."""
    c = table.c
    return (
        sa.select(c.id, c.originator_id, c.originator_version, c.state)
        .where(c.id >= start, c.id < end)
        .order_by(c.id)
    )


def leaf_rows(start: int, end: int) -> sa.Select[Any]:
    """The leaves [start, end) in log order: (index, kind, source, case id, sequence, hash)."""
    c = leaves.c
    columns = (c.idx, c.kind, c.source_id, c.case_id, c.sequence, c.entry_hash)
    return sa.select(*columns).where(c.idx >= start, c.idx < end).order_by(c.idx)


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
