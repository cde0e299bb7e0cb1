"""The public JSON API, v1 (DESIGN.md). Bearer tokens; errors as {"error": {code, message}}."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from functools import wraps

from flask import Blueprint, Response, g, jsonify, request, stream_with_context

from service.audit import export as audit_export
from service.domain.roles import Role
from service.usecases import auth as auth_uc
from service.usecases import campaigns as campaigns_uc
from service.usecases import cluster_scoring as scoring_uc
from service.usecases import council as council_uc
from service.usecases import documents as documents_uc
from service.usecases import dossiers as dossiers_uc
from service.usecases import freezes as freezes_uc
from service.usecases import migration as migration_uc
from service.usecases import notifications as notifications_uc
from service.usecases import papers as papers_uc
from service.usecases import process_models as models_uc
from service.usecases import route as route_uc
from service.usecases import route_map
from service.usecases import tasks as tasks_uc
from service.usecases import templates as templates_uc
from service.usecases import users as users_uc
from service.usecases.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    Unauthenticated,
    UseCaseError,
)
from service.web import audit as audit_web
from service.web import serializers as ser
from service.web.common import READ_ONLY_MESSAGE, SAFE_METHODS
from service.web.dossiers import attachment_response
from service.web.extensions import read_connection, services, unit_of_work
from service.web.models import issues_response, xml_body
from service.web.openapi import openapi_document
from service.web.security import request_context

bp = Blueprint("api", __name__)


def api_auth(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise Unauthenticated("Thiếu mã truy cập (Authorization: Bearer ...).")
        with read_connection() as conn:
            g.principal = auth_uc.principal_for_token(conn, header[7:].strip())
            if g.principal is None:
                raise Unauthenticated("Mã truy cập không hợp lệ hoặc đã hết hạn.")
        if g.principal.read_only and request.method not in SAFE_METHODS:
            raise Forbidden(READ_ONLY_MESSAGE, code="read_only")
        return view(*args, **kwargs)

    return wrapper


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("Nội dung yêu cầu phải là một đối tượng JSON.", code="invalid_json")
    return data


def int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"Tham số “{name}” phải là số nguyên.") from None


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.route("/auth/token", methods=["POST"])
def token():
    body = json_body()
    cfg = services().config
    with unit_of_work() as uow:
        user = auth_uc.authenticate(
            uow, request_context(), str(body.get("username", "")), str(body.get("password", "")),
            max_attempts=cfg.LOGIN_MAX_ATTEMPTS, window_seconds=cfg.LOGIN_WINDOW_SECONDS)
        value, row = auth_uc.issue_token(uow, user, cfg.API_TOKEN_HOURS)
        uow.commit()
    return jsonify({"token": value, "expires_at": ser.iso(row.expires_at)}), 201


@bp.route("/me")
@api_auth
def me():
    return jsonify(ser.principal(g.principal))


@bp.route("/campaigns")
@api_auth
def list_campaigns():
    with unit_of_work(write=False) as uow:
        rows = campaigns_uc.list_campaigns(uow)
        return jsonify({"items": [ser.campaign(c) for c in rows], "next": None})


@bp.route("/campaigns", methods=["POST"])
@api_auth
def create_campaign():
    body = json_body()
    with unit_of_work() as uow:
        campaign = campaigns_uc.create_campaign(uow, g.principal, request_context(), body)
        uow.commit()
        return jsonify(ser.campaign(campaign)), 201


@bp.route("/dossiers", methods=["POST"])
@api_auth
def create_dossier():
    body = json_body()
    with unit_of_work() as uow:
        dossier = dossiers_uc.create_dossier(
            uow, g.principal, request_context(), campaign_id=body.get("campaign_id"),
            title=body.get("title"), proposals=body.get("proposals"),
            unit_id=body.get("unit_id") if isinstance(body.get("unit_id"), int) else None)
        created = ser.dossier(dossier)  # flushed: ids and all values are final; no reads after
        uow.commit()
    return jsonify(created), 201


@bp.route("/dossiers")
@api_auth
def list_dossiers():
    query = dossiers_uc.DossierQuery(
        campaign_id=int_arg("campaign"), status=request.args.get("status") or None,
        unit_id=int_arg("unit"), text=request.args.get("q") or None,
        cursor=request.args.get("cursor") or None, limit=int_arg("limit") or 50)
    with unit_of_work(write=False) as uow:
        rows, next_cursor = dossiers_uc.list_dossiers(uow, g.principal, query,
                                                      load=ser.DOSSIER_LOAD)
        return jsonify({"items": [ser.dossier(d) for d in rows], "next": next_cursor})


@bp.route("/dossiers/<int:dossier_id>")
@api_auth
def get_dossier(dossier_id: int):
    with unit_of_work(write=False) as uow:
        return jsonify(ser.dossier(dossiers_uc.get_dossier(uow, g.principal, dossier_id,
                                                           load=ser.DOSSIER_LOAD)))


@bp.route("/dossiers/<int:dossier_id>/proposals", methods=["POST"])
@api_auth
def add_proposal(dossier_id: int):
    body = json_body()
    with unit_of_work() as uow:
        proposal = dossiers_uc.add_proposal(uow, g.principal, request_context(), dossier_id,
                                            body)
        uow.commit()
        return jsonify(ser.proposal(proposal)), 201


@bp.route("/dossiers/<int:dossier_id>/history")
@api_auth
def history(dossier_id: int):
    with unit_of_work(write=False) as uow:
        entries = dossiers_uc.history(uow, g.principal, dossier_id)
        return jsonify({"items": [ser.history_entry(e) for e in entries], "next": None})


@bp.route("/dossiers/<int:dossier_id>/documents", methods=["POST"])
@api_auth
def upload_document(dossier_id: int):
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidInput("Thiếu tệp (trường multipart “file”).", code="file_required")
    cfg = services().config
    with unit_of_work() as uow:
        version = documents_uc.upload(
            uow, services().store, g.principal, request_context(), dossier_id,
            kind=request.form.get("kind", "report"), filename=file.filename,
            data=file.read(cfg.MAX_CONTENT_LENGTH + 1), document_id=int_arg_form("document_id"),
            max_bytes=cfg.MAX_CONTENT_LENGTH)
        uow.commit()
        return jsonify({"id": version.document_id, "sha256": version.sha256,
                        "size": version.size, "version": version.version,
                        "display_name": version.display_name}), 201


def int_arg_form(name: str) -> int | None:
    value = request.form.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"Trường “{name}” phải là số nguyên.") from None


@bp.route("/dossiers/<int:dossier_id>/documents/<int:document_id>")
@api_auth
def download_document(dossier_id: int, document_id: int):
    with unit_of_work() as uow:
        result = documents_uc.download(uow, services().store, g.principal, request_context(),
                                       dossier_id, document_id, int_arg("version"),
                                       rendition=request.args.get("format") or None)
        uow.commit()
    return attachment_response(result)


@bp.route("/dossiers/<int:dossier_id>/proposals/<int:proposal_id>/report-template")
@api_auth
def achievement_report(dossier_id: int, proposal_id: int):
    with unit_of_work(write=False) as uow:
        filename, data = papers_uc.achievement_report(uow, g.principal, dossier_id,
                                                      proposal_id)
    return attachment_response(documents_uc.Download(
        data, filename, papers_uc.DOCX_TYPE, hashlib.sha256(data).hexdigest(), 0))


@bp.route("/tasks")
@api_auth
def list_tasks():
    query = tasks_uc.InboxQuery(state=request.args.get("state", "open"),
                                campaign_id=int_arg("campaign"),
                                step=request.args.get("step") or None)
    with unit_of_work(write=False) as uow:
        rows = tasks_uc.inbox(uow, g.principal, query, load=ser.TASK_LOAD)
        return jsonify({"items": [ser.task(t) for t in rows], "next": None})


@bp.route("/tasks/<task_id>")
@api_auth
def get_task(task_id: str):
    with unit_of_work(write=False) as uow:
        task = tasks_uc.get_task(uow, g.principal, task_id, load=ser.TASK_LOAD)
        return jsonify({**ser.task(task), "form": ser.task_form(tasks_uc.task_view(uow, task),
                                                                 task.dossier)})


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
@api_auth
def claim(task_id: str):
    with unit_of_work() as uow:
        task = tasks_uc.claim(uow, g.principal, request_context(), task_id)
        uow.commit()
        return jsonify(ser.task(task))


@bp.route("/tasks/<task_id>/unclaim", methods=["POST"])
@api_auth
def unclaim(task_id: str):
    with unit_of_work() as uow:
        task = tasks_uc.unclaim(uow, g.principal, request_context(), task_id)
        uow.commit()
        return jsonify(ser.task(task))


def _notification(n) -> dict:
    return {"id": n.id, "kind": n.kind, "title": n.title, "link": n.link,
            "dossier_id": n.dossier_id, "task_id": n.task_id,
            "created_at": ser.iso(n.created_at), "read_at": ser.iso(n.read_at)}


@bp.route("/notifications")
@api_auth
def list_notifications():
    """The caller's latest notifications (``?unread=1``: only the unread), newest first."""
    with unit_of_work(write=False) as uow:
        if request.args.get("unread") in ("1", "true"):
            rows = notifications_uc.unread(uow, g.principal)
        else:
            rows = notifications_uc.recent(uow, g.principal)
        count = notifications_uc.unread_count(uow, g.principal)
        return jsonify({"items": [_notification(n) for n in rows], "unread": count,
                        "next": None})


