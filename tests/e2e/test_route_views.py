"""Seeing the route: a dossier's own diagram with its marks, and the campaign's heatmap of where
dossiers wait, each within the caller's scope."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import select

from service.db.models import Task
from service.db.session import UnitOfWork
from tests.support import DEMO_PASSWORD
from tests.support.api import ApiUser, campaign_id, login, open_dossier
from tests.support.models import shipped, without_cluster_review

ROUTE = ("donvi1", "thutruong1", "cum1", "bantdkt", "chutich")


def page_client(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"username": username,
                                       "password": DEMO_PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_route_json_marks_completed_current_returns_and_flows(client):
    people = {name: login(client, name) for name in ROUTE}
    did = open_dossier(people["donvi1"])["id"]
    for name, decision in (("donvi1", "approve"), ("thutruong1", "approve"),
                           ("cum1", "return"), ("donvi1", "approve"),
                           ("thutruong1", "approve")):
        people[name].decide(did, decision, "Bổ sung" if decision == "return" else "")

    page = page_client(client.application, "cum1")
    route = page.get(f"/dossiers/{did}/route.json").get_json()
    assert route["model"]["key"] == "commendation" and route["model"]["version"] == 1
    assert route["xml"] == shipped()
    assert route["completed"] == ["unit_prepare", "unit_submit", "cluster_review"]
    assert route["current"] == ["cluster_review"]
    assert route["returns"] == [{"from": "cluster_review", "to": "unit_prepare", "count": 1}]
    assert set(route["flows"]) == {
        "Flow_start", "Flow_prepare_done", "Flow_unit_submit_done", "Flow_unit_submit_approve",
        "Flow_cluster_review_done", "Flow_cluster_review_return"}
    assert people["cum1"].get(f"/dossiers/{did}/route").get_json() == route

    # On to the board, which returns it too: two different returns, counted.
    people["cum1"].decide(did, "approve")
    people["bantdkt"].decide(did, "return", "Thiếu biên bản họp")
    people["donvi1"].decide(did, "approve")
    people["thutruong1"].decide(did, "approve")
    people["cum1"].decide(did, "return", "Lần hai")
    route = people["bantdkt"].get(f"/dossiers/{did}/route").get_json()
    assert route["current"] == ["unit_prepare"]
    assert route["returns"] == [{"from": "cluster_review", "to": "unit_prepare", "count": 2},
                                {"from": "board_appraisal", "to": "unit_prepare", "count": 1}]
    assert {"Flow_cluster_review_approve", "Flow_board_appraisal_return"} <= set(route["flows"])
    assert "Flow_board_appraisal_approve" not in route["flows"]
    assert page.get(f"/dossiers/{did}").status_code == 200


@pytest.mark.parametrize("username", ["donvi6", "cum2", "thutruong6"])
def test_route_json_is_scoped_like_the_dossier(client, username):
    did = open_dossier(login(client, "donvi1"))["id"]
    assert login(client, username).get(f"/dossiers/{did}/route").status_code == 404
    page = page_client(client.application, username)
    response = page.get(f"/dossiers/{did}/route.json")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    # A draft is not yet the board's either.
    assert login(client, "bantdkt").get(f"/dossiers/{did}/route").status_code == 404


# -- the campaign heatmap -----------------------------------------------------------------------

# The dossiers of the scenario: (unit officer, decisions taken in order). Units 1 and 2 belong
# to cluster 1 (cum1), unit 6 to cluster 2 (cum2).
SCENARIO = {
    "draft": ("donvi1", []),
    "with the head": ("donvi1", ["approve"]),
    "at cluster 1": ("donvi2", ["approve", "approve"]),
    "at cluster 2": ("donvi6", ["approve", "approve"]),
    "at the board": ("donvi6", ["approve", "approve", "approve"]),
    "with the chairman": ("donvi2", ["approve", "approve", "approve", "approve"]),
    "returned by the cluster": ("donvi1", ["approve", "approve", "return"]),
    "rejected": ("donvi2", ["approve", "approve", "reject"]),
}
CLUSTER_OF = {"donvi1": "cum1", "donvi2": "cum1", "donvi6": "cum2"}


@pytest.fixture
def scenario(client) -> dict[str, dict]:
    """Open the scenario's dossiers; for each, its id, unit, and whether it was submitted."""
    people: dict[str, ApiUser] = {}

    def user(name: str) -> ApiUser:
        if name not in people:
            people[name] = login(client, name)
        return people[name]

    made = {}
    for label, (officer, decisions) in SCENARIO.items():
        unit_no = officer.removeprefix("donvi")
        actors = [officer, f"thutruong{unit_no}", CLUSTER_OF[officer], "bantdkt", "chutich"]
        did = open_dossier(user(officer), title=label)["id"]
        for actor, decision in zip(actors, decisions, strict=False):
            user(actor).decide(did, decision, "Lý do" if decision != "approve" else "")
        made[label] = {"id": did, "officer": officer, "submitted": len(decisions) >= 2}
    return made


