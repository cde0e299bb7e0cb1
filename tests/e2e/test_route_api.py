"""The commendation route end to end through the public API, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest

from tests.support.api import login, open_dossier
from tests.support.files import docx_bytes

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


def test_full_route_with_return_and_supplement(client):
    donvi, head = login(client, "donvi1"), login(client, "thutruong1")
    cum, ban, chutich = login(client, "cum1"), login(client, "bantdkt"), login(client, "chutich")

    dossier = open_dossier(donvi)
    did = dossier["id"]
    assert dossier["status"] == "draft"
    assert dossier["current_step"] == "unit_prepare"
    assert [p["outcome"] for p in dossier["proposals"]] == ["pending", "pending"]

    first = docx_bytes("Phiên bản đầu")
    uploaded = donvi.upload(did, "Báo cáo thành tích.docx", first).get_json()
    assert uploaded["sha256"] == hashlib.sha256(first).hexdigest()
    assert uploaded["version"] == 1

    # The cluster cannot see a draft.
    assert cum.get(f"/dossiers/{did}").status_code == 404

    donvi.decide(did, "approve")
    head.decide(did, "approve")
    assert cum.get(f"/dossiers/{did}").get_json()["status"] == "in_review"

    # Returning needs a reason.
    task = cum.task_for(did)
    response = cum.post(f"/tasks/{task['id']}/complete", json={"decision": "return"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "reason_required"
    cum.decide(did, "return", "Bổ sung số liệu quý IV")
    assert donvi.get(f"/dossiers/{did}").get_json()["status"] == "returned"

    second = docx_bytes("Phiên bản bổ sung")
    again = donvi.upload(did, "Báo cáo thành tích.docx", second,
                         document_id=uploaded["id"]).get_json()
    assert again["version"] == 2 and again["id"] == uploaded["id"]
    old = donvi.get(f"/dossiers/{did}/documents/{uploaded['id']}?version=1")
    assert old.data == first
    donvi.decide(did, "approve")
    head.decide(did, "approve")
    cum.decide(did, "approve", "Cụm thống nhất đề nghị")
    ban.decide(did, "approve", "Đủ điều kiện")
    final = chutich.decide(did, "approve")["dossier"]
    assert final["status"] == "approved"
    assert final["current_step"] is None
    assert [p["outcome"] for p in final["proposals"]] == ["approved", "approved"]

    history = ban.get(f"/dossiers/{did}/history").get_json()["items"]
    decisions = [(h["step"], h["decision"], h["actor"]) for h in history
                 if h["action"] == "task.completed"]
    assert decisions == [
        ("unit_prepare", "approve", "donvi1"), ("unit_submit", "approve", "thutruong1"),
        ("cluster_review", "return", "cum1"),
        ("unit_prepare", "approve", "donvi1"), ("unit_submit", "approve", "thutruong1"),
        ("cluster_review", "approve", "cum1"), ("board_appraisal", "approve", "bantdkt"),
        ("chairman_decision", "approve", "chutich"),
    ]
    returned = next(h for h in history if h["decision"] == "return")
    assert returned["comment"] == "Bổ sung số liệu quý IV"
    assert returned["documents"] == [{"id": uploaded["id"], "version": 1,
                                      "sha256": uploaded["sha256"],
                                      "name": "Báo cáo thành tích.docx"}]
    board_step = next(h for h in history if h["step"] == "board_appraisal")
    assert board_step["documents"][0]["version"] == 2
    assert board_step["documents"][0]["sha256"] == hashlib.sha256(second).hexdigest()


@pytest.mark.parametrize(("who", "decision", "status"), [
    ("cum1", "reject", "rejected"), ("bantdkt", "reject", "rejected"),
    ("chutich", "reject", "rejected"),
])
def test_rejection_at_each_level_ends_the_dossier(client, who, decision, status):
    users = {name: login(client, name) for name in
             ("donvi1", "thutruong1", "cum1", "bantdkt", "chutich")}
    did = open_dossier(users["donvi1"])["id"]
    order = ["donvi1", "thutruong1", "cum1", "bantdkt", "chutich"]
    for name in order[: order.index(who)]:
        users[name].decide(did, "approve")
    result = users[who].decide(did, decision, "Chưa đủ tiêu chuẩn theo quy định")
    assert result["dossier"]["status"] == status
    assert all(p["outcome"] == "not_approved" for p in result["dossier"]["proposals"])
    assert users["bantdkt"].tasks() == [] or all(
        t["dossier_id"] != did for t in users["bantdkt"].tasks())


def test_chairman_return_goes_back_to_the_board(client):
    users = {name: login(client, name) for name in
             ("donvi1", "thutruong1", "cum1", "bantdkt", "chutich")}
    did = open_dossier(users["donvi1"])["id"]
    for name in ("donvi1", "thutruong1", "cum1", "bantdkt"):
        users[name].decide(did, "approve")
    result = users["chutich"].decide(did, "return", "Ban rà soát lại danh sách")
    assert result["dossier"]["current_step"] == "board_appraisal"
    assert result["dossier"]["status"] == "in_review"
    users["bantdkt"].decide(did, "approve")
    assert users["chutich"].decide(did, "approve")["dossier"]["status"] == "approved"