@bp.route("/notifications/read", methods=["POST"])
@api_auth
def read_notifications():
    """Mark the caller's notifications read: ``{"ids": [..]}`` or ``{"all": true}``."""
    body = json_body()
    ids = "all" if body.get("all") is True else body.get("ids")
    with unit_of_work() as uow:
        changed = notifications_uc.mark_read(uow, g.principal, ids)
        uow.commit()
    return jsonify({"marked": changed})


def _council_session(row) -> dict:
    votes = []
    for vote in row.votes:
        line = vote.proposal
        votes.append({"proposal_id": vote.proposal_id, "dossier_id": line.dossier_id,
                      "name": line.name, "award_code": line.award_code,
                      "votes_for": vote.votes_for,
                      "share": str(council_uc.share_of(row, vote).quantize(Decimal("0.0001"))),
                      "threshold": str(vote.threshold) if vote.threshold is not None else None,
                      "passed": vote.passed, "outcome": line.outcome,
                      "outcome_reason": line.outcome_reason})
    return {"id": row.id, "campaign_id": row.campaign_id, "held_on": ser.iso(row.held_on),
            "members_total": row.members_total, "present": row.present,
            "absent_with_opinion": row.absent_with_opinion, "state": row.state,
            "minutes_note": row.minutes_note, "created_at": ser.iso(row.created_at),
            "closed_at": ser.iso(row.closed_at), "votes": votes}


