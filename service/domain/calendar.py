"""The working-day calendar (lịch ngày làm việc) that time limits are counted in.

Appraisal and notification deadlines run in working days: Monday to Friday, less public
holidays, plus the Saturdays that the government declares working days to make up for a
bridging day off (ngày làm bù). The ``holidays`` package knows the public holidays and the
bridging days off, but not the make-up Saturdays: those come from our own data.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, timedelta

import holidays as holiday_data

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


class WorkingCalendar:
    """Working days for the years whose holidays it was given.

    A date in a year it holds no holidays for counts by the weekday alone, so build the
    calendar for every year a deadline may reach.
    """

    def __init__(self, holidays: Iterable[date], makeup_workdays: Iterable[date] = ()) -> None:
        self.holidays = frozenset(holidays)
        self.makeup_workdays = frozenset(makeup_workdays)
        # A declared make-up day is worked even if it is also listed as a day off.
        self._lost = sorted(
            d for d in self.holidays if d.weekday() < _SATURDAY and d not in self.makeup_workdays
        )
        self._gained = sorted(d for d in self.makeup_workdays if d.weekday() >= _SATURDAY)

    def is_working_day(self, d: date) -> bool:
        if d in self.makeup_workdays:
            return True
        return d.weekday() < _SATURDAY and d not in self.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day counted from ``start``.

        Day 0 is ``start`` itself when it is a working day, else the next working day, so a
        dossier received on a Sunday starts its clock on Monday.
        """
        if n < 0:
            raise ValueError(f"cannot count a negative number of working days: {n}")
        day = start
        while not self.is_working_day(day):
            day += _ONE_DAY
        for _ in range(n):
            day += _ONE_DAY
            while not self.is_working_day(day):
                day += _ONE_DAY
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after ``a`` up to and including ``b``; negative when ``b`` is earlier.

        ``working_days_between(received, today)`` is how many working days have been used.
        """
        if b < a:
            return -self.working_days_between(b, a)
        return (
            _weekdays_through(b)
            - _weekdays_through(a)
            - (bisect_right(self._lost, b) - bisect_right(self._lost, a))
            + (bisect_right(self._gained, b) - bisect_right(self._gained, a))
        )


def vietnam_calendar(years: Iterable[int], makeup_workdays: Iterable[date] = ()) -> WorkingCalendar:
    """Vietnam's public holidays for ``years`` (Tết by the lunar calendar, Giỗ Tổ Hùng Vương,
    30/4, 1/5, Quốc khánh, and the substituted days off), with the given make-up days."""
    public = holiday_data.country_holidays("VN", years=sorted(set(years)))
    return WorkingCalendar(public.keys(), makeup_workdays)


def _weekdays_through(d: date) -> int:
    """Mondays to Fridays from 1 January of year 1 (a Monday) up to and including ``d``."""
    weeks, days = divmod(d.toordinal(), 7)
    return weeks * 5 + min(days, 5)
