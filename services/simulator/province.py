"""The simulated province: its communes and the agencies that act on cases there."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from services.cases.agencies import AgencyDirectory, load_agencies


@dataclass(frozen=True)
class Commune:
    """A commune with its own child-protection agency (areas.toml and agencies.toml)."""

    code: str
    name: str
    district_code: str
    agency: str


@dataclass(frozen=True)
class Province:
    """Who can act on a case: agency ids by role, and the communes cases happen in."""

    code: str
    communes: tuple[Commune, ...]
    agencies: Mapping[str, tuple[str, ...]]

    def first(self, role: str) -> str:
        """The first agency of ``role`` (the provincial one, in file order)."""
        return self.agencies[role][0]

    def role_of(self, agency: str) -> str:
        """The role of an agency of this province."""
        return next(role for role, ids in self.agencies.items() if agency in ids)


def load_province(config_dir: Path, province_code: str = "58", on: date | None = None) -> Province:
    """Read areas.toml and agencies.toml: the communes that have an agency valid ``on`` (by
    default today in the province, whatever the host's time zone)."""
    with (config_dir / "areas.toml").open("rb") as file:
        areas = tomllib.load(file)
    directory = load_agencies(config_dir)
    day = on or directory.local_day(datetime.now(UTC))
    return province_from(areas, directory, province_code, day)


def province_from(
    areas: Mapping[str, Any], directory: AgencyDirectory, province_code: str, on: date
) -> Province:
    """Build the province from parsed areas and the agency directory (pure)."""
    valid = [agency for agency in directory.all() if agency.valid_on(on)]
    by_area = {agency.area: agency.id for agency in valid if agency.role == "commune"}
    districts = {d["code"] for d in areas.get("district", []) if d["province"] == province_code}
    communes = tuple(
        Commune(str(c["code"]), str(c["name"]), str(c["district"]), by_area[c["code"]])
        for c in areas.get("commune", [])
        if c["district"] in districts and c["code"] in by_area
    )
    roles: dict[str, list[str]] = {}
    for agency in valid:
        roles.setdefault(agency.role, []).append(agency.id)
    return Province(province_code, communes, {r: tuple(ids) for r, ids in roles.items()})


def require_roles(province: Province, roles: Sequence[str]) -> None:
    """Refuse a province that lacks an agency the simulated flows need."""
    missing = [role for role in roles if not province.agencies.get(role)]
    if missing or not province.communes:
        raise ValueError(f"the simulated province needs agencies of roles {missing} and communes")
