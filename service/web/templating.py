"""Jinja filters and globals: Vietnamese dates, labels, the signed-in principal."""

from __future__ import annotations

from flask import Flask, g

from service.domain.roles import ROLE_LABELS, Role
from service.web.common import vn_date, vn_datetime

HISTORY_LABELS = {
    "dossier.created": "Lập hồ sơ",
    "proposal.added": "Thêm dòng đề nghị",
    "proposal.removed": "Xóa dòng đề nghị",
    "document.uploaded": "Tải lên tài liệu",
    "document.downloaded": "Tải xuống tài liệu",
    "task.claimed": "Nhận xử lý",
    "task.unclaimed": "Trả lại hộp chung",
    "task.completed": "Cho ý kiến xử lý",
}


def init_app(app: Flask) -> None:
    app.add_template_filter(vn_date, "vn_date")
    app.add_template_filter(vn_datetime, "vn_datetime")

    @app.context_processor
    def _globals() -> dict:
        who = g.get("principal")
        return {"me": who, "history_labels": HISTORY_LABELS, "role_labels": ROLE_LABELS,
                "is_admin": bool(who and who.has_role(Role.ADMIN)),
                "is_unit": bool(who and who.has_role(Role.UNIT_OFFICER, Role.UNIT_HEAD))}
