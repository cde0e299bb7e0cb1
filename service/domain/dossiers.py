"""Dossier rules (hồ sơ đề nghị khen thưởng): states, subjects, decisions.

Pure rules: no Flask, no database, no IO.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from service.domain.i18n import N_


class DossierStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    APPROVED = "approved"
    PARTLY_APPROVED = "partly_approved"
    REJECTED = "rejected"


STATUS_LABELS = {
    DossierStatus.DRAFT: N_("Đang chuẩn bị"),
    DossierStatus.IN_REVIEW: N_("Đang xét duyệt"),
    DossierStatus.RETURNED: N_("Bị trả lại, chờ bổ sung"),
    DossierStatus.APPROVED: N_("Đã phê duyệt"),
    DossierStatus.PARTLY_APPROVED: N_("Phê duyệt một phần"),
    DossierStatus.REJECTED: N_("Không khen thưởng"),
}


class SubjectType(StrEnum):
    COLLECTIVE = "collective"
    INDIVIDUAL = "individual"
    HOUSEHOLD = "household"


SUBJECT_LABELS = {
    SubjectType.COLLECTIVE: N_("Tập thể"),
    SubjectType.INDIVIDUAL: N_("Cá nhân"),
    SubjectType.HOUSEHOLD: N_("Hộ gia đình"),
}


class Outcome(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    NOT_APPROVED = "not_approved"


OUTCOME_LABELS = {
    Outcome.PENDING: N_("Chờ xét"),
    Outcome.APPROVED: N_("Được khen thưởng"),
    Outcome.NOT_APPROVED: N_("Không được khen thưởng"),
}


class Decision(StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"


DECISION_LABELS = {
    Decision.APPROVE: N_("Đồng ý"),
    Decision.RETURN: N_("Trả lại"),
    Decision.REJECT: N_("Từ chối"),
}

# Unit steps: a dossier still there after a return is "returned", otherwise "draft".
UNIT_SCOPE = "unit"


class DossierRuleError(ValueError):
    """A request that breaks a dossier rule; the message is shown to the user."""


def clean_text(value: object, *, field: str, max_length: int, required: bool = True) -> str:
    """Normalise user text to NFC without control characters, within a length limit."""
    text = "" if value is None else str(value)
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = text.strip()
    if required and not text:
        raise DossierRuleError(f"Trường “{field}” không được để trống.")
    if len(text) > max_length:
        raise DossierRuleError(f"Trường “{field}” dài quá {max_length} ký tự.")
    return text


@dataclass(frozen=True)
class ProposalInput:
    subject_type: SubjectType
    name: str
    award_code: str
    summary: str


def award_applies(allowed: str, subject: SubjectType | str) -> bool:
    """Whether an award for ``allowed`` subjects (collective | individual | either) may go to
    ``subject``; a household counts as a collective."""
    subject = SubjectType(subject)
    return allowed in ("either", subject.value) or (
        allowed == "collective" and subject is SubjectType.HOUSEHOLD)


def parse_proposal(raw: dict, award_subjects: dict[str, str]) -> ProposalInput:
    """Validate one proposal line against the award catalogue (code -> subject kind)."""
    if not isinstance(raw, dict):
        raise DossierRuleError("Mỗi dòng đề nghị phải là một đối tượng.")
    try:
        subject = SubjectType(str(raw.get("subject_type", "")))
    except ValueError:
        raise DossierRuleError(
            "Loại đối tượng phải là tập thể, cá nhân hoặc hộ gia đình."
        ) from None
    name = clean_text(raw.get("name"), field="Tên đối tượng", max_length=300)
    award_code = str(raw.get("award_code", "")).strip()
    if award_code not in award_subjects:
        raise DossierRuleError(f"Hình thức khen thưởng “{award_code}” không có trong danh mục.")
    if not award_applies(award_subjects[award_code], subject):
        raise DossierRuleError(
            f"Hình thức “{award_code}” không áp dụng cho {SUBJECT_LABELS[subject].lower()}."
        )
    summary = clean_text(
        raw.get("summary"), field="Tóm tắt thành tích", max_length=4000, required=False
    )
    return ProposalInput(subject, name, award_code, summary)


def status_after_step(*, scope: str | None, was_returned: bool, outcome: str | None,
                      approved_lines: int, total_lines: int) -> DossierStatus:
    """The dossier status once the route waits at a step of ``scope`` or has ended."""
    if outcome == "rejected":
        return DossierStatus.REJECTED
    if outcome == "approved":
        if total_lines and approved_lines < total_lines:
            return DossierStatus.PARTLY_APPROVED if approved_lines else DossierStatus.REJECTED
        return DossierStatus.APPROVED
    if scope == UNIT_SCOPE:
        return DossierStatus.RETURNED if was_returned else DossierStatus.DRAFT
    return DossierStatus.IN_REVIEW
