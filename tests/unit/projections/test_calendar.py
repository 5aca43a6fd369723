"""Deadline arithmetic on the Vietnamese calendar."""

from datetime import UTC, date, datetime

import pytest

from projections.calendar import (
    CalendarError,
    add_days,
    add_hours,
    add_months,
    add_working_days,
    calendar_from_mapping,
    missing_years,
    shift_months,
)
from tests.unit.projections.builders import calendar, local


def test_working_days_skip_the_weekend() -> None:
    friday = local(2026, 3, 6, 15)
    assert add_working_days(friday, 1, calendar()) == local(2026, 3, 10)  # end of Monday 9


def test_working_days_skip_30_april_and_1_may() -> None:
    wednesday = local(2026, 4, 29, 10)
    # 30 Apr (Thu) and 1 May (Fri) are holidays, then the weekend: Monday 4 May is day one.
    assert add_working_days(wednesday, 1, calendar()) == local(2026, 5, 5)


def test_working_days_skip_tet() -> None:
    friday_before_tet = local(2026, 2, 13, 9)
    # 16-20 Feb 2026 are Tết holidays: day one is Monday 23, day two Tuesday 24.
    assert add_working_days(friday_before_tet, 2, calendar()) == local(2026, 2, 25)


def test_make_up_saturday_counts_as_working_day() -> None:
    friday = local(2025, 4, 25, 9)
    assert add_working_days(friday, 1, calendar()) == local(2025, 4, 27)  # end of Sat 26 Apr


def test_an_event_on_a_holiday_counts_from_the_next_working_day() -> None:
    national_day = local(2026, 9, 2, 9)
    assert add_working_days(national_day, 1, calendar()) == local(2026, 9, 4)  # end of Thu 3


def test_hours_run_through_nights_and_weekends() -> None:
    saturday_night = local(2026, 3, 7, 22)
    assert add_hours(saturday_night, 12) == local(2026, 3, 8, 10)


def test_calendar_days_do_not_count_the_first_day_and_end_at_midnight() -> None:
    assert add_days(local(2026, 3, 2, 9), 15, calendar()) == local(2026, 3, 18)


def test_calendar_days_ending_on_a_rest_day_roll_to_the_next_working_day() -> None:
    # 20 days after 2 March is Sunday 22 March.
    assert add_days(local(2026, 3, 2, 9), 20, calendar()) == local(2026, 3, 24)


def test_calendar_days_do_not_roll_when_asked_not_to() -> None:
    assert add_days(local(2026, 3, 2, 9), 20, calendar(), roll=False) == local(2026, 3, 23)


def test_months_end_on_the_corresponding_day() -> None:
    assert add_months(local(2026, 3, 3, 9), 3, calendar()) == local(2026, 6, 4)


def test_months_clamp_to_the_end_of_a_shorter_month() -> None:
    assert shift_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert shift_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_local_date_is_used_not_the_utc_date() -> None:
    # 06:00 local on 3 March is still 2 March in UTC; the local day is the one not counted.
    assert add_days(local(2026, 3, 3, 6), 1, calendar()) == local(2026, 3, 5)


def test_shipped_calendar_covers_2025_to_2027() -> None:
    assert all(calendar().covers(date(year, 6, 1)) for year in (2025, 2026, 2027))


def test_a_malformed_holiday_is_refused() -> None:
    with pytest.raises(CalendarError, match=r"years\.2026\.holidays"):
        calendar_from_mapping({"years": {"2026": {"holidays": [{"date": date(2025, 1, 1)}]}}})


def test_an_unknown_weekday_is_refused() -> None:
    with pytest.raises(CalendarError, match="unknown weekday"):
        calendar_from_mapping({"weekend": ["caturday"]})


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(CalendarError, match="unknown time zone"):
        calendar_from_mapping({"zone": "Asia/Atlantis"})


def test_missing_years_are_this_year_and_next_without_holidays() -> None:
    only_2026 = calendar_from_mapping({"weekend": ["saturday", "sunday"], "years": {"2026": {}}})
    assert missing_years(only_2026, local(2026, 3, 2, 9)) == [2027]
    assert missing_years(only_2026, local(2027, 1, 4, 9)) == [2027, 2028]


def test_the_shipped_calendar_covers_the_year_its_deadlines_run_into() -> None:
    assert missing_years(calendar(), local(2026, 11, 29, 9)) == []


def test_the_new_year_is_the_province_s_not_utc() -> None:
    only_2026 = calendar_from_mapping({"weekend": ["saturday", "sunday"], "years": {"2026": {}}})
    # 31 Dec 2025, 20:00 UTC is already 1 Jan 2026 in Vietnam.
    new_year_local = datetime(2025, 12, 31, 20, tzinfo=UTC)
    assert missing_years(only_2026, new_year_local) == [2027]