def visible(username: str, dossier: dict) -> bool:
    """The scoping rule, restated: a unit its own; a cluster its members' submitted ones; the
    board all submitted ones; the administrator and the auditor all."""
    if username in ("quantri", "kiemtoan"):
        return True
    if username.startswith("donvi"):
        return dossier["officer"] == username
    if username.startswith("cum"):
        return dossier["submitted"] and CLUSTER_OF[dossier["officer"]] == username
    return dossier["submitted"]


def open_tasks(app) -> list[Task]:
    with UnitOfWork(app.extensions["tdkt"].engine, write=False) as uow:
        return list(uow.session.scalars(select(Task).where(Task.state == "open")))


def expected_steps(app, username: str, scenario: dict) -> dict[str, tuple[int, object]]:
    ids = {d["id"] for d in scenario.values() if visible(username, d)}
    waiting: dict[str, list] = defaultdict(list)
    for task in open_tasks(app):
        if task.dossier_id in ids:
            waiting[task.step].append(task.received_at)
    return {step: (len(times), min(times).strftime("%Y-%m-%dT%H:%M:%SZ"))
            for step, times in waiting.items()}


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_heatmap_counts_the_open_tasks_in_scope(client, scenario):
    for username in ("donvi1", "cum1", "cum2", "bantdkt", "chutich", "quantri", "kiemtoan"):
        user = login(client, username)
        heatmap = user.get(f"/campaigns/{campaign_id(user)}/heatmap").get_json()
        assert heatmap["model"] == {"key": "commendation", "version": 1}
        assert heatmap["campaign"]["deadline"] == "2023-12-15"
        assert set(heatmap["steps"]) == {"unit_prepare", "unit_submit", "cluster_review",
                                         "board_appraisal", "chairman_decision"}
        expected = expected_steps(client.application, username, scenario)
        got = {step: (s["waiting"], s["oldest_received_at"])
               for step, s in heatmap["steps"].items() if s["waiting"]}
        assert got == expected, username
        in_scope = [d for label, d in scenario.items()
                    if visible(username, d) and label != "rejected"]
        assert sum(n for n, _ in got.values()) == len(in_scope), username
        for step in heatmap["steps"].values():
            if step["waiting"]:
                assert step["oldest_working_days"] == 0
            else:
                assert step["oldest_working_days"] is None
                assert step["oldest_received_at"] is None
        assert heatmap["steps"]["board_appraisal"]["name"] == "Ban TĐKT thẩm định"
        assert heatmap["other_versions"] == []


def test_heatmap_counts_tasks_on_steps_the_latest_version_lacks(client, scenario):
    admin = login(client, "quantri")
    response = admin.client.post(
        "/api/v1/process-models/commendation/publish", data=without_cluster_review().encode(),
        headers={**admin.headers, "Content-Type": "application/xml"})
    assert response.status_code == 201
    heatmap = admin.get(f"/campaigns/{campaign_id(admin)}/heatmap").get_json()
    assert heatmap["model"]["version"] == 2
    assert "cluster_review" not in heatmap["steps"]
    assert heatmap["other_versions"] == [{"version": 1, "waiting": 2}]
    assert heatmap["steps"]["board_appraisal"]["waiting"] == 1
    assert heatmap["xml"].startswith("<?xml") and "cluster_review" not in heatmap["xml"]


def test_campaign_pages(client, scenario):
    page = page_client(client.application, "bantdkt")
    cid = campaign_id(login(client, "bantdkt"))
    assert page.get(f"/campaigns/{cid}/route").status_code == 200
    body = page.get(f"/campaigns/{cid}/heatmap.json").get_json()
    assert body["steps"]["chairman_decision"]["waiting"] == 1
    assert page.get("/campaigns/99999/route").status_code == 404
    missing = page.get("/campaigns/99999/heatmap.json")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    assert login(client, "bantdkt").get("/campaigns/99999/heatmap").status_code == 404
    anonymous = client.application.test_client().get(f"/campaigns/{cid}/heatmap.json")
    assert anonymous.status_code == 401
