"""Dossier pages: list, open, detail with documents and history, task actions."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext

from service.domain.dossiers import (
    DECISION_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    SUBJECT_LABELS,
    award_applies,
)
from service.usecases import campaigns as campaigns_uc
from service.usecases import documents as documents_uc
from service.usecases import dossiers as dossiers_uc
from service.usecases import papers as papers_uc
from service.usecases import route, route_map
from service.usecases import tasks as tasks_uc
from service.usecases.errors import UseCaseError
from service.usecases.route import today_local
from service.usecases.scoping import can_edit_dossier, is_candidate
from service.web import serializers as ser
from service.web.common import login_required, parse_int, principal
from service.web.extensions import services, unit_of_work
from service.web.security import request_context
from service.web.templating import nav_campaigns

bp = Blueprint("dossiers", __name__)

PROPOSAL_ROWS = 5


def _labels() -> dict:
    return {"status": STATUS_LABELS, "subject": SUBJECT_LABELS, "outcome": OUTCOME_LABELS,
            "decision": DECISION_LABELS, "kinds": documents_uc.DOCUMENT_KINDS}


@bp.route("/dossiers")
@login_required
def index():
    query = dossiers_uc.DossierQuery(
        campaign_id=parse_int(request.args.get("campaign")),
        status=request.args.get("status") or None,
        text=request.args.get("q") or None,
        cursor=request.args.get("cursor") or None,
    )
    with unit_of_work(write=False) as uow:
        rows, next_cursor = dossiers_uc.list_dossiers(uow, principal(), query)
        all_campaigns = campaigns_uc.list_campaigns(uow)
        return render_template("dossiers/list.html", rows=rows, next_cursor=next_cursor,
                               campaigns=all_campaigns, query=query, labels=_labels(),
                               route_campaigns=nav_campaigns(all_campaigns))


def _proposals_from_form(form) -> list[dict]:
    lines = []
    names = form.getlist("name")
    for i, name in enumerate(names):
        if not name.strip():
            continue
        lines.append({
            "subject_type": (form.getlist("subject_type") + [""] * len(names))[i],
            "name": name,
            "award_code": (form.getlist("award_code") + [""] * len(names))[i],
            "summary": (form.getlist("summary") + [""] * len(names))[i],
        })
    return lines


@bp.route("/dossiers/new", methods=["GET", "POST"])
@login_required
def new():
    with unit_of_work(write=False) as uow:
        all_campaigns = campaigns_uc.list_campaigns(uow)
        awards = dossiers_uc.award_catalogue(uow)
    context = {"campaigns": all_campaigns, "awards": awards, "labels": _labels(),
               "rows": PROPOSAL_ROWS, "form": request.form}
    if request.method == "GET":
        return render_template("dossiers/new.html", **context)
    try:
        with unit_of_work() as uow:
            dossier = dossiers_uc.create_dossier(
                uow, principal(), request_context(),
                campaign_id=request.form.get("campaign_id"), title=request.form.get("title"),
                proposals=_proposals_from_form(request.form))
            uow.commit()
    except UseCaseError as exc:
        return render_template("dossiers/new.html", error=exc.message, **context), exc.status
    flash(gettext("Đã lập hồ sơ. Hãy tải lên báo cáo thành tích rồi chuyển thủ trưởng ký trình."),
          "success")
    return redirect(url_for("dossiers.detail", dossier_id=dossier.id))


@bp.route("/dossiers/<int:dossier_id>")
@login_required
def detail(dossier_id: int):
    who = principal()
    today = route.today_local()
    with unit_of_work(write=False) as uow:
        dossier = dossiers_uc.get_dossier(uow, who, dossier_id)
        tasks = dossiers_uc.open_task_of(uow, dossier.id)
        history = dossiers_uc.history(uow, who, dossier.id)
        awards = dossiers_uc.award_catalogue(uow)
        return render_template(
            "dossiers/detail.html", dossier=dossier, history=history, awards=awards,
            tasks=[{"task": t, "mine": is_candidate(who, t),
                    "days_left": route.working_days_left(t.due_on, today)} for t in tasks],
            editable=can_edit_dossier(who, dossier) and dossier.status in dossiers_uc.EDITABLE,
            labels=_labels(), paper_jobs=papers_uc.job_states(uow.session, dossier.id),
        )


@bp.route("/dossiers/<int:dossier_id>/route.json")
@login_required
def route_json(dossier_id: int):
    """The dossier's own diagram with completed and current steps, returns, flows taken."""
    with unit_of_work(write=False) as uow:
        return jsonify(ser.dossier_route(route_map.dossier_route(uow, principal(), dossier_id)))


