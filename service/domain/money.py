"""Money as Vietnamese official documents write it: in figures and in words.

``4.680.000 đồng (Bốn triệu sáu trăm tám mươi nghìn đồng)``. Figures group thousands with a dot;
the words follow the usual administrative reading: "mười" / "mươi", "mốt" after a tens digit of
two or more, "lăm" after any tens digit, "linh" for an empty tens place, "không trăm" for an
empty hundreds place inside a larger number, and "tỷ" repeating for very large amounts.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_GROUP_NAMES = ("", "nghìn", "triệu")
_BILLION = 1_000_000_000


def format_money(amount: int) -> str:
    """``4.680.000`` (no currency word)."""
    _check(amount)
    return f"{amount:,}".replace(",", ".")


def money_in_words(amount: int) -> str:
    """``Bốn triệu sáu trăm tám mươi nghìn đồng``: capitalised, ending in "đồng"."""
    _check(amount)
    words = "không" if amount == 0 else _number_words(amount, leading=True)
    return f"{words[0].upper()}{words[1:]} đồng"


def money_line(amount: int) -> str:
    """``4.680.000 đồng (Bốn triệu sáu trăm tám mươi nghìn đồng)``."""
    return f"{format_money(amount)} đồng ({money_in_words(amount)})"


# Mức lương cơ sở as dated data: (in force from, đồng per month, the decree that set it). A
# reward is the award's multiplier times the amount in force on the decision date.
BASE_SALARY: tuple[tuple[date, int, str], ...] = (
    (date(2019, 7, 1), 1_490_000, "Nghị định số 38/2019/NĐ-CP"),
    (date(2023, 7, 1), 1_800_000, "Nghị định số 24/2023/NĐ-CP"),
    (date(2024, 7, 1), 2_340_000, "Nghị định số 73/2024/NĐ-CP"),
)


def base_salary_on(day: date) -> int:
    """The mức lương cơ sở in force on ``day``."""
    amount = None
    for since, value, _basis in BASE_SALARY:
        if since <= day:
            amount = value
    if amount is None:
        raise ValueError(f"no base salary on record for {day.isoformat()}")
    return amount


def reward_amount(multiplier: Decimal, base_salary: int) -> int:
    """Tiền thưởng = hệ số × mức lương cơ sở, rounded to the đồng."""
    value = (Decimal(multiplier) * Decimal(base_salary)).quantize(Decimal(1), ROUND_HALF_UP)
    return int(value)


def _check(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"an amount of money is a whole number of đồng, got {amount!r}")
    if amount < 0:
        raise ValueError(f"an amount of money cannot be negative, got {amount}")


def _number_words(n: int, *, leading: bool) -> str:
    """Words for n > 0. ``leading`` is False when higher digits precede it (so "không trăm")."""
    if n >= _BILLION:
        high, low = divmod(n, _BILLION)
        parts = [_number_words(high, leading=leading), "tỷ"]
        if low:
            parts.append(_number_words(low, leading=False))
        return " ".join(parts)
    groups = [(n // 1000**i) % 1000 for i in range(2, -1, -1)]  # triệu, nghìn, units
    parts: list[str] = []
    for index, group in enumerate(groups):
        if group == 0:
            continue
        parts.append(_group_words(group, full=bool(parts) or not leading))
        name = _GROUP_NAMES[2 - index]
        if name:
            parts.append(name)
    return " ".join(parts)


def _group_words(group: int, *, full: bool) -> str:
    """Words for 1..999; ``full`` reads all three places ("không trăm linh năm")."""
    hundreds, tens, units = group // 100, (group // 10) % 10, group % 10
    words: list[str] = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(_DIGITS[units])
    return " ".join(words)
