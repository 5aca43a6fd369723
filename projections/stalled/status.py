"""Stall status of a case at any instant, from its obligations alone (pure, clock injected).

Levels: 0 not yet due; 1 overdue (the responsible agency is late); 2 overdue by more than the
time that was allowed, i.e. ``at > due + (due - start of the count)``: escalate to the
provincial supervisor. "Overdue" means strictly after the due time: an act at the due instant
is in time. A case is stalled while any obligation open at that instant is overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from projections.stalled.model import Obligation, aware

TICK = timedelta(milliseconds=1)  # resolution of instants on the wire
NOT_DUE, OVERDUE, ESCALATED = 0, 1, 2


@dataclass(frozen=True)
class ObligationStatus:
    """One open obligation as seen at an instant."""

    obligation: Obligation
    due_at: datetime  # the due time in force at that instant
    level: int

    @property
    def overdue(self) -> bool:
        """Whether the obligation was late at that instant."""
        return self.level >= OVERDUE


@dataclass(frozen=True)
class CaseStatus:
    """A case's open obligations at ``at``; ``stalled`` when any of them is overdue."""

    at: datetime
    stalled: bool
    level: int  # the highest escalation level among the open obligations
    open: tuple[ObligationStatus, ...]
    overdue: tuple[ObligationStatus, ...]


def escalation_level(ob: Obligation, at: datetime) -> int:
    """0, 1 or 2 for an obligation assumed open at ``at`` (see the module docstring)."""
    due = ob.due_as_of(at)
    if at <= due:
        return NOT_DUE
    return ESCALATED if at > due + ob.allowed(due) else OVERDUE


def on_record_since(ob: Obligation, at: datetime, level: int) -> datetime:
    """From when the obligation has shown ``level`` without a break, up to ``at`` (at which it
    shows it): the instant a due time, or the allowed time again, ran out, or the recording of
    the obligation or of a due time, when that came later.

    Due times recorded while the level already showed continue the spell: an extension that
    still leaves the obligation overdue does not restart it.
    """
    on_record = [change for change in ob.due_history if change.known <= at]
    since = at
    for index in range(len(on_record) - 1, -1, -1):
        change = on_record[index]
        since = max(_reached(ob, change.due_at, level), ob.on_record_from, change.known)
        held_before = index > 0 and _reached(ob, on_record[index - 1].due_at, level) < change.known
        if since > change.known or not held_before:
            break
    return min(since, at)


def _reached(ob: Obligation, due: datetime, level: int) -> datetime:
    """The first instant (to the millisecond) at which ``level`` shows under ``due``."""
    return due + ob.allowed(due) + TICK if level >= ESCALATED else due + TICK


def status_as_of(obligations: Iterable[Obligation], at: datetime) -> CaseStatus:
    """The status that held at ``at``: only obligations on record by then and not yet recorded
    as closed, with the due times on record then."""
    at = aware(at)
    found = tuple(
        ObligationStatus(ob, ob.due_as_of(at), escalation_level(ob, at))
        for ob in obligations
        if ob.open_at(at)
    )
    overdue = tuple(status for status in found if status.overdue)
    level = max((status.level for status in found), default=NOT_DUE)
    return CaseStatus(at, bool(overdue), level, found, overdue)


def next_change(obligations: Iterable[Obligation], after: datetime) -> datetime | None:
    """The first instant after ``after`` at which the status may differ (None: never).

    A projection schedules its next evaluation of the case there, so stalls are detected as
    time passes and not only when events arrive.
    """
    after = aware(after)
    candidates = [t for ob in obligations for t in _turning_points(ob) if t > after]
    return min(candidates, default=None)


def _turning_points(ob: Obligation) -> list[datetime]:
    closed = ob.closed_on_record
    points = [ob.on_record_from] + ([closed] if closed is not None else [])
    for change in ob.due_history:
        allowed = ob.allowed(change.due_at)
        points += [change.known, change.due_at + TICK, change.due_at + allowed + TICK]
    if closed is not None:
        points = [t for t in points if t <= closed]
    return points
