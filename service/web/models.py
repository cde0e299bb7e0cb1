"""Administration of process models: versions, the modeler (drafts, validation, publishing),
version comparison, and moving a running dossier to a newer version.

The modeler page talks to the JSON endpoints here with the session cookie and the CSRF token
in ``X-CSRFToken``; the XML travels as the request body (``application/xml``) or, from a plain
form, as the ``file`` field.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext

from service.domain.roles import Role
from service.usecases import migration as migration_uc
from service.usecases import process_models as models_uc
from service.usecases.errors import InvalidInput, UseCaseError
from service.web import serializers as ser
from service.web.common import login_required, parse_int, principal, safe_next
from service.web.errors import wants_json
from service.web.extensions import unit_of_work
from service.web.security import request_context

bp = Blueprint("models", __name__, url_prefix="/admin")


def _require_admin() -> None:
    if not principal().has_role(Role.ADMIN):
        abort(403)


def xml_body() -> bytes:
    """The posted diagram: a ``file`` field, or the raw body; at most one byte over the limit
    is read, so that "too large" can be told apart without reading everything."""
    limit = models_uc.MAX_BPMN_BYTES + 1
    file = request.files.get("file")
    data = file.read(limit) if file is not None else request.get_data(cache=False)[:limit]
    if not data:
        raise InvalidInput(gettext("Thiếu nội dung BPMN."), code="file_required")
    return data


def issues_response(exc: UseCaseError):
    """A refused diagram: the error and, at the top level, its per-element issues."""
    issues = exc.details.get("issues", [])
    body = {"valid": False, "error": {"code": exc.code, "message": exc.message},
            "issues": issues}
    return jsonify(body), exc.status


def _render(status: int = 200, **extra):
    with unit_of_work(write=False) as uow:
        models = models_uc.list_models(uow)
        return render_template("admin/models.html", models=models, **extra), status


@bp.route("/models")
@login_required
def index():
    _require_admin()
    return _render()


@bp.route("/models", methods=["POST"])
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


@bp.route("/models/<key>/versions/<int:number>.bpmn")
@login_required
def download(key: str, number: int):
    _require_admin()
    with unit_of_work(write=False) as uow:
        version = models_uc.get_version(uow, key, number)
        xml = version.xml
    response = Response(xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{key}-v{number}.bpmn"'
    return response


@bp.route("/models/<key>/edit")
@login_required
def edit(key: str):
    _require_admin()
    with unit_of_work(write=False) as uow:
        state = models_uc.editor_state(uow, principal(), key)
        return render_template("admin/modeler.html", model=state.model,
                               versions=state.versions, draft=state.draft)


@bp.route("/models/<key>/source")
@login_required
def source(key: str):
    _require_admin()
    with unit_of_work(write=False) as uow:
        result = models_uc.source(uow, principal(), key, parse_int(request.args.get("version")))
    return jsonify(ser.model_source(result))


@bp.route("/models/<key>/draft", methods=["PUT"])
@login_required
def save_draft(key: str):
    _require_admin()
    xml = xml_body()
    try:
        with unit_of_work() as uow:
            draft, issues = models_uc.save_draft(uow, principal(), request_context(), key, xml)
            body = {"saved": True, "sha256": draft.sha256, "updated_at": ser.iso(draft.updated_at),
                    "issues": issues}
            uow.commit()
    except UseCaseError as exc:
        if "issues" not in exc.details:
            raise
        return issues_response(exc)
    return jsonify(body)


@bp.route("/models/<key>/validate", methods=["POST"])
@login_required
def validate(key: str):
    _require_admin()
    issues = models_uc.check(principal(), xml_body())
    return jsonify({"valid": not issues, "issues": issues})


@bp.route("/models/<key>/publish", methods=["POST"])
@login_required
def publish(key: str):
    _require_admin()
    xml = xml_body()
    try:
        with unit_of_work() as uow:
            version, created = models_uc.publish_version(uow, principal(), request_context(),
                                                         xml, key=key)
            body = {"version": ser.model_version(version)}
            uow.commit()
    except UseCaseError as exc:
        if "issues" not in exc.details:
            raise
        return issues_response(exc)
    return jsonify(body), 201 if created else 200


@bp.route("/models/<key>/diff")
@login_required
def diff(key: str):
    _require_admin()
    with unit_of_work(write=False) as uow:
        before, after, result = models_uc.diff_versions(
            uow, key, parse_int(request.args.get("from")), parse_int(request.args.get("to")))
        body = ser.model_diff(before, after, result)
        if wants_json():
            return jsonify(body)
        state = models_uc.editor_state(uow, principal(), key)
        return render_template("admin/diff.html", model=state.model, diff=body,
                               versions=state.versions)


@bp.route("/models/<key>/instances")
@login_required
def instances(key: str):
    """Running dossiers on older versions, each with a move to the latest when possible."""
    _require_admin()
    with unit_of_work(write=False) as uow:
        latest, rows = migration_uc.running_instances(uow, principal(), key)
        return render_template("admin/instances.html", key=key, model=latest.model,
                               latest=latest, rows=rows)


@bp.route("/dossiers/<int:dossier_id>/migrate", methods=["POST"])
@login_required
def migrate(dossier_id: int):
    _require_admin()
    body = request.get_json(silent=True) if request.is_json else None
    target = body.get("version") if isinstance(body, dict) else request.form.get("version")
    back = request.form.get("back") if body is None else None
    try:
        with unit_of_work() as uow:
            moved = migration_uc.migrate_instance(uow, principal(), request_context(),
                                                  dossier_id, target)
            uow.commit()
    except UseCaseError as exc:
        if back is None:
            raise
        flash(exc.message, "danger")
        return redirect(safe_next(back, "models.index"))
    if back is not None:
        flash(gettext("Đã chuyển hồ sơ #%(id)s từ phiên bản %(old)s sang phiên bản %(new)s.",
                      id=moved.dossier_id, old=moved.from_version, new=moved.to_version),
              "success")
        return redirect(safe_next(back, "models.index"))
    return jsonify(ser.migrated(moved))
