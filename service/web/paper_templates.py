"""Administration of the paper templates: versions, a sample render, publishing a new version."""

from __future__ import annotations

import hashlib

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from service.usecases import templates as templates_uc
from service.usecases.documents import Download
from service.usecases.errors import UseCaseError
from service.web.common import login_required, parse_int, principal
from service.web.dossiers import attachment_response
from service.web.extensions import unit_of_work
from service.web.security import request_context

bp = Blueprint("paper_templates", __name__, url_prefix="/admin/templates")


@bp.route("")
@login_required
def index():
    with unit_of_work(write=False) as uow:
        items = templates_uc.list_templates(uow, principal())
    return render_template("admin/templates.html", items=items)


@bp.route("/<name>", methods=["GET", "POST"])
@login_required
def detail(name: str):
    who = principal()
    error = None
    text = None
    if request.method == "POST":
        text = request.form.get("body", "")
        try:
            with unit_of_work() as uow:
                row = templates_uc.publish(uow, who, request_context(), name, text,
                                           request.form.get("note", ""))
                uow.commit()
            flash(gettext("Đã công bố mẫu “%(name)s” phiên bản %(version)s.", name=name,
                          version=row.version), "success")
            return redirect(url_for("paper_templates.detail", name=name))
        except UseCaseError as exc:
            if exc.status in (403, 404):
                raise
            error = exc.message
    with unit_of_work(write=False) as uow:
        rows = templates_uc.versions(uow, who, name)
        shown = parse_int(request.args.get("version"))
        current = next((r for r in rows if r.version == shown), rows[0])
        return render_template("admin/template.html", name=name, rows=rows, current=current,
                               body=text if text is not None else current.body,
                               template_error=error), 422 if error else 200


@bp.route("/<name>/preview.docx")
@login_required
def preview(name: str):
    with unit_of_work(write=False) as uow:
        filename, data = templates_uc.preview(uow, principal(), name,
                                              parse_int(request.args.get("version")),
                                              request.args.get("paper"))
    return attachment_response(Download(
        data, filename,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        hashlib.sha256(data).hexdigest(), 0))
