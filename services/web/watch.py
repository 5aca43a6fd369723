"""A cheap sign that any board may have changed, read once per interval for every open board.

Reading a whole board costs as much as its stalled cases (seconds with 10,000 of them), far too
much to repeat for every open browser every few seconds. The read model changes a board in two
ways only: events were projected (the projection's Kafka positions move), or time passed a due
time or an escalation point. So the watcher reads three numbers through the partial index on
open due times: the positions' sum, the open obligations past their due time, and those past
the escalation point (overdue by their whole allowed time again). A stream reads its own board
again only when these changed.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import sqlalchemy as sa
from fastapi.concurrency import run_in_threadpool

from events.instants import to_millis
from projections.readmodel import ReadModel
from services.web.deps import Dashboard

Mark = tuple[int, int, int]


def read_mark(conn: sa.Connection, model: ReadModel, at: datetime) -> Mark:
    """(events projected, obligations overdue, obligations escalated) at ``at``."""
    obs, at_ms = model.obligations, to_millis(at)
    start = sa.func.coalesce(obs.c.counted_from, obs.c.opened_at)
    escalated = sa.case((2 * obs.c.due_at - start < at_ms, 1), else_=0)
    overdue, past_escalation = conn.execute(
        sa.select(sa.func.count(), sa.func.sum(escalated)).where(
            obs.c.closed_at.is_(None), obs.c.due_at < at_ms
        )
    ).one()
    projected = conn.execute(sa.select(sa.func.sum(model.positions.c.next_offset))).scalar()
    return int(projected or 0), int(overdue or 0), int(past_escalation or 0)


class Watcher:
    """The latest mark and when it was read, shared by every stream of the process."""

    def __init__(self, dashboard: Dashboard) -> None:
        self.dashboard = dashboard
        self._lock = asyncio.Lock()
        self._read_at = float("-inf")
        self.mark: Mark | None = None
        self.at: datetime | None = None

    async def current(self) -> tuple[Mark | None, datetime]:
        """The mark, read again when the last reading is older than the refresh interval."""
        async with self._lock:
            if time.monotonic() - self._read_at >= self.dashboard.refresh_seconds * 0.9:
                self.at = self.dashboard.clock()
                self.mark = await run_in_threadpool(self._read, self.at)
                self._read_at = time.monotonic()
            assert self.at is not None
            return self.mark, self.at

    def _read(self, at: datetime) -> Mark | None:
        try:
            with self.dashboard.reader.connect() as conn:
                return read_mark(conn, self.dashboard.model, at)
        except sa.exc.DatabaseError:
            return None  # the read model is not there yet
