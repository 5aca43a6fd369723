"""Extensions as the law counts them (CPC arts. 147, 172, 240, 277): how many a deadline may
have, how far each may move it, and the furthest total.

A ``DeadlineExtended`` beyond the number allowed is refused outright: the due time stays. One
that asks for more than its extension may add, or more than the total, is cut to that maximum.
Either way the obligation is flagged and keeps the reason, so the board shows an extension the
law does not allow instead of accepting it because the total still fits.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from fractions import Fraction

from projections.calendar import WorkCalendar
from projections.policy import Policy, Rule
from projections.stalled.deadlines import scaled_due_after
from projections.stalled.model import CaseFact, DueTime, Obligation

TOO_MANY, TOO_LONG, PAST_TOTAL = "extension_count", "extension_size", "extension_cap"


def extended(
    ob: Obligation,
    rule: Rule | None,
    requested: datetime,
    fact: CaseFact,
    factor: Fraction,
    policy: Policy,
    cal: WorkCalendar,
) -> Obligation:
    """``ob`` after a request to move its deadline to ``requested`` (see the module doc)."""
    steps = rule.extensions if rule is not None else ()
    if steps and ob.extended >= len(steps):
        return replace(ob, extension_refused=True, extension_refusal=TOO_MANY)
    due, reason = requested, ""
    if steps:
        step = steps[ob.extended]
        start = ob.opened_at if step.measured_from == "opened" else ob.due_at - timedelta.resolution
        roll = policy.settings.roll_over_rest_days
        most = max(scaled_due_after(step.limit, factor, start, cal, roll=roll), ob.due_at)
        if due > most:
            due, reason = most, TOO_LONG
    if ob.max_due_at is not None and due > ob.max_due_at:
        due, reason = ob.max_due_at, PAST_TOTAL
    change = DueTime(
        max(fact.occurred_at, ob.opened_at), due, max(fact.recorded_at, ob.on_record_from)
    )
    return replace(
        ob,
        due_at=due,
        due_history=(*ob.due_history, change),
        extended=ob.extended + 1,
        extension_refused=ob.extension_refused or bool(reason),
        extension_refusal=reason or ob.extension_refusal,
    )