@bp.route("/dossiers/<int:dossier_id>/proposals", methods=["POST"])
@login_required
def add_proposal(dossier_id: int):
    with unit_of_work() as uow:
        dossiers_uc.add_proposal(uow, principal(), request_context(), dossier_id, {
            "subject_type": request.form.get("subject_type"), "name": request.form.get("name"),
            "award_code": request.form.get("award_code"),
            "summary": request.form.get("summary")})
        uow.commit()
    flash(gettext("Đã thêm dòng đề nghị."), "success")
    return redirect(url_for("dossiers.detail", dossier_id=dossier_id) + "#proposals")


@bp.route("/dossiers/<int:dossier_id>/proposals/<int:proposal_id>/delete", methods=["POST"])
@login_required
def remove_proposal(dossier_id: int, proposal_id: int):
    with unit_of_work() as uow:
        dossiers_uc.remove_proposal(uow, principal(), request_context(), dossier_id, proposal_id)
        uow.commit()
    flash(gettext("Đã xóa dòng đề nghị."), "info")
    return redirect(url_for("dossiers.detail", dossier_id=dossier_id) + "#proposals")


@bp.route("/dossiers/<int:dossier_id>/documents", methods=["POST"])
@login_required
def upload(dossier_id: int):
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(gettext("Hãy chọn một tệp để tải lên."), "danger")
        return redirect(url_for("dossiers.detail", dossier_id=dossier_id) + "#documents")
    cfg = services().config
    with unit_of_work() as uow:
        version = documents_uc.upload(
            uow, services().store, principal(), request_context(), dossier_id,
            kind=request.form.get("kind", "report"), filename=file.filename,
            data=file.read(cfg.MAX_CONTENT_LENGTH + 1),
            document_id=parse_int(request.form.get("document_id")),
            max_bytes=cfg.MAX_CONTENT_LENGTH)
        uow.commit()
    flash(gettext("Đã tải lên “%(name)s” (phiên bản %(version)s).",
                  name=version.display_name, version=version.version), "success")
    return redirect(url_for("dossiers.detail", dossier_id=dossier_id) + "#documents")


def attachment_response(download: documents_uc.Download) -> Response:
    """Send bytes as an attachment with the Vietnamese name kept (RFC 5987), nosniff."""
    ascii_name = download.display_name.encode("ascii", "replace").decode().replace("?", "_")
    ascii_name = ascii_name.replace('"', "_").replace("\\", "_")
    response = Response(download.data, mimetype=download.content_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download.display_name)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["ETag"] = f'"{download.sha256}"'
    response.headers["X-Content-SHA256"] = download.sha256
    return response


@bp.route("/dossiers/<int:dossier_id>/documents/<int:document_id>")
@login_required
def download(dossier_id: int, document_id: int):
    with unit_of_work() as uow:
        result = documents_uc.download(uow, services().store, principal(), request_context(),
                                       dossier_id, document_id,
                                       parse_int(request.args.get("version")),
                                       rendition=request.args.get("format") or None)
        uow.commit()
    return attachment_response(result)


@bp.route("/dossiers/<int:dossier_id>/proposals/<int:proposal_id>/report.docx")
@login_required
def achievement_report(dossier_id: int, proposal_id: int):
    """The line's Báo cáo thành tích, prefilled, for the unit to complete and upload back."""
    with unit_of_work(write=False) as uow:
        filename, data = papers_uc.achievement_report(uow, principal(), dossier_id,
                                                      proposal_id)
    return attachment_response(documents_uc.Download(
        data, filename, papers_uc.DOCX_TYPE, hashlib.sha256(data).hexdigest(), 0))