CLUSTER = "/clusters/<int:cluster_id>/campaigns/<int:campaign_id>"


def _criterion(c) -> dict:
    return {"id": c.id, "position": c.position, "title": c.title,
            "max_points": scoring_uc.fmt(c.max_points), "kind": c.kind}


def _ranking(data: dict) -> dict:
    return {**data, "criteria": [_criterion(c) for c in data["criteria"]]}


def _cluster_ballot(row) -> dict:
    counts = [{"unit_id": c.unit_id, "code": c.unit.code, "name": c.unit.name,
               "votes_for": c.votes_for, "elected": c.elected} for c in row.counts]
    return {"id": row.id, "cluster_id": row.cluster_id, "campaign_id": row.campaign_id,
            "seats": row.seats, "ballots_issued": row.ballots_issued,
            "ballots_returned": row.ballots_returned, "ballots_valid": row.ballots_valid,
            "state": row.state, "result_note": row.result_note,
            "created_at": ser.iso(row.created_at), "closed_at": ser.iso(row.closed_at),
            "counts": counts, "elected": [c for c in counts if c["elected"]]}


@bp.route(f"{CLUSTER}/table", methods=["PUT"])
@api_auth
def put_scoring_table(cluster_id: int, campaign_id: int):
    body = json_body()
    with unit_of_work() as uow:
        rows = scoring_uc.set_table(uow, g.principal, request_context(), cluster_id,
                                    campaign_id, body.get("criteria"))
        uow.commit()
        return jsonify({"items": [_criterion(c) for c in rows]})


