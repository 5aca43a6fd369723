"""How long agencies take: draws around the legal deadlines, and the port to the deadlines.

A governed step is drawn inside its deadline (most often in the first half of the time allowed),
or late, or never. A late step whose deadline passed shortly before ``now`` comes back within the
``lookahead`` (the simulated time a demonstration shows), so the case is seen stalled and then
recovering; one further in the past came late and was settled long ago.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from random import Random
from typing import Protocol

MINUTE = timedelta(minutes=1)


class DueClock(Protocol):
    """When an obligation of the deadline policy falls due (projections/policy.toml)."""

    def due(self, rule_id: str, start: datetime, context: Mapping[str, object]) -> datetime:
        """The due instant of ``rule_id`` counted from ``start``; ``context`` holds the case
        facts that modifiers read (e.g. ``CriminalCaseInstituted.accused_is_minor``)."""
        ...


def hours_after(rng: Random, start: datetime, low: float, high: float) -> datetime:
    """An instant between ``low`` and ``high`` hours after ``start``."""
    return start + timedelta(hours=rng.uniform(low, high))


def in_time(rng: Random, start: datetime, due: datetime) -> datetime:
    """An instant in ``(start, due]``, skewed early (most agencies are not last-minute)."""
    span = due - start
    if span <= MINUTE:
        return due
    return start + MINUTE + (span - MINUTE) * rng.betavariate(2.0, 3.0)


def late(
    rng: Random, opened: datetime, due: datetime, now: datetime, lookahead: timedelta
) -> datetime:
    """An instant after ``due``: inside the lookahead when the deadline passed recently."""
    allowed = max(due - opened, MINUTE)
    if due < now <= due + allowed:
        return now + lookahead * rng.uniform(0.05, 1.0)
    return due + allowed * rng.uniform(0.1, 0.8)
