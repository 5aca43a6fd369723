"""Who is told about a stall: supervisors by escalation level and area, from escalation.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from projections.directory import AgencyLookup

ESCALATION_FILE = "escalation.toml"
AREA_LEVELS = ("commune", "district", "province")


@dataclass(frozen=True)
class EscalationRung:
    level: int
    roles: frozenset[str]
    area: str
    rules: tuple[str, ...] = ()  # rule-id prefixes the entry is for (empty: every rule)

    def covers(self, rule_id: str) -> bool:
        """Whether a stall of this rule's obligation is told to this entry."""
        return not self.rules or rule_id.startswith(self.rules)


@dataclass(frozen=True)
class Addressing:
    """Turns (level, the case's area codes, an instant) into the agency ids to notify.

    Escalating adds supervisors, it does not relieve the ones already told: a case at level 2 is
    addressed to level 1's supervisors too, so a case first seen at level 2 (the projection was
    down, or the deadline was already long past when the opening step was recorded) still reaches
    its district. Which agencies existed is judged on the province's local date of the instant.
    """

    steps: tuple[EscalationRung, ...]
    agencies: AgencyLookup

    def recipients(
        self, level: int, area: Mapping[str, str], at: datetime, rule_id: str = ""
    ) -> list[str]:
        """Agencies to notify of a case at ``level`` (0: a recovery, told to every level) about
        an obligation of ``rule_id`` (entries limited to some rules skip the others)."""
        on = self.agencies.local_day(at)
        chosen = [s for s in self.steps if level == 0 or (s.level <= level and s.covers(rule_id))]
        found = {agency for step in chosen for agency in self._told(step, area, on)}
        return sorted(found)

    def _told(self, step: EscalationRung, area: Mapping[str, str], on: date) -> list[str]:
        for unit in AREA_LEVELS[AREA_LEVELS.index(step.area) :]:
            code = area.get(f"{unit}_code", "")
            found = [
                current
                for role in sorted(step.roles)
                for a in self.agencies.by_role(role)
                if code and a.area == code
                for current in [self._in_office(a.id, on)]
                if current
            ]
            if found:
                return sorted(set(found), key=found.index)
        return []

    def _in_office(self, agency_id: str, on: date) -> str:
        """The agency, or its successor in office ``on`` (agencies.toml), else ""."""
        found = self.agencies.in_office(agency_id, on)
        return found.id if found else ""


def load_addressing(config_dir: Path, agencies: AgencyLookup) -> Addressing:
    """Read ``escalation.toml``; a broken file fails at start-up naming the entry."""
    with (config_dir / ESCALATION_FILE).open("rb") as file:
        document = tomllib.load(file)
    steps = tuple(_step(i, t) for i, t in enumerate(document.get("level", [])))
    return Addressing(steps, agencies)


def _step(index: int, table: Mapping[str, Any]) -> EscalationRung:
    area = table.get("area")
    if area not in AREA_LEVELS or not isinstance(table.get("level"), int) or not table.get("roles"):
        raise ValueError(
            f"escalation.toml level #{index + 1}: needs level (int), roles and area in "
            f"{AREA_LEVELS}"
        )
    rules = table.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, str) and r for r in rules):
        raise ValueError(f"escalation.toml level #{index + 1}: rules must be a list of rule ids")
    return EscalationRung(int(table["level"]), frozenset(table["roles"]), str(area), tuple(rules))
