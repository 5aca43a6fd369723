"""Report periods named as people name them, on the province's calendar."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from events.instants import to_millis
from projections.statistics.period import BadPeriod, parse_period

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-01-01..2026-03-31", date(2026, 1, 1), date(2026, 3, 31)),
    ],
)
def test_periods(text: str, first: date, last: date) -> None:
    period = parse_period(text)
    assert (period.first, period.last, period.label) == (first, last, text)


@pytest.mark.parametrize("text", ["2026-H3", "2026-Q5", "26", "2026-03-31..2026-01-01", "x..y"])
def test_a_period_that_cannot_be_read_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(BadPeriod) as refused:
        parse_period(text)
    assert refused.value.reason == "bad_period"


def test_bounds_are_local_midnights() -> None:
    start, end = parse_period("2026-Q1").bounds(ZONE)
    assert start == to_millis(datetime(2025, 12, 31, 17, tzinfo=ZoneInfo("UTC")))
    assert end == to_millis(datetime(2026, 3, 31, 17, tzinfo=ZoneInfo("UTC")))


def test_months_cut_to_the_period() -> None:
    months = parse_period("2026-01-15..2026-03-10").months()
    assert [(m.first, m.last) for m in months] == [
        (date(2026, 1, 15), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 10)),
    ]
