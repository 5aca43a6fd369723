"""Who is told about a stall: supervisors by escalation level and area, from escalation.toml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import NotRequired

from pydantic import with_config
from typing_extensions import TypedDict

from projections.directory import AgencyLookup
from services.runtime import tomlfile

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


@with_config(tomlfile.STRICT)
class LevelTable(TypedDict):
    level: int
    roles: list[str]
    area: str  # one of AREA_LEVELS: the smallest unit whose supervisors are told
    rules: NotRequired[list[str]]


@with_config(tomlfile.STRICT)
class EscalationFile(TypedDict, total=False):
    level: list[LevelTable]


def load_addressing(config_dir: Path, agencies: AgencyLookup) -> Addressing:
    """Read ``escalation.toml``; a broken file fails at start-up naming the entry."""
    path = config_dir / ESCALATION_FILE
    tables = tomlfile.read(path, EscalationFile).get("level", [])
    for number, table in enumerate(tables, start=1):
        where = f"level[{number}]"
        if table["area"] not in AREA_LEVELS:
            raise tomlfile.refuse(path, where, "area", f"must be one of {AREA_LEVELS}")
        if not table["roles"]:
            raise tomlfile.refuse(path, where, "roles", "names no role")
        if not all(table.get("rules", [])):
            raise tomlfile.refuse(path, where, "rules", "holds an empty rule id")
    return Addressing(tuple(map(_rung, tables)), agencies)


def _rung(table: LevelTable) -> EscalationRung:
    return EscalationRung(
        table["level"], frozenset(table["roles"]), table["area"], tuple(table.get("rules", []))
    )
