"""The publishing loop: release cases at a rate, publish their steps when their time comes.

Everything it touches comes in: the story teller, a submitter per agency, the clock. It stops
between submissions (never in the middle of one) when the stop flag is set, the duration is
over, or every story of a limited run is told.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from services.runtime.logs import get_logger
from services.runtime.supervisor import StopFlag
from services.simulator.schedule import Publication, schedule
from services.simulator.story import Story

log = get_logger(__name__)
RETRIES = 3
RETRY_AFTER = 2.0  # seconds
MAX_WAIT = 1.0


class Submitter(Protocol):
    """What the simulator needs of an agency client (services.kafka.agency.AgencyClient)."""

    def submit(
        self,
        step: str,
        case_id: str,
        fields: Mapping[str, Any],
        occurred_at: datetime | None = None,
        personal_data: Mapping[str, str] | None = None,
        submission_id: str | None = None,
    ) -> str: ...


@dataclass(frozen=True)
class Options:
    """How much to simulate and how fast (see ``backbone simulate --help``)."""

    cases: int = 0  # 0: no limit
    rate: float = 20.0  # cases released per minute
    speed: float = 3600.0  # simulated seconds per real second, for the future part
    duration: float = 0.0  # seconds; 0: until stopped (or every limited case is told)
    recover_within: float = 90.0  # real seconds within which a just-overdue late step comes
    gap: timedelta = timedelta(milliseconds=500)


@dataclass
class Tally:
    """What a run did."""

    cases: int = 0
    submitted: int = 0
    failed: int = 0  # steps given up on; the rest of their case is not published


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Simulator:
    """Tells stories (``tell(now)``) and publishes them through each agency's submitter."""

    tell: Callable[[datetime], Story]
    submitter: Callable[[str], Submitter]
    options: Options
    clock: Callable[[], datetime] = utc_now
    tally: Tally = field(default_factory=Tally)
    _queue: list[tuple[datetime, int, Publication]] = field(default_factory=list)
    _abandoned: set[str] = field(default_factory=set)
    _order: itertools.count[int] = field(default_factory=itertools.count)

    def run(self, stop: StopFlag) -> Tally:
        """Publish until stopped, out of time, or done; return the tally."""
        start = next_release = self.clock()
        end = start + timedelta(seconds=self.options.duration) if self.options.duration else None
        interval = timedelta(minutes=1) / self.options.rate
        while not stop.stopped:
            now = self.clock()
            while self._may_release() and now >= next_release:
                self._release(now)
                next_release += interval
            self._publish_due(now, stop)
            if (end is not None and now >= end) or (not self._may_release() and not self._queue):
                break
            stop.wait(self._idle(now, next_release))
        log.info(
            "simulator.stopped",
            cases=self.tally.cases,
            submitted=self.tally.submitted,
            failed=self.tally.failed,
        )
        return self.tally

    def _may_release(self) -> bool:
        return not self.options.cases or self.tally.cases < self.options.cases

    def _release(self, now: datetime) -> None:
        story = self.tell(now)
        for publication in schedule(story, self.options.speed, self.options.gap):
            self._push(publication)
        self.tally.cases += 1
        log.info(
            "simulator.case_told",
            case_id=story.case_id,
            steps=len(story.steps),
            deviation=story.deviation,
            reported_at=story.reported_at.isoformat(),
            closed=story.closed,
        )

    def _push(self, publication: Publication) -> None:
        heapq.heappush(self._queue, (publication.publish_at, next(self._order), publication))

    def _publish_due(self, now: datetime, stop: StopFlag) -> None:
        while self._queue and self._queue[0][0] <= now and not stop.stopped:
            publication = heapq.heappop(self._queue)[2]
            if publication.case_id not in self._abandoned:
                self._publish(publication, stop)

    def _publish(self, publication: Publication, stop: StopFlag) -> None:
        """Submit, retrying in place (so the case's steps stay in order); a step that still
        fails abandons the rest of its case."""
        step = publication.step
        for attempt in range(1, RETRIES + 1):
            try:
                self.submitter(step.agency).submit(
                    step.step,
                    publication.case_id,
                    step.fields,
                    occurred_at=step.occurred_at,
                    personal_data=step.personal_data,
                    submission_id=step.submission_id,
                )
            except Exception as error:  # a broker hiccup must not end the province
                log.warning(
                    "simulator.submit_failed",
                    case_id=publication.case_id,
                    step=step.step,
                    agency=step.agency,
                    attempt=attempt,
                    error=type(error).__name__,
                )
                if stop.wait(RETRY_AFTER):
                    break
                continue
            self.tally.submitted += 1
            log.info(
                "simulator.submitted",
                case_id=publication.case_id,
                step=step.step,
                agency=step.agency,
                submission_id=step.submission_id,
                occurred_at=step.occurred_at.isoformat(),
                timing=step.timing,
            )
            return
        self.tally.failed += 1
        self._abandoned.add(publication.case_id)

    def _idle(self, now: datetime, next_release: datetime) -> float:
        upcoming = [self._queue[0][0]] if self._queue else []
        if self._may_release():
            upcoming.append(next_release)
        if not upcoming:
            return MAX_WAIT
        return min(max((min(upcoming) - now).total_seconds(), 0.01), MAX_WAIT)
