"""``backbone projections rebuild``: replay case-events from offset 0 into fresh tables.

The rebuilt model sits beside the live one (``rebuild_`` tables in the same database), is
compared with it table by table (ordered digests, so memory stays flat) and by the stalled set
at one instant, and can replace the live tables in one transaction. The live process should be
stopped for the replacement.

On a live system the comparison is made up to a fixed position: the rebuild reads up to the
topic's end as it was when it started, and when the live model has read past that position
meanwhile, the cases of the messages after it are left out on both sides (they changed since),
as is the positions table. What remains differs only when the two models really disagree.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from projections.feed import CaseEventFeed
from projections.projector import Projector
from projections.queries import stalled_cases
from projections.readmodel import ReadModel
from projections.store import Partition, load_positions
from services.runtime.logs import get_logger

log = get_logger(__name__)
# Messages per batch of a replay at least: no one waits on a rebuild's batch, and batches of
# 2,000 cost a tenth less CPU per event than the live process's 500 (the positions, the case
# lookups, the statements and the commit's sync are per batch), for a working set of a few MB.
REPLAY_BATCH = 2000
# Columns the engine and the steps decide; the alerting ones depend on when the timer ran.
IGNORED = frozenset({"stalled", "level", "stall_count", "reported_level", "wake_at"})


@dataclass(frozen=True)
class TableCheck:
    """One table of both models: row counts and whether the rows are the same."""

    table: str
    live_rows: int
    rebuilt_rows: int
    equal: bool


@dataclass(frozen=True)
class Comparison:
    """Live versus rebuilt."""

    tables: tuple[TableCheck, ...]
    live_stalled: int
    rebuilt_stalled: int
    stalled_equal: bool
    fixed_position: dict[str, int] | None = None  # "topic:partition" -> offset compared up to
    left_out: int = 0  # cases changed after the fixed position, left out of the comparison

    @property
    def equal(self) -> bool:
        """Same rows everywhere and the same stalled cases at the same levels."""
        return self.stalled_equal and all(check.equal for check in self.tables)


def replay(projector: Projector, feed: CaseEventFeed, batch_size: int, idle_s: float = 30.0) -> int:
    """Read the topic from the start up to its current end; return the messages read."""
    return replay_to(projector, feed, batch_size, idle_s)[0]


def replay_to(
    projector: Projector, feed: CaseEventFeed, batch_size: int, idle_s: float = 30.0
) -> tuple[int, dict[Partition, int]]:
    """Read the topic from the start up to its end at the start of the replay (a fixed
    position: later messages are not applied); return the messages read and that position."""
    projector.model.drop(projector.db)
    projector.model.create(projector.db)
    feed.open({})
    try:
        ends, total = feed.end_offsets(), 0
        deadline = time.monotonic() + idle_s
        while not _reached(projector.positions(), ends):
            messages = [
                m
                for m in feed.poll(batch_size, 500)
                if m.offset < ends.get((m.topic, m.partition), 0)
            ]
            if messages:
                projector.handle(messages)
                total, deadline = total + len(messages), time.monotonic() + idle_s
            elif time.monotonic() > deadline:
                raise TimeoutError("case-events stopped short of the offsets it reported")
    finally:
        feed.close()
    projector.tick()
    log.info("projection.rebuilt", messages=total, position=_named(ends))
    return total, ends


def changed_since(
    db: sa.Engine,
    live: ReadModel,
    feed: CaseEventFeed,
    fixed: dict[Partition, int],
    catch_up_s: float = 30.0,
) -> frozenset[str] | None:
    """The cases of the messages the live model read past ``fixed`` (None: it read none).

    A live model still behind ``fixed`` gets up to ``catch_up_s`` to reach it; one that stays
    behind (stopped) is compared as it is, and its lag shows as a difference.
    """
    deadline = time.monotonic() + catch_up_s
    with db.connect() as conn:
        now = load_positions(conn, live)
    while not _reached(now, fixed) and time.monotonic() < deadline:
        time.sleep(0.5)
        with db.connect() as conn:
            now = load_positions(conn, live)
    ahead = {tp: end for tp, end in now.items() if end > fixed.get(tp, 0)}
    if not ahead:
        return None
    cases: set[str] = set()
    feed.open({tp: fixed.get(tp, 0) for tp in ahead})
    try:
        read = {tp: fixed.get(tp, 0) for tp in ahead}
        idle = time.monotonic() + catch_up_s
        while not _reached(read, ahead) and time.monotonic() < idle:
            for m in feed.poll(500, 500):
                tp = (m.topic, m.partition)
                if tp in ahead and m.offset < ahead[tp]:
                    cases.add(m.key.decode() if m.key else "")
                    read[tp] = max(read[tp], m.offset + 1)
    finally:
        feed.close()
    return frozenset(cases)


def compare(
    db: sa.Engine,
    live: ReadModel,
    rebuilt: ReadModel,
    at: datetime,
    left_out: frozenset[str] | None = None,
    fixed: dict[Partition, int] | None = None,
) -> Comparison:
    """Compare the state tables row by row and the stalled sets at ``at``; the cases in
    ``left_out`` (changed after the fixed position) and then the positions are not compared."""
    skip = left_out or frozenset()
    pairs = zip(live.state_tables, rebuilt.state_tables, strict=True)
    with db.connect() as conn:
        checks = tuple(
            _check(conn, a, b, skip)
            for a, b in pairs
            if left_out is None or a.name != live.positions.name
        )
        mine = {c.case_id: c.level for c in stalled_cases(conn, live, at) if c.case_id not in skip}
        theirs = {
            c.case_id: c.level for c in stalled_cases(conn, rebuilt, at) if c.case_id not in skip
        }
    named = _named(fixed) if fixed is not None else None
    return Comparison(checks, len(mine), len(theirs), mine == theirs, named, len(skip))


def _named(position: dict[Partition, int]) -> dict[str, int]:
    return {f"{topic}:{partition}": offset for (topic, partition), offset in position.items()}


def replace_live(db: sa.Engine, live: ReadModel, rebuilt: ReadModel) -> None:
    """Copy the rebuilt state over the live one in one transaction, then drop the rebuild."""
    with db.begin() as conn:
        counts = conn.execute(sa.select(live.cases.c.case_id, live.cases.c.stall_count)).all()
        for target, source in zip(live.state_tables, rebuilt.state_tables, strict=True):
            conn.execute(target.delete())
            names = [c.name for c in source.columns]
            conn.execute(target.insert().from_select(names, sa.select(*source.columns)))
        _keep_stall_counts(conn, live, {str(case_id): int(n) for case_id, n in counts})
    rebuilt.drop(db)
    log.info("projection.replaced")


def _keep_stall_counts(conn: sa.Connection, live: ReadModel, counts: dict[str, int]) -> None:
    """Stall alert ids count a case's stalls; a rebuild sees fewer (it reviews only at one
    instant), so keep the live counter: a later stall must not reuse an id already sent."""
    cases = live.cases
    for case_id, count in counts.items():
        conn.execute(
            cases.update()
            .where(cases.c.case_id == case_id, cases.c.stall_count < count)
            .values(stall_count=count)
        )


def _reached(positions: dict[Partition, int], ends: dict[Partition, int]) -> bool:
    return all(positions.get(tp, 0) >= end for tp, end in ends.items())


def _check(
    conn: sa.Connection, live: sa.Table, rebuilt: sa.Table, skip: frozenset[str]
) -> TableCheck:
    count_a, digest_a = _digest(conn, live, skip)
    count_b, digest_b = _digest(conn, rebuilt, skip)
    return TableCheck(live.name, count_a, count_b, digest_a == digest_b)


def _digest(conn: sa.Connection, table: sa.Table, skip: frozenset[str]) -> tuple[int, str]:
    columns = [c for c in table.columns if c.name not in IGNORED]
    query = sa.select(*columns).order_by(*table.primary_key.columns)
    if skip and "case_id" in table.c:
        query = query.where(table.c.case_id.not_in(sorted(skip)))
    digest, count = hashlib.sha256(), 0
    for row in conn.execution_options(yield_per=5000).execute(query):
        digest.update(repr(tuple(row)).encode())
        count += 1
    return count, digest.hexdigest()
