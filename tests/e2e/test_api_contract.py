"""The API's published contract: OpenAPI covers every route; lists page with a cursor."""

from __future__ import annotations

import re

from tests.support.api import campaign_id, login, open_dossier


def test_openapi_lists_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1"):])
        assert path in paths, path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], (method, path)


def test_me_and_campaigns(client):
    donvi = login(client, "donvi1")
    me = donvi.get("/me").get_json()
    assert me["username"] == "donvi1"
    assert me["roles"][0]["role"] == "unit_officer"
    assert me["organisation"]["name"] == "UBND thành phố Phan Thiết"
    campaigns = donvi.get("/campaigns").get_json()["items"]
    sample = next(c for c in campaigns if c["id"] == campaign_id(donvi))
    assert sample["deadline"] == "2023-12-15"
    assert sample["name"] == "Phong trào thi đua nước rút 05 tháng cuối năm 2023"


def test_campaign_creation_is_for_the_board(client):
    body = {"code": "TD-2024", "name": "Phong trào thi đua năm 2024", "deadline": "2024-12-10",
            "start_date": "2024-01-01"}
    assert login(client, "donvi1").post("/campaigns", json=body).status_code == 403
    board = login(client, "bantdkt")
    created = board.post("/campaigns", json=body)
    assert created.status_code == 201
    assert created.get_json()["deadline"] == "2024-12-10"
    assert board.post("/campaigns", json=body).status_code == 422
    bad = board.post("/campaigns", json={**body, "code": "X", "deadline": "15/12/2024"})
    assert bad.status_code == 422


def test_dossier_list_pages_and_filters(client):
    donvi = login(client, "donvi1")
    ids = [open_dossier(donvi, title=f"Hồ sơ số {n}")["id"] for n in range(5)]
    first = donvi.get("/dossiers?limit=2").get_json()
    assert [d["id"] for d in first["items"]] == ids[::-1][:2]
    second = donvi.get(f"/dossiers?limit=2&cursor={first['next']}").get_json()
    assert [d["id"] for d in second["items"]] == ids[::-1][2:4]
    assert donvi.get("/dossiers?cursor=%%%").status_code == 422
    found = donvi.get("/dossiers?q=s%E1%BB%91%203").get_json()["items"]
    assert [d["title"] for d in found] == ["Hồ sơ số 3"]
    assert donvi.get("/dossiers?status=approved").get_json()["items"] == []
    assert donvi.get("/dossiers?campaign=abc").status_code == 422
