"""The announced 2026 swaps, 2028, and the days not yet announced (issue 11, point 1).

Every expected date is counted by hand in the comments, on the shipped holidays.toml.
"""

from datetime import date

import pytest

from projections.calendar import CalendarError, add_days, add_working_days, calendar_from_mapping
from tests.unit.projections.builders import calendar, local


def test_friday_2_january_2026_is_off_so_five_working_days_end_a_day_later() -> None:
    # Report Wed 31 Dec 2025. Thu 1 Jan New Year, Fri 2 Jan swapped day off, Sat 3 / Sun 4 weekend;
    # working days Mon 5, Tue 6, Wed 7, Thu 8, Fri 9 -> end of Fri 9 Jan (without the swap: 8 Jan).
    assert add_working_days(local(2025, 12, 31, 10), 5, calendar()) == local(2026, 1, 10)


def test_saturday_10_january_2026_is_worked_so_it_counts() -> None:
    # Report Thu 8 Jan 2026: Fri 9, Sat 10 (worked instead of 2 Jan), Mon 12, Tue 13, Wed 14
    # -> end of Wed 14 Jan (without the worked Saturday: Thu 15).
    assert add_working_days(local(2026, 1, 8, 10), 5, calendar()) == local(2026, 1, 15)


def test_saturday_22_august_2026_is_worked() -> None:
    # Report Thu 20 Aug 2026: Fri 21, Sat 22 (worked), Mon 24, Tue 25, Wed 26 -> end of Wed 26.
    assert add_working_days(local(2026, 8, 20, 10), 5, calendar()) == local(2026, 8, 27)


def test_monday_31_august_2026_is_off_beside_national_day() -> None:
    # Report Wed 26 Aug 2026: Thu 27, Fri 28, (Sat 29, Sun 30), Mon 31 off, Tue 1 and Wed 2 Sep
    # National Day; Thu 3, Fri 4, Mon 7 -> end of Mon 7 Sep (without the swap: Fri 4).
    assert add_working_days(local(2026, 8, 26, 10), 5, calendar()) == local(2026, 9, 8)


def test_a_calendar_day_period_ending_on_a_worked_saturday_does_not_roll() -> None:
    # 20 days after Sun 21 Dec 2025 is Sat 10 Jan 2026, a working day: the period ends there.
    assert add_days(local(2025, 12, 21, 9), 20, calendar()) == local(2026, 1, 11)


def test_2028_is_known_with_its_tet() -> None:
    # Tết Mậu Thân falls on Wed 26 Jan 2028; the estimate gives Mon 24 - Fri 28 Jan off.
    # Report Fri 21 Jan 2028: (Sat 22, Sun 23), 24-28 off, (Sat 29, Sun 30), Mon 31 -> day 1.
    cal = calendar()
    assert cal.covers(date(2028, 6, 1))
    assert add_working_days(local(2028, 1, 21, 10), 1, cal) == local(2028, 2, 1)


def test_estimated_2027_tet_and_national_day_are_marked_uncertain() -> None:
    cal = calendar()
    assert cal.uncertain_between(date(2027, 2, 5), date(2027, 2, 5))  # Tết 2027, estimate
    assert cal.uncertain_between(date(2027, 9, 3), date(2027, 9, 3))  # adjacent day, estimate
    assert not cal.uncertain_between(date(2026, 2, 16), date(2026, 2, 20))  # Tết 2026, announced


def test_24_november_is_recorded_as_undecided_and_counted_as_a_working_day() -> None:
    cal = calendar()
    assert cal.is_working_day(date(2026, 11, 24))  # a Tuesday: not a paid holiday (yet)
    assert cal.uncertain_between(date(2026, 11, 20), date(2026, 11, 30))


def test_a_day_both_off_and_worked_is_refused() -> None:
    data = {
        "years": {
            "2026": {
                "holidays": [{"date": date(2026, 1, 10)}],
                "working_weekend_days": [{"date": date(2026, 1, 10)}],
            }
        }
    }
    with pytest.raises(CalendarError, match="2026-01-10"):
        calendar_from_mapping(data)
