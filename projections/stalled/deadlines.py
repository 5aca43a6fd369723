"""From a rule's deadline to an instant: units, modifiers (e.g. juvenile halving) and caps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from fractions import Fraction
from math import floor

from projections.calendar import (
    WorkCalendar,
    add_days,
    add_hours,
    add_months,
    add_working_days,
    local_date,
    shift_months,
)
from projections.policy import FIRST, Deadline, Modifier, Policy, Rule

ONE = Fraction(1)


def scaled_due_after(
    deadline: Deadline, factor: Fraction, start: datetime, cal: WorkCalendar, *, roll: bool
) -> datetime:
    """The end of ``deadline`` times ``factor`` counted from ``start``.

    A scaled month-based limit is counted in days: ``factor`` of the days the whole limit spans
    from this start, rounded down, so that "half of 2 months" from 31 December (59 days to
    28 February) is 29 days, never a month of 31.
    """
    if factor == 1:
        return due_after(deadline, start, cal, roll=roll)
    if deadline.unit != "months":
        return due_after(deadline.scaled(factor), start, cal, roll=roll)
    first = local_date(start, cal)
    span = (shift_months(first, deadline.amount) - first).days
    return add_days(start, max(1, floor(span * factor)), cal, roll=roll)


def due_after(deadline: Deadline, start: datetime, cal: WorkCalendar, *, roll: bool) -> datetime:
    """The instant ``deadline`` ends when counted from ``start`` (see projections.calendar)."""
    if deadline.unit == "hours":
        return add_hours(start, deadline.amount)
    if deadline.unit == "working_days":
        return add_working_days(start, deadline.amount, cal)
    if deadline.unit == "days":
        return add_days(start, deadline.amount, cal, roll=roll)
    return add_months(start, deadline.amount, cal, roll=roll)


def scale_for(
    policy: Policy, rule: Rule, context: Mapping[str, object], cal: WorkCalendar
) -> Fraction:
    """The product of the scales of every modifier that applies to ``rule`` in this case."""
    factor = ONE
    for modifier in policy.modifiers:
        if rule.id in modifier.applies_to and _applies(modifier, context, cal):
            factor *= modifier.scale
    return factor


def rule_due(
    rule: Rule, start: datetime, factor: Fraction, policy: Policy, cal: WorkCalendar
) -> datetime:
    """The rule's own (possibly scaled) deadline counted from ``start``."""
    roll = policy.settings.roll_over_rest_days
    return scaled_due_after(rule.deadline, factor, start, cal, roll=roll)


def rule_cap(
    rule: Rule,
    opened_at: datetime,
    base_due: datetime,
    factor: Fraction,
    policy: Policy,
    cal: WorkCalendar,
) -> datetime | None:
    """The furthest an extension may move the deadline, or None when the rule has no cap."""
    if rule.max_extension is None:
        return None
    cap = rule.max_extension
    # A cap counted from the due time counts from its last day, not from the next midnight.
    start = opened_at if cap.measured_from == "opened" else base_due - timedelta(microseconds=1)
    limit = scaled_due_after(
        cap.limit, factor, start, cal, roll=policy.settings.roll_over_rest_days
    )
    return max(limit, base_due)


def _applies(modifier: Modifier, context: Mapping[str, object], cal: WorkCalendar) -> bool:
    if not all(condition.holds({}, context) for condition in modifier.when):
        return False
    if modifier.lifted_by and f"{modifier.lifted_by}.occurred_at" in context:
        return False
    if modifier.since is None:
        return True
    began = [context.get(f"{event}.{FIRST}") for event in modifier.since.events]
    first = min((when for when in began if isinstance(when, datetime)), default=None)
    return first is not None and local_date(first, cal) >= modifier.since.day
