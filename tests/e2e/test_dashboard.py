"""The campaign dashboard: its numbers, recomputed here from the API's dossier and task
listings, in the JSON, the page and the spreadsheet, within each caller's scope."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import aliased

from service.db.models import ClusterMembership, Organisation
from service.db.session import UnitOfWork
from service.usecases.route import today_local
from tests.support import DEMO_PASSWORD
from tests.support.api import ApiUser, campaign_id, login, open_dossier

STATUSES = ("draft", "in_review", "returned", "approved", "partly_approved", "rejected")
DEADLINE = date(2023, 12, 15)
LINES = [
    {"subject_type": "collective", "name": "Phòng Văn hóa và Thông tin",
     "award_code": "BK_CT_UBND", "summary": "Hoàn thành xuất sắc nhiệm vụ"},
    {"subject_type": "collective", "name": "Phòng Tài chính - Kế hoạch",
     "award_code": "TTLDXS", "summary": "Hoàn thành xuất sắc nhiệm vụ"},
    {"subject_type": "individual", "name": "Trần Văn Khải", "award_code": "BK_CT_UBND",
     "summary": "Có nhiều sáng kiến"},
]
# (unit officer, decisions in order along unit officer, head, cluster, board, chairman).
# Units 1-3 are in cluster 1 (cum1), units 6-8 in cluster 2 (cum2).
SCENARIO = {
    "approved with a line left out": ("donvi1", ["approve"] * 5),
    "at cluster 1": ("donvi2", ["approve", "approve"]),
    "rejected by cluster 1": ("donvi2", ["approve", "approve", "reject"]),
    "draft": ("donvi3", []),
    "at the board": ("donvi6", ["approve"] * 3),
    "with the chairman": ("donvi7", ["approve"] * 4),
    "returned by cluster 2": ("donvi8", ["approve", "approve", "return"]),
}
CLUSTER_OF = {"donvi1": "cum1", "donvi2": "cum1", "donvi3": "cum1",
              "donvi6": "cum2", "donvi7": "cum2", "donvi8": "cum2"}


@pytest.fixture
def people(client):
    made: dict[str, ApiUser] = {}

    def user(name: str) -> ApiUser:
        if name not in made:
            made[name] = login(client, name)
        return made[name]

    return user


@pytest.fixture
def scenario(people) -> dict[str, dict]:
    made = {}
    for label, (officer, decisions) in SCENARIO.items():
        no = officer.removeprefix("donvi")
        actors = [officer, f"thutruong{no}", CLUSTER_OF[officer], "bantdkt", "chutich"]
        dossier = open_dossier(people(officer), title=label, proposals=LINES)
        for actor, decision in zip(actors, decisions, strict=False):
            extra = {}
            if actor == "bantdkt" and label == "approved with a line left out":
                left_out = next(p["id"] for p in dossier["proposals"]
                                if p["name"] == "Trần Văn Khải")
                extra["excluded_lines"] = [{"proposal_id": left_out,
                                            "reason": "Chưa đủ thời gian công tác"}]
            people(actor).decide(dossier["id"], decision,
                                 "Lý do" if decision != "approve" else "", **extra)
        made[label] = dossier
    return made


def roster(app, cluster_ids: set[int] | None) -> dict[int, tuple[str, list[tuple[int, str]]]]:
    """The campaign year's clusters and their member units, straight from the tables."""
    cluster, unit = aliased(Organisation), aliased(Organisation)
    stmt = (select(cluster.id, cluster.name, unit.id, unit.name)
            .join(ClusterMembership, ClusterMembership.cluster_id == cluster.id)
            .join(unit, unit.id == ClusterMembership.unit_id)
            .where(ClusterMembership.year == 2023))
    result: dict[int, tuple[str, list]] = {}
    with UnitOfWork(app.extensions["tdkt"].engine, write=False) as uow:
        for cid, cname, uid, uname in uow.session.execute(stmt):
            if cluster_ids is None or cid in cluster_ids:
                result.setdefault(cid, (cname, []))[1].append((uid, uname))
    return result


def listed_dossiers(viewer: ApiUser, cid: int) -> list[dict]:
    items, cursor = [], None
    while True:
        page = viewer.get(f"/dossiers?campaign={cid}&limit=50"
                          + (f"&cursor={cursor}" if cursor else "")).get_json()
        items += page["items"]
        cursor = page["next"]
        if not cursor:
            return items


