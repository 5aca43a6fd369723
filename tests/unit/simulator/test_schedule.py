"""The time scheme: the past at once, the future compressed, never an occurred_at to come."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.simulator.schedule import Publication, schedule
from tests.unit.simulator.helpers import NOW, stories

SPEED = 3600.0


def _all() -> list[list[Publication]]:
    return [schedule(s, SPEED) for seed in range(5) for s in stories(seed, 10)]


def test_no_step_is_published_before_it_happened() -> None:
    for publications in _all():
        assert all(p.step.occurred_at <= p.publish_at for p in publications)


def test_steps_are_published_in_story_order() -> None:
    for publications in _all():
        times = [p.publish_at for p in publications]
        assert times == sorted(times)
        occurred = [p.step.occurred_at for p in publications]
        assert occurred == sorted(occurred)


def test_the_past_part_goes_out_at_once_with_its_back_dated_times() -> None:
    story = next(s for s in stories(3, 20) if s.steps[-1].occurred_at < NOW)
    publications = schedule(story, SPEED, gap=timedelta(milliseconds=100))
    assert publications[0].publish_at == NOW
    assert publications[-1].publish_at == NOW + timedelta(milliseconds=100) * (len(story.steps) - 1)
    assert [p.step for p in publications] == list(story.steps)


def test_the_future_part_is_compressed_by_speed() -> None:
    story = next(s for s in stories(4, 40) if s.steps[-1].occurred_at > NOW + timedelta(days=2))
    last = schedule(story, SPEED, gap=timedelta(0))[-1]
    assert last.publish_at == NOW + (story.steps[-1].occurred_at - NOW) / SPEED
    assert last.step.occurred_at == last.publish_at


def test_a_speed_below_real_time_is_refused() -> None:
    with pytest.raises(ValueError, match="speed"):
        schedule(stories(1, 1)[0], 0.5)
