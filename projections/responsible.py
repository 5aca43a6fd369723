"""Who must act on an obligation: the responsible agency, resolved on the day from the directory.

A rule names a responsible *role* (``receiving_point``, ``commune_chairman``...); a supervisor
needs the *agency* to call. :class:`Responsibility` maps the rule role to a kind of agency
(``responsible.toml``) and picks the agency of that kind valid on the province's day of the
evaluation whose area is the most specific one of the case (commune, district, province,
national). An obligation that already names its agency (a referral's addressee) keeps it.

It also gives agencies' and areas' names, so every surface (CLI, web dashboard) shows
"code (name)" alike. Query side only: the projection stores roles, this resolves at read time,
so a reorganisation of the directory applies to old rows without a rebuild.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import with_config
from typing_extensions import TypedDict

from projections.directory import AgencyLookup
from services.runtime import tomlfile
from services.runtime.areas import area_names, load_areas

ROLES_FILE = Path(__file__).resolve().parent / "responsible.toml"
AREA_LEVELS = ("commune_code", "district_code", "province_code")
NATIONAL = "00"


@dataclass(frozen=True)
class Responsibility:
    """The directory on the day, the rule-role map and the names of areas."""

    directory: AgencyLookup
    role_kinds: Mapping[str, str]
    area_names: Mapping[str, str]

    def agency_for(
        self,
        role: str,
        agency: str | None,
        area: Mapping[str, str],
        at: datetime,
    ) -> str | None:
        """The id of the agency that must act, or None when the directory has none.

        An agency that has ended since (the 2025 reorganisation) is followed to its successor in
        office on the day, so an old case names an agency that exists.
        """
        day = self.directory.local_day(at)
        if agency:
            found = self.directory.in_office(agency, day)
            return found.id if found else agency
        kind = role if role in self.directory.roles else self.role_kinds.get(role)
        if kind is None:
            return None
        for code in [area[name] for name in AREA_LEVELS if area.get(name)] + [NATIONAL]:
            local = [a for a in self.directory.by_role(kind) if a.area == code]
            for found in (self.directory.in_office(a.id, day) for a in local):
                if found is not None:
                    return found.id
        return None

    def agency_name(self, agency_id: str, lang: str = "en") -> str:
        """The agency's name in ``lang`` (English when it has no Vietnamese one); "" if unknown."""
        found = self.directory.get(agency_id)
        return found.name_in(lang) if found else ""

    def area_name(self, code: str) -> str:
        return self.area_names.get(code, "")

    def knows_agency(self, agency_id: str) -> bool:
        return self.directory.get(agency_id) is not None

    def known_roles(self) -> set[str]:
        """Every role a ``--role`` filter may name: rule roles and agency kinds."""
        return set(self.role_kinds) | set(self.directory.roles)


@with_config(tomlfile.STRICT)
class RolesFile(TypedDict, total=False):
    roles: dict[str, str]  # a rule's responsible role -> the agency role that fills it


def load_responsibility(
    config_dir: Path, directory: AgencyLookup, roles_file: Path = ROLES_FILE
) -> Responsibility:
    """``directory`` (the agencies of ``config_dir``), the areas of ``config_dir`` and the
    rule-role map."""
    kinds = tomlfile.read(roles_file, RolesFile).get("roles", {})
    for role, kind in kinds.items():
        if kind not in directory.roles:
            raise tomlfile.refuse(roles_file, "roles", role, f"names no agency role: {kind!r}")
    return Responsibility(directory, kinds, load_area_names(config_dir))


def load_area_names(config_dir: Path) -> dict[str, str]:
    """Code to name of every province, district and commune of ``areas.toml``."""
    return {NATIONAL: "Viet Nam"} | area_names(load_areas(config_dir))