@bp.route(f"{CLUSTER}/table")
@api_auth
def get_scoring_table(cluster_id: int, campaign_id: int):
    with unit_of_work(write=False) as uow:
        rows = scoring_uc.get_table(uow, g.principal, cluster_id, campaign_id)
        return jsonify({"items": [_criterion(c) for c in rows]})


@bp.route(f"{CLUSTER}/self-scores", methods=["POST"])
@api_auth
def post_self_scores(cluster_id: int, campaign_id: int):
    body = json_body()
    with unit_of_work() as uow:
        scoring_uc.self_score(uow, g.principal, request_context(), cluster_id, campaign_id,
                              body.get("scores"), body.get("unit_id"))
        uow.commit()
        return jsonify(_ranking(scoring_uc.ranking(uow, g.principal, cluster_id, campaign_id)))


@bp.route(f"{CLUSTER}/checked-scores", methods=["POST"])
@api_auth
def post_checked_scores(cluster_id: int, campaign_id: int):
    body = json_body()
    with unit_of_work() as uow:
        scoring_uc.check_scores(uow, g.principal, request_context(), cluster_id, campaign_id,
                                body.get("unit_id"), body.get("scores"))
        uow.commit()
        return jsonify(_ranking(scoring_uc.ranking(uow, g.principal, cluster_id, campaign_id)))


@bp.route(f"{CLUSTER}/ranking")
@api_auth
def get_cluster_ranking(cluster_id: int, campaign_id: int):
    with unit_of_work(write=False) as uow:
        return jsonify(_ranking(scoring_uc.ranking(uow, g.principal, cluster_id, campaign_id)))


@bp.route(f"{CLUSTER}/ballot")
@api_auth
def get_cluster_ballot(cluster_id: int, campaign_id: int):
    with unit_of_work(write=False) as uow:
        return jsonify(_cluster_ballot(scoring_uc.latest_ballot(uow, g.principal, cluster_id,
                                                                campaign_id)))


@bp.route(f"{CLUSTER}/ballot", methods=["POST"])
@api_auth
def open_cluster_ballot(cluster_id: int, campaign_id: int):
    body = json_body()
    with unit_of_work() as uow:
        row = scoring_uc.open_ballot(uow, g.principal, request_context(), cluster_id,
                                     campaign_id, body.get("seats"), body.get("ballots_issued"))
        uow.commit()
        return jsonify(_cluster_ballot(row)), 201


@bp.route(f"{CLUSTER}/ballot/record", methods=["POST"])
@api_auth
def record_cluster_ballot(cluster_id: int, campaign_id: int):
    body = json_body()
    with unit_of_work() as uow:
        row = scoring_uc.record_ballot(uow, g.principal, request_context(), cluster_id,
                                       campaign_id, body.get("ballots_returned"),
                                       body.get("ballots_valid"), body.get("counts"))
        uow.commit()
        return jsonify(_cluster_ballot(row))


@bp.route(f"{CLUSTER}/ballot/close", methods=["POST"])
@api_auth
def close_cluster_ballot(cluster_id: int, campaign_id: int):
    with unit_of_work() as uow:
        row = scoring_uc.close_ballot(uow, g.principal, request_context(), cluster_id,
                                      campaign_id)
        uow.commit()
        return jsonify(_cluster_ballot(row))


@bp.route("/council/sessions", methods=["POST"])
@api_auth
def open_council_session():
    body = json_body()
    with unit_of_work() as uow:
        row = council_uc.open_session(uow, g.principal, request_context(), council_uc.NewSession(
            body.get("campaign_id"), body.get("held_on"), body.get("members_total"),
            body.get("present"), body.get("absent_with_opinion", 0), body.get("minutes_note")))
        uow.commit()
        return jsonify(_council_session(row)), 201


@bp.route("/council/sessions/<int:session_id>")
@api_auth
def get_council_session(session_id: int):
    with unit_of_work(write=False) as uow:
        return jsonify(_council_session(council_uc.get_session(uow, g.principal, session_id)))


@bp.route("/council/sessions/<int:session_id>/votes", methods=["POST"])
@api_auth
def record_council_votes(session_id: int):
    body = json_body()
    with unit_of_work() as uow:
        row = council_uc.record_votes(uow, g.principal, request_context(), session_id,
                                      body.get("votes"))
        uow.commit()
        return jsonify(_council_session(row))


