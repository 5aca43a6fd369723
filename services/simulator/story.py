"""What the simulator tells: a case's planned steps, each with its agency and instant."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from events.steps import CASE_CLOSED

Timing = Literal["untimed", "in_time", "late"]
Deviation = Literal["none", "late", "missing"]


@dataclass(frozen=True)
class PlannedStep:
    """One step an agency will submit: wire name, step-specific fields, when it happened.

    ``timing`` says how the step stands against the deadline that governs it ("untimed" when no
    deadline does); ``due_at`` is that deadline (None when untimed).
    """

    step: str
    agency: str
    role: str
    fields: Mapping[str, Any]
    occurred_at: datetime
    submission_id: str
    timing: Timing = "untimed"
    due_at: datetime | None = None
    personal_data: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Missed:
    """A step that was owed and never comes: the case stays stalled from ``due_at`` on."""

    step: str
    rule_id: str
    due_at: datetime


@dataclass(frozen=True)
class Story:
    """One case from report to closure (or to the step that never came)."""

    case_id: str
    told_at: datetime
    """The wall-clock instant the story was told for: its ``now``."""
    steps: tuple[PlannedStep, ...]
    deviation: Deviation = "none"
    missed: tuple[Missed, ...] = field(default=())

    @property
    def reported_at(self) -> datetime:
        return self.steps[0].occurred_at

    @property
    def closed(self) -> bool:
        return self.steps[-1].step == CASE_CLOSED
