"""Which alerts a case owes its supervisors when its status is looked at again (pure).

A projection keeps, per open obligation, the level it has already reported, and per case
whether it is stalled and how many times it became so. ``review`` compares that with the
status at an instant and returns the new levels, when to look again, and the alerts: one when
the case becomes stalled, one when an obligation escalates, one when the case recovers. Alert
ids are deterministic (case, kind, counter or obligation), so an alert published twice is
recognisable by its id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from projections.stalled.model import Obligation, ObligationId
from projections.stalled.status import (
    ESCALATED,
    NOT_DUE,
    OVERDUE,
    escalation_level,
    next_change,
    on_record_since,
)

STALLED, ESCALATION, RECOVERED = "stalled", "escalated", "recovered"


@dataclass(frozen=True)
class Watch:
    """What was last reported about a case."""

    case_id: str
    stalled: bool = False
    level: int = NOT_DUE
    stall_count: int = 0


@dataclass(frozen=True)
class Tracked:
    """An open obligation and the level already reported for it."""

    obligation: Obligation
    reported_level: int = NOT_DUE


@dataclass(frozen=True)
class Alert:
    """A transition to tell supervisors about; ``obligation`` is None for a recovery."""

    alert_id: str
    kind: str
    case_id: str
    level: int
    obligation: Obligation | None
    effective_at: datetime


@dataclass(frozen=True)
class Review:
    """The outcome of looking at a case at an instant."""

    watch: Watch
    levels: Mapping[ObligationId, int]
    wake_at: Mapping[ObligationId, datetime | None]
    alerts: tuple[Alert, ...]


def review(
    watch: Watch,
    tracked: Sequence[Tracked],
    at: datetime,
    cause: datetime | None = None,
) -> Review:
    """Evaluate the open obligations at ``at``; ``cause`` is when the step that led to this
    review was recorded (the effective time of a recovery), None for a review driven by time.

    Effective times are those an "as of" evaluation agrees with: a stall dates from when an
    overdue obligation was on record past its due time, a recovery from when the step that
    ended it was recorded, even when that step is dated earlier."""
    levels = {t.obligation.ident: _level(t.obligation, at) for t in tracked}
    wake = {t.obligation.ident: next_change([t.obligation], at) for t in tracked}
    alerts = [
        _escalation(t, at)
        for t in tracked
        if levels[t.obligation.ident] == ESCALATED and t.reported_level < ESCALATED
    ]
    overdue = [t.obligation for t in tracked if levels[t.obligation.ident] >= OVERDUE]
    level = max(levels.values(), default=NOT_DUE)
    new = Watch(watch.case_id, bool(overdue), level, watch.stall_count)
    if overdue and not watch.stalled:
        new = Watch(watch.case_id, True, level, watch.stall_count + 1)
        alerts.insert(0, _stalled(new, overdue, at))
    elif watch.stalled and not overdue:
        alerts.append(
            Alert(
                f"{watch.case_id}:{RECOVERED}:{watch.stall_count}",
                RECOVERED,
                watch.case_id,
                level,
                None,
                cause or at,
            )
        )
    return Review(new, levels, wake, tuple(alerts))


def _level(ob: Obligation, at: datetime) -> int:
    return escalation_level(ob, at) if ob.open_at(at) else NOT_DUE


def _stalled(watch: Watch, overdue: list[Obligation], at: datetime) -> Alert:
    """The case stalled when its first obligation showed overdue (on record, past due)."""
    since = {ob.ident: on_record_since(ob, at, OVERDUE) for ob in overdue}
    first = min(overdue, key=lambda ob: (since[ob.ident], ob.ident))
    alert_id = f"{watch.case_id}:{STALLED}:{watch.stall_count}"
    return Alert(alert_id, STALLED, watch.case_id, watch.level, first, since[first.ident])


def _escalation(tracked: Tracked, at: datetime) -> Alert:
    ob = tracked.obligation
    alert_id = f"{ob.case_id}:{ESCALATION}:{ob.rule_id}:{ob.key}:{ob.opened_seq}:{ob.extended}"
    since = on_record_since(ob, at, ESCALATED)
    return Alert(alert_id, ESCALATION, ob.case_id, ESCALATED, ob, since)
