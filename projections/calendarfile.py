"""Reading a holiday calendar (``deploy/config/holidays.toml``) through the strict TOML reader.

Apart from :mod:`projections.calendar`, whose deadline arithmetic stays pure: the file is first
checked against its shape (an unknown key or a wrong type names file, table and key), then
:func:`projections.calendar.calendar_from_mapping` checks its meaning (a date in the wrong year,
a day both off and worked), and a fault there is refused naming the file as well.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import NotRequired

from pydantic import with_config
from typing_extensions import TypedDict

from projections.calendar import CalendarError, WorkCalendar, calendar_from_mapping
from services.runtime import tomlfile


@with_config(tomlfile.STRICT)
class DayTable(TypedDict):
    date: date
    name: NotRequired[str]
    estimate: NotRequired[bool]  # worked out from the rules, not announced yet


@with_config(tomlfile.STRICT)
class YearTable(TypedDict, total=False):
    checked: bool  # the dates were checked against the government's notices
    holidays: list[date | DayTable]
    working_weekend_days: list[date | DayTable]
    undecided: list[date | DayTable]


@with_config(tomlfile.STRICT)
class HolidaysFile(TypedDict, total=False):
    zone: str
    weekend: list[str]
    years: dict[str, YearTable]


def load_calendar(path: Path) -> WorkCalendar:
    """Read a holiday data file; a fault is refused naming the file, the table and the key."""
    data = tomlfile.read(path, HolidaysFile)
    try:
        return calendar_from_mapping(data)
    except CalendarError as error:
        raise tomlfile.refuse(path, error.table, error.key, str(error)) from None
