"""What the backbone expects of one agency: its open obligations, from the read model.

An obligation is the agency's when it names the agency, or when its role resolves to the
agency for the case's area on the day (``projections.responsible``), as for the supervisors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from projections.queries import AREAS
from projections.readmodel import ReadModel
from projections.responsible import NATIONAL, Responsibility
from projections.rows import obligation_of
from projections.stalled import Obligation, escalation_level


@dataclass(frozen=True)
class Duty:
    """One open obligation of the agency."""

    case_id: str
    obligation: Obligation
    state: str  # open | overdue | escalated


def agency_duties(
    conn: sa.Connection,
    model: ReadModel,
    responsibility: Responsibility,
    agency: str,
    at: datetime,
) -> list[Duty]:
    """The agency's open obligations at ``at``, the soonest due first."""
    obs, cases = model.obligations, model.cases
    query = (
        sa.select(obs, *(cases.c[name] for name in AREAS))
        .join(cases, cases.c.case_id == obs.c.case_id)
        .where(obs.c.closed_at.is_(None))
    )
    found_agency = responsibility.directory.get(agency)
    if found_agency is not None and found_agency.area != NATIONAL:
        # A role resolves only to an agency of one of the case's areas (or a national one), or
        # to the successor of the agency of an area that ended (docs/LEGAL.md, "Agencies").
        directory = responsibility.directory
        areas = {found_agency.area} | {
            old.area
            for name in directory.predecessors(agency)
            if (old := directory.get(name)) is not None and old.area != NATIONAL
        }
        in_area = [cases.c[name].in_(sorted(areas)) for name in AREAS]
        query = query.where(sa.or_(obs.c.responsible_agency == agency, *in_area))
    found = []
    for row in conn.execute(query).mappings():
        ob = obligation_of(row)
        area = {name: row[name] for name in AREAS if row[name]}
        if (
            responsibility.agency_for(ob.responsible_role, ob.responsible_agency, area, at)
            != agency
        ):
            continue
        state = ("open", "overdue", "escalated")[min(escalation_level(ob, at), 2)]
        found.append(Duty(str(row["case_id"]), ob, state))
    return sorted(found, key=lambda d: (d.obligation.due_at, d.case_id))
