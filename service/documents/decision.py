"""Quyết định khen thưởng (Nghị định 30/2020, Mẫu 1.2): the Chairman's award decision.

Built from plain inputs and the template data in ``templates/decision.json`` (wording, "Căn cứ"
lines per legal regime, signer titles, recipients), so an administrator changes the text
without touching code. Only approved proposal lines reach the decision and its annexed list.

The board attaches a draft of it to its Tờ trình (dự thảo Quyết định): the same text with
``draft=True``, no number and no date yet (blank "Số:      /QĐ-UBND" and "ngày      tháng      năm
2023", of ``year``), and the template's draft marker at the top of page 1.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from service.documents.inputs import normalized
from service.documents.nd30 import (
    Annex,
    AnnexRow,
    Article,
    Column,
    OfficialDocument,
    build_docx,
    date_words,
    document_number,
)
from service.domain.money import money_line, reward_amount

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "templates" / "decision.json"


@dataclass(frozen=True)
class ProposalLine:
    """A proposal line (candidate + award) with the Chairman's outcome."""

    subject_type: str  # collective | individual | household
    name: str
    unit: str  # chức vụ, đơn vị
    award: str  # "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh"
    multiplier: Decimal  # × mức lương cơ sở
    approved: bool


@dataclass(frozen=True)
class DecisionInput:
    province: str  # "Bình Thuận": also the place of the date line
    sequence: int | None  # from the issuing body's register; None on a draft
    date: date | None  # None on a draft: a blank date line of ``year``
    signer_name: str
    signer_role: str  # a key of the template's signer_authority: chairman | vice_chairman
    lines: tuple[ProposalLine, ...]
    submission_number: str  # the board's Tờ trình, "120/TTr-BTĐKT"
    submission_date: date
    base_salary: int  # mức lương cơ sở in force on the decision date, in đồng
    achievement: str  # "phong trào thi đua năm 2023"
    regime_date: date | None = None  # the dossier's receipt date; the decision date if None
    provincial_bases: tuple[str, ...] = ()  # the province's own TĐKT rules, "Căn cứ …;"
    year: int | None = None  # the year of a blank date; required when ``date`` is None
    draft: bool = False  # dự thảo: no number or date, the template's draft marker on page 1


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def legal_bases_for(template: dict[str, Any], on: date) -> tuple[str, ...]:
    """The "Căn cứ" lines of the legal regime in force on ``on``."""
    regimes = sorted(template["regimes"], key=lambda r: r["from"])
    chosen = [r for r in regimes if date.fromisoformat(r["from"]) <= on]
    if not chosen:
        raise ValueError(f"no legal regime in the template covers {on.isoformat()}")
    return tuple(chosen[-1]["legal_bases"])


def decision_document(data: DecisionInput, template: dict[str, Any] | None = None
                      ) -> OfficialDocument:
    t = template if template is not None else load_template()
    data = normalized(data)  # one spelling of each award, however the lines were typed
    approved = [line for line in data.lines if line.approved]
    if not approved:
        raise ValueError("a decision needs at least one approved proposal line")
    if data.draft and (data.sequence is not None or data.date is not None):
        raise ValueError("a draft decision has no number or date yet")
    if data.date is None and data.year is None:
        raise ValueError("a decision without a date needs the year of its blank date line")
    number = document_number(data.sequence, t["type_code"], t["body_code"])
    fields = {
        "province": data.province,
        "province_upper": data.province.upper(),
        "proposer_title": t["proposer_title"],
        "submission_number": data.submission_number,
        "submission_date": date_words(data.submission_date),
        "number": number,
        "date": date_words(data.date, data.year),
    }
    by_award: OrderedDict[str, list[ProposalLine]] = OrderedDict()
    for line in approved:
        by_award.setdefault(line.award, []).append(line)

    # The regime is fixed at the dossier's receipt; a draft has no date of its own yet, and the
    # board's submission it goes with is the nearest date there is.
    bases = (
        *legal_bases_for(t, data.regime_date or data.date or data.submission_date),
        *data.provincial_bases,
        t["proposal_basis"].format_map(fields),
    )
    articles = (
        _award_article(t, by_award, data.achievement),
        _money_article(t, by_award, data.base_salary),
        Article(3, t["articles"]["execution"].format_map(fields)),
    )
    annexes = tuple(
        Annex(
            heading=t["annex"]["heading"].format_map({**fields, "award_upper": award.upper()}),
            guide=t["annex"]["guide"].format_map(fields),
            rows=tuple(AnnexRow(line.name, line.unit, line.award) for line in lines),
            columns=tuple(Column.of(c) for c in t["annex"]["columns"]),
        )
        for award, lines in by_award.items()
    )
    return OfficialDocument(
        kind=t["kind"],
        parent_body=None,
        issuing_body=t["issuing_body"].format_map(fields),
        number=number,
        place=data.province,
        date=data.date,
        year=data.year,
        summary=t["summary"].format_map({"awards": _join(list(by_award))}),
        signer_authority=tuple(t["signer_authority"][data.signer_role]),
        signer_name=data.signer_name,
        recipients=tuple(t["recipients"]),
        archive=t["archive"],
        legal_bases=bases,
        issuer_heading=t["issuer_heading"].format_map(fields),
        enacting_line=t["enacting_line"],
        articles=articles,
        annexes=annexes,
        draft_marker=t["draft_marker"] if data.draft else None,
    )


def build_decision_docx(data: DecisionInput, template: dict[str, Any] | None = None) -> bytes:
    return build_docx(decision_document(data, template))


def _award_article(t, by_award, achievement: str) -> Article:
    sentences = []
    for award, lines in by_award.items():
        counts = _join([
            f"{sum(1 for line in lines if line.subject_type == kind)} {noun}"
            for kind, noun in t["subjects"].items()
            if any(line.subject_type == kind for line in lines)
        ])
        sentences.append(t["articles"]["award"].format_map(
            {"award": award, "counts": counts, "achievement": achievement}))
    return _numbered(1, sentences)


def _money_article(t, by_award, base_salary: int) -> Article:
    sentences = []
    for award, lines in by_award.items():
        seen: OrderedDict[tuple[str, Decimal], None] = OrderedDict()
        for line in lines:
            seen[(line.subject_type, line.multiplier)] = None
        for kind, multiplier in seen:
            sentences.append(t["articles"]["money"].format_map({
                "subject": t["subjects"][kind],
                "award": award,
                "multiplier": _decimal_vi(multiplier),
                "base_salary": f"{base_salary:,}".replace(",", "."),
                "amount": money_line(reward_amount(multiplier, base_salary)),
            }))
    sentences.append(t["articles"]["money_source"])
    return _numbered(2, sentences, numbered=len(sentences) > 2)


def _numbered(number: int, sentences: list[str], *, numbered: bool | None = None) -> Article:
    if numbered is None:
        numbered = len(sentences) > 1
    if not numbered:
        return Article(number, " ".join(sentences))
    return Article(number, "", tuple(f"{i}. {s}" for i, s in enumerate(sentences, start=1)))


def _decimal_vi(value: Decimal) -> str:
    """``1,5``: Vietnamese decimal comma; whole numbers keep one decimal as in the decree tables."""
    return f"{Decimal(value):.1f}".replace(".", ",")


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} và {items[-1]}"