def expected_dashboard(app, viewer: ApiUser, task_viewers: list[ApiUser],
                       cluster_ids: set[int] | None) -> dict:
    """The dashboard's numbers, recomputed from what the API lists to these users."""
    cid = campaign_id(viewer)
    today = today_local()
    dossiers = listed_dossiers(viewer, cid)
    ids = {d["id"] for d in dossiers}
    tasks = {t["id"]: t for user in task_viewers for t in user.tasks() if t["dossier_id"] in ids}
    overdue = Counter()
    by_dossier = {d["id"]: d for d in dossiers}
    for t in tasks.values():
        if t["due_at"] and date.fromisoformat(t["due_at"]) < today:
            overdue[by_dossier[t["dossier_id"]]["unit_id"]] += 1
    clusters = []
    for cluster_id, (name, members) in sorted(roster(app, cluster_ids).items()):
        units = []
        for unit_id, unit_name in sorted(members):
            mine = [d for d in dossiers if d["unit_id"] == unit_id]
            reported = bool(mine)  # the viewer's listing holds submitted dossiers only
            by_status = {s: sum(1 for d in mine if d["status"] == s) for s in STATUSES}
            units.append({
                "id": unit_id, "name": unit_name, "reported": reported,
                "late": (not reported and today > DEADLINE) or overdue[unit_id] > 0,
                "overdue_tasks": overdue[unit_id], "dossiers": len(mine),
                "by_status": by_status})
        clusters.append({"id": cluster_id, "name": name,
                         "reported": sum(u["reported"] for u in units),
                         "late": sum(u["late"] for u in units),
                         "dossiers": sum(u["dossiers"] for u in units), "units": units})
    lines = [p for d in dossiers for p in d["proposals"]]
    awards = {}
    for code in sorted({p["award_code"] for p in lines}):
        mine = [p for p in lines if p["award_code"] == code]
        awards[code] = (len(mine), sum(p["outcome"] == "approved" for p in mine),
                        sum(p["outcome"] == "not_approved" for p in mine))
    all_units = [u for c in clusters for u in c["units"]]
    return {
        "clusters": clusters,
        "waiting": dict(Counter(t["step"] for t in tasks.values())),
        "awards": awards,
        "totals": {
            "units": len(all_units), "reported": sum(u["reported"] for u in all_units),
            "late": sum(u["late"] for u in all_units), "dossiers": len(dossiers),
            "by_status": {s: sum(1 for d in dossiers if d["status"] == s) for s in STATUSES},
            "open_tasks": len(tasks), "overdue_tasks": sum(overdue.values()),
            "lines": {"proposed": len(lines),
                      "approved": sum(p["outcome"] == "approved" for p in lines),
                      "not_approved": sum(p["outcome"] == "not_approved" for p in lines)}},
    }


def assert_matches(got: dict, want: dict) -> None:
    assert sorted(got["clusters"], key=lambda c: c["id"]) == want["clusters"]
    assert {s["step"]: s["waiting"] for s in got["steps"] if s["waiting"]} == want["waiting"]
    for step in got["steps"]:
        assert step["oldest_working_days"] == (0 if step["waiting"] else None)
    assert {a["code"]: (a["proposed"], a["approved"], a["not_approved"])
            for a in got["awards"]} == want["awards"]
    assert got["totals"] == want["totals"]
    assert got["other_versions"] == []


def task_viewers(people) -> list[ApiUser]:
    names = ["cum1", "cum2", "bantdkt", "chutich"]
    for officer in CLUSTER_OF:
        names += [officer, f"thutruong{officer.removeprefix('donvi')}"]
    return [people(n) for n in names]


