import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from service.domain.dates import (
    administrative_date_line,
    format_date,
    format_datetime,
    to_vietnam_time,
)


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (date(2023, 12, 5), "05/12/2023"),
        (date(2024, 2, 29), "29/02/2024"),
        (date(2025, 7, 1), "01/07/2025"),
    ],
)
def test_format_date(d, text):
    assert format_date(d) == text


def test_format_date_of_an_instant_uses_the_date_in_vietnam():
    assert format_date(datetime(2023, 12, 31, 18, 0, tzinfo=UTC)) == "01/01/2024"


@pytest.mark.parametrize(
    ("dt", "text"),
    [
        (datetime(2023, 12, 5, 7, 30, tzinfo=UTC), "05/12/2023 14:30"),
        (datetime(2023, 12, 31, 17, 5, tzinfo=UTC), "01/01/2024 00:05"),
        (datetime(2024, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=2))), "01/03/2024 14:00"),
    ],
)
def test_format_datetime_is_in_vietnam_time(dt, text):
    assert format_datetime(dt) == text


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        format_datetime(datetime(2023, 12, 5, 7, 30))
    with pytest.raises(ValueError, match="timezone-aware"):
        format_date(datetime(2023, 12, 5, 7, 30))


def test_vietnam_time_is_utc_plus_seven():
    local = to_vietnam_time(datetime(2024, 6, 1, 0, 0, tzinfo=UTC))
    assert local.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize(
    ("d", "line"),
    [
        (date(2023, 12, 5), "Bình Thuận, ngày 05 tháng 12 năm 2023"),
        (date(2024, 1, 9), "Bình Thuận, ngày 09 tháng 01 năm 2024"),
        (date(2024, 2, 14), "Bình Thuận, ngày 14 tháng 02 năm 2024"),
        (date(2024, 3, 1), "Bình Thuận, ngày 01 tháng 3 năm 2024"),
        (date(2024, 9, 30), "Bình Thuận, ngày 30 tháng 9 năm 2024"),
        (date(2024, 10, 10), "Bình Thuận, ngày 10 tháng 10 năm 2024"),
    ],
)
def test_administrative_date_line_pads_as_decree_30_requires(d, line):
    assert administrative_date_line("Bình Thuận", d) == line


def test_administrative_date_line_is_nfc():
    decomposed = unicodedata.normalize("NFD", " Lâm Đồng ")

    line = administrative_date_line(decomposed, date(2025, 7, 1))

    assert line == "Lâm Đồng, ngày 01 tháng 7 năm 2025"
    assert unicodedata.is_normalized("NFC", line)


def test_administrative_date_line_needs_a_place():
    with pytest.raises(ValueError):
        administrative_date_line("  ", date(2024, 3, 1))
