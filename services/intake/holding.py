"""The hold rule and the causal merge: read several agencies' topics as one story.

Submissions of one case come from several agencies, so on several topics, and an agency acts
on what it has seen: publication time is the causal order between them (``in_time_order``).
Within one batch that is enough; across batches a step may still be read before the report or
the step it builds on (another agency's topic not read yet). A "not yet" refusal is then held
(``HELD``) instead of rejected while the record is younger than the hold, counted from when this
process first read it, not from the agency's clock, so that a lagging or restarted intake still
gives it the whole hold. A held record holds every later record of its partition too: the loop
reads the partition again from the first held offset (``held_offsets``).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from services.intake.incoming import ReadRecord
from services.intake.refusals import NOT_YET, IntakeRefusal

R = TypeVar("R", bound=ReadRecord)
T = TypeVar("T")
Partition = tuple[str, int]
"""A topic and a partition number."""


class Held:
    """A submission put back for a moment: what it builds on may still be on its way."""


HELD = Held()


class Holds:
    """When each record was first read, and whether a refusal of it is still only "not yet"."""

    def __init__(self, hold_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.hold_s = hold_s
        self.clock = clock
        self._first_seen: dict[tuple[str, int, int], float] = {}

    def holds(self, record: ReadRecord, refusal: IntakeRefusal) -> bool:
        """Hold rather than reject: the refusal says "not yet" and the hold is not over."""
        return refusal.reason in NOT_YET and self.waited(record) < self.hold_s

    def waited(self, record: ReadRecord) -> float:
        """Seconds since this process first read ``record``."""
        now = self.clock()
        key = (record.topic, record.partition, record.offset)
        return now - self._first_seen.setdefault(key, now)

    def forget_committed(self, committed: Mapping[Partition, int]) -> None:
        """Forget records before each partition's committed offset: they are never read again."""
        self._first_seen = {
            key: seen
            for key, seen in self._first_seen.items()
            if key[2] >= committed.get(key[:2], 0)
        }

    @property
    def remembered(self) -> int:
        """How many records' first reading is remembered."""
        return len(self._first_seen)


def in_time_order(batch: Mapping[Any, Iterable[R]]) -> list[R]:
    """The batch's records (by partition) merged by broker timestamp, each partition's order
    kept: the causal order between agencies."""
    return list(heapq.merge(*batch.values(), key=lambda record: record.timestamp))


def after_holds(records: Sequence[ReadRecord], outcomes: Sequence[T]) -> list[T | Held]:
    """Hold every later record of a partition too: it is read again after the held one."""
    holding: set[Partition] = set()
    kept: list[T | Held] = []
    for record, outcome in zip(records, outcomes, strict=True):
        partition = (record.topic, record.partition)
        if outcome is HELD:
            holding.add(partition)
        kept.append(HELD if partition in holding else outcome)
    return kept


def held_offsets(records: Sequence[ReadRecord], outcomes: Sequence[object]) -> dict[Partition, int]:
    """Each partition's first held offset: where the loop reads it again from."""
    held: dict[Partition, int] = {}
    for record, outcome in zip(records, outcomes, strict=True):
        if outcome is HELD:
            held.setdefault((record.topic, record.partition), record.offset)
    return held
