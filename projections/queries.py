"""Supervisors' questions to the read model: which cases are stalled, what a case looks like.

"Stalled now" reads only open obligations whose due time has passed, through the partial index
on open due times: its cost follows the number of overdue obligations, not of cases. "As of" a
past instant gives the answer that held then, from what was on record then: it reads the
obligations that could have been overdue (earliest due time before it, opening recorded by
then, closure not yet recorded) and evaluates each with the due time on record at that instant.
An obligation whose closure was recorded later counts as open, even when the closing step is
back-dated before the instant; an extension recorded later does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa

from events.instants import EPOCH, from_millis, to_millis
from projections.casefile import AREA_FIELDS
from projections.readmodel import ReadModel
from projections.responsible import Responsibility
from projections.rows import obligation_of
from projections.stalled import Obligation, ObligationStatus, escalation_level, status_as_of

AREAS = AREA_FIELDS  # the columns of a case's area, most general first


@dataclass(frozen=True)
class Filters:
    """Narrow the stalled list: responsible agency or role, area code (any level)."""

    agency: str | None = None
    role: str | None = None
    area: str | None = None


@dataclass(frozen=True)
class StalledCase:
    """A case stalled at ``at``, with its overdue obligations (most overdue first)."""

    case_id: str
    level: int
    area: dict[str, str]
    overdue: tuple[ObligationStatus, ...]
    # The agency that must act on each overdue obligation (same order), None if unresolved.
    responsible: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class TimelineStep:
    """One step of a case's timeline."""

    sequence: int
    event_type: str
    agency: str
    role: str
    occurred_at: datetime
    recorded_at: datetime


@dataclass(frozen=True)
class CaseTimeline:
    """A case's timeline and the obligations open at ``at``."""

    case_id: str
    at: datetime
    area: dict[str, str]
    steps: tuple[TimelineStep, ...]
    open: tuple[ObligationStatus, ...]
    responsible: tuple[str | None, ...] = ()


def stalled_cases(
    conn: sa.Connection,
    model: ReadModel,
    at: datetime,
    *,
    as_of: bool = False,
    filters: Filters = Filters(),
    responsibility: Responsibility | None = None,
) -> list[StalledCase]:
    """The cases stalled at ``at``; ``as_of`` for a past instant (see the module docstring).

    With ``responsibility``, each obligation names the agency that must act on the day, and an
    agency filter finds the obligations resolved to it as well as those naming it.
    """
    obs, cases = model.obligations, model.cases
    query = (
        sa.select(obs, *(cases.c[name] for name in AREAS))
        .join(cases, cases.c.case_id == obs.c.case_id)
        .where(
            *_candidates(obs, to_millis(at), as_of),
            *_narrowed(obs, cases, filters, _named_for(filters, responsibility)),
        )
    )
    found: dict[str, list[ObligationStatus]] = {}
    areas: dict[str, dict[str, str]] = {}
    for row in conn.execute(query).mappings():
        status = _overdue(obligation_of(row), at)
        if status is None:
            continue
        area = {name: row[name] for name in AREAS if row[name]}
        if filters.agency and responsibility is not None:
            ob = status.obligation
            who = responsibility.agency_for(ob.responsible_role, ob.responsible_agency, area, at)
            if who != filters.agency:
                continue
        found.setdefault(row["case_id"], []).append(status)
        areas[row["case_id"]] = area
    stalled = (_stalled(case_id, areas[case_id], items) for case_id, items in found.items())
    return sorted(
        (_resolved(case, responsibility, at) for case in stalled),
        key=lambda c: (-c.level, c.overdue[0].due_at, c.case_id),
    )


@dataclass(frozen=True, slots=True)
class Overdue:
    """One obligation overdue now, as plain values (what a page sorts and counts)."""

    case_id: str
    area: dict[str, str]
    rule_id: str
    key: str
    opened_seq: int
    citation: str
    responsible_agency: str | None
    responsible_role: str
    due_ms: int  # the due time in force at the instant asked about
    level: int