@bp.route("/council/sessions/<int:session_id>/close", methods=["POST"])
@api_auth
def close_council_session(session_id: int):
    with unit_of_work() as uow:
        row = council_uc.close_session(uow, g.principal, request_context(), session_id)
        uow.commit()
        return jsonify(_council_session(row))


@bp.route("/freezes")
@api_auth
def list_freezes():
    with unit_of_work(write=False) as uow:
        rows = freezes_uc.list_active(uow, g.principal, route_uc.today_local())
        return jsonify({"items": [ser.freeze(f) for f in rows], "next": None})


@bp.route("/freezes", methods=["POST"])
@api_auth
def create_freeze():
    body = json_body()
    with unit_of_work() as uow:
        freeze = freezes_uc.create(uow, g.principal, request_context(), freezes_uc.NewFreeze(
            body.get("unit_id"), body.get("subject_type"), body.get("name"), body.get("kind"),
            body.get("reason"), body.get("since"), body.get("until")))
        uow.commit()
        return jsonify(ser.freeze(freeze)), 201


@bp.route("/freezes/<int:freeze_id>/lift", methods=["POST"])
@api_auth
def lift_freeze(freeze_id: int):
    body = json_body()
    on = freezes_uc.parse_day(body.get("until"), "until") or route_uc.today_local()
    with unit_of_work() as uow:
        freeze = freezes_uc.lift(uow, g.principal, request_context(), freeze_id, on)
        uow.commit()
        return jsonify(ser.freeze(freeze))


@bp.route("/tasks/<task_id>/reassign", methods=["POST"])
@api_auth
def reassign(task_id: str):
    body = json_body()
    with unit_of_work() as uow:
        task = tasks_uc.reassign(uow, g.principal, request_context(), task_id,
                                 str(body.get("username") or ""))
        uow.commit()
        return jsonify(ser.task(task))


@bp.route("/users")
@api_auth
def list_users():
    with unit_of_work(write=False) as uow:
        rows = users_uc.list_users(uow, g.principal, q=request.args.get("q", ""))
        return jsonify({"items": [ser.user(u) for u in rows], "next": None})


@bp.route("/users", methods=["POST"])
@api_auth
def create_user():
    body = json_body()
    with unit_of_work() as uow:
        user = users_uc.create_user(uow, g.principal, request_context(), users_uc.NewUser(
            str(body.get("username") or ""), str(body.get("full_name") or ""),
            str(body.get("password") or "")))
        uow.commit()
        return jsonify(ser.user(user)), 201


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@api_auth
def set_user_active(user_id: int):
    body = json_body()
    if not isinstance(body.get("active"), bool):
        raise InvalidInput("“active” phải là true hoặc false.")
    with unit_of_work() as uow:
        user = users_uc.set_active(uow, g.principal, request_context(), user_id, body["active"])
        uow.commit()
        return jsonify(ser.user(user))


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
@api_auth
def grant_role(user_id: int):
    body = json_body()
    organisation_id = body.get("organisation_id")
    if isinstance(organisation_id, bool) or not isinstance(organisation_id, int):
        raise InvalidInput("“organisation_id” phải là số nguyên.")
    with unit_of_work() as uow:
        users_uc.grant_role(uow, g.principal, request_context(), user_id,
                            str(body.get("role") or ""), organisation_id)
        uow.commit()
        return jsonify(ser.user(users_uc.get_user(uow, g.principal, user_id))), 201


@bp.route("/users/<int:user_id>/roles/<int:assignment_id>", methods=["DELETE"])
@api_auth
def revoke_role(user_id: int, assignment_id: int):
    with unit_of_work() as uow:
        user = users_uc.revoke_role(uow, g.principal, request_context(), user_id,
                                    assignment_id)
        uow.commit()
        return jsonify(ser.user(user))


