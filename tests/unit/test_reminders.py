"""When a deadline is announced and escalated: 08:00 in Hồ Chí Minh City, in working days."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from service.domain.calendar import WorkingCalendar, vietnam_calendar
from service.domain.reminders import escalate_at, morning_of, remind_at

PLAIN = WorkingCalendar(holidays=())
VN = vietnam_calendar(range(2024, 2027))


def test_the_morning_is_08_00_local_as_naive_utc():
    assert morning_of(date(2025, 12, 3)) == datetime(2025, 12, 3, 1, 0)


@pytest.mark.parametrize(("due", "remind_day"), [
    (date(2025, 12, 5), date(2025, 12, 3)),   # Friday → Wednesday
    (date(2025, 12, 8), date(2025, 12, 4)),   # Monday → the Thursday before
    (date(2025, 12, 7), date(2025, 12, 4)),   # due on a Sunday → Thursday
])
def test_remind_two_working_days_before(due, remind_day):
    now = datetime(2025, 11, 1)
    assert remind_at(PLAIN, due, now) == morning_of(remind_day)


def test_holidays_are_not_working_days():
    # Due Tuesday 2 September 2025 (Quốc khánh, off with Monday 1/9): 2 working days before
    # the 2nd are Thursday 28 and Friday 29 August → the 28th; escalated on Wednesday the 3rd.
    due = date(2025, 9, 2)
    assert remind_at(VN, due, datetime(2025, 8, 1)) == morning_of(date(2025, 8, 28))
    assert escalate_at(VN, due) == morning_of(date(2025, 9, 3))


def test_a_reminder_already_late_goes_now_while_the_due_date_is_ahead():
    due = date(2025, 12, 5)
    now = datetime(2025, 12, 4, 9, 30)  # Thursday 16:30 local
    assert remind_at(PLAIN, due, now) == now
    assert remind_at(PLAIN, due, datetime(2025, 12, 5, 16, 0)) == datetime(2025, 12, 5, 16, 0)
    assert remind_at(PLAIN, due, datetime(2025, 12, 5, 17, 30)) is None  # 00:30 on the 6th


def test_escalate_on_the_first_working_day_after():
    assert escalate_at(PLAIN, date(2025, 12, 5)) == morning_of(date(2025, 12, 8))
    assert escalate_at(PLAIN, date(2025, 12, 3)) == morning_of(date(2025, 12, 4))
