"""WEB-6 and WEB-7: who may see and act on what, as a matrix over roles, endpoints, objects."""

from __future__ import annotations

import pytest

from service.db.models import RoleAssignment, User
from service.db.session import UnitOfWork
from tests.support.api import login, open_dossier
from tests.support.files import docx_bytes

USERS = ("donvi1", "thutruong1", "donvi2", "donvi6", "cum1", "cum2", "bantdkt", "chutich",
         "kiemtoan", "quantri")

# Dossier visibility: draft of unit 1; submitted by unit 1 (cluster 1); submitted by unit 6
# (cluster 2).
SEE = {
    "draft": {"donvi1", "thutruong1"},
    "submitted": {"donvi1", "thutruong1", "cum1", "bantdkt", "chutich", "kiemtoan"},
    "other_cluster": {"donvi6", "cum2", "bantdkt", "chutich", "kiemtoan"},
}


@pytest.fixture(scope="module")
def world(shared_app):
    client = shared_app.test_client()
    users = {name: login(client, name) for name in USERS}
    draft = open_dossier(users["donvi1"], title="Hồ sơ nháp")
    submitted = open_dossier(users["donvi1"], title="Hồ sơ đã trình")
    users["donvi1"].upload(submitted["id"], "Báo cáo.docx", docx_bytes())
    users["donvi1"].decide(submitted["id"], "approve")
    users["thutruong1"].decide(submitted["id"], "approve")
    other = open_dossier(users["donvi6"], title="Hồ sơ cụm 2")
    users["donvi6"].decide(other["id"], "approve")
    login(client, "thutruong6").decide(other["id"], "approve")
    ids = {"draft": draft["id"], "submitted": submitted["id"], "other_cluster": other["id"]}
    return users, ids


@pytest.mark.parametrize("kind", sorted(SEE))
@pytest.mark.parametrize("username", USERS)
def test_dossier_reads_are_scoped(world, username, kind):
    users, ids = world
    user = users[username]
    expected = 200 if username in SEE[kind] else 404
    assert user.get(f"/dossiers/{ids[kind]}").status_code == expected
    assert user.get(f"/dossiers/{ids[kind]}/history").status_code == expected
    listed = {d["id"] for d in user.get("/dossiers").get_json()["items"]}
    assert (ids[kind] in listed) == (expected == 200)


@pytest.mark.parametrize("username", USERS)
def test_document_download_is_scoped(world, username):
    users, ids = world
    dossier = users["donvi1"].get(f"/dossiers/{ids['submitted']}").get_json()
    doc = dossier["documents"][0]
    response = users[username].get(f"/dossiers/{ids['submitted']}/documents/{doc['id']}")
    expected = 200 if username in SEE["submitted"] else 404
    assert response.status_code == expected
    if expected == 200:
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("username", USERS)
def test_only_candidates_see_claim_and_complete_a_task(world, username):
    users, ids = world
    task = users["cum1"].task_for(ids["submitted"])
    user = users[username]
    visible = any(t["id"] == task["id"] for t in user.tasks())
    assert visible == (username == "cum1")
    # The auditor is refused every change outright (read-only); others do not see the task.
    refused = 403 if username == "kiemtoan" else 404
    claim = user.post(f"/tasks/{task['id']}/claim")
    assert claim.status_code == (200 if username == "cum1" else refused)
    if username != "cum1":
        done = user.post(f"/tasks/{task['id']}/complete", json={"decision": "approve"})
        assert done.status_code == refused


@pytest.mark.parametrize(("username", "expected"), [
    ("donvi1", 422), ("thutruong1", 422), ("cum1", 403), ("bantdkt", 403), ("kiemtoan", 403),
    ("donvi2", 404), ("cum2", 404),
])
def test_submitted_dossier_cannot_be_changed(world, username, expected):
    users, ids = world
    user = users[username]
    assert user.upload(ids["submitted"], "x.docx", docx_bytes()).status_code == expected
    added = user.post(f"/dossiers/{ids['submitted']}/proposals", json={
        "subject_type": "individual", "name": "Trần Văn B", "award_code": "GIAY_KHEN"})
    assert added.status_code == expected


def test_claimed_task_is_reserved_for_its_claimant(client):
    donvi = login(client, "donvi1")
    did = open_dossier(donvi)["id"]
    task = donvi.task_for(did)
    assert donvi.post(f"/tasks/{task['id']}/claim").get_json()["claimed_by"] == "donvi1"
    with UnitOfWork(client.application.extensions["tdkt"].engine) as uow:
        colleague = uow.session.query(User).filter_by(username="donvi2").one()
        unit1 = uow.session.query(RoleAssignment).filter_by(user_id=uow.session.query(
            User).filter_by(username="donvi1").one().id).one().organisation_id
        colleague.roles.append(RoleAssignment(role="unit_officer", organisation_id=unit1))
        uow.commit()
    other = login(client, "donvi2")
    response = other.post(f"/tasks/{task['id']}/complete", json={"decision": "approve"})
    assert response.status_code == 409
    assert other.post(f"/tasks/{task['id']}/unclaim").status_code == 409
    assert donvi.post(f"/tasks/{task['id']}/unclaim").get_json()["claimed_by"] is None
    assert other.post(f"/tasks/{task['id']}/complete",
                      json={"decision": "approve"}).status_code == 200


def test_preparer_cannot_approve_at_a_later_step(client):
    """WEB-7: a unit officer who also leads the cluster cannot review their own dossier."""
    engine = client.application.extensions["tdkt"].engine
    with UnitOfWork(engine) as uow:
        donvi = uow.session.query(User).filter_by(username="donvi1").one()
        cum1 = uow.session.query(User).filter_by(username="cum1").one()
        cluster = cum1.roles[0].organisation_id
        donvi.roles.append(RoleAssignment(role="cluster_leader", organisation_id=cluster))
        uow.commit()
    donvi, head = login(client, "donvi1"), login(client, "thutruong1")
    did = open_dossier(donvi)["id"]
    donvi.decide(did, "approve")
    head.decide(did, "approve")
    task = donvi.task_for(did)
    assert task["step"] == "cluster_review"
    response = donvi.post(f"/tasks/{task['id']}/complete", json={"decision": "approve"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "separation_of_duties"
    assert login(client, "cum1").decide(did, "approve")["dossier"]["current_step"] == \
        "board_appraisal"


def test_client_fields_cannot_steer_the_route(client):
    """SE-5: posting routing variables as fields does not skip the cluster review."""
    donvi, head = login(client, "donvi1"), login(client, "thutruong1")
    did = open_dossier(donvi)["id"]
    donvi.decide(did, "approve", fields={"cluster_approved": True, "decision": "reject"})
    result = head.decide(did, "approve", fields={"cluster_approved": True,
                                                 "decided_by_role": "chairman"})
    assert result["dossier"]["current_step"] == "cluster_review"
    assert result["dossier"]["status"] == "in_review"
