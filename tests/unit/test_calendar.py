from datetime import date, timedelta

import pytest

from service.domain.calendar import WorkingCalendar, vietnam_calendar

# The government's 2024 swap: Monday 29/4 off, worked back on Saturday 4/5.
MAKEUP_2024 = date(2024, 5, 4)


@pytest.fixture(scope="module")
def vn2024():
    return vietnam_calendar([2024], makeup_workdays=[MAKEUP_2024])


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2024, 2, 7), True),  # Wednesday before Tết
        (date(2024, 2, 8), False),  # 29 Tết
        (date(2024, 2, 12), False),  # Monday, third day of Tết
        (date(2024, 2, 14), False),  # Wednesday, last day off
        (date(2024, 2, 15), True),  # back to work
        (date(2024, 4, 18), False),  # Giỗ Tổ Hùng Vương
        (date(2024, 4, 29), False),  # bridging day off
        (MAKEUP_2024, True),  # make-up Saturday
        (date(2024, 5, 11), False),  # an ordinary Saturday
        (date(2024, 9, 3), False),  # Quốc khánh, second day
    ],
)
def test_is_working_day(vn2024, day, working):
    assert vn2024.is_working_day(day) is working


def test_tet_2024_stops_the_clock(vn2024):
    assert vn2024.add_working_days(date(2024, 2, 7), 1) == date(2024, 2, 15)
    assert vn2024.working_days_between(date(2024, 2, 7), date(2024, 2, 15)) == 1
    # Five working days to check a dossier received on the eve of Tết.
    assert vn2024.add_working_days(date(2024, 2, 7), 5) == date(2024, 2, 21)


def test_day_zero_is_the_next_working_day(vn2024):
    assert vn2024.add_working_days(date(2024, 2, 10), 0) == date(2024, 2, 15)
    assert vn2024.add_working_days(date(2024, 2, 15), 0) == date(2024, 2, 15)


def test_a_makeup_saturday_counts():
    without = vietnam_calendar([2024])
    with_makeup = vietnam_calendar([2024], makeup_workdays=[MAKEUP_2024])
    friday = date(2024, 5, 3)

    assert without.add_working_days(friday, 1) == date(2024, 5, 6)
    assert with_makeup.add_working_days(friday, 1) == MAKEUP_2024
    assert without.working_days_between(friday, date(2024, 5, 6)) == 1
    assert with_makeup.working_days_between(friday, date(2024, 5, 6)) == 2


def test_a_makeup_day_wins_over_a_listed_day_off():
    calendar = WorkingCalendar({date(2024, 4, 29)}, {date(2024, 4, 29)})

    assert calendar.is_working_day(date(2024, 4, 29))
    assert calendar.working_days_between(date(2024, 4, 26), date(2024, 4, 29)) == 1


def test_five_working_days_from_a_friday():
    calendar = WorkingCalendar(set(), set())

    assert calendar.add_working_days(date(2024, 3, 1), 5) == date(2024, 3, 8)


def test_five_working_days_from_a_friday_across_a_holiday(vn2024):
    # 29/4 (bridging), 30/4 and 1/5 are off; then Thu 2, Fri 3, Sat 4 (make-up), Mon 6, Tue 7.
    assert vn2024.add_working_days(date(2024, 4, 26), 5) == date(2024, 5, 7)


def test_negative_counts_are_refused(vn2024):
    with pytest.raises(ValueError):
        vn2024.add_working_days(date(2024, 3, 1), -1)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2024, 3, 1), date(2024, 3, 1), 0),
        (date(2024, 3, 1), date(2024, 3, 8), 5),
        (date(2024, 3, 8), date(2024, 3, 1), -5),
        (date(2024, 3, 2), date(2024, 3, 3), 0),  # a weekend
        (date(2024, 3, 1), date(2024, 3, 2), 0),  # Friday to Saturday
        (date(2024, 3, 2), date(2024, 3, 4), 1),  # Saturday to Monday
        (date(2024, 2, 7), date(2024, 2, 14), 0),  # all of Tết
        (date(2024, 2, 14), date(2024, 2, 7), 0),
        (date(2023, 12, 29), date(2024, 1, 2), 1),  # across New Year's Day
    ],
)
def test_working_days_between(vn2024, a, b, expected):
    assert vn2024.working_days_between(a, b) == expected


def test_counting_agrees_with_adding_over_a_whole_year(vn2024):
    # The counting uses arithmetic, the adding walks day by day: they must agree everywhere.
    day = date(2024, 1, 1)
    while day.year == 2024:
        start = vn2024.add_working_days(day, 0)
        for n in (0, 1, 5, 20):
            end = vn2024.add_working_days(start, n)
            assert vn2024.working_days_between(start, end) == n
            assert vn2024.working_days_between(end, start) == -n
        walked = sum(vn2024.is_working_day(day + timedelta(days=i)) for i in range(1, 40))
        assert vn2024.working_days_between(day, day + timedelta(days=39)) == walked
        day += timedelta(days=1)


def test_vietnam_calendar_knows_each_year_asked_for():
    calendar = vietnam_calendar(year for year in (2023, 2025))

    assert not calendar.is_working_day(date(2023, 1, 23))  # Tết 2023
    assert not calendar.is_working_day(date(2025, 1, 29))  # Tết 2025
    assert calendar.is_working_day(date(2024, 2, 12))  # 2024 was not asked for