def _excluded_from_form(form) -> list[dict]:
    """Ticked "không chuyển tiếp" lines with their reasons, as the use case takes them."""
    excluded = []
    for key in form:
        if key.startswith("exclude_") and not key.startswith("exclude_reason_"):
            line_id = parse_int(key.removeprefix("exclude_"))
            if line_id is not None:
                excluded.append({"proposal_id": line_id,
                                 "reason": form.get(f"exclude_reason_{line_id}", "")})
    return excluded


def _moved_from_form(form) -> list[dict]:
    """Lines given another award in the form, with the line's reason."""
    moved = []
    for key, value in form.items():
        if key.startswith("move_") and value:
            line_id = parse_int(key.removeprefix("move_"))
            if line_id is not None:
                moved.append({"proposal_id": line_id, "award_code": value,
                              "reason": form.get(f"exclude_reason_{line_id}", "")})
    return moved


def _form_number(value: str | None):
    """An integer when the box holds one; anything else goes on as typed, to be refused."""
    value = (value or "").strip()
    if not value:
        return None
    return int(value) if value.isdigit() else value


def _meeting_from_form(form, view) -> dict:
    present = [member_id for member_id, _name in view.meeting_members
               if form.get(f"present_{member_id}")]
    per_line = {"votes": {}, "scores": {}}
    for key, value in form.items():
        for prefix, target in (("votes_", "votes"), ("score_", "scores")):
            if key.startswith(prefix) and value.strip():
                number = value.strip().replace(",", ".")
                per_line[target][key.removeprefix(prefix)] = (
                    _form_number(number) if target == "votes" else number)
    return {"held_on": form.get("meeting_held_on") or None,
            "place": form.get("meeting_place", ""), "secretary": form.get("meeting_secretary", ""),
            "present": present, "ballots_issued": _form_number(form.get("ballots_issued")),
            "ballots_valid": _form_number(form.get("ballots_valid")), **per_line}


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: str):
    who = principal()
    with unit_of_work(write=False) as uow:
        task = tasks_uc.get_task(uow, who, task_id)
        view = tasks_uc.task_view(uow, task)
        dossier = task.dossier
        catalogue = dossiers_uc.award_catalogue(uow)
        context = {"task": task, "dossier": dossier, "view": view, "labels": _labels(),
                   "today_iso": today_local().isoformat(), "awards": catalogue,
                   "award_applies": award_applies,
                   "documents": dossier.documents,
                   "award_names": {a.code: a.name for a in catalogue}}
        if request.method == "GET":
            return render_template("tasks/action.html", **context)
    file = request.files.get("attachment")
    attachment = None
    cfg = services().config
    if file is not None and file.filename:
        attachment = (file.filename, file.read(cfg.MAX_CONTENT_LENGTH + 1))
    completion = tasks_uc.Completion(
        decision=request.form.get("decision", ""), comment=request.form.get("comment", ""),
        fields={k[6:]: v for k, v in request.form.items() if k.startswith("field_")},
        attachment=attachment,
        attachment_kind=view.attachment_kind_for(request.form.get("attachment_kind")),
        excluded_lines=_excluded_from_form(request.form),
        moved_lines=_moved_from_form(request.form),
        meeting=_meeting_from_form(request.form, view) if view.meeting_members else None)
    try:
        with unit_of_work() as uow:
            tasks_uc.complete(uow, services().store, who, request_context(), task_id,
                              completion, max_bytes=cfg.MAX_CONTENT_LENGTH)
            uow.commit()
    except UseCaseError as exc:
        if exc.status in (404,):
            raise
        with unit_of_work(write=False) as uow:
            task = tasks_uc.get_task(uow, who, task_id)
            context.update(task=task, dossier=task.dossier, documents=task.dossier.documents,
                           view=tasks_uc.task_view(uow, task))
            return render_template("tasks/action.html", error=exc.message,
                                   form=request.form, **context), exc.status
    flash(gettext("Đã ghi nhận ý kiến xử lý."), "success")
    return redirect(url_for("dossiers.detail", dossier_id=dossier.id))
