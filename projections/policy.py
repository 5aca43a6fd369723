"""The declarative deadline policy: typed model, loader, validation and province overrides.

The policy is data (``projections/policy.toml``); this module turns it into frozen dataclasses
and refuses a broken file at start-up with a ``PolicyError`` that names the bad rule. A province
overrides the default with a second TOML file whose ``[[rules]]`` replace or add rules by id,
whose ``disable`` list removes rules, and whose ``[[modifiers]]`` / ``disable_modifiers`` /
``[settings]`` do the same for modifiers and settings.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from math import floor
from pathlib import Path
from typing import Literal, cast

Unit = Literal["hours", "working_days", "days", "months"]
Clock = Literal["working", "calendar"]
CapBase = Literal["opened", "due"]

UNIT_CLOCK: Mapping[str, Clock] = {
    "hours": "calendar",
    "working_days": "working",
    "days": "calendar",
    "months": "calendar",
}
FIRST = "first_occurred_at"  # context field: when the case first recorded such a step
DAYS_PER_MONTH = 30  # only used when a modifier leaves a fraction of a month
DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.toml")
POLICY_OVERRIDE = "policy.toml"  # a province's overrides, in the deployment's config directory

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


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
    clock: Clock
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
class Settings:
    """Policy-wide switches."""

    roll_over_rest_days: bool = True
    closes_all: tuple[str, ...] = ("CaseClosed",)
    extension_event: str = "DeadlineExtended"


@dataclass(frozen=True)
class Policy:
    """The whole deadline policy, after overrides."""

    rules: tuple[Rule, ...]
    modifiers: tuple[Modifier, ...]
    settings: Settings

    def rule(self, rule_id: str) -> Rule | None:
        """The rule with this id, if the policy has it."""
        return next((rule for rule in self.rules if rule.id == rule_id), None)

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


def load_policy(
    path: Path = DEFAULT_POLICY_PATH,
    overrides: Path | None = None,
    *,
    known_events: frozenset[str] | None = None,
) -> Policy:
    """Read, merge and validate the policy; raise ``PolicyError`` on anything wrong."""
    base = _read(path)
    extra = _read(overrides) if overrides is not None else None
    return policy_from_mapping(base, extra, known_events=known_events)


def deployment_policy(config_dir: Path) -> Policy:
    """The default policy with the overrides in ``config_dir``, if the province has any."""
    override = config_dir / POLICY_OVERRIDE
    return load_policy(DEFAULT_POLICY_PATH, override if override.exists() else None)


def policy_from_mapping(
    data: Mapping[str, object],
    overrides: Mapping[str, object] | None = None,
    *,
    known_events: frozenset[str] | None = None,
) -> Policy:
    """Build the policy from parsed TOML (pure): merge overrides, then validate everything."""
    merged = _merge(data, overrides or {})
    names = _Names(known_events or _step_names(), frozenset(_rule_ids(merged)))
    rules = tuple(_rule(raw, names) for raw in _tables(merged, "rules"))
    modifiers = tuple(_modifier(raw, names) for raw in _tables(merged, "modifiers"))
    settings = _settings(_Table("settings", _sub(merged, "settings")), names)
    _unique("rule", [rule.id for rule in rules])
    _unique("modifier", [modifier.id for modifier in modifiers])
    return Policy(rules, modifiers, settings)


def _read(path: Path) -> Mapping[str, object]:
    try:
        with path.open("rb") as handle:
            return cast(Mapping[str, object], tomllib.load(handle))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PolicyError(f"{path}: {error}") from None


# --- parsing and validation -------------------------------------------------------------------

_MISSING = object()


class _Table:
    """A TOML table being read; every error names ``where`` (e.g. ``rule 'plan_drafted'``)."""

    def __init__(self, where: str, data: object) -> None:
        if not isinstance(data, Mapping):
            raise PolicyError(f"{where}: expected a table, got {data!r}")
        self.where, self.data, self.used = where, cast(Mapping[str, object], data), set[str]()

    def fail(self, message: str) -> PolicyError:
        """An error for this table, to raise."""
        return PolicyError(f"{self.where}: {message}")

    def get(self, key: str, default: object = _MISSING) -> object:
        """The raw value of ``key``; required unless a default is given."""
        self.used.add(key)
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            raise self.fail(f"'{key}' is missing")
        return default

    def text(self, key: str, default: str | None = None) -> str:
        """A string value (non-empty when required)."""
        value = self.get(key, _MISSING if default is None else default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise self.fail(f"'{key}' must be a non-empty string, got {value!r}")
        return value

    def flag(self, key: str, default: bool | None = None) -> bool:
        """A boolean value."""
        value = self.get(key, _MISSING if default is None else default)
        if not isinstance(value, bool):
            raise self.fail(f"'{key}' must be true or false, got {value!r}")
        return value

    def choice(self, key: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        """A string that must be one of ``allowed``."""
        value = self.text(key, default)
        if value not in allowed:
            raise self.fail(f"'{key}' must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def items(self, key: str) -> list[object]:
        """A list value (empty when absent)."""
        value = self.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"'{key}' must be a list, got {value!r}")
        return value

    def sub(self, key: str, where: str | None = None) -> _Table:
        """A nested table (or an inline table given as a single string, see ``_as_table``)."""
        return _Table(f"{self.where}, {where or key}", self.get(key))

    def done(self) -> None:
        """Refuse keys nobody read: a typo must not pass silently."""
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.fail(f"unknown key(s) {', '.join(unknown)}")


@dataclass(frozen=True)
class _Names:
    events: frozenset[str]
    rule_ids: frozenset[str]

    def event(self, table: _Table, key: str, default: str | None = None) -> str:
        value = table.text(key, default)
        if value and value not in self.events:
            raise table.fail(f"'{key}' names unknown event {value!r}")
        return value

    def field(self, table: _Table, name: str) -> str:
        event, dot, _ = name.partition(".")
        if dot and event not in self.events:
            raise table.fail(f"condition on {name!r} names unknown event {event!r}")
        return name


def _rule(raw: object, names: _Names) -> Rule:
    table = _Table(f"rule {_id_of(raw)!r}", raw)
    rule_id, key_field = _identifier(table), table.text("key_field", "")
    deadline = _deadline(table.sub("deadline"))
    clock = table.choice("clock", ("working", "calendar"))
    if UNIT_CLOCK[deadline.unit] != clock:
        raise table.fail(f"unit {deadline.unit!r} runs on the {UNIT_CLOCK[deadline.unit]} clock")
    rule = Rule(
        rule_id,
        _trigger(table, names),
        _closers(table, key_field, names),
        deadline,
        clock,
        table.text("responsible_role"),
        table.text("citation"),
        table.flag("confirmed"),
        _cap(table),
        names.event(table, "start_event", ""),
        table.text("each", ""),
        key_field,
        table.text("due_field", ""),
        table.text("role_field", ""),
        table.text("agency_field", ""),
        table.flag("survives_closure", False),
        _extensions(table),
        tuple(_opener(table, entry, names) for entry in table.items("also_opened_by")),
    )
    table.get("note", "")
    table.done()
    return rule


def _deadline(table: _Table) -> Deadline:
    amount = table.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise table.fail(f"'amount' must be a positive whole number, got {amount!r}")
    unit = table.choice("unit", tuple(UNIT_CLOCK))
    table.done()
    return Deadline(amount, cast(Unit, unit))


def _trigger(table: _Table, names: _Names) -> Trigger:
    return _opener(table, table.get("opened_by"), names)


def _opener(table: _Table, entry: object, names: _Names) -> Trigger:
    inner = _Table(f"{table.where}, opened_by", _as_table(entry))
    trigger = Trigger(names.event(inner, "event"), _conditions(inner, names))
    inner.done()
    return trigger


def _closers(table: _Table, key_field: str, names: _Names) -> tuple[Closer, ...]:
    entries = table.items("closed_by")
    if not entries:
        raise table.fail("'closed_by' lists no event")
    return tuple(_closer(table, entry, key_field, names) for entry in entries)


def _closer(table: _Table, entry: object, key_field: str, names: _Names) -> Closer:
    inner = _Table(f"{table.where}, closed_by", _as_table(entry))
    closer = Closer(
        names.event(inner, "event"), inner.text("key_field", key_field), _conditions(inner, names)
    )
    inner.done()
    return closer


def _conditions(table: _Table, names: _Names) -> tuple[Condition, ...]:
    when = _Table(f"{table.where}, when", table.get("when", {}))
    found = [(names.field(when, key), when.get(key)) for key in when.data]
    return tuple(Condition(k, tuple(v) if isinstance(v, list) else (v,)) for k, v in found)


def _extensions(table: _Table) -> tuple[Cap, ...]:
    entries = table.items("extensions")
    return tuple(_limit(_Table(f"{table.where}, extensions", entry)) for entry in entries)


def _cap(table: _Table) -> Cap | None:
    if table.get("max_extension", None) is None:
        return None
    return _limit(table.sub("max_extension"))


def _limit(inner: _Table) -> Cap:
    base = inner.choice("from", ("opened", "due"))
    limit = _deadline(_Table(inner.where, {k: v for k, v in inner.data.items() if k != "from"}))
    return Cap(limit, cast(CapBase, base))


def _modifier(raw: object, names: _Names) -> Modifier:
    table = _Table(f"modifier {_id_of(raw)!r}", raw)
    applies_to = frozenset(str(rule_id) for rule_id in table.items("applies_to"))
    if unknown := sorted(applies_to - names.rule_ids):
        raise table.fail(f"'applies_to' names unknown rule(s) {', '.join(unknown)}")
    modifier = Modifier(
        _identifier(table),
        applies_to,
        _conditions(table, names),
        _since(table, names),
        _scale(table),
        table.text("citation"),
        names.event(table, "lifted_by", ""),
    )
    table.done()
    return modifier


def _since(table: _Table, names: _Names) -> Since | None:
    if table.get("since", None) is None:
        return None
    inner = table.sub("since")
    day = inner.get("date")
    if not isinstance(day, date):
        raise inner.fail(f"'date' must be a TOML date (2026-01-01), got {day!r}")
    if "event" in inner.data:  # one event, or a list of which the first recorded counts
        events: tuple[str, ...] = (names.event(inner, "event"),)
    else:
        listed = inner.items("events")
        events = tuple(names.event(_Table(inner.where, {"e": e}), "e") for e in listed)
    if not events:
        raise inner.fail("'event' or 'events' must name the step(s) that begin the matter")
    since = Since(events, day)
    inner.done()
    return since


def _scale(table: _Table) -> Fraction:
    value = table.get("scale")
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise table.fail(f"'scale' must be a positive number, got {value!r}")
    return Fraction(str(value))


def _settings(table: _Table, names: _Names) -> Settings:
    closes_all = table.get("closes_all", ["CaseClosed"])
    closes = tuple(names.event(_Table(table.where, {"e": e}), "e") for e in _listed(closes_all))
    settings = Settings(
        table.flag("roll_over_rest_days", True),
        closes,
        names.event(table, "extension_event", "DeadlineExtended"),
    )
    table.done()
    return settings


def _merge(base: Mapping[str, object], extra: Mapping[str, object]) -> dict[str, object]:
    over = _Table("overrides", extra)
    disabled = {str(x) for x in over.items("disable")}
    rules = _by_id("rule", _tables(base, "rules"), _tables(extra, "rules"), disabled)
    off_mods = {str(x) for x in over.items("disable_modifiers")}
    mods = _by_id("modifier", _tables(base, "modifiers"), _tables(extra, "modifiers"), off_mods)
    for key in ("rules", "modifiers", "settings"):
        over.get(key, None)
    over.done()
    settings = {**_sub(base, "settings"), **_sub(extra, "settings")}
    modifiers = [_without(modifier, disabled) for modifier in mods]
    return {"rules": rules, "modifiers": modifiers, "settings": settings}


def _by_id(kind: str, base: list[object], extra: list[object], off: set[str]) -> list[object]:
    # Within one file an id names one entry; only an override file may replace a base entry.
    _unique(kind, [_id_of(entry) for entry in base])
    _unique(f"overrides: {kind}", [_id_of(entry) for entry in extra])
    merged = {_id_of(entry): entry for entry in base}
    if unknown := sorted(off - set(merged)):
        raise PolicyError(f"overrides: cannot disable unknown {kind}(s) {', '.join(unknown)}")
    merged.update({_id_of(entry): entry for entry in extra})
    return [entry for key, entry in merged.items() if key not in off]


def _without(modifier: object, disabled: set[str]) -> object:
    if not isinstance(modifier, Mapping) or not isinstance(modifier.get("applies_to"), list):
        return modifier
    return {**modifier, "applies_to": [r for r in modifier["applies_to"] if r not in disabled]}


def _rule_ids(merged: Mapping[str, object]) -> list[str]:
    return [_id_of(entry) for entry in _tables(merged, "rules")]


def _tables(data: Mapping[str, object], key: str) -> list[object]:
    return _listed(data.get(key, []), key)


def _sub(data: Mapping[str, object], key: str) -> Mapping[str, object]:
    return _Table(key, data.get(key, {})).data


def _listed(value: object, what: str = "value") -> list[object]:
    if not isinstance(value, list):
        raise PolicyError(f"'{what}' must be a list, got {value!r}")
    return value


def _as_table(value: object) -> object:
    return {"event": value} if isinstance(value, str) else value


def _id_of(raw: object) -> str:
    return str(raw.get("id", "?")) if isinstance(raw, Mapping) else "?"


def _identifier(table: _Table) -> str:
    value = table.text("id")
    if not _ID.match(value):
        raise table.fail("'id' must be lower_snake_case (letters, digits, underscores)")
    return value


def _unique(kind: str, ids: list[str]) -> None:
    if twice := sorted({i for i in ids if ids.count(i) > 1}):
        raise PolicyError(f"{kind} {twice[0]!r}: id used more than once")


def _step_names() -> frozenset[str]:
    """The contract's step wire names: a policy naming anything else is refused."""
    # Imported here, not at module level: importing the events package loads fastavro, and the
    # engine's modules stay free of it.
    from events.steps import STEP_NAMES

    return STEP_NAMES
