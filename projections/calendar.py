"""Deadline arithmetic on a province's calendar: hours, working days, calendar days, months.

All inputs and outputs are timezone-aware datetimes; they are returned in UTC. Day and month
arithmetic happens on the local date of the province's time zone (``Asia/Ho_Chi_Minh`` by
default). Conventions (documented here because the legal texts we follow leave them implicit):

* ``hours``: exact elapsed time; weekends and holidays do not pause the clock
  ("12 hours from receipt" runs through the night).
* ``working days``: the day of the event is not counted; the deadline is the end (24:00 local)
  of the Nth working day after it. An event on a Saturday, Sunday or holiday therefore starts
  counting from the next working day.
* ``days`` and ``months``: the day of the event is not counted; the deadline is the end of the
  Nth calendar day, or of the corresponding day N months later (clamped to the last day of a
  shorter month). With ``roll=True`` an end falling on a weekend or holiday moves to the end of
  the next working day (the usual Vietnamese rule for procedural time limits; configurable).
* "End of day D" is represented as the instant 00:00 local of day D+1: an act at or before it
  is in time.

Pure: the holiday data file is read by ``projections.calendarfile.load_calendar``.
"""

from __future__ import annotations

import calendar as _stdcal
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class CalendarError(ValueError):
    """The holiday calendar data is malformed (``table`` and ``key`` say where), or a datetime
    is naive."""

    def __init__(self, problem: str, table: str = "", key: str = "") -> None:
        super().__init__(problem)
        self.table, self.key = table, key


@dataclass(frozen=True)
class WorkCalendar:
    """Which local dates are working days in a province, and its time zone."""

    zone: ZoneInfo
    weekend: frozenset[int]  # date.weekday() numbers, Monday = 0
    holidays: frozenset[date]
    working_weekend_days: frozenset[date]  # compensatory working days on a weekend
    years: frozenset[int]  # years for which holidays are known
    uncertain: frozenset[date] = frozenset()  # estimated or undecided days (not yet announced)

    def is_working_day(self, day: date) -> bool:
        """True when ``day`` is neither a weekend day (unless made up) nor a holiday."""
        if day in self.holidays:
            return False
        return day.weekday() not in self.weekend or day in self.working_weekend_days

    def uncertain_between(self, first: date, last: date) -> bool:
        """Whether a day from ``first`` to ``last`` (both included) is an estimated holiday or
        make-up day, or a day whose status is undecided: a count across it may still move."""
        at = bisect_left(self._uncertain_days, first)
        return at < len(self._uncertain_days) and self._uncertain_days[at] <= last

    def day_end(self, day: date) -> datetime:
        """24:00 local of ``day``, as a UTC instant (remembered: a projection asks for the same
        few days again and again, and the time zone conversion is most of a deadline's cost)."""
        end = self._day_ends.get(day)
        if end is None:
            end = self._day_ends[day] = datetime.combine(
                day + timedelta(days=1), time(0), tzinfo=self.zone
            ).astimezone(UTC)
        return end

    def working_days_after(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (remembered per day and count)."""
        found = self._working_days.get((day, count))
        if found is None:
            found, remaining = day, count
            while remaining > 0:
                found += timedelta(days=1)
                if self.is_working_day(found):
                    remaining -= 1
            self._working_days[(day, count)] = found
        return found

    # Memories of the pure functions above; the calendar is immutable, so they never go stale.
    # A projection meets a few thousand distinct days at most: they stay small.
    @cached_property
    def _uncertain_days(self) -> list[date]:
        return sorted(self.uncertain)

    @cached_property
    def _day_ends(self) -> dict[date, datetime]:
        return {}

    @cached_property
    def _working_days(self) -> dict[tuple[date, int], date]:
        return {}

    def covers(self, day: date) -> bool:
        """True when the holidays of ``day``'s year are in the data (check this at start-up)."""
        return day.year in self.years


LOOKAHEAD_YEARS = 1
"""Deadlines opened today run into next year (months of investigation), so its holidays are
needed already."""


def missing_years(cal: WorkCalendar, now: datetime) -> list[int]:
    """This year and the next, where the calendar does not know the holidays (empty: all good).

    Without them every weekday counts as a working day: deadlines come too early, never late.
    """
    this_year = local_date(now, cal).year
    return [y for y in range(this_year, this_year + LOOKAHEAD_YEARS + 1) if y not in cal.years]


def weekend_only(zone: str = "Asia/Ho_Chi_Minh") -> WorkCalendar:
    """A calendar with Saturday/Sunday weekends and no holidays (tests, fallbacks)."""
    return WorkCalendar(ZoneInfo(zone), frozenset({5, 6}), frozenset(), frozenset(), frozenset())


def local_date(instant: datetime, cal: WorkCalendar) -> date:
    """The province-local calendar date of an aware instant."""
    return _aware(instant).astimezone(cal.zone).date()


def end_of_day(day: date, cal: WorkCalendar) -> datetime:
    """24:00 local of ``day``, as a UTC instant."""
    return cal.day_end(day)


def add_hours(start: datetime, hours: int) -> datetime:
    """Exact elapsed hours; the clock does not stop at night, weekends or holidays."""
    return _aware(start).astimezone(UTC) + timedelta(hours=hours)


def add_working_days(start: datetime, count: int, cal: WorkCalendar) -> datetime:
    """End of the ``count``-th working day after the local day of ``start``."""
    return cal.day_end(cal.working_days_after(local_date(start, cal), count))


def add_days(start: datetime, count: int, cal: WorkCalendar, *, roll: bool = True) -> datetime:
    """End of the ``count``-th calendar day after ``start`` (rolled past rest days if asked)."""
    return _finish(local_date(start, cal) + timedelta(days=count), cal, roll)


def add_months(start: datetime, count: int, cal: WorkCalendar, *, roll: bool = True) -> datetime:
    """End of the corresponding day ``count`` months after ``start`` (clamped, maybe rolled)."""
    return _finish(shift_months(local_date(start, cal), count), cal, roll)


def shift_months(day: date, count: int) -> date:
    """The same day of the month ``count`` months later, clamped to that month's last day."""
    index = day.month - 1 + count
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _stdcal.monthrange(year, month)[1]))


