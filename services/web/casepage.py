"""One case as the dashboard shows it: timeline, every obligation, follow-ups; no personal data.

The timeline and the obligations come from the read model; the notes of supervisors'
follow-ups come from the case's own history in the event store (the read model keeps who and
when, not what was said), so a follow-up shows as soon as it is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from events.instants import from_millis
from events.steps import SUPERVISOR_FOLLOWED_UP
from projections.queries import AREAS, TimelineStep
from projections.readmodel import ReadModel
from projections.responsible import Responsibility
from projections.rows import obligation_of
from projections.stalled import Obligation, escalation_level
from services.cases.views import HistoryEntry


@dataclass(frozen=True)
class ObligationLine:
    obligation: Obligation
    state: str  # open | overdue | escalated | met | met_late
    due_at: datetime  # in force now (after extensions)
    first_due_at: datetime  # before any extension
    agency: str = ""  # who must act now: resolved from role and area, an ended agency's successor


@dataclass(frozen=True)
class FollowUp:
    at: datetime
    supervisor: str
    agency: str
    chased: str
    obligation: str
    note: str


@dataclass(frozen=True)
class CasePage:
    case_id: str
    area: dict[str, str]
    is_open: bool
    steps: list[TimelineStep]
    obligations: list[ObligationLine]
    follow_ups: list[FollowUp]


def read_case(
    conn: sa.Connection,
    model: ReadModel,
    case_id: str,
    at: datetime,
    sees: Callable[[dict[str, str]], bool],
    responsibility: Responsibility | None = None,
) -> CasePage | None:
    """The case, or None when it is unknown or outside what the user may see.

    Each obligation names the agency in office at ``at``, resolved as the stalled board does
    (``projections.responsible``): the agency of the rule's role for the case's area, or the
    successor of an agency that has ended since the obligation opened."""
    case = conn.execute(sa.select(model.cases).where(model.cases.c.case_id == case_id)).first()
    if case is None:
        return None
    area = {name: getattr(case, name) for name in AREAS if getattr(case, name)}
    if not sees(area):
        return None
    tl, obs = model.timeline, model.obligations
    steps = [
        TimelineStep(
            row.sequence,
            row.event_type,
            row.agency,
            row.role,
            from_millis(row.occurred_at),
            from_millis(row.recorded_at),
        )
        for row in conn.execute(
            sa.select(tl).where(tl.c.case_id == case_id).order_by(tl.c.sequence)
        )
    ]
    rows = conn.execute(
        sa.select(obs).where(obs.c.case_id == case_id).order_by(obs.c.opened_at, obs.c.rule_id)
    ).mappings()
    lines = [_line(obligation_of(row), at, responsibility, area) for row in rows]
    return CasePage(case_id, area, bool(case.is_open), steps, lines, [])


def follow_ups(history: list[HistoryEntry]) -> list[FollowUp]:
    """The supervisors' follow-ups of a case's recorded history, oldest first."""
    return [
        FollowUp(
            from_millis(e.recorded_at),
            str(e.payload.get("supervisor", "")),
            e.agency,
            str(e.payload.get("chased_agency", "")),
            str(e.payload.get("obligation", "")),
            str(e.payload.get("note", "")),
        )
        for e in history
        if e.step == SUPERVISOR_FOLLOWED_UP
    ]


def _line(
    ob: Obligation, at: datetime, who: Responsibility | None, area: dict[str, str]
) -> ObligationLine:
    first = ob.due_history[0].due_at
    agency = ob.responsible_agency or ""
    if who is not None:  # a met obligation names who was in office when it was met
        on = ob.closed_at or at
        agency = who.agency_for(ob.responsible_role, ob.responsible_agency, area, on) or agency
    if ob.closed_at is not None:
        state = "met_late" if ob.met_late else "met"
        return ObligationLine(ob, state, ob.due_at, first, agency)
    level = escalation_level(ob, at)
    state = ("open", "overdue", "escalated")[min(level, 2)]
    return ObligationLine(ob, state, ob.due_at, first, agency)
