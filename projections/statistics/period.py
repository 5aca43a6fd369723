"""Report periods: a year, a half, a quarter, a month, or ``FIRST..LAST`` (days inclusive).

Days are the province's calendar days; :meth:`Period.bounds` turns them into the epoch
milliseconds of local midnights, the instants the read model compares with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from events.instants import to_millis

_YEAR = re.compile(r"^(\d{4})$")
_PART = re.compile(r"^(\d{4})-([HQ])([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class BadPeriod(ValueError):
    """A period the report cannot understand: ``template`` (English, a message-catalogue key)
    with ``{text}`` standing for what was typed."""

    reason = "bad_period"

    def __init__(self, template: str, text: str) -> None:
        super().__init__(template.format(text=text))
        self.template = template
        self.text = text


@dataclass(frozen=True)
class Period:
    """Calendar days ``first`` to ``last``, both included, and how the user named them."""

    first: date
    last: date
    label: str

    def bounds(self, zone: ZoneInfo) -> tuple[int, int]:
        """Local midnight starting ``first`` and local midnight after ``last``, in epoch ms."""
        return _midnight(self.first, zone), _midnight(self.last + timedelta(days=1), zone)

    def months(self) -> list[Period]:
        """The calendar months (cut to the period) that the trend charts show."""
        found, start = [], self.first
        while start <= self.last:
            following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
            end = min(following - timedelta(days=1), self.last)
            found.append(Period(start, end, f"{start.year}-{start.month:02d}"))
            start = following
        return found


def parse_period(text: str) -> Period:
    """``2026``, ``2026-H1``, ``2026-Q3``, ``2026-03`` or ``2026-01-01..2026-03-31``."""
    text = text.strip()
    try:
        return _parse(text)
    except ValueError as error:
        if isinstance(error, BadPeriod):
            raise
        raise BadPeriod(HELP, text) from error


ENDS_BEFORE_START = "the period {text!r} ends before it starts"
HELP = (
    "cannot read the period {text!r}: write a year (2026), a half (2026-H1), a quarter "
    "(2026-Q2), a month (2026-03) or two days (2026-01-01..2026-03-31)"
)


def _parse(text: str) -> Period:
    if match := _YEAR.match(text):
        year = int(match[1])
        return Period(date(year, 1, 1), date(year, 12, 31), text)
    if match := _PART.match(text):
        year, kind, number = int(match[1]), match[2], int(match[3])
        months = 6 if kind == "H" else 3
        if number > 12 // months:
            raise BadPeriod(HELP, text)
        first = date(year, (number - 1) * months + 1, 1)
        return Period(first, _month_end(year, number * months), text)
    if match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        return Period(date(year, month, 1), _month_end(year, month), text)
    if ".." in text:
        first_text, last_text = text.split("..", 1)
        first, last = date.fromisoformat(first_text), date.fromisoformat(last_text)
        if last < first:
            raise BadPeriod(ENDS_BEFORE_START, text)
        return Period(first, last, text)
    raise BadPeriod(HELP, text)


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _midnight(day: date, zone: ZoneInfo) -> int:
    return to_millis(datetime.combine(day, time(), tzinfo=zone))
