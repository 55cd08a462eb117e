"""Working days against the real 2026 calendar (国务院办公厅 2026 holiday announcement)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mediation.workdays import WorkingCalendar


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def test_national_day_week_2026_is_seven_days_off(calendar: WorkingCalendar) -> None:
    golden_week = [date(2026, 10, 1) + timedelta(days=i) for i in range(7)]
    assert [calendar.is_working_day(day) for day in golden_week] == [False] * 7
    assert calendar.is_working_day(date(2026, 9, 30))
    assert calendar.is_working_day(date(2026, 10, 8))


def test_national_day_make_up_days_are_working_days(calendar: WorkingCalendar) -> None:
    assert calendar.is_working_day(date(2026, 9, 20))  # Sunday, 调休上班
    assert calendar.is_working_day(date(2026, 10, 10))  # Saturday, 调休上班
    assert not calendar.is_working_day(date(2026, 9, 19))  # an ordinary Saturday
    assert not calendar.is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_mid_autumn_friday_2026_is_a_day_off(calendar: WorkingCalendar) -> None:
    assert not calendar.is_working_day(date(2026, 9, 25))


def test_spring_festival_2026_with_its_two_make_up_saturdays(calendar: WorkingCalendar) -> None:
    days_off = [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]  # 15–23 Feb
    assert not any(calendar.is_working_day(day) for day in days_off)
    assert calendar.is_working_day(date(2026, 2, 14))
    assert calendar.is_working_day(date(2026, 2, 28))
    assert calendar.is_working_day(date(2026, 2, 24))


def test_ordinary_weekend_is_not_working(calendar: WorkingCalendar) -> None:
    assert not calendar.is_working_day(date(2026, 6, 6))
    assert not calendar.is_working_day(date(2026, 6, 7))
    assert calendar.is_working_day(date(2026, 6, 8))


def test_next_working_day_after_national_day_eve_is_october_8(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_make_up_saturday_counts_as_a_working_day(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert calendar.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert calendar.add_working_days(date(2026, 10, 10), 1) == date(2026, 10, 12)


def test_spring_festival_make_up_saturday_is_the_next_working_day(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert calendar.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)


def test_forty_five_working_days_across_mid_autumn_and_national_day(
    calendar: WorkingCalendar,
) -> None:
    # Counted by hand: 9/20 (Sun) and 10/10 (Sat) work, 9/25 and 10/1–7 are off.
    assert calendar.add_working_days(date(2026, 9, 15), 45) == date(2026, 11, 23)


def test_start_day_never_counts_even_when_it_is_a_working_day(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.add_working_days(date(2026, 6, 8), 1) == date(2026, 6, 9)
    assert calendar.add_working_days(date(2026, 6, 6), 1) == date(2026, 6, 8)


def test_working_days_between_counts_the_half_open_interval(calendar: WorkingCalendar) -> None:
    assert calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 12)) == 4
    assert calendar.working_days_between(date(2026, 10, 1), date(2026, 10, 7)) == 0
    assert calendar.working_days_between(date(2026, 6, 8), date(2026, 6, 8)) == 0
    assert calendar.working_days_between(date(2026, 6, 9), date(2026, 6, 8)) == 0


def test_working_days_between_inverts_add_working_days(calendar: WorkingCalendar) -> None:
    start = date(2026, 9, 18)
    for n in range(1, 61):
        assert calendar.working_days_between(start, calendar.add_working_days(start, n)) == n


def test_add_working_days_needs_at_least_one_day(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 6, 8), 0)


def test_extra_holiday_closes_a_weekday_and_a_make_up_day() -> None:
    calendar = WorkingCalendar(extra_holidays=[date(2026, 6, 10), date(2026, 10, 10)])
    assert not calendar.is_working_day(date(2026, 6, 10))
    assert not calendar.is_working_day(date(2026, 10, 10))
    assert calendar.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 12)


def test_extra_working_day_opens_a_holiday_and_a_sunday() -> None:
    calendar = WorkingCalendar(extra_working_days=[date(2026, 10, 5), date(2026, 6, 7)])
    assert calendar.is_working_day(date(2026, 10, 5))
    assert calendar.is_working_day(date(2026, 6, 7))
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 5)


def test_a_day_cannot_be_both_extra_holiday_and_extra_working_day() -> None:
    with pytest.raises(ValueError, match="2026-10-10"):
        WorkingCalendar(
            extra_holidays=[date(2026, 10, 10)], extra_working_days=[date(2026, 10, 10)]
        )


def test_make_up_days_are_known_for_2026_but_not_yet_for_2027(
    calendar: WorkingCalendar,
) -> None:
    assert calendar.make_up_days_known(2025)
    assert calendar.make_up_days_known(2026)
    assert not calendar.make_up_days_known(2027)


def test_statutory_holidays_of_2027_are_already_days_off(calendar: WorkingCalendar) -> None:
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert not calendar.is_working_day(date(2027, 10, 1))


def test_staff_entering_a_2027_make_up_saturday_makes_the_year_known() -> None:
    saturday = date(2027, 2, 20)
    assert saturday.weekday() == 5
    calendar = WorkingCalendar(extra_working_days=[saturday])
    assert calendar.make_up_days_known(2027)
    assert calendar.is_working_day(saturday)


def test_an_extra_working_weekday_is_not_a_make_up_day() -> None:
    calendar = WorkingCalendar(extra_working_days=[date(2027, 2, 10)])  # a Wednesday
    assert not calendar.make_up_days_known(2027)
