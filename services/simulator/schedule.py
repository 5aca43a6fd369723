"""When each step of a story is published, and the ``occurred_at`` it is published with.

The time scheme, for a story told at wall-clock instant ``now`` (its release):

* the past part (steps planned at or before ``now``) is published at once, in order, ``gap``
  apart, with its planned, back-dated ``occurred_at``;
* the future part is compressed by ``speed`` (simulated seconds per real second): a step
  planned at ``now + d`` is published at ``now + d / speed`` (and never less than ``gap`` after
  the step before it), with that publication instant as its ``occurred_at``.

So ``occurred_at`` is never later than the publication, steps keep their order, and a step that
is in time in the story is in time on the stalled board too (compression only brings it
earlier). A deadline that is already past when the story is told shows as a stall at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from services.simulator.story import PlannedStep, Story

DEFAULT_GAP = timedelta(milliseconds=500)


@dataclass(frozen=True)
class Publication:
    """One submission to make at ``publish_at``."""

    publish_at: datetime
    case_id: str
    step: PlannedStep


def schedule(story: Story, speed: float, gap: timedelta = DEFAULT_GAP) -> list[Publication]:
    """The publications of ``story``, in order (see the module docstring)."""
    if speed < 1:
        raise ValueError("speed must be at least 1 simulated second per real second")
    now, last = story.told_at, None
    publications: list[Publication] = []
    for step in story.steps:
        earliest = now if last is None else last + gap
        if step.occurred_at <= now:
            at, occurred = earliest, step.occurred_at
        else:
            at = max(now + (step.occurred_at - now) / speed, earliest)
            occurred = at
        publications.append(Publication(at, story.case_id, replace(step, occurred_at=occurred)))
        last = at
    return publications