def overdue_now(
    conn: sa.Connection, model: ReadModel, at: datetime, area: str | None = None
) -> list[Overdue]:
    """The obligations :func:`stalled_cases` finds at ``at`` (not ``as_of``, no agency
    filter), with the same levels and due times, read as plain values: the due-time history is
    evaluated in integers instead of the engine's records, so a page can count and sort every
    overdue obligation and build only the rows it shows."""
    obs, cases = model.obligations, model.cases
    query = (
        sa.select(*(obs.c[name] for name in _OVERDUE_COLUMNS), *(cases.c[n] for n in AREAS))
        .join(cases, cases.c.case_id == obs.c.case_id)
        .where(
            *_candidates(obs, to_millis(at), False),
            *_narrowed(obs, cases, Filters(area=area), None),
        )
    )
    at_us = (at - EPOCH) // _MICROSECOND
    found = []
    # Streamed (a server-side cursor on PostgreSQL), and one object per distinct value: the
    # rows repeat a few rules, citations, roles and areas, and a case's id per obligation, so
    # a board of 100,000 overdue obligations holds each once rather than per row.
    same: dict[Any, Any] = {}
    areas: dict[tuple[str | None, ...], dict[str, str]] = {}
    for row in conn.execute(query.execution_options(yield_per=_STREAMED)).tuples():
        case_id, rule, key, seq, citation, agency, role, history, opened, counted = row[:10]
        due_ms, level = _level_now(orjson.loads(history), counted or opened, at_us)
        if level:
            codes = tuple(row[10:])
            area_of = areas.get(codes)
            if area_of is None:
                area_of = areas[codes] = {n: c for n, c in zip(AREAS, codes, strict=True) if c}
            case_id, rule, key, citation, agency, role = (
                same.setdefault(v, v) for v in (case_id, rule, key, citation, agency, role)
            )
            found.append(
                Overdue(case_id, area_of, rule, key, seq, citation, agency, role, due_ms, level)
            )
    return found


def by_case(found: list[Overdue]) -> list[list[Overdue]]:
    """``overdue_now``'s obligations grouped by case, in :func:`stalled_cases`' order: cases
    by level, most overdue first, then id; each case's obligations likewise, then identity."""
    cases: dict[str, list[Overdue]] = {}
    for o in found:
        cases.setdefault(o.case_id, []).append(o)
    for items in cases.values():
        items.sort(key=lambda o: (-o.level, o.due_ms, o.rule_id, o.key, o.opened_seq))
    return sorted(cases.values(), key=lambda i: (-i[0].level, i[0].due_ms, i[0].case_id))


_OVERDUE_COLUMNS = ("case_id", "rule_id", "key", "opened_seq", "citation", "responsible_agency",
                    "responsible_role", "due_history", "opened_at", "counted_from")  # fmt: skip
_MICROSECOND = timedelta(microseconds=1)
_STREAMED = 5000  # rows fetched at a time


def _level_now(history: list[list[int | None]], start_ms: int, at_us: int) -> tuple[int, int]:
    """(due time in force, level) at ``at_us`` of an open obligation, as ``_overdue`` finds them
    from the engine's record: on record once its first due time is known; the latest due time
    known by then; overdue strictly after it, escalated after it plus the time allowed."""
    known = [entry[2] if len(entry) > 2 and entry[2] is not None else entry[0] for entry in history]
    if known[0] * 1000 > at_us:  # type: ignore[operator]
        return 0, 0
    due = history[0][1]
    for entry, on_record in zip(history[1:], known[1:], strict=True):
        if on_record * 1000 <= at_us:  # type: ignore[operator]
            due = entry[1]
    assert due is not None
    if at_us <= due * 1000:
        return due, 0
    return due, 2 if at_us > (2 * due - start_ms) * 1000 else 1


