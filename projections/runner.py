"""``backbone projections run``: the read models' long-running process.

Each step polls a batch of case events, applies it with its positions in one transaction,
commits the offsets to the group, runs the timer when it is due and publishes the outbox when
the batch or the timer added to it, and at every tick anyway (what a broker error left unsent):
looking at an outbox that nothing wrote to cost every batch a transaction before the next one.
SIGTERM sets the stop flag: the batch in flight is finished, then the process exits 0.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kafka.errors import KafkaError

from events.instants import to_millis
from projections.calendar import missing_years
from projections.feed import CaseEventFeed
from projections.projector import Projector
from projections.publisher import OutboxPublisher
from services.runtime import metrics
from services.runtime.logs import get_logger
from services.runtime.supervisor import StopFlag

log = get_logger(__name__)


@dataclass
class ProjectionRunner:
    """Drives the projector from Kafka and the clock."""

    projector: Projector
    feed: CaseEventFeed
    publisher: OutboxPublisher
    batch_size: int = 500
    poll_ms: int = 200
    tick_every: float = 1.0
    _next_tick: float = 0.0
    _missing_years: tuple[int, ...] = ()

    def run(self, stop: StopFlag, retry_wait: float = 2.0) -> None:
        """Project until ``stop`` is set; a broker error reopens the feed at the stored offsets."""
        log.info("projection.started", topic=self.feed.topic)
        self.check_calendar()
        opened = False
        while not stop.stopped:
            try:
                if not opened:
                    self.feed.open(self.projector.positions)
                    opened = True
                self.step()
            except KafkaError as error:
                log.warning("projection.broker_error", error=type(error).__name__)
                opened = False
                self.publisher.close()
                stop.wait(retry_wait)
        self.feed.close()
        self.publisher.close()
        log.info("projection.stopped")

    def step(self) -> int:
        """One batch, the timer if due, the outbox; return how many messages were read."""
        started = time.monotonic()
        messages = self.feed.poll(self.batch_size, self.poll_ms)
        outbox_added = False
        if messages:
            result = self.projector.handle(messages)
            outbox_added = bool(result.alerts or result.rejected)
            self.feed.commit(self.projector.positions())
            metrics.batch("projections", len(messages), started)
            log.info(
                "projection.batch",
                messages=len(messages),
                applied=result.applied,
                duplicates=result.duplicates,
                rejected=result.rejected,
                alerts=result.alerts,
            )
        ticked = time.monotonic() >= self._next_tick
        if ticked:
            self._next_tick = time.monotonic() + self.tick_every
            reviewed = self.projector.tick(owns=self.feed.owner())
            metrics.reviewed(self.tick_every)
            if reviewed:
                log.info("projection.tick", cases=reviewed)
            self.check_calendar()
        if ticked or outbox_added:
            self.publisher.publish(to_millis(self.projector.clock()))
        return len(messages)

    def check_calendar(self) -> None:
        """Warn (once per change, e.g. at start-up or new year) when holidays are missing."""
        missing = tuple(missing_years(self.projector.engine.calendar, self.projector.clock()))
        if missing and missing != self._missing_years:
            log.warning(
                "projection.holidays_missing",
                years=list(missing),
                effect="working-day deadlines in these years count holidays as working days",
                fix="add the announced holidays to holidays.toml",
            )
        self._missing_years = missing
