"""Dates as Vietnamese administrative documents and screens write them.

Times are stored in UTC and shown in Vietnam's time (Asia/Ho_Chi_Minh). The date line of an
official document follows Nghị định 30/2020/NĐ-CP, Phụ lục I: days below 10 and the months
1 and 2 take a leading zero ("ngày 05 tháng 02"), other months do not ("tháng 3").
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

VIETNAM_TZ_NAME = "Asia/Ho_Chi_Minh"


@cache
def vietnam_tz() -> ZoneInfo:
    # Loaded on first use: reading the zone file at import would be IO in the domain layer.
    return ZoneInfo(VIETNAM_TZ_NAME)


def format_date(d: date) -> str:
    """``05/12/2023``. An aware datetime is shown as its date in Vietnam."""
    if isinstance(d, datetime):
        d = to_vietnam_time(d).date()
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def format_datetime(dt_utc: datetime) -> str:
    """``05/12/2023 14:30``, in Vietnam's time."""
    local = to_vietnam_time(dt_utc)
    return f"{format_date(local.date())} {local.hour:02d}:{local.minute:02d}"


def administrative_date_line(place: str, d: date) -> str:
    """Địa danh và thời gian ban hành: ``Bình Thuận, ngày 05 tháng 12 năm 2023``."""
    place = unicodedata.normalize("NFC", place.strip())
    if not place:
        raise ValueError("the date line needs the place name of the issuing body")
    if isinstance(d, datetime):
        d = to_vietnam_time(d).date()
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"{place}, ngày {d.day:02d} tháng {month} năm {d.year}"


def to_vietnam_time(dt: datetime) -> datetime:
    """The same instant in Vietnam's time; a naive datetime is refused, not guessed at."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is needed, got naive {dt.isoformat()}")
    return dt.astimezone(vietnam_tz())
