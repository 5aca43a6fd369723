"""The declarative deadline policy as typed data: rules, modifiers and policy-wide settings.

The policy is data (``projections/policy.toml``); :mod:`projections.policyfile` reads it (and a
province's overrides) into these frozen dataclasses, which the deadline engine evaluates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import cached_property
from math import floor
from typing import Literal

Unit = Literal["hours", "working_days", "days", "months"]
DayCount = Literal["working", "calendar"]
CapBase = Literal["opened", "due"]

UNIT_CLOCK: Mapping[str, DayCount] = {
    "hours": "calendar",
    "working_days": "working",
    "days": "calendar",
    "months": "calendar",
}
FIRST = "first_occurred_at"  # context field: when the case first recorded such a step
DAYS_PER_MONTH = 30  # only used when a modifier leaves a fraction of a month


class PolicyError(ValueError):
    """The policy (or an override) is invalid; the message names the rule and the field."""


@dataclass(frozen=True)
class Deadline:
    """A time limit: ``amount`` units counted from the start instant."""

    amount: int
    unit: Unit

    def scaled(self, factor: Fraction) -> Deadline:
        """This limit times ``factor``, rounded down to whole units ("at most" the fraction).

        A fractional month becomes days (30 per month): 3 months x 1/2 = 45 days.
        """
        exact = self.amount * factor
        if exact.denominator == 1:
            return Deadline(int(exact), self.unit)
        if self.unit == "months":
            return Deadline(max(1, floor(exact * DAYS_PER_MONTH)), "days")
        return Deadline(max(1, floor(exact)), self.unit)


@dataclass(frozen=True)
class Condition:
    """``field`` must equal one of ``allowed``.

    A plain field name reads the triggering event (or plan item); ``"Event.field"`` reads the
    latest value of that field on an earlier (or the current) event of the case.
    """

    field: str
    allowed: tuple[object, ...]

    def holds(self, own: Mapping[str, object], context: Mapping[str, object]) -> bool:
        """Whether the condition is true for this event and case context."""
        source = context if "." in self.field else own
        return self.field in source and source[self.field] in self.allowed


@dataclass(frozen=True)
class Trigger:
    """The event (and conditions on it) that opens an obligation."""

    event: str
    when: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Closer:
    """An event that closes the rule's open obligations whose key equals ``key_field``.

    An empty ``key_field`` closes every open obligation of the rule.
    """

    event: str
    key_field: str = ""
    when: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Cap:
    """The furthest an extension may move a deadline: ``limit`` after opening or after the
    base due time."""

    limit: Deadline
    measured_from: CapBase


@dataclass(frozen=True)
class Rule:
    """One obligation: opened by an event, closed by others, due within a deadline."""

    id: str
    opened_by: Trigger
    closed_by: tuple[Closer, ...]
    deadline: Deadline
    clock: DayCount
    responsible_role: str
    citation: str
    confirmed: bool
    max_extension: Cap | None = None
    start_event: str = ""  # count from the latest such event instead of the opening one
    each: str = ""  # open one obligation per element of this list field (plan items)
    key_field: str = ""  # field identifying the obligation (referral_id, item_id, ...)
    due_field: str = ""  # field carrying an explicit due instant (0 = use ``deadline``)
    role_field: str = ""  # field naming the responsible role (else ``responsible_role``)
    agency_field: str = ""  # field naming the responsible agency (e.g. to_agency)
    survives_closure: bool = False  # a criminal-procedure limit: closing the case file ends it not
    # The extensions the law allows, in order: the n-th may move the deadline at most this far
    # (from the opening, or from the due time it extends); empty = any number within the cap.
    extensions: tuple[Cap, ...] = ()
    also_opened_by: tuple[Trigger, ...] = ()  # other steps that open it afresh (a resumption)

    @property
    def triggers(self) -> tuple[Trigger, ...]:
        """Every step (with its conditions) that opens the obligation."""
        return (self.opened_by, *self.also_opened_by)


@dataclass(frozen=True)
class Since:
    """The matter must have begun on or after ``day`` (local date): the first of ``events`` the
    case recorded (whichever came first) occurred on that day or later."""

    events: tuple[str, ...]
    day: date


@dataclass(frozen=True)
class Modifier:
    """Scales the deadlines (and caps) of some rules when its conditions hold."""

    id: str
    applies_to: frozenset[str]
    when: tuple[Condition, ...]
    since: Since | None
    scale: Fraction
    citation: str
    lifted_by: str = ""  # from this step on the modifier no longer applies, to open ones too


@dataclass(frozen=True)
class PolicySettings:
    """Policy-wide switches."""

    roll_over_rest_days: bool = True
    closes_all: tuple[str, ...] = ("CaseClosed",)
    extension_event: str = "DeadlineExtended"


@dataclass(frozen=True)
class Policy:
    """The whole deadline policy, after overrides."""

    rules: tuple[Rule, ...]
    modifiers: tuple[Modifier, ...]
    settings: PolicySettings

    def rule(self, rule_id: str) -> Rule | None:
        """The rule with this id, if the policy has it."""
        return self._by_id.get(rule_id)

    @cached_property
    def _by_id(self) -> dict[str, Rule]:
        # The engine asks for a rule per open obligation per step: a scan of every rule each
        # time cost more than the step's own work. The first rule of an id wins, as the scan's.
        found: dict[str, Rule] = {}
        for rule in self.rules:
            found.setdefault(rule.id, rule)
        return found

    def context_keys(self) -> frozenset[str]:
        """The ``Event.field`` values the engine must remember per case."""
        keys = {c.field for r in self.rules for c in (*_trigger_conds(r), *_closer_conds(r))}
        keys |= {c.field for m in self.modifiers for c in m.when}
        keys |= {f"{r.start_event}.occurred_at" for r in self.rules if r.start_event}
        keys |= {f"{e}.{FIRST}" for m in self.modifiers if m.since for e in m.since.events}
        keys |= {f"{m.lifted_by}.occurred_at" for m in self.modifiers if m.lifted_by}
        return frozenset(key for key in keys if "." in key)


def _trigger_conds(rule: Rule) -> tuple[Condition, ...]:
    return tuple(c for trigger in rule.triggers for c in trigger.when)


def _closer_conds(rule: Rule) -> tuple[Condition, ...]:
    return tuple(c for closer in rule.closed_by for c in closer.when)
