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
}
