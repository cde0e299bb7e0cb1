"""The campaign dashboard (bảng tổng hợp): its page, its spreadsheet and its JSON."""

from __future__ import annotations

import hashlib
import io

from flask import Blueprint, render_template
from flask_babel import gettext
from openpyxl import Workbook

from service.audit.export import neutralise
from service.domain.dossiers import STATUS_LABELS, DossierStatus
from service.usecases import dashboard as dashboard_uc
from service.usecases.documents import Download
from service.web.common import login_required, principal
from service.web.dossiers import attachment_response
from service.web.extensions import unit_of_work

bp = Blueprint("dashboard", __name__, url_prefix="/campaigns")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Width in SVG user units of the longest bar of a chart.
BAR_SPACE = 220


@bp.route("/<int:campaign_id>/dashboard")
@login_required
def page(campaign_id: int):
    with unit_of_work(write=False) as uow:
        result = dashboard_uc.campaign_dashboard(uow, principal(), campaign_id)
        award_max = max([a.proposed for a in result.awards] or [0]) or 1
        step_max = max([s.waiting for s in result.steps] or [0]) or 1
        return render_template(
            "campaigns/dashboard.html", d=result, statuses=list(DossierStatus),
            status_labels=STATUS_LABELS, award_max=award_max, step_max=step_max,
            bar_space=BAR_SPACE)


@bp.route("/<int:campaign_id>/dashboard.xlsx")
@login_required
def workbook(campaign_id: int):
    with unit_of_work(write=False) as uow:
        result = dashboard_uc.campaign_dashboard(uow, principal(), campaign_id)
        data = dashboard_xlsx(result)
    name = f"tong-hop-{result.campaign.code}-{result.today.isoformat()}.xlsx"
    return attachment_response(Download(data, name, XLSX, hashlib.sha256(data).hexdigest(), 0))


def dashboard_json(d: dashboard_uc.Dashboard) -> dict:
    t = d.totals
    return {
        "campaign": {"id": d.campaign.id, "code": d.campaign.code, "name": d.campaign.name,
                     "year": d.campaign.year, "deadline": d.campaign.deadline.isoformat()},
        "today": d.today.isoformat(),
        "deadline_passed": d.deadline_passed,
        "totals": {"units": t.units, "reported": t.reported, "late": t.late,
                   "dossiers": t.dossiers, "by_status": t.by_status,
                   "open_tasks": t.open_tasks, "overdue_tasks": t.overdue_tasks,
                   "lines": {"proposed": t.lines_proposed, "approved": t.lines_approved,
                             "not_approved": t.lines_not_approved}},
        "clusters": [
            {"id": c.id, "name": c.name, "reported": c.reported, "late": c.late,
             "dossiers": c.dossiers,
             "units": [{"id": u.id, "name": u.name, "reported": u.reported, "late": u.late,
                        "overdue_tasks": u.overdue_tasks, "dossiers": u.dossiers,
                        "by_status": u.by_status} for u in c.units]}
            for c in d.clusters],
        "steps": [{"step": s.step, "name": s.name, "waiting": s.waiting,
                   "oldest_working_days": s.oldest_working_days} for s in d.steps],
        "other_versions": [{"version": v, "waiting": n}
                           for v, n in sorted(d.other_versions.items())],
        "awards": [{"code": a.code, "name": a.name, "proposed": a.proposed,
                    "approved": a.approved, "not_approved": a.not_approved}
                   for a in d.awards],
    }



def dashboard_xlsx(d: dashboard_uc.Dashboard) -> bytes:
    """Sheets "Don vi", "Buoc", "Hinh thuc": the numbers of the page, one row per line."""
    book = Workbook(write_only=True)
    units = book.create_sheet("Don vi")
    units.append([gettext("Cụm/Khối thi đua"), gettext("Đơn vị"), gettext("Đã báo cáo"),
                  gettext("Trễ hạn"), gettext("Việc quá hạn"), gettext("Số hồ sơ"),
                  *(gettext(STATUS_LABELS[s]) for s in DossierStatus)])
    yes, no = gettext("Có"), gettext("Không")
    for cluster in d.clusters:
        for unit in cluster.units:
            units.append([neutralise(cluster.name), neutralise(unit.name),
                          yes if unit.reported else no, yes if unit.late else no,
                          unit.overdue_tasks, unit.dossiers,
                          *(unit.by_status[s.value] for s in DossierStatus)])
    steps = book.create_sheet("Buoc")
    steps.append([gettext("Mã bước"), gettext("Bước"), gettext("Hồ sơ đang chờ"),
                  gettext("Chờ lâu nhất (ngày làm việc)")])
    for step in d.steps:
        steps.append([neutralise(step.step), neutralise(step.name), step.waiting,
                      step.oldest_working_days])
    awards = book.create_sheet("Hinh thuc")
    awards.append([gettext("Mã"), gettext("Hình thức khen thưởng"), gettext("Đề nghị"),
                   gettext("Được khen thưởng"), gettext("Không được khen thưởng")])
    for award in d.awards:
        awards.append([neutralise(award.code), neutralise(award.name), award.proposed,
                       award.approved, award.not_approved])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
