"""``backbone projections rebuild``: replay case-events from offset 0 into fresh tables.

The rebuilt model sits beside the live one (``rebuild_`` tables in the same database), is
compared with it table by table (ordered digests, so memory stays flat) and by the stalled set
at one instant, and can replace the live tables in one transaction. The live process should be
stopped for the replacement; the comparison is exact only when the live model has read up to
the same offsets (it is caught up and idle).
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
from projections.store import Partition
from services.logs import get_logger

log = get_logger(__name__)
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

    @property
    def equal(self) -> bool:
        """Same rows everywhere and the same stalled cases at the same levels."""
        return self.stalled_equal and all(check.equal for check in self.tables)


def replay(projector: Projector, feed: CaseEventFeed, batch_size: int, idle_s: float = 30.0) -> int:
    """Read the topic from the start up to its current end; return the messages read."""
    projector.model.drop(projector.db)
    projector.model.create(projector.db)
    feed.open({})
    try:
        ends, total = feed.end_offsets(), 0
        deadline = time.monotonic() + idle_s
        while not _reached(projector.positions(), ends):
            messages = feed.poll(batch_size, 500)
            if messages:
                projector.handle(messages)
                total, deadline = total + len(messages), time.monotonic() + idle_s
            elif time.monotonic() > deadline:
                raise TimeoutError("case-events stopped short of the offsets it reported")
    finally:
        feed.close()
    projector.tick()
    log.info("projection.rebuilt", messages=total)
    return total


def compare(db: sa.Engine, live: ReadModel, rebuilt: ReadModel, at: datetime) -> Comparison:
    """Compare the state tables row by row and the stalled sets at ``at``."""
    with db.connect() as conn:
        checks = tuple(
            _check(conn, a, b) for a, b in zip(live.state_tables, rebuilt.state_tables, strict=True)
        )
        mine = {c.case_id: c.level for c in stalled_cases(conn, live, at)}
        theirs = {c.case_id: c.level for c in stalled_cases(conn, rebuilt, at)}
    return Comparison(checks, len(mine), len(theirs), mine == theirs)


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


def _check(conn: sa.Connection, live: sa.Table, rebuilt: sa.Table) -> TableCheck:
    count_a, digest_a = _digest(conn, live)
    count_b, digest_b = _digest(conn, rebuilt)
    return TableCheck(live.name, count_a, count_b, digest_a == digest_b)


def _digest(conn: sa.Connection, table: sa.Table) -> tuple[int, str]:
    columns = [c for c in table.columns if c.name not in IGNORED]
    query = sa.select(*columns).order_by(*table.primary_key.columns)
    digest, count = hashlib.sha256(), 0
    for row in conn.execution_options(yield_per=5000).execute(query):
        digest.update(repr(tuple(row)).encode())
        count += 1
    return count, digest.hexdigest()