def case_view(
    conn: sa.Connection,
    model: ReadModel,
    case_id: str,
    at: datetime,
    responsibility: Responsibility | None = None,
) -> CaseTimeline | None:
    """The case's steps recorded by ``at`` and its obligations open then; None if unknown."""
    case = conn.execute(sa.select(model.cases).where(model.cases.c.case_id == case_id)).first()
    if case is None:
        return None
    tl, obs = model.timeline, model.obligations
    steps = conn.execute(
        sa.select(tl)
        .where(tl.c.case_id == case_id, tl.c.recorded_at <= to_millis(at))
        .order_by(tl.c.sequence)
    ).mappings()
    rows = conn.execute(sa.select(obs).where(obs.c.case_id == case_id)).mappings()
    status = status_as_of([obligation_of(row) for row in rows], at)
    area = {name: getattr(case, name) for name in AREAS if getattr(case, name)}
    who = _who(status.open, area, responsibility, at)
    return CaseTimeline(case_id, at, area, tuple(_step(row) for row in steps), status.open, who)


def _candidates(obs: sa.Table, at_ms: int, as_of: bool) -> list[Any]:
    if not as_of:
        return [obs.c.closed_at.is_(None), obs.c.due_at < at_ms]
    on_record = sa.func.coalesce(obs.c.known_at, obs.c.opened_at)
    closed_on_record = sa.func.coalesce(obs.c.closed_known_at, obs.c.closed_at)
    return [
        obs.c.earliest_due_at < at_ms,
        on_record <= at_ms,
        sa.or_(obs.c.closed_at.is_(None), closed_on_record > at_ms),
    ]


def _named_for(filters: Filters, responsibility: Responsibility | None) -> set[str] | None:
    """The agency ids an obligation may name and still be the filter's agency's to act on: the
    agency and those it succeeded (None: no resolving, only the agency itself)."""
    if not filters.agency or responsibility is None:
        return None
    return {filters.agency} | responsibility.directory.predecessors(filters.agency)


def _narrowed(
    obs: sa.Table, cases: sa.Table, filters: Filters, named_for: set[str] | None
) -> list[Any]:
    conditions: list[Any] = []
    if filters.agency:
        if named_for is None:
            conditions.append(obs.c.responsible_agency == filters.agency)
        else:
            named = obs.c.responsible_agency.in_(sorted(named_for))
            conditions.append(sa.or_(named, obs.c.responsible_agency.is_(None)))
    if filters.role:
        conditions.append(obs.c.responsible_role == filters.role)
    if filters.area:
        conditions.append(sa.or_(*(cases.c[name] == filters.area for name in AREAS)))
    return conditions


def _overdue(ob: Obligation, at: datetime) -> ObligationStatus | None:
    if not ob.open_at(at):
        return None
    level = escalation_level(ob, at)
    return ObligationStatus(ob, ob.due_as_of(at), level) if level else None


def _stalled(case_id: str, area: dict[str, str], items: list[ObligationStatus]) -> StalledCase:
    items.sort(key=lambda s: (-s.level, s.due_at, s.obligation.ident))
    return StalledCase(case_id, max(s.level for s in items), area, tuple(items))


def _resolved(
    case: StalledCase, responsibility: Responsibility | None, at: datetime
) -> StalledCase:
    who = _who(case.overdue, case.area, responsibility, at)
    return StalledCase(case.case_id, case.level, case.area, case.overdue, who)


def _who(
    statuses: tuple[ObligationStatus, ...],
    area: dict[str, str],
    responsibility: Responsibility | None,
    at: datetime,
) -> tuple[str | None, ...]:
    if responsibility is None:
        return tuple(s.obligation.responsible_agency for s in statuses)
    return tuple(
        responsibility.agency_for(
            s.obligation.responsible_role, s.obligation.responsible_agency, area, at
        )
        for s in statuses
    )


def _step(row: Any) -> TimelineStep:
    return TimelineStep(
        row["sequence"],
        row["event_type"],
        row["agency"],
        row["role"],
        from_millis(row["occurred_at"]),
        from_millis(row["recorded_at"]),
    )
