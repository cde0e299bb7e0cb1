"""Moving a running dossier to a newer version of its route: when it is allowed, what it
changes, and that every attempt is in the audit trail."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from service.db.models import AuditEvent, ProcessInstance, Task
from service.db.session import UnitOfWork
from tests.support import DEMO_PASSWORD
from tests.support.api import ApiUser, login, open_dossier
from tests.support.models import CONSULTATION_ID, with_consultation, without_cluster_review

STEPS = ("donvi1", "thutruong1", "cum1", "bantdkt", "chutich")


def users(client) -> dict[str, ApiUser]:
    return {name: login(client, name) for name in (*STEPS, "quantri")}


def advance(people: dict[str, ApiUser], upto: str, title: str = "Hồ sơ cần chuyển") -> int:
    """A new dossier approved by every step before ``upto``'s."""
    did = open_dossier(people["donvi1"], title=title)["id"]
    for name in STEPS[: STEPS.index(upto)]:
        people[name].decide(did, "approve")
    return did


def publish(admin: ApiUser, xml: str) -> int:
    response = admin.client.post("/api/v1/process-models/commendation/publish",
                                 data=xml.encode(), headers={**admin.headers,
                                                             "Content-Type": "application/xml"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["version"]["version"]


def migrate(admin: ApiUser, dossier_id: int, version: object):
    return admin.post(f"/dossiers/{dossier_id}/migrate", json={"version": version})


def audit(app, action: str) -> list[dict]:
    with UnitOfWork(app.extensions["tdkt"].engine, write=False) as uow:
        rows = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id))
        return [{"actor": e.actor, "dossier_id": e.dossier_id, **json.loads(e.details)}
                for e in rows]


def instance_version(app, dossier_id: int) -> int:
    with UnitOfWork(app.extensions["tdkt"].engine, write=False) as uow:
        instance = uow.session.scalar(select(ProcessInstance).where(
            ProcessInstance.dossier_id == dossier_id))
        return instance.model_version.version


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_dossier_at_the_appraisal_moves_to_the_version_with_consultation(client):
    people = users(client)
    did = advance(people, "bantdkt")
    before = people["bantdkt"].task_for(did)
    assert before["step"] == "board_appraisal" and before["name"] == "Ban TĐKT thẩm định"
    claimed = people["bantdkt"].post(f"/tasks/{before['id']}/claim")
    assert claimed.status_code == 200

    # Version 2 inserts "Hiệp y" and also renames the appraisal and shortens its deadline.
    v2 = with_consultation().replace('name="Ban TĐKT thẩm định"',
                                     'name="Ban TĐKT thẩm định hồ sơ"', 1)
    v2 = v2.replace('<tdkt:step dueWorkingDays="20">', '<tdkt:step dueWorkingDays="10">')
    assert publish(people["quantri"], v2) == 2
    assert instance_version(client.application, did) == 1  # running dossiers keep theirs

    response = migrate(people["quantri"], did, 2)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"dossier_id": did, "from_version": 1, "to_version": 2,
                                   "current_step": "board_appraisal"}
    assert instance_version(client.application, did) == 2

    after = people["bantdkt"].task_for(did)
    assert after["id"] == before["id"]  # the same task, re-described by the new version
    assert (after["step"], after["name"]) == ("board_appraisal", "Ban TĐKT thẩm định hồ sơ")
    assert after["due_at"] < before["due_at"]
    assert after["claimed_by"] == "bantdkt"  # same role, same organisation: the claim stays
    dossier = people["bantdkt"].get(f"/dossiers/{did}").get_json()
    assert dossier["current_step_name"] == "Ban TĐKT thẩm định hồ sơ"

    [event] = audit(client.application, "instance.migrated")
    assert (event["actor"], event["dossier_id"]) == ("quantri", did)
    assert (event["from_version"], event["to_version"]) == (1, 2)
    versions = {v["version"]: v["sha256"] for v in people["quantri"].get(
        "/process-models").get_json()["items"][0]["versions"]}
    assert (event["from_sha256"], event["to_sha256"]) == (versions[1], versions[2])

    # It now runs on version 2: a return and a new pass go through "Hiệp y".
    people["bantdkt"].decide(did, "return", "Bổ sung ý kiến hiệp y")
    for name in ("donvi1", "thutruong1", "cum1"):
        people[name].decide(did, "approve")
    assert people["bantdkt"].task_for(did)["step"] == CONSULTATION_ID
    people["bantdkt"].decide(did, "approve")
    people["bantdkt"].decide(did, "approve")
    assert people["chutich"].decide(did, "approve")["dossier"]["status"] == "approved"


