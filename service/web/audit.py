"""The auditor's pages (nhật ký): search the trail, read a dossier's whole trail, its PDF.

The JSON of /api/v1/audit/... is shaped here too (``events_json``, ``trail_json``,
``report_download``), so that the pages and the API answer from the same calls.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext

from service.audit.export import ExportFilter
from service.domain.dossiers import DECISION_LABELS, STATUS_LABELS
from service.usecases import audit_exports as exports_uc
from service.usecases import audit_search as audit_uc
from service.usecases.documents import Download
from service.usecases.errors import InvalidInput
from service.web.common import login_required, principal, read_only_allowed
from service.web.dossiers import attachment_response
from service.web.extensions import services, unit_of_work
from service.web.security import request_context
from service.web.templating import HISTORY_LABELS

bp = Blueprint("audit", __name__, url_prefix="/audit")

PDF_TYPE = "application/pdf"


def _labels() -> dict:
    return {"status": STATUS_LABELS, "decision": DECISION_LABELS}


@bp.route("")
@login_required
def search():
    who = principal()
    audit_uc.require_auditor(who)
    page, error, status = None, None, 200
    try:
        query = audit_uc.parse_query(request.args)
        audit_uc.search_words(query.text)
    except InvalidInput as exc:
        query, error, status = audit_uc.AuditQuery(), exc.message, exc.status
    with unit_of_work(write=False) as uow:
        if error is None:
            page = audit_uc.search(uow, who, query)
        facets = audit_uc.facets(uow)
    next_url = None
    if page is not None and page.next is not None:
        args = {k: v for k, v in request.args.items() if k != "before" and v}
        next_url = url_for("audit.search", **args, before=page.next)
    return render_template("audit/search.html", page=page, facets=facets, form=request.args,
                           error=error, next_url=next_url, labels=_labels()), status


@bp.route("/dossiers/<int:dossier_id>")
@login_required
def dossier(dossier_id: int):
    with unit_of_work(write=False) as uow:
        trail = audit_uc.dossier_trail(uow, principal(), dossier_id)
    return render_template("audit/trail.html", trail=trail, labels=_labels())


@bp.route("/dossiers/<int:dossier_id>/report.pdf")
@login_required
def report(dossier_id: int):
    return report_download(dossier_id)


@bp.route("/exports")
@login_required
def exports():
    """Ask for an export made in the background; follow its progress; download it."""
    with unit_of_work(write=False) as uow:
        rows = exports_uc.exports_of(uow, principal())
        facets = audit_uc.facets(uow)
    return render_template("audit/exports.html", exports=rows, facets=facets,
                           public_key=services().audit_signer.public_key,
                           fingerprint=services().audit_signer.fingerprint)


@bp.route("/exports", methods=["POST"])
@login_required
@read_only_allowed
def request_export():
    params = ExportFilter.parse(request.form)
    with unit_of_work() as uow:
        row = exports_uc.request_export(uow, principal(), request_context(),
                                        request.form.get("format", "jsonl"), params)
        uow.commit()
    flash(gettext("Đang chuẩn bị bản xuất #%(id)s; trang sẽ hiện tệp khi xong.", id=row.id),
          "info")
    return redirect(url_for("audit.exports"))


@bp.route("/exports/<int:export_id>.json")
@login_required
def export_state(export_id: int):
    with unit_of_work(write=False) as uow:
        row = exports_uc.get_export(uow, principal(), export_id)
        return jsonify(export_json(row))


@bp.route("/exports/<int:export_id>/download")
@login_required
def export_download(export_id: int):
    with unit_of_work(write=False) as uow:
        name, content_type, data = exports_uc.download(uow, services().store, principal(),
                                                       export_id)
    return attachment_response(Download(data, name, content_type,
                                        hashlib.sha256(data).hexdigest(), 0))


def export_json(view: exports_uc.ExportView) -> dict:
    return {"id": view.id, "state": view.state, "format": view.format,
            "events_done": view.events_done, "events_total": view.events_total,
            "sha256": view.sha256, "size": view.size,
            "download": url_for("audit.export_download", export_id=view.id)
            if view.state == "ready" else None}


# --- shared with the API -------------------------------------------------------------------


def report_download(dossier_id: int):
    """Make the PDF report (recorded in the trail) and send it as an attachment."""
    with unit_of_work() as uow:
        pdf = audit_uc.dossier_trail_pdf(uow, principal(), dossier_id, ctx=request_context(),
                                         action_labels=HISTORY_LABELS)
        uow.commit()
    return attachment_response(Download(
        pdf, f"Nhật ký xử lý hồ sơ {dossier_id}.pdf", PDF_TYPE,
        hashlib.sha256(pdf).hexdigest(), 0))


def events_json(args: Mapping[str, str]) -> dict:
    """``{"items": [exported records], "next": <before id> | null}``."""
    who = principal()
    audit_uc.require_auditor(who)  # refused before the arguments are even looked at
    query = audit_uc.parse_query(args)
    with unit_of_work(write=False) as uow:
        page = audit_uc.search(uow, who, query)
    return {"items": [dict(e.record) for e in page.items], "next": page.next}


def trail_json(dossier_id: int) -> dict:
    with unit_of_work(write=False) as uow:
        trail = audit_uc.dossier_trail(uow, principal(), dossier_id)
    d = trail.dossier
    return {
        "dossier": {"id": d.id, "title": d.title, "status": d.status,
                    "campaign_id": d.campaign_id, "campaign": d.campaign,
                    "unit_id": d.unit_id, "unit": d.unit,
                    "cluster_id": d.cluster_id, "cluster": d.cluster},
        "items": [{**e.record, "step_name": e.step_name, "decision_label": e.decision_label,
                   "document_refs": e.documents} for e in trail.events],
        "first": _point(trail.first), "last": _point(trail.last), "head": _point(trail.head),
    }


def _point(point: audit_uc.ChainPoint | None) -> dict | None:
    return {"id": point.id, "hash": point.hash} if point else None
