"""The obligation engine: pure, incremental, one case at a time.

``ObligationEngine.apply(state, fact)`` returns the next state and the obligations that are new
or changed by the fact, so a projection can upsert them as rows event by event. Facts of a case
must come in sequence order (the Kafka key is the case id); a fact whose sequence was already
applied changes nothing, which makes redelivery harmless. Deadlines and lateness follow the
fact's ``occurred_at`` (business time): an obligation is opened, closed and extended when the
step happened, whatever the moment it was recorded. Beside that, each change keeps the fact's
``recorded_at``, from when it was on record, for evaluations "as of" a past instant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from functools import cached_property

from projections.calendar import WorkCalendar, local_date
from projections.policy import FIRST, Closer, Policy, Rule, Trigger
from projections.stalled.deadlines import rule_cap, rule_due, scale_for
from projections.stalled.extensions import extended
from projections.stalled.model import (
    CaseFact,
    CaseState,
    DueTime,
    FactError,
    Obligation,
    aware,
    instant,
)


@dataclass(frozen=True)
class ObligationEngine:
    """Applies case facts to a case's obligations, following ``policy`` on ``calendar``."""

    policy: Policy
    calendar: WorkCalendar

    def apply(self, state: CaseState, fact: CaseFact) -> tuple[CaseState, tuple[Obligation, ...]]:
        """Apply one fact; return the new state and the obligations it opened or changed."""
        if fact.sequence <= state.last_sequence:
            return state, ()
        fact = _checked(fact, state.case_id)
        context = self._remember(state.context, fact)
        obligations = self._close(state.obligations, fact, context)
        obligations = self._extend(obligations, fact, context)
        obligations = self._lift(obligations, fact, context)
        obligations += self._open(obligations, fact, context)
        new_state = CaseState(state.case_id, fact.sequence, context, obligations)
        return new_state, _changes(state.obligations, obligations)

    def replay(self, case_id: str, facts: Iterable[CaseFact]) -> CaseState:
        """Fold a case's facts from the start (rebuilds, tests, audits)."""
        state = CaseState(case_id)
        for fact in facts:
            state, _ = self.apply(state, fact)
        return state

    @cached_property
    def _context_keys(self) -> frozenset[str]:
        return self.policy.context_keys()

    @cached_property
    def _opened_by(self) -> dict[str, list[tuple[Rule, list[Trigger]]]]:
        """Per step name, the rules (in policy order) it may open and its triggers for each."""
        found: dict[str, list[tuple[Rule, list[Trigger]]]] = {}
        for rule in self.policy.rules:
            for event in dict.fromkeys(t.event for t in rule.triggers):
                found.setdefault(event, []).append(
                    (rule, [t for t in rule.triggers if t.event == event])
                )
        return found

    @cached_property
    def _remembered(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """Per step name, the context keys it sets and their field names (in key order)."""
        found: dict[str, list[tuple[str, str]]] = {}
        for key in self._context_keys:
            event, _, name = key.partition(".")
            found.setdefault(event, []).append((key, name))
        return {event: tuple(keys) for event, keys in found.items()}

    @cached_property
    def _closers(self) -> dict[str, dict[str, tuple[Closer, ...]]]:
        """Per step name, the rules it may close and the closers of each on that step."""
        found: dict[str, dict[str, tuple[Closer, ...]]] = {}
        for rule in self.policy.rules:
            if self.policy.rule(rule.id) is not rule:
                continue  # a later rule of the same id is never looked up
            for closer in rule.closed_by:
                found.setdefault(closer.event, {})[rule.id] = tuple(
                    c for c in rule.closed_by if c.event == closer.event
                )
        return found

    @cached_property
    def _lifted_by(self) -> dict[str, frozenset[str]]:
        """Per step name, the rules whose modifiers it lifts."""
        found: dict[str, set[str]] = {}
        for modifier in self.policy.modifiers:
            if modifier.lifted_by:
                found.setdefault(modifier.lifted_by, set()).update(modifier.applies_to)
        return {event: frozenset(rules) for event, rules in found.items()}

    def _remember(self, context: Mapping[str, object], fact: CaseFact) -> Mapping[str, object]:
        updates: dict[str, object] = {}
        for key, name in self._remembered.get(fact.event_type, ()):
            first_time = name == FIRST and key not in context
            if name == "occurred_at" or first_time:
                updates[key] = fact.occurred_at
            elif name in fact.fields:
                updates[key] = fact.fields[name]
        return {**context, **updates} if updates else context

    def _close(
        self, obligations: tuple[Obligation, ...], fact: CaseFact, context: Mapping[str, object]
    ) -> tuple[Obligation, ...]:
        close_all = fact.event_type in self.policy.settings.closes_all
        closers = self._closers.get(fact.event_type)
        if not close_all and not closers:
            return obligations  # most steps close nothing: no copy
        closers = closers or {}
        return tuple(
            _closed(ob, fact)
            if ob.is_open
            and (
                (close_all and not self._survives(ob))
                or any(_matches(c, ob, fact, context) for c in closers.get(ob.rule_id, ()))
            )
            else ob
            for ob in obligations
        )

    def _survives(self, ob: Obligation) -> bool:
        """Criminal-procedure limits run on when the child-protection case file is closed."""
        rule = self.policy.rule(ob.rule_id)
        return rule is not None and rule.survives_closure

    def _extend(
        self, obligations: tuple[Obligation, ...], fact: CaseFact, context: Mapping[str, object]
    ) -> tuple[Obligation, ...]:
        if fact.event_type != self.policy.settings.extension_event:
            return obligations
        rule_id, _, key = str(fact.fields.get("obligation", "")).partition(":")
        new_due = instant(fact.fields.get("new_due_at"))
        if new_due is None:
            raise FactError(f"{fact.event_type} #{fact.sequence}: new_due_at is missing")
        rule = self.policy.rule(rule_id)
        factor = scale_for(self.policy, rule, context, self.calendar) if rule else Fraction(1)
        return tuple(
            extended(ob, rule, new_due, fact, factor, self.policy, self.calendar)
            if ob.is_open and ob.rule_id == rule_id and key in ("", ob.key)
            else ob
            for ob in obligations
        )

    def _lift(
        self, obligations: tuple[Obligation, ...], fact: CaseFact, context: Mapping[str, object]
    ) -> tuple[Obligation, ...]:
        """A step that lifts a modifier (full limits for a minor accused) gives the open
        obligations it shortened their full deadline and cap again, counted from their start."""
        lifted = self._lifted_by.get(fact.event_type)
        if not lifted:
            return obligations
        return tuple(
            self._relimited(ob, fact, context) if ob.is_open and ob.rule_id in lifted else ob
            for ob in obligations
        )

    def _relimited(
        self, ob: Obligation, fact: CaseFact, context: Mapping[str, object]
    ) -> Obligation:
        rule = self.policy.rule(ob.rule_id)
        if rule is None:
            return ob
        factor = scale_for(self.policy, rule, context, self.calendar)
        start = ob.counted_from or ob.opened_at
        base = rule_due(rule, start, factor, self.policy, self.calendar)
        cap = rule_cap(rule, ob.opened_at, base, factor, self.policy, self.calendar)
        if ob.extended or base <= ob.due_at:  # an extended deadline stays; only the cap grows
            return replace(ob, max_due_at=cap)
        change = DueTime(
            max(fact.occurred_at, ob.opened_at), base, max(fact.recorded_at, ob.on_record_from)
        )
        return replace(ob, due_at=base, due_history=(*ob.due_history, change), max_due_at=cap)

    def _open(
        self, obligations: tuple[Obligation, ...], fact: CaseFact, context: Mapping[str, object]
    ) -> tuple[Obligation, ...]:
        opened: list[Obligation] = []
        for rule, triggers in self._opened_by.get(fact.event_type, ()):
            for subject in _subjects(rule, fact):
                if not any(all(c.holds(subject, context) for c in t.when) for t in triggers):
                    continue
                new = self._new(rule, subject, fact, context)
                if not _already_open((*obligations, *opened), new):
                    opened.append(new)
        return tuple(opened)

    def _new(
        self,
        rule: Rule,
        subject: Mapping[str, object],
        fact: CaseFact,
        context: Mapping[str, object],
    ) -> Obligation:
        factor = scale_for(self.policy, rule, context, self.calendar)
        start = context.get(f"{rule.start_event}.occurred_at", fact.occurred_at)
        carried = instant(subject.get(rule.due_field)) if rule.due_field else None
        due = carried or rule_due(rule, _as_time(start), factor, self.policy, self.calendar)
        return Obligation(
            fact.case_id,
            rule.id,
            _text(subject, rule.key_field) or "",
            fact.sequence,
            fact.occurred_at,
            due,
            _text(subject, rule.role_field) or rule.responsible_role,
            _text(subject, rule.agency_field),
            rule.citation,
            (DueTime(fact.occurred_at, due, fact.recorded_at),),
            rule_cap(rule, fact.occurred_at, due, factor, self.policy, self.calendar),
            counted_from=None if carried else _counted_from(rule, start, fact),
            confirmed=carried is not None or self._confirmed(rule, _as_time(start), due),
        )

    def _confirmed(self, rule: Rule, start: datetime, due: datetime) -> bool:
        """A computed due time is confirmed when the rule's figure is and no day it counts over
        (the end's rest days included) is an estimated or undecided holiday."""
        if not rule.confirmed or rule.deadline.unit == "hours":  # elapsed hours skip no day
            return rule.confirmed
        first = local_date(start, self.calendar)
        last = local_date(due, self.calendar)  # the midnight ending the last day: one day more
        return not self.calendar.uncertain_between(first, last)


def _counted_from(rule: Rule, start: object, fact: CaseFact) -> datetime | None:
    """The start of a ``start_event`` rule's count, when it is not the opening step itself."""
    if not rule.start_event or start == fact.occurred_at:
        return None
    return _as_time(start)


def _checked(fact: CaseFact, case_id: str) -> CaseFact:
    if fact.case_id != case_id:
        raise FactError(f"fact of case {fact.case_id!r} applied to case {case_id!r}")
    occurred_at = _bounded(aware(fact.occurred_at))
    recorded_at = _bounded(aware(fact.recorded_at))
    if occurred_at is fact.occurred_at and recorded_at is fact.recorded_at:
        return fact  # already in UTC (as decoded from the wire): no copy per fact
    return replace(fact, occurred_at=occurred_at, recorded_at=recorded_at)


def _bounded(value: datetime) -> datetime:
    checked = instant(value)
    if checked is None:
        raise FactError("a fact without its instant")
    return checked


def _matches(closer: Closer, ob: Obligation, fact: CaseFact, context: Mapping[str, object]) -> bool:
    if closer.event != fact.event_type:
        return False
    if not all(condition.holds(fact.fields, context) for condition in closer.when):
        return False
    return not closer.key_field or str(fact.fields.get(closer.key_field, "")) == ob.key


def _closed(ob: Obligation, fact: CaseFact) -> Obligation:
    closed_at = max(fact.occurred_at, ob.opened_at)
    late = closed_at > ob.due_in_force(closed_at)
    known = max(fact.recorded_at, ob.on_record_from)
    return ob.closed(closed_at, fact.event_type, late, known)


def _subjects(rule: Rule, fact: CaseFact) -> list[Mapping[str, object]]:
    """The event's fields, or one merged mapping per element of its ``each`` list."""
    if not rule.each:
        return [fact.fields]
    elements = fact.fields.get(rule.each, [])
    if not isinstance(elements, list | tuple) or not all(isinstance(e, Mapping) for e in elements):
        raise FactError(
            f"{fact.event_type} #{fact.sequence}: '{rule.each}' is not a list of records"
        )
    return [{**fact.fields, **element} for element in elements]


def _already_open(obligations: Iterable[Obligation], new: Obligation) -> bool:
    return any(ob.is_open and ob.rule_id == new.rule_id and ob.key == new.key for ob in obligations)


def _changes(
    before: tuple[Obligation, ...], after: tuple[Obligation, ...]
) -> tuple[Obligation, ...]:
    if after is before:  # the step changed no obligation: nothing to compare
        return ()
    previous = {ob.ident: ob for ob in before}
    # An obligation the step left alone is the same object: no field-by-field comparison.
    return tuple(ob for ob in after if (was := previous.get(ob.ident)) is not ob and was != ob)


def _text(subject: Mapping[str, object], field: str) -> str | None:
    value = subject.get(field) if field else None
    return str(value) if value not in (None, "") else None


def _as_time(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise FactError(f"remembered start time {value!r} is not a datetime")
    return value