def test_migration_is_refused_when_the_current_step_is_gone(client):
    people = users(client)
    did = advance(people, "cum1")
    assert publish(people["quantri"], without_cluster_review()) == 2
    response = migrate(people["quantri"], did, 2)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "step_missing"
    assert "cluster_review" in error["message"] and "Cụm thi đua xét duyệt" in error["message"]
    assert instance_version(client.application, did) == 1
    assert people["cum1"].task_for(did)["step"] == "cluster_review"
    [event] = audit(client.application, "instance.migration_refused")
    assert (event["actor"], event["dossier_id"], event["code"]) == ("quantri", did,
                                                                    "step_missing")
    assert event["steps"] == ["cluster_review"] and (event["from_version"],
                                                     event["to_version"]) == (1, 2)
    assert audit(client.application, "instance.migrated") == []
    # The dossier goes on, on its own version.
    people["cum1"].decide(did, "approve")
    assert people["bantdkt"].task_for(did)["step"] == "board_appraisal"


def test_migration_is_refused_when_the_history_cannot_be_kept(client):
    people = users(client)
    did = advance(people, "bantdkt")  # it went through cluster_review
    assert publish(people["quantri"], without_cluster_review()) == 2
    response = migrate(people["quantri"], did, 2)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "history_missing"
    assert "cluster_review" in response.get_json()["error"]["message"]
    assert instance_version(client.application, did) == 1
    assert people["bantdkt"].decide(did, "approve")["dossier"]["current_step"] == (
        "chairman_decision")


def test_migration_is_refused_for_older_versions_and_finished_dossiers(client):
    people = users(client)
    running = advance(people, "cum1", "Hồ sơ đang chạy")
    finished = advance(people, "cum1", "Hồ sơ bị từ chối")
    people["cum1"].decide(finished, "reject", "Không đủ tiêu chuẩn")
    assert publish(people["quantri"], with_consultation()) == 2
    assert migrate(people["quantri"], running, 2).status_code == 200
    same = migrate(people["quantri"], running, 2)
    assert same.status_code == 409 and same.get_json()["error"]["code"] == "not_newer"
    older = migrate(people["quantri"], running, 1)
    assert older.status_code == 409 and older.get_json()["error"]["code"] == "not_newer"
    done = migrate(people["quantri"], finished, 2)
    assert done.status_code == 409 and done.get_json()["error"]["code"] == "finished"
    assert [e["code"] for e in audit(client.application, "instance.migration_refused")] == [
        "not_newer", "not_newer", "finished"]
    assert migrate(people["quantri"], running, 7).status_code == 404
    assert migrate(people["quantri"], running, "hai").status_code == 422
    assert migrate(people["quantri"], 999999, 2).status_code == 404


def test_migration_is_admin_only_and_available_to_the_admin_pages(client):
    people = users(client)
    did = advance(people, "cum1")
    assert publish(people["quantri"], with_consultation()) == 2
    for name in ("donvi1", "cum1", "bantdkt", "chutich"):
        assert migrate(people[name], did, 2).status_code == 403
    assert migrate(login(client, "kiemtoan"), did, 2).status_code == 403
    page = client.application.test_client()
    page.post("/login", data={"username": "quantri", "password": DEMO_PASSWORD})
    response = page.post(f"/admin/dossiers/{did}/migrate", json={"version": 2})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["to_version"] == 2
    again = page.post(f"/admin/dossiers/{did}/migrate", data={"version": "2"},
                      headers={"Accept": "application/json"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_newer"
    with UnitOfWork(client.application.extensions["tdkt"].engine, write=False) as uow:
        steps = set(uow.session.scalars(select(Task.step).where(Task.dossier_id == did,
                                                                Task.state == "open")))
    assert steps == {"cluster_review"}


def test_admin_page_lists_old_version_dossiers_and_moves_them(client):
    people = users(client)
    movable = advance(people, "donvi1", title="Hồ sơ đang chuẩn bị")
    blocked = advance(people, "cum1", title="Hồ sơ chờ Cụm")
    assert publish(people["quantri"], without_cluster_review()) == 2

    client.post("/login", data={"username": "quantri", "password": DEMO_PASSWORD})
    page = client.get("/admin/models/commendation/instances")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-dossier-id="{movable}"' in html and f'data-dossier-id="{blocked}"' in html
    assert "Chuyển sang phiên bản 2" in html
    assert "Không chuyển được: bước cluster_review không có trong phiên bản mới." in html

    back = "/admin/models/commendation/instances"
    moved = client.post(f"/admin/dossiers/{movable}/migrate",
                        data={"version": "2", "back": back})
    assert moved.status_code == 302 and moved.headers["Location"] == back
    assert instance_version(client.application, movable) == 2
    after = client.get(back).get_data(as_text=True)
    assert f"Đã chuyển hồ sơ #{movable} từ phiên bản 1 sang phiên bản 2." in after
    assert f'data-dossier-id="{movable}"' not in after

    refused = client.post(f"/admin/dossiers/{blocked}/migrate",
                          data={"version": "2", "back": back})
    assert refused.status_code == 302
    assert "không có trong phiên bản 2" in client.get(back).get_data(as_text=True)
    assert instance_version(client.application, blocked) == 1

    client.post("/logout")
    client.post("/login", data={"username": "bantdkt", "password": DEMO_PASSWORD})
    assert client.get(back).status_code == 403
