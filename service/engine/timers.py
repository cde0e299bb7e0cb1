"""Timer expressions a diagram may carry: an ISO 8601 duration or date, as a literal.

SpiffWorkflow evaluates a timer's ``timeDuration``/``timeDate`` text as an expression, then
parses the result as ISO 8601. We accept only text whose value is known when the diagram is
published: a quoted string literal (``'P3D'``) or the bare ISO value that Camunda Modeler and
bpmn.io write (``P3D``), which the registry quotes in the compiled spec. Nothing else (names,
``${...}``, cycles) is accepted, so a timer can never depend on task data or run code.

The limits keep SpiffWorkflow's own arithmetic cheap: it loops once per month of a duration.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

__all__ = ["DURATION", "DATE", "TimerInvalid", "TimerValue", "parse_timer"]

DURATION = "timeDuration"
DATE = "timeDate"
MAX_DURATION_DAYS = 3660  # about ten years
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_TEXT = 100

_DURATION = re.compile(
    r"^P(?=\d|T\d)(?:(?P<years>\d{1,4})Y)?(?:(?P<months>\d{1,4})M)?(?:(?P<weeks>\d{1,4})W)?"
    r"(?:(?P<days>\d{1,5})D)?(?:T(?=\d)(?:(?P<hours>\d{1,6})H)?(?:(?P<minutes>\d{1,7})M)?"
    r"(?:(?P<seconds>\d{1,9})S)?)?$"
)
_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?$"
)
# Days per unit, rounded up, for the size check only.
_DAYS = {"years": 366, "months": 31, "weeks": 7, "days": 1, "hours": 1 / 24,
         "minutes": 1 / 1440, "seconds": 1 / 86400}


class TimerInvalid(Exception):
    """The timer text was refused; ``message`` is Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TimerValue:
    kind: str  # DURATION or DATE
    value: str  # the ISO 8601 text
    quoted: bool  # written as a string literal in the diagram

    @property
    def expression(self) -> str:
        """What the compiled spec holds: always a string literal for the safe evaluator."""
        return repr(self.value)


def _literal(text: str) -> tuple[str, bool]:
    if text[:1] not in ("'", '"'):
        return text, False
    try:
        node = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError):
        raise TimerInvalid("Giá trị hẹn giờ không phải một chuỗi hợp lệ.") from None
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        raise TimerInvalid("Giá trị hẹn giờ không phải một chuỗi hợp lệ.")
    return node.value.strip(), True


def _check_duration(value: str) -> None:
    match = _DURATION.match(value)
    if match is None:
        raise TimerInvalid(
            f"Khoảng thời gian “{value}” không đúng chuẩn ISO 8601 (ví dụ: P5D, PT4H, P1M)."
        )
    parts = {name: int(number) for name, number in match.groupdict().items() if number}
    if "weeks" in parts and {"years", "months", "days"} & parts.keys():
        raise TimerInvalid("Khoảng thời gian theo tuần (W) không được kết hợp với năm, "
                           "tháng hoặc ngày.")
    if sum(_DAYS[name] * number for name, number in parts.items()) > MAX_DURATION_DAYS:
        raise TimerInvalid("Khoảng thời gian hẹn giờ quá dài (tối đa khoảng 10 năm).")
    try:
        TimerEventDefinition.parse_iso_duration(value)  # what the engine will do at run time
    except Exception:
        raise TimerInvalid(f"Khoảng thời gian “{value}” không đọc được.") from None


def _check_date(value: str) -> None:
    if _DATE.match(value) is None:
        raise TimerInvalid(
            f"Thời điểm “{value}” không đúng chuẩn ISO 8601 (ví dụ: 2024-12-31T17:00:00+07:00)."
        )
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        TimerEventDefinition.parse_time_or_duration(value)
    except Exception:
        raise TimerInvalid(f"Thời điểm “{value}” không tồn tại.") from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise TimerInvalid(f"Năm của thời điểm hẹn giờ phải từ {MIN_YEAR} đến {MAX_YEAR}.")


def parse_timer(kind: str, text: str | None) -> TimerValue:
    """Check a ``timeDuration`` or ``timeDate`` text; raise :class:`TimerInvalid` if refused."""
    raw = (text or "").strip()
    if not raw:
        raise TimerInvalid("Sự kiện hẹn giờ chưa có giá trị thời gian.")
    if len(raw) > MAX_TEXT:
        raise TimerInvalid("Giá trị hẹn giờ quá dài.")
    value, quoted = _literal(raw)
    if kind == DURATION:
        _check_duration(value)
    elif kind == DATE:
        _check_date(value)
    else:
        raise TimerInvalid("Chỉ hỗ trợ hẹn giờ theo khoảng thời gian (timeDuration) "
                           "hoặc thời điểm (timeDate).")
    return TimerValue(kind, value, quoted)
