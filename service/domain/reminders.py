"""When a step's deadline is announced (nhắc hạn) and when it is escalated (báo quá hạn).

A step with a due date gets two background jobs: a reminder on the morning of the working day
two working days before the due date, and an escalation on the morning of the first working
day after it. Times are 08:00 in Asia/Ho_Chi_Minh, returned as naive UTC (as stored).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from service.domain.calendar import WorkingCalendar

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MORNING = time(8, 0)
REMIND_WORKING_DAYS_BEFORE = 2
_ONE_DAY = timedelta(days=1)


def morning_of(day: date) -> datetime:
    """08:00 local time of ``day`` as naive UTC."""
    local = datetime.combine(day, MORNING, tzinfo=LOCAL_TZ)
    return local.astimezone(UTC).replace(tzinfo=None)


def working_days_before(calendar: WorkingCalendar, due_on: date, n: int) -> date:
    """The working day ``n`` working days before ``due_on`` (a Friday due date, n=2: the
    Wednesday; a Monday: the Thursday before)."""
    day = due_on
    for _ in range(n):
        day -= _ONE_DAY
        while not calendar.is_working_day(day):
            day -= _ONE_DAY
    return day


def first_working_day_after(calendar: WorkingCalendar, due_on: date) -> date:
    day = due_on + _ONE_DAY
    while not calendar.is_working_day(day):
        day += _ONE_DAY
    return day


def remind_at(calendar: WorkingCalendar, due_on: date, now: datetime) -> datetime | None:
    """When to remind (naive UTC): the planned morning, or ``now`` if that has passed while
    the due date has not; None once the due date itself is over (the escalation follows)."""
    planned = morning_of(working_days_before(calendar, due_on, REMIND_WORKING_DAYS_BEFORE))
    if planned > now:
        return planned
    today = now.replace(tzinfo=UTC).astimezone(LOCAL_TZ).date()
    return now if today <= due_on else None


def escalate_at(calendar: WorkingCalendar, due_on: date) -> datetime:
    """The morning of the first working day after the due date (naive UTC)."""
    return morning_of(first_working_day_after(calendar, due_on))
