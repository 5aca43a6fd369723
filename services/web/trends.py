"""Trends per week and area: open and stalled cases at each week's end, obligations met on
time and late during the week, and the share of each deadline met on time.

Weeks are Monday to Monday on the province's clock. "Stalled at a week's end" uses the due time
now in force (an extension granted later counts back); the board's "as of" answers are exact.
Counts are SQL aggregates, so the page costs the same whatever the number of cases shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from events.instants import to_millis
from projections.readmodel import ReadModel

WEEKS = 8


@dataclass(frozen=True)
class Week:
    start: date
    open: int
    stalled: int
    met: int
    met_late: int


@dataclass(frozen=True)
class RuleShare:
    rule_id: str
    met: int
    met_late: int
    overdue_open: int

    @property
    def share(self) -> float:
        """Share handled within the deadline, among those met or already overdue."""
        judged = self.met + self.met_late + self.overdue_open
        return self.met / judged if judged else 0.0


def week_starts(now: datetime, zone: ZoneInfo, weeks: int = WEEKS) -> list[datetime]:
    """The local Mondays 00:00 of the last ``weeks`` weeks (this one last), as instants."""
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return [
        datetime.combine(monday - timedelta(weeks=n), time(), zone)
        for n in range(weeks - 1, -1, -1)
    ]


def weekly(
    conn: sa.Connection, model: ReadModel, now: datetime, zone: ZoneInfo, area: str
) -> list[Week]:
    """One ``Week`` per week, in the area (any level; "" for everything)."""
    result = []
    for start in week_starts(now, zone):
        end = min(start + timedelta(weeks=1), now)
        s, e = to_millis(start), to_millis(end)
        obs, cases = model.obligations, model.cases
        scoped = _in_area(cases, area)
        still_open = sa.and_(
            obs.c.opened_at < e, sa.or_(obs.c.closed_at.is_(None), obs.c.closed_at >= e)
        )
        joined = obs.join(cases, cases.c.case_id == obs.c.case_id)
        open_cases = sa.select(sa.func.count(sa.distinct(obs.c.case_id))).select_from(joined)
        counted = conn.execute(open_cases.where(still_open, *scoped)).scalar_one()
        stalled = conn.execute(open_cases.where(still_open, obs.c.due_at < e, *scoped)).scalar_one()
        closed = conn.execute(
            sa.select(obs.c.met_late, sa.func.count())
            .select_from(joined)
            .where(obs.c.closed_at >= s, obs.c.closed_at < e, *scoped)
            .group_by(obs.c.met_late)
        ).all()
        by_lateness = {bool(late): int(n) for late, n in closed}
        result.append(
            Week(
                start.date(),
                int(counted),
                int(stalled),
                by_lateness.get(False, 0),
                by_lateness.get(True, 0),
            )
        )
    return result


@dataclass(frozen=True)
class AreaWeek:
    """One district's figures this week (Monday 00:00 local to now)."""

    district: str
    open: int
    stalled: int
    met: int
    met_late: int


def by_district(
    conn: sa.Connection, model: ReadModel, now: datetime, zone: ZoneInfo, area: str
) -> list[AreaWeek]:
    """This week's figures per district of the area (one grouped query per figure)."""
    obs, cases = model.obligations, model.cases
    s, e = to_millis(week_starts(now, zone, 1)[0]), to_millis(now)
    joined = obs.join(cases, cases.c.case_id == obs.c.case_id)
    district = cases.c.district_code
    open_now = obs.c.closed_at.is_(None)

    def grouped(value: Any, *where: Any) -> dict[str, int]:
        query = sa.select(district, value).select_from(joined).where(*where, *_in_area(cases, area))
        return {d: int(n or 0) for d, n in conn.execute(query.group_by(district))}

    cases_open = grouped(sa.func.count(sa.distinct(obs.c.case_id)), open_now)
    stalled = grouped(sa.func.count(sa.distinct(obs.c.case_id)), open_now, obs.c.due_at < e)
    closed = (obs.c.closed_at >= s, obs.c.closed_at < e)
    met = grouped(sa.func.count(), *closed, sa.not_(obs.c.met_late))
    late = grouped(sa.func.count(), *closed, obs.c.met_late)
    names = sorted(set(cases_open) | set(met) | set(late))
    return [
        AreaWeek(d, cases_open.get(d, 0), stalled.get(d, 0), met.get(d, 0), late.get(d, 0))
        for d in names
    ]


def shares(conn: sa.Connection, model: ReadModel, now: datetime, area: str) -> list[RuleShare]:
    """Per rule: met on time, met late, open past due (every case in the area)."""
    obs, cases = model.obligations, model.cases
    overdue = sa.and_(obs.c.closed_at.is_(None), obs.c.due_at < to_millis(now))
    closed = obs.c.closed_at.isnot(None)
    query = (
        sa.select(
            obs.c.rule_id,
            sa.func.sum(sa.case((sa.and_(closed, sa.not_(obs.c.met_late)), 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(closed, obs.c.met_late), 1), else_=0)),
            sa.func.sum(sa.case((overdue, 1), else_=0)),
        )
        .select_from(obs.join(cases, cases.c.case_id == obs.c.case_id))
        .where(*_in_area(cases, area))
        .group_by(obs.c.rule_id)
        .order_by(obs.c.rule_id)
    )
    rows = conn.execute(query)
    return [RuleShare(rule, int(a or 0), int(b or 0), int(c or 0)) for rule, a, b, c in rows]


def _in_area(cases: sa.Table, area: str) -> list[sa.ColumnElement[bool]]:
    if not area:
        return []
    return [
        sa.or_(
            cases.c.province_code == area,
            cases.c.district_code == area,
            cases.c.commune_code == area,
        )
    ]
