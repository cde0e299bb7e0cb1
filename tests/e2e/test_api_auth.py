"""Who is calling is read from the database on every request, never from a cache: an expired
token, a deactivated account or a changed role assignment takes effect on the very next
request, through the API (Bearer token) and the pages (session cookie) alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from service.audit.log import utcnow
from service.db.models import ApiToken, Organisation, RoleAssignment, User
from service.usecases.auth import token_digest
from tests.support import DEMO_PASSWORD
from tests.support.api import login, open_dossier

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


def _write(client, statement) -> None:
    """Change the database behind the service's back, as an administrator's tool would."""
    with client.application.extensions["tdkt"].engine.begin() as conn:
        conn.execute(statement)


def _user_id(client, username: str) -> int:
    with client.application.extensions["tdkt"].engine.connect() as conn:
        return conn.scalar(select(User.id).where(User.username == username))


def _page_login(app, username: str):
    page = app.test_client()
    response = page.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert page.get("/").status_code == 200
    return page


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_expired_token_is_refused_on_the_next_request(client):
    donvi = login(client, "donvi1")
    other = login(client, "donvi1")
    assert donvi.get("/me").status_code == 200
    _write(client, update(ApiToken)
           .where(ApiToken.token_hash == token_digest(donvi.token))
           .values(expires_at=utcnow() - timedelta(seconds=1)))
    response = donvi.get("/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"
    assert donvi.get("/tasks?state=open").status_code == 401
    # Only that token expired: the same user's other token still works.
    assert other.get("/me").get_json()["username"] == "donvi1"


def test_deactivated_user_is_refused_on_the_next_request(app, client):
    donvi = login(client, "donvi1")
    page = _page_login(app, "donvi1")
    assert donvi.get("/tasks?state=open").status_code == 200
    _write(client, update(User).where(User.username == "donvi1").values(is_active=False))
    response = donvi.get("/tasks?state=open")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"
    assert _sent_to_login(page.get("/"))
    # Reactivated, the unexpired token works again at once.
    _write(client, update(User).where(User.username == "donvi1").values(is_active=True))
    assert donvi.get("/me").status_code == 200


def test_removed_role_takes_effect_on_the_next_request(app, client):
    donvi = login(client, "donvi1")
    did = open_dossier(donvi)["id"]
    task = donvi.task_for(did)
    page = _page_login(app, "donvi1")
    assert f"/tasks/{task['id']}" in page.get("/").get_data(as_text=True)
    assert [r["role"] for r in donvi.get("/me").get_json()["roles"]] == ["unit_officer"]

    _write(client, delete(RoleAssignment).where(
        RoleAssignment.user_id == _user_id(client, "donvi1")))

    me = donvi.get("/me").get_json()
    assert me["roles"] == [] and me["organisation"] is None
    assert donvi.get("/tasks?state=open").get_json()["items"] == []
    assert donvi.get(f"/dossiers/{did}").status_code == 404
    response = donvi.post(f"/tasks/{task['id']}/complete", json={"decision": "approve"})
    assert response.status_code == 404
    assert donvi.post("/dossiers", json={"title": "x", "proposals": []}).status_code == 403
    assert f"/tasks/{task['id']}" not in page.get("/").get_data(as_text=True)
    assert page.get(f"/dossiers/{did}").status_code == 404


def test_added_role_and_moved_organisation_take_effect_on_the_next_request(client):
    donvi, head, cum1, bantdkt = (login(client, name)
                                  for name in ("donvi1", "thutruong1", "cum1", "bantdkt"))
    did = open_dossier(donvi)["id"]
    for user in (donvi, head, cum1):
        user.decide(did, "approve")
    assert bantdkt.task_for(did)["step"] == "board_appraisal"
    assert [t for t in cum1.tasks() if t["dossier_id"] == did] == []
    with client.application.extensions["tdkt"].engine.connect() as conn:
        board_id = conn.scalar(select(Organisation.id).where(Organisation.kind == "board"))

    # Given a role, the holder of a live token has it on the next request, with its reach
    # (the board's tasks belong to the province, the board's parent).
    _write(client, insert(RoleAssignment).values(
        user_id=_user_id(client, "cum1"), role="board_specialist", organisation_id=board_id))
    assert [r["role"] for r in cum1.get("/me").get_json()["roles"]] == [
        "cluster_leader", "board_specialist"]
    assert cum1.task_for(did)["step"] == "board_appraisal"

    # The organisation tree is not cached either: detached from the province, the board's
    # roles no longer reach the province's tasks.
    _write(client, update(Organisation).where(Organisation.id == board_id).values(
        parent_id=None))
    assert [t for t in bantdkt.tasks() if t["dossier_id"] == did] == []
    assert [t for t in cum1.tasks() if t["dossier_id"] == did] == []
