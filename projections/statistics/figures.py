"""The figures of a periodic report, read from the read model as of a recording instant.

Everything a report counts was on record at ``as_of``: cases whose report was recorded by then,
steps recorded by then, obligations evaluated with what was on record then (as the stalled
board's "as of"). A report made later with the same period and ``as_of`` gives the same figures,
and ``events`` (the case-events on record at ``as_of``) names that position in the history.

Cases belong to a period by when they were reported (business time, the province's days), and
to an area by their district (their province for cases after districts were abolished), or by
their commune when the report is narrowed to one area.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median, quantiles
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from events.instants import to_millis
from projections.queries import Filters, stalled_cases
from projections.readmodel import ReadModel
from projections.rows import obligation_of
from projections.statistics.period import Period

DIMENSIONS = ("child_sex", "child_age_group", "setting", "channel", "agency")
HOUR_MS = 3_600_000
Key = tuple[str, str]  # (area, category)


@dataclass(frozen=True)
class Deadlines:
    """Obligations of one rule: met on time, met late, overdue, still within time."""

    on_time: int = 0
    late: int = 0
    overdue: int = 0
    pending: int = 0

    @property
    def fell_due(self) -> int:
        return self.on_time + self.late + self.overdue


@dataclass
class Figures:
    """Every count a report shows; categories and areas as codes."""

    period: Period
    as_of: datetime
    area: str | None
    events: int = 0
    cases_by_area: Counter[str] = field(default_factory=Counter)
    by: dict[str, Counter[Key]] = field(default_factory=dict)  # dimension -> (area, value) -> n
    months: list[tuple[str, int]] = field(default_factory=list)
    hours_to_step: dict[str, list[float]] = field(default_factory=dict)
    deadlines: dict[str, Deadlines] = field(default_factory=dict)
    late_cases_by_area: Counter[str] = field(default_factory=Counter)
    stalled: Counter[tuple[str, int]] = field(default_factory=Counter)  # (agency, level) -> n

    def step_summary(self, step: str) -> tuple[int, float | None, float | None]:
        """How many cases reached ``step``; median and 90th percentile hours (None if none)."""
        hours = sorted(self.hours_to_step.get(step, ()))
        if not hours:
            return 0, None, None
        p90 = quantiles(hours, n=10, method="inclusive")[-1] if len(hours) > 1 else hours[0]
        return len(hours), round(median(hours), 1), round(p90, 1)


def collect(
    conn: sa.Connection,
    model: ReadModel,
    period: Period,
    as_of: datetime,
    zone: ZoneInfo,
    *,
    area: str | None = None,
    steps: tuple[str, ...] = (),
) -> Figures:
    """The figures of ``period`` (optionally one area), as on record at ``as_of``."""
    figures = Figures(period, as_of, area)
    scope = _Scope(model, period, as_of, zone, area)
    figures.events = conn.execute(
        sa.select(sa.func.count())
        .select_from(model.timeline)
        .where(model.timeline.c.recorded_at <= scope.at)
    ).scalar_one()
    figures.cases_by_area = Counter(dict(_grouped(conn, scope, scope.area_key)))
    for name in DIMENSIONS:
        figures.by[name] = Counter(dict(_pairs(conn, scope, model.stats_cases.c[name])))
    figures.by["form"] = Counter(dict(_pairs(conn, scope, model.stats_forms.c.form, forms=True)))
    figures.months = [(m.label, _count_between(conn, scope, m, zone)) for m in period.months()]
    figures.hours_to_step = _hours_to_steps(conn, scope, steps)
    _deadlines(conn, scope, figures)
    _stalled(conn, scope, figures)
    return figures


@dataclass(frozen=True)
class _Scope:
    model: ReadModel
    period: Period
    as_of: datetime
    zone: ZoneInfo
    area: str | None

    @property
    def at(self) -> int:
        return to_millis(self.as_of)

    @property
    def area_key(self) -> Any:
        cases = self.model.stats_cases.c
        if self.area:
            return cases.commune_code
        return sa.case((cases.district_code != "", cases.district_code), else_=cases.province_code)

    def where(self, start: int | None = None, end: int | None = None) -> list[Any]:
        cases = self.model.stats_cases.c
        first, after = self.period.bounds(self.zone)
        conditions = [
            cases.reported_at >= (first if start is None else start),
            cases.reported_at < (after if end is None else end),
            cases.known_at <= self.at,
        ]
        if self.area:
            conditions.append(
                sa.or_(*(cases[c] == self.area for c in ("province_code", "district_code")))
                | (cases.commune_code == self.area)
            )
        return conditions


def _grouped(conn: sa.Connection, scope: _Scope, key: Any) -> list[tuple[str, int]]:
    query = (
        sa.select(key.label("k"), sa.func.count())
        .select_from(scope.model.stats_cases)
        .where(*scope.where())
        .group_by(key)
    )
    return [(str(k), int(n)) for k, n in conn.execute(query)]


def _pairs(
    conn: sa.Connection, scope: _Scope, column: Any, forms: bool = False
) -> list[tuple[Key, int]]:
    cases = scope.model.stats_cases
    source: Any = cases
    if forms:
        source = cases.join(
            scope.model.stats_forms, scope.model.stats_forms.c.case_id == cases.c.case_id
        )
    area = scope.area_key.label("a")
    query = (
        sa.select(area, column.label("v"), sa.func.count())
        .select_from(source)
        .where(*scope.where())
        .group_by(area, column)
    )
    return [((str(a), str(v)), int(n)) for a, v, n in conn.execute(query)]


def _count_between(conn: sa.Connection, scope: _Scope, month: Period, zone: ZoneInfo) -> int:
    start, end = month.bounds(zone)
    query = sa.select(sa.func.count()).select_from(scope.model.stats_cases)
    return int(conn.execute(query.where(*scope.where(start, end))).scalar_one())


def _hours_to_steps(
    conn: sa.Connection, scope: _Scope, steps: tuple[str, ...]
) -> dict[str, list[float]]:
    cases, tl = scope.model.stats_cases, scope.model.timeline
    first = sa.func.min(tl.c.occurred_at)
    query = (
        sa.select(tl.c.event_type, first - cases.c.reported_at)
        .select_from(cases.join(tl, tl.c.case_id == cases.c.case_id))
        .where(*scope.where(), tl.c.event_type.in_(steps), tl.c.recorded_at <= scope.at)
        .group_by(cases.c.case_id, tl.c.event_type, cases.c.reported_at)
    )
    found: dict[str, list[float]] = defaultdict(list)
    for step, millis in conn.execute(query):
        found[step].append(max(0, int(millis)) / HOUR_MS)
    return dict(found)


def _deadlines(conn: sa.Connection, scope: _Scope, figures: Figures) -> None:
    cases, obs = scope.model.stats_cases, scope.model.obligations
    on_record = sa.func.coalesce(obs.c.known_at, obs.c.opened_at) <= scope.at
    closed = obs.c.closed_at.isnot(None) & (
        sa.func.coalesce(obs.c.closed_known_at, obs.c.closed_at) <= scope.at
    )
    joined = cases.join(obs, obs.c.case_id == cases.c.case_id)
    area = scope.area_key.label("a")
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    late_cases: dict[str, set[str]] = defaultdict(set)
    query = sa.select(obs.c.rule_id, obs.c.met_late, sa.func.count()).select_from(joined)
    for rule, met_late, n in conn.execute(
        query.where(*scope.where(), on_record, closed).group_by(obs.c.rule_id, obs.c.met_late)
    ):
        counts[rule]["late" if met_late else "on_time"] += int(n)
    late = sa.select(area, cases.c.case_id).select_from(joined).distinct()
    for a, case_id in conn.execute(late.where(*scope.where(), on_record, closed, obs.c.met_late)):
        late_cases[str(a)].add(case_id)
    still_open = sa.select(obs, area).select_from(joined)
    for row in conn.execute(still_open.where(*scope.where(), on_record, ~closed)).mappings():
        ob = obligation_of(row)
        if ob.due_as_of(scope.as_of) < scope.as_of:
            counts[ob.rule_id]["overdue"] += 1
            late_cases[str(row["a"])].add(ob.case_id)
        else:
            counts[ob.rule_id]["pending"] += 1
    figures.deadlines = {
        rule: Deadlines(c["on_time"], c["late"], c["overdue"], c["pending"])
        for rule, c in sorted(counts.items())
    }
    figures.late_cases_by_area = Counter({a: len(ids) for a, ids in late_cases.items()})


def _stalled(conn: sa.Connection, scope: _Scope, figures: Figures) -> None:
    found = stalled_cases(
        conn, scope.model, scope.as_of, as_of=True, filters=Filters(area=scope.area)
    )
    for case in found:
        worst = case.overdue[0].obligation
        who = worst.responsible_agency or worst.responsible_role
        figures.stalled[(who, case.level)] += 1
