"""The deadline policy of the stalled-case projection as the simulator's due clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from projections.calendar import WorkCalendar
from projections.calendarfile import load_calendar
from projections.policy import Policy
from projections.policyfile import deployment_policy
from projections.stalled.deadlines import rule_due, scale_for


@dataclass(frozen=True)
class PolicyClock:
    """Due instants exactly as the projection computes them (units, calendar, modifiers)."""

    policy: Policy
    calendar: WorkCalendar

    def due(self, rule_id: str, start: datetime, context: Mapping[str, object]) -> datetime:
        rule = self.policy.rule(rule_id)
        if rule is None:
            raise KeyError(f"the deadline policy has no rule {rule_id!r}")
        factor = scale_for(self.policy, rule, context, self.calendar)
        return rule_due(rule, start, factor, self.policy, self.calendar)


def load_clock(config_dir: Path) -> PolicyClock:
    """The policy the projection enforces (with the province's overrides) on its calendar, so
    the simulated agencies are late or in time against the deadlines actually checked."""
    return PolicyClock(deployment_policy(config_dir), load_calendar(config_dir / "holidays.toml"))