def sort_units(body: dict) -> dict:
    for cluster in body["clusters"]:
        cluster["units"].sort(key=lambda u: u["id"])
    return body


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_dashboard_numbers_match_the_listings(client, people, scenario):
    board = people("bantdkt")
    cid = campaign_id(board)
    got = sort_units(board.get(f"/campaigns/{cid}/dashboard").get_json())
    want = expected_dashboard(client.application, board, task_viewers(people), None)
    assert_matches(got, want)
    assert got["campaign"]["deadline"] == "2023-12-15" and got["deadline_passed"] is True
    assert len(got["clusters"]) == 15

    # The scenario, read back: what the recomputation must find.
    units = {u["id"]: u for c in got["clusters"] for u in c["units"]}
    unit_of = {label: d["unit_id"] for label, d in scenario.items()}
    finished = units[unit_of["approved with a line left out"]]
    assert finished["reported"] and not finished["late"]
    assert finished["by_status"]["partly_approved"] == 1
    assert units[unit_of["draft"]] == {**units[unit_of["draft"]], "reported": False,
                                       "late": True, "dossiers": 0}
    assert units[unit_of["at cluster 1"]]["late"] and units[unit_of["at cluster 1"]][
        "overdue_tasks"] == 1
    assert not units[unit_of["at the board"]]["late"]
    assert units[unit_of["returned by cluster 2"]]["by_status"]["returned"] == 1
    assert got["totals"]["dossiers"] == 6 and got["totals"]["reported"] == 5
    assert {a["code"]: (a["proposed"], a["approved"], a["not_approved"])
            for a in got["awards"]} == {"BK_CT_UBND": (12, 1, 3), "TTLDXS": (6, 1, 1)}

    # The chairman and the auditor see the same; the auditor also counts the draft.
    chairman = people("chutich").get(f"/campaigns/{cid}/dashboard").get_json()
    assert sort_units(chairman) == got
    auditor = sort_units(people("kiemtoan").get(f"/campaigns/{cid}/dashboard").get_json())
    assert auditor["totals"]["dossiers"] == 7 and auditor["totals"]["by_status"]["draft"] == 1


def test_a_cluster_leader_sees_only_the_cluster(client, people, scenario):
    cum1 = people("cum1")
    cid = campaign_id(cum1)
    got = sort_units(cum1.get(f"/campaigns/{cid}/dashboard").get_json())
    cluster_id = scenario["at cluster 1"]["cluster_id"]
    assert [c["id"] for c in got["clusters"]] == [cluster_id]
    want = expected_dashboard(client.application, cum1, task_viewers(people), {cluster_id})
    assert_matches(got, want)
    assert got["totals"]["units"] == 5 and got["totals"]["dossiers"] == 3


def page_client(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"username": username,
                                       "password": DEMO_PASSWORD}).status_code == 302
    return client


def test_the_spreadsheet_carries_the_same_numbers(client, people, scenario):
    board = people("bantdkt")
    cid = campaign_id(board)
    body = board.get(f"/campaigns/{cid}/dashboard").get_json()
    page = page_client(client.application, "bantdkt")
    response = page.get(f"/campaigns/{cid}/dashboard.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["Don vi", "Buoc", "Hinh thuc"]
    yes = {True: "Có", False: "Không"}
    units = [list(r) for r in book["Don vi"].iter_rows(min_row=2, values_only=True)]
    assert units == [[c["name"], u["name"], yes[u["reported"]], yes[u["late"]],
                      u["overdue_tasks"], u["dossiers"], *(u["by_status"][s] for s in STATUSES)]
                     for c in body["clusters"] for u in c["units"]]
    steps = [list(r) for r in book["Buoc"].iter_rows(min_row=2, max_col=4, values_only=True)]
    assert steps == [[s["step"], s["name"], s["waiting"], s["oldest_working_days"]]
                     for s in body["steps"]]
    awards = [list(r) for r in book["Hinh thuc"].iter_rows(min_row=2, values_only=True)]
    assert awards == [[a["code"], a["name"], a["proposed"], a["approved"], a["not_approved"]]
                      for a in body["awards"]]


def test_the_page_and_who_may_see_it(client, people, scenario):
    cid = campaign_id(people("bantdkt"))
    page = page_client(client.application, "chutich")
    html = page.get(f"/campaigns/{cid}/dashboard").get_data(as_text=True)
    assert "Bảng tổng hợp đợt thi đua" in html and "Tải XLSX" in html
    assert "15/12/2023" in html and 'data-testid="chart-awards"' in html
    assert f'href="/campaigns/{cid}/dashboard"' in page.get("/").get_data(as_text=True)
    assert 'data-testid="dashboard-link"' in page.get(
        f"/campaigns/{cid}/route").get_data(as_text=True)
    assert page.get("/campaigns/99999/dashboard").status_code == 404

    unit = page_client(client.application, "donvi1")
    assert unit.get(f"/campaigns/{cid}/dashboard").status_code == 403
    assert unit.get(f"/campaigns/{cid}/dashboard.xlsx").status_code == 403
    assert 'data-testid="nav-dashboard"' not in unit.get("/").get_data(as_text=True)
    forbidden = people("donvi1").get(f"/campaigns/{cid}/dashboard")
    assert forbidden.status_code == 403 and forbidden.get_json()["error"]["code"] == "forbidden"
    assert people("bantdkt").get("/campaigns/99999/dashboard").status_code == 404
    assert client.application.test_client().get(
        f"/api/v1/campaigns/{cid}/dashboard").status_code == 401
