"""The agency directory as the read side sees it: a Protocol the write side's directory fills.

The read models resolve who must act and who is told of a stall from the province's agencies,
but the directory (its file, its validation, its successors) belongs to the case service
(``services/cases/agencies.py``). The composition roots hand that directory in; the read side
names only what it asks of it, so ``projections/`` never imports the write side.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class AgencyRecord(Protocol):
    """One agency: its id, its names, its kind and the area it serves."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def area(self) -> str: ...

    def name_in(self, lang: str) -> str: ...

    def valid_on(self, day: date) -> bool: ...


class AgencyLookup(Protocol):
    """Agency id to agency, on the province's days (reorganisations followed to successors)."""

    @property
    def zone(self) -> ZoneInfo: ...

    @property
    def roles(self) -> Collection[str]:
        """Every kind an agency may be (``police``, ``court``...)."""
        ...

    def get(self, agency_id: str) -> AgencyRecord | None: ...

    def in_office(self, agency_id: str, day: date) -> AgencyRecord | None: ...

    def predecessors(self, agency_id: str) -> set[str]: ...

    def local_day(self, instant: datetime) -> date: ...

    def by_role(self, role: str) -> Sequence[AgencyRecord]: ...

    def all(self) -> Sequence[AgencyRecord]: ...
