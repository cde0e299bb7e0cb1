"""Kinds of document a dossier holds (loại tài liệu), with their Vietnamese names."""

from __future__ import annotations

from service.domain.i18n import N_

DOCUMENT_KINDS = {
    "report": N_("Báo cáo thành tích"),
    "self_score": N_("Bảng tự chấm điểm"),
    "unit_minutes": N_("Biên bản họp Hội đồng TĐKT đơn vị"),
    "submission": N_("Tờ trình"),
    "cluster_minutes": N_("Biên bản họp bình xét của Cụm/Khối"),
    "appraisal": N_("Báo cáo thẩm định"),
    "decision": N_("Quyết định khen thưởng"),
    "attachment": N_("Tài liệu kèm theo"),
    "cluster_submission": N_("Tờ trình của Cụm/Khối"),
    "board_submission": N_("Tờ trình của Ban TĐKT"),
    "draft_decision": N_("Dự thảo Quyết định"),
    "award_notice": N_("Thông báo kết quả xét khen thưởng"),
}

# The papers the service writes itself when a step approves (``tdkt:document use="generates"``
# in a diagram); every other kind is uploaded.
GENERATED_KINDS = frozenset({
    "cluster_minutes", "cluster_submission", "appraisal", "board_submission", "draft_decision",
    "decision", "award_notice",
})
