"""Administration of process models: list versions, validate and publish a .bpmn upload."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from service.domain.roles import Role
from service.usecases import process_models as models_uc
from service.usecases.errors import UseCaseError
from service.web.common import login_required, principal
from service.web.extensions import unit_of_work
from service.web.security import request_context

bp = Blueprint("models", __name__, url_prefix="/admin/models")


def _require_admin() -> None:
    if not principal().has_role(Role.ADMIN):
        abort(403)


def _render(status: int = 200, **extra):
    with unit_of_work(write=False) as uow:
        models = models_uc.list_models(uow)
        return render_template("admin/models.html", models=models, **extra), status


@bp.route("")
@login_required
def index():
    _require_admin()
    return _render()


@bp.route("", methods=["POST"])
@login_required
def upload():
    _require_admin()
    file = request.files.get("file")
    if file is None or not file.filename:
        return _render(422, error=gettext("Hãy chọn tệp .bpmn để tải lên."))
    xml = file.read(models_uc.MAX_BPMN_BYTES + 1)
    report = models_uc.validate(xml)
    if request.form.get("action") != "publish" or report:
        return _render(422 if report else 200, report=report, filename=file.filename,
                       checked=True)
    try:
        with unit_of_work() as uow:
            version = models_uc.publish(uow, principal(), request_context(), xml,
                                        key=request.form.get("key") or None)
            key, number = version.model.key, version.version
            uow.commit()
    except UseCaseError as exc:
        return _render(exc.status, error=exc.message,
                       report=exc.details.get("issues", []), filename=file.filename)
    flash(gettext("Đã công bố quy trình “%(key)s”, phiên bản %(version)s.", key=key,
                  version=number), "success")
    return redirect(url_for("models.index"))


@bp.route("/<key>/versions/<int:number>.bpmn")
@login_required
def download(key: str, number: int):
    _require_admin()
    with unit_of_work(write=False) as uow:
        version = models_uc.get_version(uow, key, number)
        xml = version.xml
    response = Response(xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{key}-v{number}.bpmn"'
    return response
