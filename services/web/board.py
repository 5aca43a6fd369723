"""The stalled board as the dashboard shows it: one row per overdue obligation, in scope.

The rows come from :func:`projections.queries.stalled_cases` evaluated at the dashboard's
clock, narrowed to the user's area first (in the query), then by the page's filters. A
``signature`` of what is shown lets the live updates tell when the board changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from projections.queries import Filters, StalledCase, stalled_cases
from projections.readmodel import ReadModel

PAGE_SIZE = 25
SORTS = ("late", "level", "area", "case")


@dataclass(frozen=True)
class BoardQuery:
    """What the page asks for: filters, sort and page (all from the query string)."""

    area: str = ""
    agency: str = ""
    rule: str = ""
    level: int = 0
    sort: str = "late"
    page: int = 1


@dataclass(frozen=True)
class Row:
    case_id: str
    area: dict[str, str]
    rule_id: str
    citation: str
    responsible_agency: str
    responsible_role: str
    due_at: datetime
    late_by: timedelta
    level: int


@dataclass(frozen=True)
class Board:
    at: datetime
    rows: list[Row]  # this page's rows
    total: int  # rows after filtering, every page
    cases: int  # stalled cases after filtering
    page: int
    pages: int
    rules: list[str] = field(default_factory=list)  # for the rule filter
    agencies: list[str] = field(default_factory=list)  # for the agency filter

    @property
    def signature(self) -> str:
        return signature(self.rows, self.total)


def read_board(
    conn: sa.Connection, model: ReadModel, at: datetime, scope: str, query: BoardQuery
) -> Board:
    """The board at ``at`` for a user whose scope is ``scope`` ("" for everything)."""
    found = stalled_cases(conn, model, at, filters=Filters(area=scope or None))
    every = [row for case in found for row in _rows(case, at)]
    rules = sorted({r.rule_id for r in every})
    agencies = sorted({r.responsible_agency for r in every if r.responsible_agency})
    kept = [r for r in every if _matches(r, query)]
    kept.sort(key=_sort_key(query.sort))
    pages = max(1, -(-len(kept) // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    shown = kept[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    cases = len({r.case_id for r in kept})
    return Board(at, shown, len(kept), cases, page, pages, rules, agencies)


def signature(rows: list[Row], total: int) -> str:
    """Changes when a row appears, goes, or changes level (not as lateness grows)."""
    digest = hashlib.sha256(str(total).encode())
    for r in rows:
        digest.update(f"{r.case_id}|{r.rule_id}|{r.level}|{r.due_at.isoformat()};".encode())
    return digest.hexdigest()[:16]


def _rows(case: StalledCase, at: datetime) -> list[Row]:
    return [
        Row(
            case_id=case.case_id,
            area=case.area,
            rule_id=s.obligation.rule_id,
            citation=s.obligation.citation,
            responsible_agency=s.obligation.responsible_agency or "",
            responsible_role=s.obligation.responsible_role,
            due_at=s.due_at,
            late_by=at - s.due_at,
            level=s.level,
        )
        for s in case.overdue
    ]


def _matches(row: Row, query: BoardQuery) -> bool:
    return (
        (not query.area or query.area in row.area.values())
        and (not query.agency or row.responsible_agency == query.agency)
        and (not query.rule or row.rule_id == query.rule)
        and (not query.level or row.level == query.level)
    )


def _sort_key(sort: str) -> Callable[[Row], Any]:
    if sort == "level":
        return lambda r: (-r.level, r.due_at, r.case_id)
    if sort == "area":
        return lambda r: (r.area.get("district_code", ""), r.area.get("commune_code", ""), r.due_at)
    if sort == "case":
        return lambda r: (r.case_id, r.rule_id)
    return lambda r: (r.due_at, r.case_id, r.rule_id)
