"""The stalled board as the dashboard shows it: one row per overdue obligation, in scope.

The rows are what :func:`projections.queries.stalled_cases` finds at the dashboard's clock,
narrowed to the user's area first (in the query), then by the page's filters; they are read as
plain values (:func:`projections.queries.overdue_now`), counted and sorted, and only the
page's rows are built. Given the directory (:class:`projections.responsible.Responsibility`),
each row names the agency that must act on the day, as the command-line board does: the agency
of the rule's role for an obligation naming none, the successor of an agency that has ended
(the 2025 reorganisation); the agency filter and its choices use that agency too. A
``signature`` of what is shown lets the live updates tell when the board changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from events.instants import from_millis
from projections.queries import Overdue, by_case, overdue_now
from projections.readmodel import ReadModel
from projections.responsible import Responsibility

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
    agency: str = ""  # the agency filtered on (an ended agency's successor when one was asked)

    @property
    def signature(self) -> str:
        return signature(self.rows, self.total)


def read_board(
    conn: sa.Connection,
    model: ReadModel,
    at: datetime,
    scope: str,
    query: BoardQuery,
    responsibility: Responsibility | None = None,
) -> Board:
    """The board at ``at`` for a user whose scope is ``scope`` ("" for everything); with
    ``responsibility``, naming the agency that must act on the day (else the one on record)."""
    every = _in_board_order(overdue_now(conn, model, at, scope or None))
    who = _Who(responsibility, at)
    agency = who.in_office(query.agency)
    rules = sorted({o.rule_id for o in every})
    agencies = sorted({name for name in map(who, every) if name})
    kept = [o for o in every if _matches(o, query, agency, who)]
    kept.sort(key=_sort_key(query.sort))
    pages = max(1, -(-len(kept) // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    shown = [_row(o, at, who(o)) for o in kept[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]]
    cases = len({o.case_id for o in kept})
    return Board(at, shown, len(kept), cases, page, pages, rules, agencies, agency)


class _Who:
    """The agency that must act on an overdue obligation ("" when none is known), resolved once
    per distinct (role, agency named, area) within one reading of the board."""

    def __init__(self, responsibility: Responsibility | None, at: datetime) -> None:
        self._responsibility = responsibility
        self._at = at
        self._found: dict[tuple[str, str | None, tuple[tuple[str, str], ...]], str] = {}

    def __call__(self, o: Overdue) -> str:
        if self._responsibility is None:
            return o.responsible_agency or ""
        key = (o.responsible_role, o.responsible_agency, tuple(o.area.items()))
        found = self._found.get(key)
        if found is None:
            resolved = self._responsibility.agency_for(
                o.responsible_role, o.responsible_agency, o.area, self._at
            )
            found = self._found[key] = resolved or ""
        return found

    def in_office(self, agency: str) -> str:
        """The agency a filter names, or its successor in office when it has ended."""
        if not agency or self._responsibility is None:
            return agency
        return self._responsibility.agency_for("", agency, {}, self._at) or agency


def _in_board_order(found: list[Overdue]) -> list[Overdue]:
    """The order ``stalled_cases`` gives (cases by level, most overdue first; each case's
    obligations likewise), which the page's sort keeps among equals."""
    return [o for items in by_case(found) for o in items]


def signature(rows: list[Row], total: int) -> str:
    """Changes when a row appears, goes, or changes level (not as lateness grows)."""
    digest = hashlib.sha256(str(total).encode())
    for r in rows:
        digest.update(f"{r.case_id}|{r.rule_id}|{r.level}|{r.due_at.isoformat()};".encode())
    return digest.hexdigest()[:16]


def _row(o: Overdue, at: datetime, agency: str) -> Row:
    due = from_millis(o.due_ms)
    return Row(
        case_id=o.case_id,
        area=o.area,
        rule_id=o.rule_id,
        citation=o.citation,
        responsible_agency=agency,
        responsible_role=o.responsible_role,
        due_at=due,
        late_by=at - due,
        level=o.level,
    )


def _matches(o: Overdue, query: BoardQuery, agency: str, who: _Who) -> bool:
    return (
        (not query.area or query.area in o.area.values())
        and (not agency or who(o) == agency)
        and (not query.rule or o.rule_id == query.rule)
        and (not query.level or o.level == query.level)
    )


def _sort_key(sort: str) -> Callable[[Overdue], Any]:
    if sort == "level":
        return lambda o: (-o.level, o.due_ms, o.case_id)
    if sort == "area":
        return lambda o: (o.area.get("district_code", ""), o.area.get("commune_code", ""), o.due_ms)
    if sort == "case":
        return lambda o: (o.case_id, o.rule_id)
    return lambda o: (o.due_ms, o.case_id, o.rule_id)
