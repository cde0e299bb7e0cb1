from datetime import date
from decimal import Decimal

import pytest

from service.domain.money import (
    base_salary_on,
    format_money,
    money_in_words,
    money_line,
    reward_amount,
)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (5, "Năm đồng"),
        (10, "Mười đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (25, "Hai mươi lăm đồng"),
        (105, "Một trăm linh năm đồng"),
        (110, "Một trăm mười đồng"),
        (1_000, "Một nghìn đồng"),
        (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
        (1_800_000, "Một triệu tám trăm nghìn đồng"),
        (2_340_000, "Hai triệu ba trăm bốn mươi nghìn đồng"),
        (4_680_000, "Bốn triệu sáu trăm tám mươi nghìn đồng"),
        (18_720_000, "Mười tám triệu bảy trăm hai mươi nghìn đồng"),
        (1_000_000_000, "Một tỷ đồng"),
        (2_000_050_000, "Hai tỷ không trăm năm mươi nghìn đồng"),
        (1_000_000_000_000, "Một nghìn tỷ đồng"),
    ],
)
def test_money_in_words(amount, words):
    assert money_in_words(amount) == words


@pytest.mark.parametrize(
    ("amount", "figures"),
    [(0, "0"), (999, "999"), (4_680_000, "4.680.000"), (1_000_000_000, "1.000.000.000")],
)
def test_format_money_groups_thousands_with_dots(amount, figures):
    assert format_money(amount) == figures


def test_money_line_has_figures_and_words():
    assert money_line(4_680_000) == "4.680.000 đồng (Bốn triệu sáu trăm tám mươi nghìn đồng)"


@pytest.mark.parametrize(
    ("multiplier", "base", "amount"),
    [("3.0", 2_340_000, 7_020_000), ("1.5", 1_800_000, 2_700_000), ("0.3", 2_340_000, 702_000)],
)
def test_reward_amount_is_multiplier_times_base_salary(multiplier, base, amount):
    assert reward_amount(Decimal(multiplier), base) == amount


@pytest.mark.parametrize("bad", [-1, 1.5, True, "100"])
def test_bad_amounts_are_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        money_in_words(bad)


@pytest.mark.parametrize(("day", "amount"), [
    (date(2023, 6, 30), 1_490_000),
    (date(2023, 7, 1), 1_800_000),
    (date(2023, 12, 5), 1_800_000),
    (date(2024, 7, 1), 2_340_000),
    (date(2026, 11, 27), 2_340_000),
])
def test_base_salary_is_the_one_in_force_on_the_day(day, amount):
    assert base_salary_on(day) == amount


def test_no_base_salary_before_the_first_on_record():
    with pytest.raises(ValueError):
        base_salary_on(date(2010, 1, 1))
