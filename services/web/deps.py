"""What the dashboard's routes need, built once by the composition root (``wiring.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from projections.readmodel import ReadModel
from projections.responsible import Responsibility
from services.cases.views import HistoryEntry, RecordedStep
from services.runtime.settings import Settings
from services.web.places import Places
from services.web.users import UserBook

if TYPE_CHECKING:
    from services.web.workbench.service import Workbench

Clock = Callable[[], datetime]


class CaseRecorder(Protocol):
    """The case service's write and history use cases (the same path as the intake's)."""

    def record(
        self,
        case_id: str,
        step: str,
        fields: dict[str, object],
        agency: str,
        submission_id: str,
        occurred_at: int,
    ) -> RecordedStep: ...

    def history(self, case_id: str) -> list[HistoryEntry]: ...


@dataclass
class Dashboard:
    """The dashboard's collaborators."""

    reader: sa.Engine  # the read models (a read-only role in production)
    model: ReadModel
    users: UserBook
    places: Places
    zone: ZoneInfo
    clock: Clock
    cases: Callable[[], CaseRecorder]  # opened at first use: the store, for follow-ups
    session_key: str
    secure_cookies: bool = True
    refresh_seconds: float = 2.0
    extras: dict[str, object] = field(default_factory=dict)
    settings: Settings | None = None  # the periodic reports and reporting duties need it
    workbench: Workbench | None = None  # the agency officers' pages (/work)
    responsibility: Responsibility | None = None  # who must act on the board (else as recorded)
