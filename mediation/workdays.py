"""Chinese working days (工作日), the unit every complaint-handling deadline is counted in.

A working day is not simply Monday to Friday: statutory holidays close weekdays, and the
State Council's yearly announcement moves some weekends into make-up working days (调休上班).
The `holidays` package maintains both lists, so nothing is hard-coded here. The announcement
for the next year usually appears in November or December; until the package ships it, staff
apply it through the override lists (extra holidays, extra working days), which always win
over the package. `make_up_days_known` lets the bot warn staff while a year is still unknown;
for such a year the package only has the statutory days and its own guesses for weekend
holidays moved to Monday, and no make-up working days at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import holidays

_SATURDAY = 5
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class _YearCalendar:
    days_off: frozenset[date]  # statutory holidays and moved days off on weekdays or weekends
    make_up_days: frozenset[date]  # weekend days that are working days (调休上班)


def _load_year(year: int) -> _YearCalendar:
    china = holidays.China(years=year)
    return _YearCalendar(
        days_off=frozenset(day for day in china if day.year == year),
        make_up_days=frozenset(day for day in china.weekend_workdays if day.year == year),
    )


class WorkingCalendar:
    """Working days in mainland China: the `holidays` package plus local overrides."""

    def __init__(
        self,
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ) -> None:
        self._extra_holidays = frozenset(extra_holidays)
        self._extra_working_days = frozenset(extra_working_days)
        both = self._extra_holidays & self._extra_working_days
        if both:
            listed = ", ".join(day.isoformat() for day in sorted(both))
            raise ValueError(f"days listed both as holiday and as working day: {listed}")
        self._years: dict[int, _YearCalendar] = {}

    def _year(self, year: int) -> _YearCalendar:
        known = self._years.get(year)
        if known is None:
            known = self._years[year] = _load_year(year)
        return known

    def is_working_day(self, day: date) -> bool:
        """Overrides first, then the announced make-up days, holidays and weekends."""
        if day in self._extra_working_days:
            return True
        if day in self._extra_holidays:
            return False
        year = self._year(day.year)
        if day.weekday() >= _SATURDAY:
            return day in year.make_up_days
        return day not in year.days_off

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after `start` (n >= 1); `start` itself never counts."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        day = start
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall in (start, end]; 0 when `end` is not after `start`."""
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            if self.is_working_day(day):
                count += 1
            day += _ONE_DAY
        return count

    def make_up_days_known(self, year: int) -> bool:
        """Whether the make-up working days of `year` are known, from the package or overrides.

        Every year the package covers (2001 onwards) has make-up days, so a year without any is
        a year whose announcement has not reached us yet.
        """
        if self._year(year).make_up_days:
            return True
        return any(
            day.year == year and day.weekday() >= _SATURDAY for day in self._extra_working_days
        )
