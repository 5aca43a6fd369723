"""The agency directory, read from ``deploy/config/agencies.toml``.

Agencies change with reorganisations, so each carries the days it is valid on; a step is
recorded with the role its agency had on the day the step happened.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROLES = frozenset(
    {
        "hotline",
        "commune",
        "social_affairs",
        "police",
        "health",
        "legal_aid",
        "procuracy",
        "court",
        "education",
        "supervisor",
    }
)
AGENCIES_FILE = "agencies.toml"
DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class Agency:
    """One agency that may publish steps and receive referrals."""

    id: str
    name: str
    role: str
    area: str
    valid_from: date
    valid_to: date | None = None
    reads_personal_data: bool = False
    successor: str | None = None  # the agency that took over its cases and duties when it ended
    name_vi: str = ""  # its official Vietnamese name ("" when the file gives none)

    def name_in(self, lang: str) -> str:
        """Its name in ``lang`` ("vi" or "en"); the English name when no Vietnamese one is given."""
        return self.name_vi if lang == "vi" and self.name_vi else self.name

    def valid_on(self, day: date) -> bool:
        """True when the agency existed in this form on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class AgencyDirectory:
    """All known agencies, by id and by role; their validity days are in ``zone``'s calendar."""

    roles = ROLES  # every kind of agency (what the read side's lookup asks for)

    def __init__(self, agencies: Iterable[Agency], zone: ZoneInfo | None = None) -> None:
        self.zone = zone or ZoneInfo(DEFAULT_ZONE)
        self._by_id: dict[str, Agency] = {}
        for agency in agencies:
            if agency.id in self._by_id:
                raise ValueError(f"agency {agency.id!r} is listed twice")
            self._by_id[agency.id] = agency
        if lost := sorted(a.successor for a in self._by_id.values() if a.successor and
                          a.successor not in self._by_id):  # fmt: skip
            raise ValueError(f"{AGENCIES_FILE}: successor {lost[0]!r} is not a listed agency")

    def get(self, agency_id: str) -> Agency | None:
        """The agency with this id, or None."""
        return self._by_id.get(agency_id)

    def in_office(self, agency_id: str, day: date) -> Agency | None:
        """The agency itself if it exists on ``day``, else the successor that does (an old case of
        a merged province goes to the agency that took over), else None."""
        seen: set[str] = set()
        found = self._by_id.get(agency_id)
        while found is not None and found.id not in seen:
            if found.valid_on(day):
                return found
            seen.add(found.id)
            found = self._by_id.get(found.successor or "")
        return None

    def predecessors(self, agency_id: str) -> set[str]:
        """Every agency whose cases and duties passed, directly or not, to ``agency_id``."""
        found: set[str] = set()
        todo = [agency_id]
        while todo:
            current = todo.pop()
            for agency in self._by_id.values():
                if agency.successor == current and agency.id not in found:
                    found.add(agency.id)
                    todo.append(agency.id)
        return found

    def local_day(self, instant: datetime) -> date:
        """The province's calendar day of an aware instant (what validity days mean)."""
        return instant.astimezone(self.zone).date()

    def by_role(self, role: str) -> list[Agency]:
        """The agencies that have ``role``, in file order."""
        return [agency for agency in self._by_id.values() if agency.role == role]

    def all(self) -> list[Agency]:
        """Every agency, in file order."""
        return list(self._by_id.values())


def load_agencies(config_dir: Path) -> AgencyDirectory:
    """Read ``agencies.toml`` from ``config_dir``."""
    with (config_dir / AGENCIES_FILE).open("rb") as file:
        document = tomllib.load(file)
    zone = str(document.get("zone", DEFAULT_ZONE))
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{AGENCIES_FILE}: unknown time zone {zone!r}") from None
    return AgencyDirectory((_parse(table) for table in document.get("agency", [])), tz)


def _parse(table: Mapping[str, Any]) -> Agency:
    role = str(table["role"])
    if role not in ROLES:
        raise ValueError(f"agency {table['id']!r}: unknown role {role!r}")
    return Agency(
        id=str(table["id"]),
        name=str(table["name"]),
        role=role,
        area=str(table["area"]),
        valid_from=_day(table["valid_from"]),
        valid_to=_day(table["valid_to"]) if "valid_to" in table else None,
        reads_personal_data=bool(table.get("reads_personal_data", False)),
        successor=str(table["successor"]) if table.get("successor") else None,
        name_vi=str(table.get("name_vi", "")),
    )


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
