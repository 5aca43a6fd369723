"""Reading the deadline policy: the TOML files, province overrides and validation.

The default policy is ``projections/policy.toml``; a province overrides it with a second file
(``policy.toml`` in the deployment's config directory) whose ``[[rules]]`` replace or add rules by
id, whose ``disable`` list removes rules, and whose ``[[modifiers]]`` / ``disable_modifiers`` /
``[settings]`` do the same for modifiers and settings. Each file is first read by the strict TOML
reader (:mod:`services.runtime.tomlfile`: an unknown key or a wrong type is refused naming the
file, the table and the key); the merged policy is then checked as a whole (unknown steps, a unit
on the wrong clock, a missing citation) and a fault raises ``PolicyError`` naming the rule.

Longer than 300 lines because the schema of every table (rules, modifiers, settings), the
override merge and the whole-policy checks read the same rule tables; split apart, each would
restate them. The rules' model itself is :mod:`projections.policy`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

from pydantic import with_config
from typing_extensions import TypedDict

from projections.policy import (
    UNIT_CLOCK,
    Cap,
    CapBase,
    Closer,
    Condition,
    Deadline,
    Modifier,
    Policy,
    PolicyError,
    PolicySettings,
    Rule,
    Since,
    Trigger,
    Unit,
)
from services.runtime import tomlfile

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.toml")
POLICY_OVERRIDE = "policy.toml"  # a province's overrides, in the deployment's config directory

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


# --- the shape of a policy file (required keys and meanings are checked after the merge) ------

Conditions = dict[str, Any]  # field name (or Event.field) -> one allowed value or a list


@with_config(tomlfile.STRICT)
class StepTable(TypedDict, total=False):
    event: str
    key_field: str
    when: Conditions


@with_config(tomlfile.STRICT)
class DeadlineTable(TypedDict, total=False):
    amount: int
    unit: str


# "from" is a Python keyword, hence the functional form.
CapTable = TypedDict("CapTable", {"amount": int, "unit": str, "from": str}, total=False)
with_config(tomlfile.STRICT)(CapTable)


@with_config(tomlfile.STRICT)
class SinceTable(TypedDict, total=False):
    date: dt.date
    event: str
    events: list[str]


@with_config(tomlfile.STRICT)
class RuleTable(TypedDict, total=False):
    id: str
    note: str
    opened_by: str | StepTable
    also_opened_by: list[str | StepTable]
    closed_by: list[str | StepTable]
    deadline: DeadlineTable
    clock: str
    responsible_role: str
    citation: str
    confirmed: bool
    max_extension: CapTable
    extensions: list[CapTable]
    start_event: str
    each: str
    key_field: str
    due_field: str
    role_field: str
    agency_field: str
    survives_closure: bool


@with_config(tomlfile.STRICT)
class ModifierTable(TypedDict, total=False):
    id: str
    applies_to: list[str]
    when: Conditions
    since: SinceTable
    scale: int | float
    citation: str
    lifted_by: str


@with_config(tomlfile.STRICT)
class SettingsTable(TypedDict, total=False):
    roll_over_rest_days: bool
    closes_all: list[str]
    extension_event: str


@with_config(tomlfile.STRICT)
class PolicyFile(TypedDict, total=False):
    rules: list[RuleTable]
    modifiers: list[ModifierTable]
    settings: SettingsTable
    disable: list[str]  # overrides only
    disable_modifiers: list[str]  # overrides only


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
    return cast(Mapping[str, object], tomlfile.read(path, PolicyFile))


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


def _settings(table: _Table, names: _Names) -> PolicySettings:
    closes_all = table.get("closes_all", ["CaseClosed"])
    closes = tuple(names.event(_Table(table.where, {"e": e}), "e") for e in _listed(closes_all))
    settings = PolicySettings(
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
