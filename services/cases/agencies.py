"""The agency directory, read from ``deploy/config/agencies.toml``.

Agencies change with reorganisations, so each carries the days it is valid on; a step is
recorded with the role its agency had on the day the step happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import NotRequired
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import with_config
from typing_extensions import TypedDict

from events.instants import from_millis, to_millis
from services.runtime import tomlfile

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
        self._last_day = (0, 0, date.min)  # (first, end) epoch milliseconds of a local day
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

    def local_day_of(self, millis: int) -> date:
        """:meth:`local_day` of an instant given in epoch milliseconds. The span of the last
        day asked is kept (recording asks for every submission, and a batch's fall on a day
        or two): an instant within it is answered without a datetime. A span is kept only
        when its first and last millisecond both fall on its day (days follow each other,
        so every instant between them does too); a zone's odd midnight is just not kept."""
        start, end, day = self._last_day
        if start <= millis < end:
            return day
        day = self.local_day(from_millis(millis))
        start = to_millis(datetime.combine(day, time(), self.zone))
        end = to_millis(datetime.combine(day + timedelta(days=1), time(), self.zone))
        if self.local_day(from_millis(start)) == day == self.local_day(from_millis(end - 1)):
            self._last_day = (start, end, day)
        return day

    def by_role(self, role: str) -> list[Agency]:
        """The agencies that have ``role``, in file order."""
        return [agency for agency in self._by_id.values() if agency.role == role]

    def all(self) -> list[Agency]:
        """Every agency, in file order."""
        return list(self._by_id.values())


@with_config(tomlfile.STRICT)
class AgencyTable(TypedDict):  # the fields of Agency, which a table's keys become
    id: str
    name: str
    name_vi: NotRequired[str]
    role: str
    area: str
    valid_from: date
    valid_to: NotRequired[date]
    successor: NotRequired[str]
    reads_personal_data: NotRequired[bool]


@with_config(tomlfile.STRICT)
class AgenciesFile(TypedDict, total=False):
    zone: str
    agency: list[AgencyTable]


def load_agencies(config_dir: Path) -> AgencyDirectory:
    """Read ``agencies.toml`` from ``config_dir``; a fault is refused naming table and key."""
    path = config_dir / AGENCIES_FILE
    document = tomlfile.read(path, AgenciesFile)
    zone = document.get("zone", DEFAULT_ZONE)
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise tomlfile.refuse(path, "", "zone", f"names an unknown time zone {zone!r}") from None
    tables = document.get("agency", [])
    ids = [table["id"] for table in tables]
    for number, table in enumerate(tables, start=1):
        where = f"agency[{number}]"
        if table["role"] not in ROLES:
            raise tomlfile.refuse(path, where, "role", f"is not a role: {table['role']!r}")
        if table["id"] in ids[: number - 1]:
            raise tomlfile.refuse(path, where, "id", f"{table['id']!r} is listed twice")
        if (successor := table.get("successor")) and successor not in ids:
            raise tomlfile.refuse(path, where, "successor", "names no agency of the file")
    return AgencyDirectory((Agency(**table) for table in tables), tz)
