"""A story is told as tracks (social, medical, referral, criminal) that share one teller.

The :class:`Teller` holds what a whole case shares: the seeded random source, the due clock,
``now``, the one deviation the case may have (a late or a missing step) and the facts modifiers
need. A :class:`Track` is one line of steps, each after the previous one; a missing step stops
the track (nothing after it is told).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import Any

from services.simulator import timing
from services.simulator.province import Province
from services.simulator.story import Deviation, Missed, PlannedStep, Timing
from services.simulator.timing import DueClock

DEVIATE_HERE = 0.5  # chance that a pending deviation hits an overdue obligation it meets


@dataclass
class Teller:
    """What every track of one case shares."""

    rng: Random
    clock: DueClock
    province: Province
    now: datetime
    lookahead: timedelta
    deviation: Deviation = "none"
    context: dict[str, object] = field(default_factory=dict)
    missed: list[Missed] = field(default_factory=list)
    deviated: Deviation = "none"

    def new_id(self) -> str:
        """A random UUID from the seeded source (reproducible per seed)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def outcome(self, due: datetime) -> Deviation:
        """Whether this obligation is where the case's deviation happens (once per case)."""
        if self.deviated != "none" or self.deviation == "none" or due >= self.now:
            return "none"
        if self.rng.random() >= DEVIATE_HERE:
            return "none"
        self.deviated = self.deviation
        return self.deviation


@dataclass(frozen=True)
class Slot:
    """When a governed step happens and the deadline it was measured against."""

    at: datetime
    due: datetime


@dataclass
class Track:
    """One line of steps of a case, each after the previous one."""

    teller: Teller
    at: datetime
    steps: list[PlannedStep] = field(default_factory=list)
    stopped: bool = False

    def fork(self) -> Track:
        """A new track starting where this one stands."""
        return Track(self.teller, self.at, stopped=self.stopped)

    def then(
        self,
        step: str,
        agency: str,
        fields: Mapping[str, Any],
        hours: tuple[float, float],
        personal_data: Mapping[str, str] | None = None,
    ) -> datetime | None:
        """An ungoverned step ``hours`` (low, high) after the previous one."""
        if self.stopped:
            return None
        at = timing.hours_after(self.teller.rng, self.at, *hours)
        return self.add(step, agency, fields, at, personal_data=personal_data)

    def when(
        self,
        step: str,
        rule_id: str,
        opened: datetime,
        *,
        start: datetime | None = None,
        due: datetime | None = None,
        earliest: datetime | None = None,
        hurry: timedelta | None = None,
    ) -> Slot | None:
        """When a step governed by ``rule_id`` (opened at ``opened``) happens, or None when it
        never does. ``due`` overrides the policy (a plan item); ``start`` is the instant the
        deadline counts from; ``earliest`` and ``hurry`` narrow the in-time window."""
        if self.stopped:
            return None
        t = self.teller
        due = due or t.clock.due(rule_id, start or opened, t.context)
        kind = t.outcome(due)
        if kind == "missing":
            t.missed.append(Missed(step, rule_id, due))
            self.stopped = True
            return None
        begin = max(self.at, opened, earliest or opened)
        if kind == "late":
            return Slot(max(timing.late(t.rng, opened, due, t.now, t.lookahead), begin), due)
        end = min(due, begin + hurry) if hurry else due
        return Slot(timing.in_time(t.rng, begin, max(end, begin)), due)

    def timed(
        self,
        step: str,
        agency: str,
        fields: Mapping[str, Any],
        rule_id: str,
        opened: datetime,
        **options: Any,
    ) -> datetime | None:
        """A governed step (see :meth:`when`), added to the track."""
        slot = self.when(step, rule_id, opened, **options)
        if slot is None:
            return None
        return self.add(step, agency, fields, slot.at, due=slot.due)

    def add(
        self,
        step: str,
        agency: str,
        fields: Mapping[str, Any],
        at: datetime,
        *,
        due: datetime | None = None,
        personal_data: Mapping[str, str] | None = None,
    ) -> datetime:
        """Append a step at ``at`` (never before the previous one)."""
        at = max(at, self.at)
        role = self.teller.province.role_of(agency)
        self.steps.append(
            PlannedStep(
                step,
                agency,
                role,
                dict(fields),
                at,
                self.teller.new_id(),
                _timing(at, due),
                due,
                personal_data,
            )
        )
        self.at = at
        return at


def _timing(at: datetime, due: datetime | None) -> Timing:
    if due is None:
        return "untimed"
    return "late" if at > due else "in_time"


def joined(tracks: list[Track]) -> datetime | None:
    """When every track is done, or None when one of them stopped on a missing step."""
    if any(track.stopped for track in tracks):
        return None
    return max(track.at for track in tracks)