def next_working_day(day: date, cal: WorkCalendar) -> date:
    """``day`` itself if it is a working day, else the first working day after it."""
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    return day


def calendar_from_mapping(data: Mapping[str, object]) -> WorkCalendar:
    """Build a calendar from parsed TOML data (pure; validates every entry)."""
    zone = _zone(str(data.get("zone", "Asia/Ho_Chi_Minh")))
    weekend = frozenset(_weekday(name) for name in _list(data.get("weekend", [])))
    years = data.get("years", {})
    if not isinstance(years, Mapping):
        raise CalendarError("'years' must be a table of years", "", "years")
    holidays, workdays = _dates(years, "holidays"), _dates(years, "working_weekend_days")
    uncertain = _dates(years, "undecided") | _estimates(years)
    if both := sorted(holidays & workdays):
        problem = f"{both[0]} is listed both as a holiday and as a working day"
        raise CalendarError(problem, f"years.{both[0].year}", "working_weekend_days")
    known = frozenset(int(y) for y in years)
    return WorkCalendar(zone, weekend, holidays, workdays, known, uncertain)


def _estimates(years: Mapping[str, object]) -> frozenset[date]:
    """The holidays and make-up days marked ``estimate = true`` (already validated dates)."""
    found: set[date] = set()
    for table in years.values():
        for key in ("holidays", "working_weekend_days"):
            entries = table.get(key, []) if isinstance(table, Mapping) else []
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, Mapping) and entry.get("estimate") is True:
                    found.add(entry["date"])
    return frozenset(found)


def _dates(years: Mapping[str, object], key: str) -> frozenset[date]:
    found: set[date] = set()
    for year, table in years.items():
        entries = table.get(key, []) if isinstance(table, Mapping) else None
        for entry in _list(entries):
            day = entry.get("date") if isinstance(entry, Mapping) else entry
            if not isinstance(day, date) or str(day.year) != str(year):
                problem = f"years.{year}.{key}: {entry!r} is not a date in {year}"
                raise CalendarError(problem, f"years.{year}", key)
            found.add(day)
    return frozenset(found)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problem = f"unknown time zone {name!r} (is tzdata installed?)"
        raise CalendarError(problem, "", "zone") from None


def _list(value: object) -> Iterable[object]:
    if not isinstance(value, list):
        raise CalendarError(f"expected a list, got {value!r}")
    return value


def _weekday(name: object) -> int:
    if name not in WEEKDAYS:
        problem = f"unknown weekday {name!r}; use one of {', '.join(WEEKDAYS)}"
        raise CalendarError(problem, "", "weekend")
    return WEEKDAYS.index(str(name))


def _finish(day: date, cal: WorkCalendar, roll: bool) -> datetime:
    return end_of_day(next_working_day(day, cal) if roll else day, cal)


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise CalendarError(f"naive datetime {instant.isoformat()}: deadlines need aware times")
    return instant
