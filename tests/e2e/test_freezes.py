"""Freezes (NĐ 98/152, Điều 4): a person or collective under review cannot be proposed; a
dossier already carrying one is not approved until the line is left out; lifting is audited."""

from __future__ import annotations

import json

from sqlalchemy import select

from service.db.models import AuditEvent, Organisation
from tests.support import DEMO_PASSWORD
from tests.support.api import login, open_dossier

FROZEN = "Nguyễn Thị Hồng Nhung"
REASON = "Đang xem xét kỷ luật theo Quyết định số 12/QĐ-UBND"


def _unit_of(app, code: str = "DV001") -> int:
    with app.extensions["tdkt"].engine.connect() as conn:
        return conn.scalar(select(Organisation.id).where(Organisation.code == code))


def test_a_frozen_candidate_cannot_be_proposed_nor_carried_forward(app):
    client = app.test_client()
    donvi, head, cum = login(client, "donvi1"), login(client, "thutruong1"), login(client, "cum1")
    board = login(client, "bantdkt")
    earlier = open_dossier(donvi)  # made before the freeze: holds the person
    did = earlier["id"]
    lines = {p["name"]: p["id"] for p in earlier["proposals"]}

    created = board.post("/freezes", json={
        "unit_id": _unit_of(app), "subject_type": "individual", "name": "nguyễn thị hồng nhung",
        "kind": "discipline", "reason": REASON})
    assert created.status_code == 201, created.get_json()
    freeze_id = created.get_json()["id"]

    refused = donvi.post("/dossiers", json={
        "campaign_id": earlier["campaign_id"], "title": "Hồ sơ mới",
        "proposals": [{"subject_type": "individual", "name": FROZEN, "award_code": "BK_CT_UBND"}]})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "candidate_frozen"
    assert FROZEN in error["message"] and REASON in error["message"]

    # The earlier dossier: its unit cannot send it on with the line, and neither can the cluster.
    task = donvi.task_for(did)
    stopped = donvi.post(f"/tasks/{task['id']}/complete", json={"decision": "approve"})
    assert stopped.status_code == 422 and stopped.get_json()["error"]["code"] == "candidate_frozen"
    # The unit takes the line off (dossier page) and can then send the dossier on.
    page = app.test_client()
    page.post("/login", data={"username": "donvi1", "password": DEMO_PASSWORD})
    assert page.post(f"/dossiers/{did}/proposals/{lines[FROZEN]}/delete").status_code == 302
    donvi.decide(did, "approve")

    second = open_dossier(donvi, title="Hồ sơ thứ hai", proposals=[
        {"subject_type": "collective", "name": "Phòng Văn hóa và Thông tin",
         "award_code": "BK_CT_UBND"}])
    donvi.decide(second["id"], "approve")
    head.decide(second["id"], "approve")
    # Frozen after it reached the cluster: the collective itself this time.
    board.post("/freezes", json={
        "unit_id": _unit_of(app), "subject_type": "collective",
        "name": "Phòng Văn hóa và Thông tin", "kind": "inspection",
        "reason": "Đang thanh tra việc sử dụng ngân sách"})
    task = cum.task_for(second["id"])
    form = cum.get(f"/tasks/{task['id']}").get_json()["form"]
    meeting = {"present": [m["id"] for m in form["meeting_members"]]}
    stopped = cum.post(f"/tasks/{task['id']}/complete",
                       json={"decision": "approve", "meeting": meeting})
    assert stopped.status_code == 422
    assert "thanh tra" in stopped.get_json()["error"]["message"]

    lifted = board.post(f"/freezes/{freeze_id}/lift", json={})
    assert lifted.status_code == 200 and lifted.get_json()["until"]
    with app.extensions["tdkt"].engine.connect() as conn:
        events = {e.action: json.loads(e.details) for e in conn.execute(
            select(AuditEvent).where(AuditEvent.action.like("freeze.%")))}
    assert events["freeze.created"]["after"]["reason"] in (REASON,
                                                            "Đang thanh tra việc sử dụng ngân sách")
    assert events["freeze.lifted"]["before"]["until"] is None


def test_only_the_board_and_administrators_record_freezes(app):
    client = app.test_client()
    body = {"unit_id": _unit_of(app), "subject_type": "individual", "name": "Lê Văn A",
            "kind": "complaint", "reason": "Đang giải quyết tố cáo"}
    for username in ("donvi1", "cum1", "chutich", "kiemtoan"):
        assert login(client, username).post("/freezes", json=body).status_code == 403
    assert login(client, "quantri").post("/freezes", json=body).status_code == 201
    bad = login(client, "truongban").post("/freezes", json={**body, "kind": "rumour"})
    assert bad.status_code == 422
