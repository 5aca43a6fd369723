"""From a rule's deadline to an instant: units, modifiers (e.g. juvenile halving) and caps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from fractions import Fraction

from projections.calendar import (
    WorkCalendar,
    add_days,
    add_hours,
    add_months,
    add_working_days,
    local_date,
)
from projections.policy import Deadline, Modifier, Policy, Rule


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
    factor = Fraction(1)
    for modifier in policy.modifiers:
        if rule.id in modifier.applies_to and _applies(modifier, context, cal):
            factor *= modifier.scale
    return factor


def rule_due(
    rule: Rule, start: datetime, factor: Fraction, policy: Policy, cal: WorkCalendar
) -> datetime:
    """The rule's own (possibly scaled) deadline counted from ``start``."""
    roll = policy.settings.roll_over_rest_days
    return due_after(_scaled(rule.deadline, factor), start, cal, roll=roll)


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
    limit = due_after(
        _scaled(cap.limit, factor), start, cal, roll=policy.settings.roll_over_rest_days
    )
    return max(limit, base_due)


def _scaled(deadline: Deadline, factor: Fraction) -> Deadline:
    return deadline if factor == 1 else deadline.scaled(factor)


def _applies(modifier: Modifier, context: Mapping[str, object], cal: WorkCalendar) -> bool:
    if not all(condition.holds({}, context) for condition in modifier.when):
        return False
    if modifier.since is None:
        return True
    when = context.get(f"{modifier.since.event}.occurred_at")
    return isinstance(when, datetime) and local_date(when, cal) >= modifier.since.day
