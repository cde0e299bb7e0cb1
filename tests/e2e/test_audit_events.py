"""Every action of the route and of administration leaves exactly one audit event, with the
right actor, role, organisation, target, before/after, document hashes, request id and
address; and the auditor can change nothing (every state-changing endpoint answers 403)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from service.db.models import AuditEvent, Organisation
from service.jobs import queue
from tests.support import DEMO_PASSWORD
from tests.support.api import ApiUser, login, open_dossier
from tests.support.files import docx_bytes
from tests.support.models import with_consultation


@dataclass
class Expect:
    """What one action must leave: exactly one event of ``action`` with these fields."""

    action: str
    actor: str | None
    role: str | None = None
    target_type: str | None = None
    fields: dict = field(default_factory=dict)
    details: Callable[[dict], bool] | None = None
    documents: Callable[[list], bool] | None = None


def _new_events(app, after_id: int) -> list[AuditEvent]:
    with app.extensions["tdkt"].engine.connect() as conn:
        return list(conn.execute(select(AuditEvent).where(AuditEvent.id > after_id)
                                 .order_by(AuditEvent.id)))


def _head(app) -> int:
    with app.extensions["tdkt"].engine.connect() as conn:
        return conn.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0


def test_every_action_leaves_exactly_one_event_with_its_fields(app):
    client = app.test_client()
    seen: list[str] = []

    def step(expect: Expect, action: Callable[[], object]) -> object:
        before = _head(app)
        result = action()
        events = _new_events(app, before)
        assert [e.action for e in events] == [expect.action], (expect.action, events)
        event = events[0]
        assert event.actor == expect.actor
        if expect.role is not None:
            assert event.role == expect.role
        if expect.target_type is not None:
            assert event.target_type == expect.target_type
        for name, value in expect.fields.items():
            assert getattr(event, name) == value, (expect.action, name)
        assert event.request_id and event.address == "127.0.0.1"
        assert event.at is not None and len(event.hash) == 64
        if expect.details is not None:
            assert expect.details(json.loads(event.details)), (expect.action, event.details)
        if expect.documents is not None:
            assert expect.documents(json.loads(event.documents)), event.documents
        seen.append(expect.action)
        return result

    # Sign-in, failed and successful.
    step(Expect("auth.login_failed", "donvi1", target_type="user", fields={"target_id": "donvi1"}),
         lambda: client.post("/api/v1/auth/token",
                             json={"username": "donvi1", "password": "sai-mat-khau"}))
    donvi = step(Expect("auth.login", "donvi1", target_type="user"),
                 lambda: login(client, "donvi1"))
    head, cum = login(client, "thutruong1"), login(client, "cum1")
    board, chutich = login(client, "bantdkt"), login(client, "chutich")
    admin, auditor = login(client, "quantri"), login(client, "kiemtoan")

    dossier = step(Expect("dossier.created", "donvi1", "unit_officer", "dossier"),
                   lambda: open_dossier(donvi))
    did = dossier["id"]
    report = docx_bytes("Báo cáo thành tích năm 2023")
    digest = hashlib.sha256(report).hexdigest()
    step(Expect("document.uploaded", "donvi1", "unit_officer", "document",
                fields={"dossier_id": did},
                documents=lambda docs: docs[0]["sha256"] == digest),
         lambda: donvi.upload(did, "Báo cáo thành tích.docx", report))
    step(Expect("task.completed", "donvi1", "unit_officer", "task",
                fields={"step": "unit_prepare", "decision": "approve"}),
         lambda: donvi.decide(did, "approve"))
    # Submitted: the unit head sends the dossier on; the step's event names the document.
    step(Expect("task.completed", "thutruong1", "unit_head", "task",
                fields={"step": "unit_submit", "decision": "approve"},
                details=lambda d: d["status_after"] == "in_review",
                documents=lambda docs: any(doc["sha256"] == digest for doc in docs)),
         lambda: head.decide(did, "approve"))

    task_id = cum.task_for(did)["id"]
    step(Expect("task.claimed", "cum1", "cluster_leader", "task", fields={"target_id": task_id}),
         lambda: cum.post(f"/tasks/{task_id}/claim"))
    step(Expect("task.unclaimed", "cum1", "cluster_leader", "task"),
         lambda: cum.post(f"/tasks/{task_id}/unclaim"))
    cum.post(f"/tasks/{task_id}/claim")
    step(Expect("task.reassigned", "quantri", target_type="task",
                details=lambda d: d == {"before": {"claimed_by": "cum1"},
                                        "after": {"claimed_by": "cum1"}}),
         lambda: _ok(admin.post(f"/tasks/{task_id}/reassign", json={"username": "cum1"})))
    # Decided (approve), with the meeting and the papers it plans.
    step(Expect("task.completed", "cum1", "cluster_leader", "task",
                fields={"step": "cluster_review", "decision": "approve"},
                details=lambda d: d["papers"]["papers"][0]["number"] == "01/BB-CTĐ"
                and d["meeting"]["present"]),
         lambda: cum.decide(did, "approve"))
    step(Expect("document.generated", "cum1", "cluster_leader", "task",
                documents=lambda docs: len(docs) == 2
                and all(len(d["sha256"]) == 64 and len(d["pdf_sha256"]) == 64 for d in docs)),
         lambda: queue.run_ready(app.extensions["tdkt"].runtime, worker="test"))
    document_id = dossier_document(donvi, did)
    step(Expect("document.downloaded", "donvi1", target_type="document",
                documents=lambda docs: docs[0]["sha256"] == digest),
         lambda: donvi.get(f"/dossiers/{did}/documents/{document_id}"))
    # Returned, with its reason.
    step(Expect("task.completed", "bantdkt", "board_specialist", "task",
                fields={"decision": "return", "comment": "Thiếu biên bản họp"}),
         lambda: board.decide(did, "return", "Thiếu biên bản họp"))
    donvi.decide(did, "approve")
    head.decide(did, "approve")
    cum.decide(did, "approve")
    board.decide(did, "approve")

    # The process model published, then the dossier moved to it.
    step(Expect("process_model.published", "quantri", "admin",
                details=lambda d: len(d["sha256"]) == 64),
         lambda: _ok(admin.client.post("/api/v1/process-models/commendation/publish",
                                       data=with_consultation().encode(),
                                       headers={**admin.headers,
                                                "Content-Type": "application/xml"}), 201))
    step(Expect("instance.migrated", "quantri", "admin", fields={"dossier_id": did}),
         lambda: _ok(admin.post(f"/dossiers/{did}/migrate", json={"version": 2})))
    # Rejected, with its reason.
    step(Expect("task.completed", "chutich", "chairman", "task",
                fields={"decision": "reject", "comment": "Chưa đủ tiêu chuẩn"}),
         lambda: chutich.decide(did, "reject", "Chưa đủ tiêu chuẩn"))

    # Accounts and roles, with before and after.
    unit = _organisation(app, "DV001")
    created = step(Expect("user.created", "quantri", "admin", "user",
                          details=lambda d: d["before"] is None
                          and d["after"]["username"] == "canbo_moi"),
                   lambda: _ok(admin.post("/users", json={
                       "username": "canbo_moi", "full_name": "Nguyễn Văn Mới",
                       "password": "mat-khau-dai-du"}), 201).get_json())
    step(Expect("role.granted", "quantri", "admin", "user",
                details=lambda d: d["before"]["roles"] == []
                and d["after"]["roles"][0]["role"] == "unit_officer"),
         lambda: _ok(admin.post(f"/users/{created['id']}/roles",
                                json={"role": "unit_officer", "organisation_id": unit}), 201))
    assignment = admin.get("/users?q=canbo_moi").get_json()["items"][0]["roles"][0]["id"]
    step(Expect("role.revoked", "quantri", "admin", "user",
                details=lambda d: len(d["before"]["roles"]) == 1 and d["after"]["roles"] == []),
         lambda: _ok(admin.client.delete(
             f"/api/v1/users/{created['id']}/roles/{assignment}", headers=admin.headers)))
    step(Expect("user.deactivated", "quantri", "admin", "user",
                details=lambda d: d["before"]["active"] and not d["after"]["active"]),
         lambda: _ok(admin.post(f"/users/{created['id']}/active", json={"active": False})))

    # An export of the trail.
    step(Expect("audit.exported", "kiemtoan", "auditor",
                details=lambda d: d["format"] == "jsonl"),
         lambda: _ok(auditor.get("/audit/export?format=jsonl")).get_data())

    assert {"auth.login_failed", "auth.login", "dossier.created", "document.uploaded",
            "task.completed", "task.claimed", "task.unclaimed", "task.reassigned",
            "document.generated", "document.downloaded", "process_model.published",
            "instance.migrated", "user.created", "role.granted", "role.revoked",
            "user.deactivated", "audit.exported"} <= set(seen)


def dossier_document(user: ApiUser, dossier_id: int) -> int:
    docs = user.get(f"/dossiers/{dossier_id}").get_json()["documents"]
    return next(d["id"] for d in docs if not d["generated"])


def _organisation(app, code: str) -> int:
    with app.extensions["tdkt"].engine.connect() as conn:
        return conn.scalar(select(Organisation.id).where(Organisation.code == code))


def _ok(response, status: int = 200):
    assert response.status_code == status, response.get_json()
    return response


# -- the auditor is read-only -----------------------------------------------------------------

# Every state-changing endpoint of the API, with a body that would be valid for a user allowed
# to call it. The path parameters need not exist: authorization comes first or the answer is
# 404 — which the auditor must not get either, so the ids below do exist.
def _state_changing_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            routes.append((method, rule.rule))
    return routes


def test_the_auditor_can_change_nothing(app):
    client = app.test_client()
    donvi = login(client, "donvi1")
    did = open_dossier(donvi)["id"]
    donvi.upload(did, "Báo cáo.docx", docx_bytes("Báo cáo"))
    task_id = donvi.task_for(did)["id"]
    auditor = login(client, "kiemtoan")
    values = {"dossier_id": did, "document_id": 1, "task_id": task_id, "key": "commendation",
              "proposal_id": 1, "user_id": 1, "assignment_id": 1, "name": "decision",
              "freeze_id": 1, "session_id": 1,
              "cluster_id": 1, "campaign_id": 1}
    routes = _state_changing_routes(app)
    assert len(routes) >= 15
    before = _head(app)
    answers = {}
    for method, rule in routes:
        if rule in ("/api/v1/auth/token", "/api/v1/auth/logout"):
            continue  # signing in and out change only the caller's own session
        path = rule
        for name, value in values.items():
            path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        response = client.open(path, method=method, headers=auditor.headers,
                               json={"decision": "approve", "title": "x", "username": "x",
                                     "active": False, "role": "admin", "organisation_id": 1})
        answers[(method, rule)] = response.status_code
    refused = {route: code for route, code in answers.items() if code != 403}
    assert refused == {}, refused
    assert [e.action for e in _new_events(app, before)] == []


@pytest.mark.parametrize("path", ["/admin/users", "/admin/jobs", "/admin/templates",
                                  "/admin/models"])
def test_the_auditor_sees_no_administration_page(app, path):
    page = app.test_client()
    page.post("/login", data={"username": "kiemtoan", "password": DEMO_PASSWORD})
    assert page.get(path).status_code == 403
