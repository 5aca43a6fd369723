"""The real province, policy and workflow, and ways to run a story through the real rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from random import Random

from events.instants import to_millis
from projections.stalled import CaseFact, CaseState, ObligationEngine
from services.cases.domainmodel import Case, Submission
from services.cases.workflow import Workflow, load_workflow
from services.runtime.settings import DEFAULT_CONFIG_DIR
from services.simulator.deadlines import PolicyClock, load_clock
from services.simulator.province import Province, load_province
from services.simulator.stories import tell
from services.simulator.story import PlannedStep, Story

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # a Friday, 10:00 in Ninh Thuận
LOOKAHEAD = timedelta(hours=3)


@cache
def province() -> Province:
    return load_province(DEFAULT_CONFIG_DIR, on=NOW.date())


@cache
def clock() -> PolicyClock:
    return load_clock(DEFAULT_CONFIG_DIR)


@cache
def workflow() -> Workflow:
    return load_workflow(DEFAULT_CONFIG_DIR / "workflow.toml")


def stories(seed: int, count: int) -> list[Story]:
    """``count`` stories told from one seeded source."""
    rng = Random(seed)
    return [tell(rng, province(), clock(), NOW, LOOKAHEAD) for _ in range(count)]


def record(story: Story) -> Case:
    """Every step of the story through the real case aggregate (raises if one is refused)."""
    case: Case | None = None
    for step in story.steps:
        submission = Submission(
            step.step,
            step.fields,
            step.agency,
            step.role,
            to_millis(step.occurred_at),
            step.submission_id,
        )
        if case is None:
            case = Case.report(uuid.UUID(story.case_id), submission, workflow())
        else:
            case.record(submission, workflow())
    assert case is not None
    return case


def obligations(story: Story, until: datetime | None = None) -> CaseState:
    """The stalled-case engine's state after the story's steps up to ``until``."""
    engine = ObligationEngine(clock().policy, clock().calendar)
    steps = [s for s in story.steps if until is None or s.occurred_at <= until]
    return engine.replay(
        story.case_id, [_fact(story.case_id, n, s) for n, s in enumerate(steps, start=1)]
    )


def _fact(case_id: str, sequence: int, step: PlannedStep) -> CaseFact:
    return CaseFact(
        case_id,
        sequence,
        step.step,
        step.occurred_at,
        step.occurred_at,
        step.agency,
        step.role,
        step.fields,
    )