@bp.route("/tasks/<task_id>/complete", methods=["POST"])
@api_auth
def complete(task_id: str):
    body = json_body()
    key = request.headers.get("Idempotency-Key", "").strip()[:200]
    payload = {"decision": body.get("decision"), "comment": body.get("comment"),
               "fields": body.get("fields"), "excluded_lines": body.get("excluded_lines"),
               "moved_lines": body.get("moved_lines"), "meeting": body.get("meeting")}
    fingerprint = tasks_uc.request_fingerprint(task_id, payload)
    who = g.principal
    if key:
        with unit_of_work(write=False) as uow:
            earlier = tasks_uc.find_idempotent(uow, who.user_id, key)
            if earlier is not None:
                if earlier.request_hash != fingerprint:
                    raise Conflict("Idempotency-Key này đã dùng cho một yêu cầu khác.",
                                   code="idempotency_mismatch")
                return Response(earlier.body, status=earlier.status_code,
                                mimetype="application/json")
    completion = tasks_uc.Completion(
        decision=str(body.get("decision") or ""), comment=str(body.get("comment") or ""),
        fields=body.get("fields") or {}, excluded_lines=body.get("excluded_lines"),
        moved_lines=body.get("moved_lines"), meeting=body.get("meeting"))
    with unit_of_work() as uow:
        task = tasks_uc.complete(uow, services().store, who, request_context(), task_id,
                                 completion, max_bytes=services().config.MAX_CONTENT_LENGTH)
        result = {"task": ser.task(task), "dossier": ser.dossier(task.dossier)}
        if key:
            tasks_uc.remember_idempotent(uow, who.user_id, key, fingerprint, 200, result)
        uow.commit()
    return jsonify(result)


@bp.route("/templates")
@api_auth
def list_templates():
    with unit_of_work(write=False) as uow:
        return jsonify({"items": [ser.template_summary(t) for t in
                                  templates_uc.list_templates(uow, g.principal)], "next": None})


@bp.route("/templates/<name>")
@api_auth
def get_template(name: str):
    with unit_of_work(write=False) as uow:
        return jsonify(ser.template_version(templates_uc.version(uow, g.principal, name,
                                                                 int_arg("version"))))


@bp.route("/templates/<name>", methods=["POST"])
@api_auth
def publish_template(name: str):
    body = json_body()
    if not isinstance(body.get("body"), dict):
        raise InvalidInput("Thiếu nội dung mẫu (body là một đối tượng JSON).",
                           code="template_invalid")
    text = json.dumps(body["body"], ensure_ascii=False)
    with unit_of_work() as uow:
        row = templates_uc.publish(uow, g.principal, request_context(), name, text,
                                   str(body.get("note") or ""))
        uow.commit()
        return jsonify(ser.template_version(row)), 201


@bp.route("/campaigns/<int:campaign_id>/dashboard")
@api_auth
def campaign_dashboard(campaign_id: int):
    from service.usecases.dashboard import campaign_dashboard as dashboard_of
    from service.web.dashboard import dashboard_json

    with unit_of_work(write=False) as uow:
        return jsonify(dashboard_json(dashboard_of(uow, g.principal, campaign_id)))


@bp.route("/process-models")
@api_auth
def list_models():
    with unit_of_work(write=False) as uow:
        return jsonify({"items": [ser.process_model(m) for m in models_uc.list_models(uow)],
                        "next": None})


@bp.route("/process-models", methods=["POST"])
@api_auth
def upload_model():
    if not g.principal.has_role(Role.ADMIN):
        raise Forbidden("Chỉ quản trị hệ thống được tải lên quy trình.")
    file = request.files.get("file")
    xml = file.read(models_uc.MAX_BPMN_BYTES + 1) if file is not None else request.get_data(
        cache=False)[: models_uc.MAX_BPMN_BYTES + 1]
    if not xml:
        raise InvalidInput("Thiếu tệp BPMN.", code="file_required")
    report = models_uc.validate(xml)
    publish = request.args.get("publish", "true").lower() != "false"
    if report or not publish:
        status = 422 if report else 200
        body = {"valid": not report, "issues": report}
        if report:
            body["error"] = {"code": "invalid_bpmn", "message": "Quy trình không hợp lệ."}
        return jsonify(body), status
    with unit_of_work() as uow:
        version = models_uc.publish(uow, g.principal, request_context(), xml,
                                    key=request.args.get("key") or None)
        uow.commit()
        return jsonify({"valid": True, "issues": [], "version": ser.model_version(version)}), 201


