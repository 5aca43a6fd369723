"""The projector: case events in, read-model rows, positions and outbox rows out, atomically.

``handle(messages)`` applies a batch in one database transaction together with the next Kafka
offsets, so a crash at any point leaves the read model at a batch boundary and the consumer
resumes from the stored offsets without counting anything twice. Within the batch a message
below the stored offset was applied already, and a step whose sequence the case has seen is a
redelivery (the relay may publish twice): both change nothing. ``tick(now)`` is the timer: it
reviews the cases whose obligations change level by ``now``, so a case nobody touches still
turns stalled on time.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from events.instants import to_millis
from projections import store
from projections.casefile import CaseFile
from projections.decoding import BAD_FACT, DecodedStep, UnusableMessage, decode_step
from projections.messages import Outbox, Source
from projections.readmodel import ReadModel
from projections.stalled import FactError, ObligationEngine

Clock = Callable[[], datetime]
TICK_CASES = 1000  # cases reviewed per timer transaction


def system_clock() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


@dataclass
class BatchResult:
    """What a batch did."""

    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    alerts: int = 0


@dataclass
class _Batch:
    files: dict[str, CaseFile]
    outbox: list[dict[str, Any]] = field(default_factory=list)
    result: BatchResult = field(default_factory=BatchResult)
    touched: dict[str, datetime] = field(default_factory=dict)  # case -> last step's time


class Projector:
    """Applies case events and the passing of time to the read model."""

    def __init__(
        self,
        db: sa.Engine,
        model: ReadModel,
        engine: ObligationEngine,
        outbox: Outbox,
        clock: Clock = system_clock,
    ) -> None:
        self.db = db
        self.model = model.create(db)
        self.engine = engine
        self.outbox = outbox
        self.clock = clock

    def positions(self) -> dict[store.Partition, int]:
        """The stored next offsets."""
        with self.db.connect() as conn:
            return store.load_positions(conn, self.model)

    def handle(self, messages: Sequence[Source]) -> BatchResult:
        """Apply one batch of case-event messages, in one transaction."""
        with collector_paused():  # resumed once the batch's working set is gone
            return self._handle(messages)

    def _handle(self, messages: Sequence[Source]) -> BatchResult:
        with self.db.begin() as conn:
            stored = store.load_positions(conn, self.model)
            fresh = [m for m in messages if m.offset >= stored.get((m.topic, m.partition), 0)]
            decoded = [(m, decode_step(self.outbox.codec, m.value)) for m in fresh]
            ids = {d.fact.case_id for _, d in decoded if isinstance(d, DecodedStep)}
            batch = _Batch(store.load_cases(conn, self.model, ids))
            for message, step in decoded:
                self._one(batch, message, step)
            self._review(batch, self.clock())
            self._write(conn, batch)
            store.save_positions(conn, self.model, _next_offsets(fresh))
        batch.result.duplicates += len(messages) - len(fresh)
        return batch.result

    def tick(self, now: datetime | None = None, owns: Callable[[str], bool] | None = None) -> int:
        """Review every case whose status may have changed by ``now``; return how many.

        ``owns``: review only the cases it accepts (a member of a projection group reviews
        the cases of its own partitions); None: every case. A review moves each obligation's
        next wake-up past ``now``, so the loop ends.
        """
        now = now or self.clock()
        if owns is not None:
            return self._tick_owned(now, owns)
        reviewed = 0
        while True:
            with self.db.begin() as conn:
                ids = store.waking_cases(conn, self.model, to_millis(now), TICK_CASES)
                self._review_waking(conn, ids, now)
            if not ids:
                return reviewed
            reviewed += len(ids)

    def _tick_owned(self, now: datetime, owns: Callable[[str], bool]) -> int:
        # Others' waking cases stay waking, so the work list is read once, then filtered.
        with self.db.connect() as conn:
            waking = store.waking_cases(conn, self.model, to_millis(now), None)
        mine = [case_id for case_id in waking if owns(case_id)]
        for start in range(0, len(mine), TICK_CASES):
            with self.db.begin() as conn:
                self._review_waking(conn, mine[start : start + TICK_CASES], now)
        return len(mine)

    def _review_waking(self, conn: sa.Connection, ids: list[str], now: datetime) -> None:
        with collector_paused():
            self._review_cases(conn, ids, now)

    def _review_cases(self, conn: sa.Connection, ids: list[str], now: datetime) -> None:
        batch = _Batch(store.load_cases(conn, self.model, ids))
        batch.touched = {case_id: now for case_id in batch.files}
        self._review(batch, now, driven_by_time=True)
        self._write(conn, batch)

    def _one(self, batch: _Batch, message: Source, step: DecodedStep | UnusableMessage) -> None:
        if isinstance(step, UnusableMessage):
            self._reject(batch, message, step)
            return
        file = batch.files.get(step.fact.case_id)
        if file is None:
            file = batch.files[step.fact.case_id] = CaseFile.new(step.fact.case_id)
        if file.knows(step.fact):
            batch.result.duplicates += 1
            return
        try:
            file.apply(self.engine, step.event_id, step.fact)
        except (FactError, OverflowError) as error:
            # OverflowError: deadline arithmetic past datetime's range; the fact is unusable.
            self._reject(
                batch, message, UnusableMessage(BAD_FACT, str(error) or type(error).__name__)
            )
            return
        batch.result.applied += 1
        batch.touched[file.case_id] = step.fact.recorded_at  # a recovery dates from the record

    def _reject(self, batch: _Batch, message: Source, refusal: UnusableMessage) -> None:
        batch.outbox.append(
            self.outbox.rejection(message, refusal.reason, refusal.detail, self.clock())
        )
        batch.result.rejected += 1

    def _review(self, batch: _Batch, now: datetime, driven_by_time: bool = False) -> None:
        for case_id, cause in batch.touched.items():
            file = batch.files[case_id]
            for alert in file.review(now, None if driven_by_time else cause):
                batch.outbox.append(self.outbox.alert(alert, file, now))
                batch.result.alerts += 1

    def _write(self, conn: sa.Connection, batch: _Batch) -> None:
        store.save_cases(conn, self.model, (batch.files[c] for c in batch.touched))
        store.add_outbox(conn, self.model, batch.outbox)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is applied (an ordinary one resumes after).

    A batch allocates tens of thousands of small containers that live until its end and are
    then freed by their reference counts; the collector, run every 700 allocations, kept
    traversing them, and now and then every object of the process with them (a tenth of the
    projection's time). Wrap a function whose frame holds the batch, so that the collection
    that follows finds it freed. The batch is bounded, so what it leaves behind is too."""
    if not gc.isenabled():  # paused already (a caller's batch): leave it to the caller
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _next_offsets(messages: Sequence[Source]) -> dict[store.Partition, int]:
    offsets: dict[store.Partition, int] = {}
    for m in messages:
        offsets[(m.topic, m.partition)] = max(offsets.get((m.topic, m.partition), 0), m.offset + 1)
    return offsets
