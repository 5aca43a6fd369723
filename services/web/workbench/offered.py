"""Which steps an agency role may record on a case now: the workflow rules read ahead.

The case aggregate is the judge (it refuses a step that breaks a rule); this only keeps the
forms that would certainly be refused off the page: steps of another role, steps the case's
state or history does not allow yet. Checks that depend on what the form will hold (choices,
references, new ids) stay with the aggregate, and their refusals are shown on the form.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from events.steps import CASE_CLOSED, CASE_REOPENED, PERSONAL_DATA_ERASED, SUPERVISOR_FOLLOWED_UP
from services.cases.workflow import CLOSED, OPEN, Workflow

# Steps no agency officer records by form: the first report has its own channels, erasure and
# the supervisors' follow-ups have their own surfaces.
NOT_BY_FORM = frozenset({PERSONAL_DATA_ERASED, SUPERVISOR_FOLLOWED_UP})


def offered_steps(workflow: Workflow, role: str, recorded: Sequence[str]) -> list[str]:
    """Steps ``role`` may record after the steps ``recorded`` (wire names, in order)."""
    counts = Counter(recorded)
    state = case_state(recorded)
    return [
        rule.step
        for rule in workflow.steps.values()
        if rule.step not in NOT_BY_FORM
        and role in rule.roles
        and not rule.first
        and state in rule.states
        and not (rule.once and counts[rule.step])
        and all(counts[s] for s in rule.requires)
        and (not rule.requires_any or any(counts[s] for s in rule.requires_any))
        and (rule.refers_to is None or rule.refers_to.optional or counts[rule.refers_to.step])
    ]


def case_state(recorded: Sequence[str]) -> str:
    """Open or closed after these steps (the last closing or reopening decides)."""
    for step in reversed(recorded):
        if step == CASE_CLOSED:
            return CLOSED
        if step == CASE_REOPENED:
            return OPEN
    return OPEN


def may_record(workflow: Workflow, role: str, step: str) -> bool:
    """Whether the role may ever record the step (the first check of the intake)."""
    rule = workflow.rule(step)
    return rule is not None and role in rule.roles and step not in NOT_BY_FORM
