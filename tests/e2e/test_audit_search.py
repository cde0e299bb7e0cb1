"""The auditor's view of the trail through the API: filters, folded text, pages, the report.

A small trail is made by running parts of the route: unit 1 (cluster 1) prepares, submits and
is returned by its cluster; unit 6 (cluster 2) prepares and submits a dossier proposing
another award. Every expectation is computed from the whole trail read page by page.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from service.audit.log import search_text
from service.db.session import UnitOfWork
from service.documents.pdf import PdfConversionError, pdf_text
from service.domain.text import fold
from service.usecases.audit_search import facets, utc_bounds
from service.usecases.route import today_local
from tests.support import DEMO_PASSWORD
from tests.support.api import campaign_id, login, open_dossier
from tests.support.files import docx_bytes

RETURN_REASON = "Bổ sung số liệu QUÝ IV về phong trào thi đua"
OTHER_AWARD = "GIAY_KHEN"
NON_AUDITORS = ("donvi1", "cum1", "chutich")


@pytest.fixture
def world(app):
    client = app.test_client()
    donvi1, head1, cum1 = (login(client, n) for n in ("donvi1", "thutruong1", "cum1"))
    first = open_dossier(donvi1, title="Đề nghị khen thưởng phong trào thi đua nước rút 2023")
    donvi1.upload(first["id"], "Báo cáo thành tích.docx", docx_bytes())
    donvi1.decide(first["id"], "approve")
    head1.decide(first["id"], "approve")
    cum1.decide(first["id"], "return", RETURN_REASON)
    donvi6 = login(client, "donvi6")
    second = open_dossier(donvi6, title="Hồ sơ khối 2 năm 2023", proposals=[
        {"subject_type": "individual", "name": "Trần Văn Bình", "award_code": OTHER_AWARD,
         "summary": "Hoàn thành tốt nhiệm vụ"}])
    donvi6.decide(second["id"], "approve")
    login(client, "thutruong6").decide(second["id"], "approve", "Kính trình 50% chỉ tiêu")
    auditor = login(client, "kiemtoan")
    return {"client": client, "auditor": auditor, "first": first, "second": second,
            "events": all_events(auditor)}


def arguments(query: str) -> dict:
    """``"actor=cum1&q=thi dua"`` as the arguments it reads as (the client encodes them)."""
    return dict(part.split("=", 1) for part in query.split("&") if part)


def page(user, query: str = "", **params) -> dict:
    response = user.get("/audit/events", query_string={**arguments(query), **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def all_events(user, query: str = "", limit: int = 200) -> list[dict]:
    """Every event matching ``query``, following ``next`` to the end."""
    found, before = [], None
    while True:
        body = page(user, query, limit=limit, **({"before": before} if before else {}))
        found.extend(body["items"])
        if body["next"] is None:
            return found
        assert body["next"] == body["items"][-1]["id"]
        before = body["next"]


def ids(events) -> list[int]:
    return [e["id"] for e in events]


def expected_text(events: list[dict], q: str) -> list[int]:
    words = fold(q).split()
    return [e["id"] for e in events if all(w in search_text(e) for w in words)]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_each_filter_narrows(app, world):
    auditor, events = world["auditor"], world["events"]
    first, second = world["first"], world["second"]
    assert ids(events) == sorted(ids(events), reverse=True)  # newest first
    assert {e["action"] for e in events} >= {"auth.login", "dossier.created", "task.completed"}
    with_dossier = [e for e in events if e["dossier_id"] is not None]
    by_dossier = {d: [e for e in events if e["dossier_id"] == d]
                  for d in (first["id"], second["id"])}

    campaign = campaign_id(auditor)
    assert ids(all_events(auditor, f"campaign={campaign}")) == ids(with_dossier)
    assert all_events(auditor, "campaign=999") == []
    assert ids(all_events(auditor, f"unit={first['unit_id']}")) == ids(by_dossier[first["id"]])
    trail = auditor.get(f"/audit/dossiers/{first['id']}/trail").get_json()
    assert trail["dossier"]["cluster"] == "Cụm thi đua số 1"
    cluster = trail["dossier"]["cluster_id"]
    assert ids(all_events(auditor, f"cluster={cluster}")) == ids(by_dossier[first["id"]])
    assert (ids(all_events(auditor, f"award={OTHER_AWARD}"))
            == ids(by_dossier[second["id"]]))
    assert (ids(all_events(auditor, f"award=BK_CT_UBND&unit={first['unit_id']}"))
            == ids(by_dossier[first["id"]]))
    assert all_events(auditor, f"award={OTHER_AWARD}&unit={first['unit_id']}") == []

    cum1 = all_events(auditor, "actor=cum1")
    assert ids(cum1) == [e["id"] for e in events if e["actor"] == "cum1"]
    assert {e["action"] for e in cum1} == {"auth.login", "task.completed"}
    assert all_events(auditor, "actor=cum") == []  # exact, not a prefix
    completed = all_events(auditor, "action=task.completed")
    assert len(completed) == 5
    assert {e["dossier_id"] for e in completed} == {first["id"], second["id"]}

    today = today_local()
    assert ids(all_events(auditor, f"from={today}&to={today}")) == ids(events)
    assert all_events(auditor, f"to={today - timedelta(days=1)}") == []
    assert all_events(auditor, f"from={today + timedelta(days=1)}") == []

    returned = all_events(auditor, f"actor=cum1&action=task.completed&unit={first['unit_id']}"
                                   f"&from={today}&q=quy iv")
    assert [(e["decision"], e["comment"]) for e in returned] == [("return", RETURN_REASON)]
    assert returned[0]["dossier_id"] == first["id"]
    assert set(returned[0]) >= {"id", "at", "actor", "role", "organisation", "action",
                                "details", "documents", "prev_hash", "hash", "dossier_id"}

    with UnitOfWork(app.extensions["tdkt"].engine, write=False) as uow:
        choices = facets(uow)
    assert choices.actions == sorted({e["action"] for e in events})  # the index walk
    assert {"cum1", "kiemtoan"} <= set(choices.actors)
    assert (cluster, "Cụm thi đua số 1") in choices.clusters
    assert (first["unit_id"], "UBND thành phố Phan Thiết") in choices.units
    assert (OTHER_AWARD, "Giấy khen") in choices.awards


@pytest.mark.parametrize("q", ["thi dua", "thi đua", "THI ĐUA", "Thi Đua NƯỚC rút",
                               "quý iv", "QUY IV", "50%", "%", "_", "unit_prepare", "\\"])
def test_text_search_ignores_case_and_diacritics(world, q):
    auditor, events = world["auditor"], world["events"]
    found = all_events(auditor, f"q={q}")
    assert ids(found) == expected_text(events, q)
    if fold(q) == "thi dua":
        assert found and ids(found) == ids(all_events(auditor, "q=thi đua"))
        assert any("thi đua" in (e["comment"] or "") for e in found)
        assert any("thi đua" in e["details"] for e in found)  # the dossier's title
    if q == "%":  # a wildcard is a plain character: only the comment that has one
        assert [e["comment"] for e in found] == ["Kính trình 50% chỉ tiêu"]
    if q in ("_", "\\"):
        assert all(q in search_text(e) for e in found)


def test_pages_return_every_event_exactly_once(world):
    auditor, events = world["auditor"], world["events"]
    for query, limit in (("", 1), ("", 7), ("q=thi dua", 2), ("action=task.completed", 2)):
        walked = all_events(auditor, query, limit=limit)
        assert len(set(ids(walked))) == len(walked)
        assert ids(walked) == ids(all_events(auditor, query))
    assert ids(walked) == [e["id"] for e in events if e["action"] == "task.completed"]
    body = page(auditor, limit=500)  # more than a page may hold: capped, not refused
    assert len(body["items"]) == min(200, len(events))


def test_local_days_become_utc_bounds():
    assert utc_bounds(date(2023, 12, 15), date(2023, 12, 15)) == (
        datetime(2023, 12, 14, 17, 0), datetime(2023, 12, 15, 17, 0))
    assert utc_bounds(None, None) == (None, None)


def test_dates_are_local_days(app, monkeypatch):
    # 00:30 on 15/12 in Hanoi is 17:30 on 14/12 in UTC.
    monkeypatch.setattr("service.audit.log.utcnow", lambda: datetime(2023, 12, 14, 17, 30))
    auditor = login(app.test_client(), "kiemtoan")  # its sign-in is the event at that time
    login_event = page(auditor, "action=auth.login&actor=kiemtoan")["items"][0]
    assert login_event["at"].startswith("2023-12-14T17:30")
    assert login_event["id"] in ids(all_events(auditor, "from=2023-12-15&to=2023-12-15"))
    assert login_event["id"] not in ids(all_events(auditor, "to=2023-12-14"))
    assert login_event["id"] in ids(all_events(auditor, "from=15/12/2023"))


@pytest.mark.parametrize("query", ["campaign=abc", "unit=-1", "limit=0", "before=x",
                                   "from=2023-13-01", "to=hôm nay",
                                   "from=2023-12-16&to=2023-12-15", f"q={'a' * 201}",
                                   "q=" + " ".join("abcdefghijk")])
def test_bad_filters_are_refused_with_a_message(world, query):
    response = world["auditor"].get("/audit/events", query_string=arguments(query))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and error["message"]


def test_bad_filters_on_the_page_show_a_vietnamese_message(client):
    client.post("/login", data={"username": "kiemtoan", "password": DEMO_PASSWORD})
    response = client.get("/audit?from=15-12-2023x&q=thi+dua")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "phải là một ngày" in html and "Traceback" not in html
    assert 'value="thi dua"' in html  # the form keeps what was typed
    assert client.get("/audit?q=thi+dua").status_code == 200


def test_the_trail_of_a_dossier(world):
    auditor, first = world["auditor"], world["first"]
    trail = auditor.get(f"/audit/dossiers/{first['id']}/trail").get_json()
    expected = [e for e in reversed(world["events"]) if e["dossier_id"] == first["id"]]
    assert [e["id"] for e in trail["items"]] == [e["id"] for e in expected]  # chain order
    assert [e["hash"] for e in trail["items"]] == [e["hash"] for e in expected]
    assert trail["first"]["id"] == expected[0]["id"]
    assert trail["last"]["hash"] == expected[-1]["hash"]
    newest = world["events"][0]  # reading the trail records nothing
    assert trail["head"] == {"id": newest["id"], "hash": newest["hash"]}
    assert [e["action"] for e in trail["items"]] == [
        "dossier.created", "document.uploaded", "task.completed", "task.completed",
        "task.completed"]
    returned = trail["items"][-1]
    assert (returned["step_name"], returned["decision_label"]) == (
        "Cụm thi đua xét duyệt", "Trả lại đơn vị bổ sung")
    [document] = returned["document_refs"]
    assert document["name"] == "Báo cáo thành tích.docx" and document["version"] == 1
    assert re.fullmatch(r"[0-9a-f]{64}", document["sha256"])
    assert auditor.get("/audit/dossiers/999999/trail").status_code == 404


def test_the_pdf_report_is_recorded(world):
    auditor, first = world["auditor"], world["first"]
    response = auditor.get(f"/audit/dossiers/{first['id']}/report.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"%PDF-")
    text = pdf_text(response.data)
    flat = " ".join(text.split())
    assert f"NHẬT KÝ XỬ LÝ HỒ SƠ #{first['id']}" in flat
    assert "Đề nghị khen thưởng phong trào thi đua nước rút 2023" in flat
    assert "Lập hồ sơ" in flat and "Cho ý kiến xử lý" in flat  # action labels, not codes
    assert "Trả lại đơn vị bổ sung" in flat and "Bổ sung số liệu QUÝ IV" in flat
    assert "Báo cáo thành tích.docx" in flat
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", flat)
    trail = auditor.get(f"/audit/dossiers/{first['id']}/trail").get_json()
    reports = [e for e in trail["items"] if e["action"] == "audit.trail_report"]
    assert len(reports) == 1
    report = reports[0]
    assert (report["actor"], report["target_type"], report["target_id"]) == (
        "kiemtoan", "dossier", str(first["id"]))
    before_report = trail["items"][:-1]
    assert before_report[0]["hash"] in flat and before_report[-1]["hash"] in flat
    head_line = re.search(r"Đầu chuỗi nhật ký lúc lập báo cáo: #(\d+) · SHA-256 ([0-9a-f]{64})",
                          flat)
    assert head_line and int(head_line.group(1)) == report["id"] - 1
    assert head_line.group(2) == report["prev_hash"]
    assert ids(all_events(auditor, "action=audit.trail_report")) == [report["id"]]


def test_a_failed_conversion_is_a_short_error_and_records_nothing(world, monkeypatch):
    def broken(_docx: bytes) -> bytes:
        raise PdfConversionError("LibreOffice không xong trong 60 giây; đã dừng tiến trình.")

    monkeypatch.setattr("service.usecases.audit_search.to_pdf", broken)
    auditor, dossier = world["auditor"], world["first"]["id"]
    response = auditor.get(f"/audit/dossiers/{dossier}/report.pdf")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "report_unavailable"
    assert "LibreOffice" not in response.get_json()["error"]["message"]
    assert all_events(auditor, "action=audit.trail_report") == []


def test_admins_may_read_the_trail_too(world):
    admin = login(world["client"], "quantri")
    assert admin.get("/audit/events?limit=1").status_code == 200
    trail = admin.get(f"/audit/dossiers/{world['first']['id']}/trail")
    assert trail.status_code == 200


@pytest.mark.parametrize("username", NON_AUDITORS)
def test_only_auditors_and_admins(world, username):
    user = login(world["client"], username)
    dossier = world["first"]["id"]
    for path in ("/audit/events", "/audit/events?campaign=abc", f"/audit/dossiers/{dossier}/trail",
                 f"/audit/dossiers/{dossier}/report.pdf"):
        response = user.get(path)
        assert response.status_code == 403, path
        assert response.get_json()["error"]["code"] == "forbidden"
    assert world["client"].get("/api/v1/audit/events").status_code == 401
    assert ids(all_events(world["auditor"], "action=audit.trail_report")) == []


@pytest.mark.parametrize("username", NON_AUDITORS)
def test_pages_are_for_auditors_and_admins(app, username):
    client = app.test_client()
    client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert 'data-testid="nav-audit"' not in client.get("/").get_data(as_text=True)
    for path in ("/audit", "/audit/dossiers/1", "/audit/dossiers/1/report.pdf"):
        assert client.get(path).status_code == 403, path


def test_the_search_page(world):
    client = world["client"]
    client.post("/login", data={"username": "kiemtoan", "password": DEMO_PASSWORD})
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="nav-audit"' in html
    html = client.get(f"/audit?q=QUY+IV&unit={world['first']['unit_id']}").get_data(as_text=True)
    assert RETURN_REASON in html
    assert f'href="/audit/dossiers/{world["first"]["id"]}"' in html
    assert "Cho ý kiến xử lý" in html and "Trưởng Cụm/Khối thi đua" in html
    html = client.get("/audit?limit=2").get_data(as_text=True)
    assert "Xem tiếp" in html and "before=" in html
