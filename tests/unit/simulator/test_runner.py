"""The publishing loop, with a fake clock and fake agency clients."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from random import Random
from typing import Any

import structlog
from structlog.testing import capture_logs

from services.runtime.supervisor import StopFlag
from services.simulator.runner import Options, Simulator
from services.simulator.stories import tell
from tests.unit.simulator.helpers import LOOKAHEAD, NOW, clock, province


class FakeClock:
    """Moves on by what the loop waits for."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class TickingStop(StopFlag):
    """A stop flag whose waits advance the fake clock instead of sleeping."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def wait(self, seconds: float) -> bool:
        self.clock.now += timedelta(seconds=seconds)
        return self.stopped


class Recorder:
    """Every agency's submissions, in order."""

    def __init__(self, stop: StopFlag | None = None, stop_after: int = 0) -> None:
        self.sent: list[dict[str, Any]] = []
        self.stop, self.stop_after = stop, stop_after

    def __call__(self, agency: str) -> Recorder:
        self.agency = agency
        return self

    def submit(
        self,
        step: str,
        case_id: str,
        fields: Mapping[str, Any],
        occurred_at: datetime | None = None,
        personal_data: Mapping[str, str] | None = None,
        submission_id: str | None = None,
    ) -> str:
        self.sent.append(
            {
                "agency": self.agency,
                "step": step,
                "case_id": case_id,
                "occurred_at": occurred_at,
                "personal_data": personal_data,
            }
        )
        if self.stop is not None and len(self.sent) == self.stop_after:
            self.stop.set()
        return submission_id or ""


def _simulator(clock_: FakeClock, recorder: Recorder, **options: Any) -> Simulator:
    rng = Random(21)
    return Simulator(
        lambda now: tell(rng, province(), clock(), now, LOOKAHEAD),
        recorder,
        Options(**options),
        clock=clock_,
    )


def test_a_limited_run_publishes_every_step_of_every_case_and_ends() -> None:
    fake, recorder = FakeClock(), Recorder()
    tally = _simulator(fake, recorder, cases=3, rate=60, speed=1e6).run(TickingStop(fake))
    assert tally.cases == 3 and tally.submitted == len(recorder.sent) > 3
    assert len({s["case_id"] for s in recorder.sent}) == 3


def test_no_step_is_submitted_with_an_occurred_at_still_to_come() -> None:
    fake, recorder = FakeClock(), Recorder()
    times: list[tuple[datetime, datetime]] = []
    original = recorder.submit

    def submit(*args: Any, **kwargs: Any) -> str:
        times.append((kwargs["occurred_at"], fake.now))
        return original(*args, **kwargs)

    recorder.submit = submit  # type: ignore[method-assign]
    _simulator(fake, recorder, cases=5, rate=30, speed=1e5).run(TickingStop(fake))
    assert times and all(occurred <= now for occurred, now in times)


def test_a_stop_ends_the_run_after_the_current_submission() -> None:
    fake = FakeClock()
    stop = TickingStop(fake)
    recorder = Recorder(stop, stop_after=2)
    tally = _simulator(fake, recorder, cases=0, rate=60).run(stop)
    assert tally.submitted == 2 == len(recorder.sent)


def test_the_duration_ends_an_unlimited_run() -> None:
    fake, recorder = FakeClock(), Recorder()
    tally = _simulator(fake, recorder, cases=0, rate=6, duration=60).run(TickingStop(fake))
    assert 6 <= tally.cases <= 7
    assert fake.now - NOW <= timedelta(seconds=62)


def test_personal_data_is_submitted_but_never_logged() -> None:
    fake, recorder = FakeClock(), Recorder()
    structlog.reset_defaults()
    with capture_logs() as logs:
        _simulator(fake, recorder, cases=4, rate=60, speed=1e6).run(TickingStop(fake))
    people = [s["personal_data"] for s in recorder.sent if s["personal_data"]]
    assert len(people) == 4
    text = json.dumps(logs, default=str)
    for person in people:
        assert not any(value in text for value in person.values())
    assert any(entry["event"] == "simulator.submitted" for entry in logs)


def test_a_failing_client_is_retried_then_its_case_is_abandoned() -> None:
    fake = FakeClock()

    class Broken(Recorder):
        def submit(self, *args: Any, **kwargs: Any) -> str:
            raise ConnectionError("broker down")

    tally = _simulator(fake, Broken(), cases=2, rate=60).run(TickingStop(fake))
    assert tally.submitted == 0 and tally.failed == 2
