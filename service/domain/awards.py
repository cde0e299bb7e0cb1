"""The provincial award catalogue (danh mục hình thức khen thưởng cấp tỉnh).

These are defaults loaded into the ``award_type`` table; the table is the source of truth,
so a province can change thresholds and multipliers as dated data with a legal basis.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class AwardDefault:
    code: str
    name: str
    subject: str  # collective | individual | either
    ballot_threshold: Decimal | None  # share of the council's total membership
    multiplier: Decimal  # × base salary; for a collective when the subjects differ
    legal_basis: str
    valid_from: date
    # Where an individual or a household is rewarded differently from a collective.
    subject_multipliers: tuple[tuple[str, Decimal], ...] = ()


DEFAULT_AWARDS: tuple[AwardDefault, ...] = (
    AwardDefault("CO_TD_TINH", "Cờ thi đua của UBND tỉnh", "collective", Decimal("0.80"),
                 Decimal("8.0"), "Luật TĐKT; NĐ 91/2017/NĐ-CP", date(2017, 10, 1)),
    AwardDefault("TTLDXS", "Tập thể lao động xuất sắc", "collective", None,
                 Decimal("1.5"), "Luật TĐKT; NĐ 91/2017/NĐ-CP", date(2017, 10, 1)),
    AwardDefault("CSTD_TINH", "Chiến sĩ thi đua cấp tỉnh", "individual", Decimal("0.90"),
                 Decimal("3.0"), "Luật TĐKT; NĐ 91/2017/NĐ-CP", date(2017, 10, 1)),
    # Tập thể 3,0; cá nhân 1,0; hộ gia đình 1,5 × the individual's amount.
    AwardDefault("BK_CT_UBND", "Bằng khen của Chủ tịch UBND tỉnh", "either", None,
                 Decimal("3.0"), "Luật TĐKT; NĐ 91/2017/NĐ-CP", date(2017, 10, 1),
                 (("individual", Decimal("1.0")), ("household", Decimal("1.5")))),
    # Tập thể 0,6; cá nhân 0,3.
    AwardDefault("GIAY_KHEN", "Giấy khen", "either", None,
                 Decimal("0.6"), "Luật TĐKT; NĐ 91/2017/NĐ-CP", date(2017, 10, 1),
                 (("individual", Decimal("0.3")), ("household", Decimal("0.45")))),
)


def subject_multipliers_json(award: AwardDefault) -> str | None:
    """How ``award_type.subject_multipliers`` stores them: {"individual": "1.0", …}."""
    if not award.subject_multipliers:
        return None
    return json.dumps({subject: str(value) for subject, value in award.subject_multipliers},
                      sort_keys=True)