@bp.route("/process-models/<key>/versions/<int:number>")
@api_auth
def model_version(key: str, number: int):
    with unit_of_work(write=False) as uow:
        version = models_uc.get_version(uow, key, number)
        body = ser.model_version(version)
        body["xml"] = version.xml.decode("utf-8")
        return jsonify(body)


@bp.route("/process-models/<key>/diff")
@api_auth
def model_diff(key: str):
    with unit_of_work(write=False) as uow:
        before, after, result = models_uc.diff_versions(uow, key, int_arg("from"), int_arg("to"))
        return jsonify(ser.model_diff(before, after, result))


@bp.route("/process-models/<key>/draft", methods=["PUT"])
@api_auth
def save_model_draft(key: str):
    if not g.principal.has_role(Role.ADMIN):
        raise Forbidden("Chỉ quản trị hệ thống được sửa quy trình.")
    xml = xml_body()
    try:
        with unit_of_work() as uow:
            draft, issues = models_uc.save_draft(uow, g.principal, request_context(), key, xml)
            body = {"saved": True, "sha256": draft.sha256,
                    "updated_at": ser.iso(draft.updated_at), "issues": issues}
            uow.commit()
    except UseCaseError as exc:
        if "issues" not in exc.details:
            raise
        return issues_response(exc)
    return jsonify(body)


@bp.route("/process-models/<key>/publish", methods=["POST"])
@api_auth
def publish_model(key: str):
    if not g.principal.has_role(Role.ADMIN):
        raise Forbidden("Chỉ quản trị hệ thống được công bố quy trình.")
    xml = xml_body()
    try:
        with unit_of_work() as uow:
            version, created = models_uc.publish_version(uow, g.principal, request_context(),
                                                         xml, key=key)
            body = {"valid": True, "issues": [], "version": ser.model_version(version)}
            uow.commit()
    except UseCaseError as exc:
        if "issues" not in exc.details:
            raise
        return issues_response(exc)
    return jsonify(body), 201 if created else 200


@bp.route("/dossiers/<int:dossier_id>/migrate", methods=["POST"])
@api_auth
def migrate_dossier(dossier_id: int):
    body = json_body()
    with unit_of_work() as uow:
        moved = migration_uc.migrate_instance(uow, g.principal, request_context(), dossier_id,
                                              body.get("version"))
        uow.commit()
    return jsonify(ser.migrated(moved))


@bp.route("/dossiers/<int:dossier_id>/route")
@api_auth
def dossier_route(dossier_id: int):
    with unit_of_work(write=False) as uow:
        return jsonify(ser.dossier_route(route_map.dossier_route(uow, g.principal, dossier_id)))


@bp.route("/campaigns/<int:campaign_id>/heatmap")
@api_auth
def campaign_heatmap(campaign_id: int):
    with unit_of_work(write=False) as uow:
        return jsonify(ser.heatmap(route_map.campaign_heatmap(uow, g.principal, campaign_id)))


@bp.route("/audit/events")
@api_auth
def audit_events():
    return jsonify(audit_web.events_json(request.args))


@bp.route("/audit/dossiers/<int:dossier_id>/trail")
@api_auth
def audit_trail(dossier_id: int):
    return jsonify(audit_web.trail_json(dossier_id))


@bp.route("/audit/dossiers/<int:dossier_id>/report.pdf")
@api_auth
def audit_trail_report(dossier_id: int):
    return audit_web.report_download(dossier_id)


@bp.route("/audit/export")
@api_auth
def export_audit():
    if not g.principal.has_role(Role.AUDITOR):
        raise Forbidden("Chỉ kiểm toán viên được xuất nhật ký.")
    fmt = request.args.get("format", "jsonl")
    if fmt not in audit_export.FORMATS:
        raise InvalidInput("Định dạng phải là jsonl, csv hoặc xlsx.")
    params = audit_export.ExportFilter.parse(request.args)
    with unit_of_work() as uow:
        audit_export.record_export(uow, g.principal, request_context(), fmt, params)
        uow.commit()
    tdkt = services()
    body = audit_export.stream(tdkt.engine, fmt, params, tdkt.audit_signer, tdkt.store)
    response = Response(stream_with_context(body), content_type=audit_export.MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{audit_export.filename(fmt)}"')
    return response
