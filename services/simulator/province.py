"""The simulated province: its communes and the agencies that act on cases there."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from services.cases.agencies import AgencyDirectory, load_agencies
from services.runtime.areas import load_areas


@dataclass(frozen=True)
class Commune:
    """A commune with its own child-protection agency (areas.toml and agencies.toml)."""

    code: str
    name: str
    district_code: str  # "" for a commune made in 2025, which belongs directly to its province
    agency: str


@dataclass(frozen=True)
class Province:
    """Who can act on a case: agency ids by role, and the communes cases happen in."""

    code: str
    communes: tuple[Commune, ...]
    agencies: Mapping[str, tuple[str, ...]]
    since: date = date.min  # the first day its communes and agencies all exist: no case before

    def first(self, role: str) -> str:
        """The first agency of ``role`` (the provincial one, in file order)."""
        return self.agencies[role][0]

    def role_of(self, agency: str) -> str:
        """The role of an agency of this province."""
        return next(role for role, ids in self.agencies.items() if agency in ids)


def load_province(config_dir: Path, province_code: str = "58", on: date | None = None) -> Province:
    """Read areas.toml and agencies.toml: the communes that have an agency valid ``on`` (by
    default today in the province, whatever the host's time zone)."""
    areas = load_areas(config_dir)
    directory = load_agencies(config_dir)
    day = on or directory.local_day(datetime.now(UTC))
    return province_from(areas, directory, province_code, day)


def province_from(
    areas: Mapping[str, Any], directory: AgencyDirectory, province_code: str, on: date
) -> Province:
    """Build the province from parsed areas and the agency directory (pure).

    A province merged away before ``on`` is followed to its successor (Ninh Thuận to Khánh Hòa
    in 2025), and only communes, districts and agencies that exist ``on`` that day take part.
    """
    code = _in_force(areas, province_code, on)
    valid = [agency for agency in directory.all() if agency.valid_on(on)]
    by_area = {agency.area: agency for agency in valid if agency.role == "commune"}
    districts = {
        d["code"]: d for d in areas.get("district", []) if d["province"] == code and _exists(d, on)
    }
    chosen = [
        c
        for c in areas.get("commune", [])
        if _exists(c, on) and c["code"] in by_area and _belongs(c, districts, code)
    ]
    communes = tuple(
        Commune(str(c["code"]), str(c["name"]), str(c.get("district", "")), by_area[c["code"]].id)
        for c in chosen
    )
    roles: dict[str, list[str]] = {}
    # The province's own agencies first: after a merger the successors act, not the old ones.
    for agency in sorted(valid, key=lambda a: a.area != code):
        roles.setdefault(agency.role, []).append(agency.id)
    starts = [a.valid_from for a in valid] + [_day(c.get("valid_from")) for c in chosen]
    starts += [_day(d.get("valid_from")) for d in districts.values()]
    return Province(
        code, communes, {r: tuple(ids) for r, ids in roles.items()}, max(starts, default=date.min)
    )


def _belongs(commune: Mapping[str, Any], districts: Mapping[str, Any], province: str) -> bool:
    """In one of the province's districts, or (made in 2025) directly in the province."""
    district = commune.get("district")
    return district in districts if district else commune.get("province") == province


def _in_force(areas: Mapping[str, Any], code: str, on: date) -> str:
    """``code``, or the successor of a province that no longer exists ``on``."""
    provinces = {str(p["code"]): p for p in areas.get("province", [])}
    seen: set[str] = set()
    while code in provinces and not _exists(provinces[code], on) and code not in seen:
        seen.add(code)
        code = str(provinces[code].get("successor", code))
    return code


def _exists(unit: Mapping[str, Any], on: date) -> bool:
    ends = unit.get("valid_to")
    return _day(unit.get("valid_from")) <= on and (ends is None or on <= _day(ends))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.min


def require_roles(province: Province, roles: Sequence[str]) -> None:
    """Refuse a province that lacks an agency the simulated flows need."""
    missing = [role for role in roles if not province.agencies.get(role)]
    if missing or not province.communes:
        raise ValueError(f"the simulated province needs agencies of roles {missing} and communes")
