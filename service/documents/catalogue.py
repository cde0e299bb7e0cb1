"""The papers the service generates, in one registry: what each is made from and of.

Every paper is a pure ``build(data, template) -> OfficialDocument`` over a frozen input and its
template's JSON (``templates/<template>.json``); ``render`` turns it into .docx bytes. The draft
decision is made from the decision's own template, so the two never say different things;
every other paper has a template of its own. Each kind carries a specimen input, a complete
sample that an edited template is rendered with before it is published.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.documents import specimens
from service.documents.achievement_report import achievement_report
from service.documents.decision import DecisionInput, decision_document
from service.documents.inputs import (
    AchievementReportInput,
    AppraisalInput,
    AwardNoticeInput,
    BoardSubmissionInput,
    ClusterMinutesInput,
    ClusterSubmissionInput,
)
from service.documents.nd30 import OfficialDocument, build_docx
from service.documents.route_papers import (
    appraisal,
    award_notice,
    board_submission,
    cluster_minutes,
    cluster_submission,
    draft_decision,
)
from service.domain.i18n import N_

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True)
class PaperKind:
    name: str  # "cluster_minutes"
    template: str  # the stem of its file in templates/: its name, or "decision" for the draft
    document_kind: str  # a key of service/domain/documents.py DOCUMENT_KINDS
    title: str  # Vietnamese display name
    type_code: str  # register code with the issuer's body code: "BB", "TTr", "BC", "QĐ", "TB"
    input_type: type
    build: Callable[[Any, dict], OfficialDocument]
    specimen: Callable[[], Any]


PAPERS: dict[str, PaperKind] = {kind.name: kind for kind in (
    PaperKind("cluster_minutes", "cluster_minutes", "cluster_minutes",
              N_("Biên bản họp bình xét của Cụm/Khối"), "BB", ClusterMinutesInput,
              cluster_minutes, specimens.cluster_minutes),
    PaperKind("cluster_submission", "cluster_submission", "cluster_submission",
              N_("Tờ trình của Cụm/Khối"), "TTr", ClusterSubmissionInput, cluster_submission,
              specimens.cluster_submission),
    PaperKind("appraisal", "appraisal", "appraisal", N_("Báo cáo thẩm định"), "BC",
              AppraisalInput, appraisal, specimens.appraisal),
    PaperKind("board_submission", "board_submission", "board_submission",
              N_("Tờ trình của Ban TĐKT"), "TTr", BoardSubmissionInput, board_submission,
              specimens.board_submission),
    PaperKind("draft_decision", "decision", "draft_decision", N_("Dự thảo Quyết định"), "QĐ",
              DecisionInput, draft_decision, specimens.draft_decision),
    PaperKind("decision", "decision", "decision", N_("Quyết định khen thưởng"), "QĐ",
              DecisionInput, decision_document, specimens.decision),
    PaperKind("award_notice", "award_notice", "award_notice",
              N_("Thông báo kết quả xét khen thưởng"), "TB", AwardNoticeInput, award_notice,
              specimens.award_notice),
    # Báo cáo thành tích are the unit's own papers and take no number; "BC" is their kind.
    PaperKind("achievement_report_collective", "achievement_report_collective", "report",
              N_("Báo cáo thành tích của tập thể"), "BC", AchievementReportInput,
              achievement_report, specimens.achievement_report_collective),
    PaperKind("achievement_report_individual", "achievement_report_individual", "report",
              N_("Báo cáo thành tích của cá nhân"), "BC", AchievementReportInput,
              achievement_report, specimens.achievement_report_individual),
)}


def render(name: str, data: Any, template: dict) -> bytes:
    """The .docx bytes of paper ``name`` made from ``data`` with ``template``."""
    kind = _kind(name)
    if not isinstance(data, kind.input_type):
        raise TypeError(f"{name} is made from a {kind.input_type.__name__}, "
                        f"got a {type(data).__name__}")
    if template.get("template") != kind.template:
        raise ValueError(f"{name} is made from the {kind.template!r} template, "
                         f"got {template.get('template')!r}")
    return build_docx(kind.build(data, template))


def bundled_template(name: str) -> dict:
    """``templates/<name>.json`` as shipped; a paper's name gives its template's."""
    if name not in {kind.template for kind in PAPERS.values()}:
        name = _kind(name).template
    return json.loads((TEMPLATES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _kind(name: str) -> PaperKind:
    try:
        return PAPERS[name]
    except KeyError:
        raise LookupError(f"no paper called {name!r}; known: {sorted(PAPERS)}") from None
