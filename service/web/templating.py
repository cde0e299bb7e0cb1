"""Jinja filters and globals: Vietnamese dates, translated labels, the language switch, the
signed-in principal."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app, g, request, url_for
from flask_babel import get_locale, gettext
from werkzeug.exceptions import HTTPException

from service.domain.documents import DOCUMENT_KINDS
from service.domain.i18n import N_
from service.domain.roles import ROLE_LABELS, Role
from service.usecases import campaigns as campaigns_uc
from service.web.common import vn_date, vn_datetime
from service.web.extensions import unit_of_work

HISTORY_LABELS = {
    "dossier.created": N_("Lập hồ sơ"),
    "proposal.added": N_("Thêm dòng đề nghị"),
    "proposal.removed": N_("Xóa dòng đề nghị"),
    "document.uploaded": N_("Tải lên tài liệu"),
    "document.downloaded": N_("Tải xuống tài liệu"),
    "task.claimed": N_("Nhận xử lý"),
    "task.unclaimed": N_("Trả lại hộp chung"),
    "task.completed": N_("Cho ý kiến xử lý"),
    "document.generated": N_("Hệ thống lập văn bản"),
    "job.failed": N_("Lập văn bản không thành công"),
    "job.retried": N_("Chạy lại việc nền"),
    "audit.trail_report": N_("Lập báo cáo nhật ký hồ sơ"),
    "task.reassigned": N_("Giao lại công việc"),
    "deadline.reminded": N_("Nhắc hạn xử lý"),
    "deadline.escalated": N_("Báo quá hạn xử lý"),
    "user.created": N_("Tạo tài khoản"),
    "user.activated": N_("Mở khóa tài khoản"),
    "user.deactivated": N_("Khóa tài khoản"),
    "role.granted": N_("Giao vai trò"),
    "role.revoked": N_("Thu hồi vai trò"),
    "freeze.created": N_("Tạm dừng xét khen thưởng"),
    "freeze.lifted": N_("Chấm dứt tạm dừng xét khen thưởng"),
    "council.session_opened": N_("Mở phiên họp Hội đồng TĐKT"),
    "council.votes_recorded": N_("Ghi nhận phiếu của Hội đồng TĐKT"),
    "council.session_closed": N_("Kết thúc phiên họp Hội đồng TĐKT"),
    "cluster.table_set": N_("Đặt bảng chấm điểm của Cụm/Khối"),
    "cluster.self_scored": N_("Đơn vị tự chấm điểm thi đua"),
    "cluster.scores_checked": N_("Cụm/Khối chấm chéo điểm thi đua"),
    "cluster.ballot_opened": N_("Mở bỏ phiếu suy tôn đơn vị dẫn đầu"),
    "cluster.ballot_recorded": N_("Ghi kết quả kiểm phiếu suy tôn"),
    "cluster.ballot_closed": N_("Kết thúc bỏ phiếu suy tôn đơn vị dẫn đầu"),
}


def label(text: object) -> object:
    """A Vietnamese label kept in Python (marked with ``N_``) in the language of the page.

    A label the catalogue does not know (a step name from a process model) stays as it is.
    """
    if not isinstance(text, str) or not text:
        return text  # gettext("") would answer with the catalogue's header
    return gettext(text)


def document_kind(kind: str) -> str:
    """The name of a kind of document in the language of the page."""
    return label(DOCUMENT_KINDS.get(kind, kind))


def lang_url(lang: str) -> str:
    """This page in another language: same path and query, ``lang`` set.

    A page answering a POST whose address has no GET (an error after a form) switches on the
    inbox instead.
    """
    path = request.path
    if request.method not in ("GET", "HEAD"):
        try:
            current_app.url_map.bind_to_environ(request.environ).match(path, method="GET")
        except HTTPException:
            return url_for("inbox.index", lang=lang)
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return f"{request.script_root}{path}?{urlencode([*query, ('lang', lang)])}"


NAV_CAMPAIGNS = 5


def nav_campaigns(campaigns: list) -> list:
    """The campaigns the navbar links to, from a list a page has already read (deadline
    order, newest first): a view that passes them as ``route_campaigns`` saves the query."""
    return list(campaigns)[:NAV_CAMPAIGNS]


class RouteCampaigns:
    """The campaigns the navbar links to (their route pages), read only if a page shows them
    and its view did not pass them; read once per rendered page."""

    def __init__(self) -> None:
        self._items: list | None = None

    def _load(self) -> list:
        if self._items is None:
            with unit_of_work(write=False) as uow:
                self._items = nav_campaigns(campaigns_uc.list_campaigns(uow))
        return self._items

    def __iter__(self):
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __getitem__(self, index: int):
        return self._load()[index]


def init_app(app: Flask) -> None:
    app.add_template_filter(vn_date, "vn_date")
    app.add_template_filter(vn_datetime, "vn_datetime")
    app.add_template_filter(label, "label")
    app.add_template_filter(document_kind, "document_kind")
    app.add_template_global(lang_url, "lang_url")

    @app.context_processor
    def _globals() -> dict:
        who = g.get("principal")
        return {"me": who, "history_labels": HISTORY_LABELS, "role_labels": ROLE_LABELS,
                "current_lang": str(get_locale() or "vi"),
                "document_kinds": DOCUMENT_KINDS,
                "is_admin": bool(who and who.has_role(Role.ADMIN)),
                "route_campaigns": RouteCampaigns() if who else [],
                "is_unit": bool(who and who.has_role(Role.UNIT_OFFICER, Role.UNIT_HEAD))}
