"""Editing the route: drafts, validation, publishing from the modeler, diffs, imported diagrams
(SE-3, SE-7, XML-1), through the API and the modeler's page endpoints."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.db.models import AuditEvent, ProcessModelDraft
from service.db.session import UnitOfWork
from tests.support import DEMO_PASSWORD
from tests.support.api import ApiUser, login, open_dossier
from tests.support.files import docx_bytes
from tests.support.models import CONSULTATION, CONSULTATION_ID, shipped, with_consultation

UNIT_FIXTURES = Path(__file__).resolve().parent.parent / "unit" / "bpmn"
EXPORT = Path(__file__).resolve().parent / "fixtures" / "camunda_modeler_export.bpmn"
XML = {"Content-Type": "application/xml"}


def publish(user: ApiUser, xml: str | bytes, key: str = "commendation"):
    data = xml.encode() if isinstance(xml, str) else xml
    return user.client.post(f"/api/v1/process-models/{key}/publish", data=data,
                            headers={**user.headers, **XML})


def put_draft(user: ApiUser, xml: str | bytes, key: str = "commendation"):
    data = xml.encode() if isinstance(xml, str) else xml
    return user.client.put(f"/api/v1/process-models/{key}/draft", data=data,
                           headers={**user.headers, **XML})


def events(app, action: str) -> list[AuditEvent]:
    """The events of ``action`` that people caused (the seed publishes as the system)."""
    with UnitOfWork(app.extensions["tdkt"].engine, write=False) as uow:
        return list(uow.session.scalars(select(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.actor != "system").order_by(AuditEvent.id)))


def versions(user: ApiUser, key: str = "commendation") -> list[int]:
    models = user.get("/process-models").get_json()["items"]
    return [v["version"] for m in models if m["key"] == key for v in m["versions"]]


def sign_in(client, username: str = "quantri"):
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client


def page_json(client, method: str, path: str, data: bytes | None = None, **headers):
    return client.open(path, method=method, data=data,
                       headers={"Accept": "application/json", **headers})


# -- hostile diagrams, published from the modeler ------------------------------------------------


def _timer_payload(canary: Path) -> str:
    return shipped().replace('<bpmn:endEvent id="end_approved"', f'''<bpmn:boundaryEvent \
id="Timer_pwn" name="Hẹn giờ độc hại" attachedToRef="board_appraisal">
      <bpmn:outgoing>Flow_timer_pwn</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">\
__import__('os').system('touch {canary}')</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_timer_pwn" sourceRef="Timer_pwn" targetRef="end_rejected" />
    <bpmn:endEvent id="end_approved"''', 1)


HOSTILE = {
    # name: (build(canary) -> xml, element named, issue code)
    "python in a condition": (
        lambda c: (UNIT_FIXTURES / "gateway_injection.bpmn").read_text().replace(
            "CANARY_PATH", str(c)), "Flow_pwn", "condition_invalid"),
    "python in a script": (
        lambda c: (UNIT_FIXTURES / "script_task.bpmn").read_text().replace(
            "import os\nos.system('id')", f"open('{c}', 'w').write('pwned')"),
        "Script_exec", "script_refused"),
    "python in a pre-script": (
        lambda c: (UNIT_FIXTURES / "script_task.bpmn").read_text().replace(
            "open('/etc/passwd').read()", f"__import__('pathlib').Path('{c}').touch()"),
        "review", "script_refused"),
    "python in a timer": (_timer_payload, "Timer_pwn", "timer_invalid"),
    "XXE DOCTYPE": (
        lambda c: (UNIT_FIXTURES / "xxe_file.bpmn").read_text(), None, "xml_doctype"),
    "entity expansion": (
        lambda c: (UNIT_FIXTURES / "billion_laughs.xml").read_text(), None, "xml_doctype"),
    "unknown lane role": (
        lambda c: (UNIT_FIXTURES / "unknown_role.bpmn").read_text(), "Lane_mayor",
        "role_unknown"),
    "gateway without conditions": (
        lambda c: (UNIT_FIXTURES / "gateway_no_condition.bpmn").read_text(), "Flow_yes",
        "condition_missing"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_diagrams_are_refused_by_element_and_nothing_runs(client, tmp_path, name):
    build, element, code = HOSTILE[name]
    canary = tmp_path / "pwned"
    admin = login(client, "quantri")
    response = publish(admin, build(canary))
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error"]["code"] == "invalid_bpmn"
    assert (element, code) in {(i["element_id"], i["code"]) for i in body["issues"]}
    assert all(i["message"] and "Traceback" not in i["message"] for i in body["issues"])
    assert "Traceback" not in response.get_data(as_text=True)
    assert not canary.exists()
    assert versions(admin) == [1]
    assert events(client.application, "process_model.published") == []


def test_hostile_diagram_from_the_modeler_page_with_csrf_header(csrf_app, tmp_path):
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"username": "quantri", "password": DEMO_PASSWORD,
                                       "csrf_token": token}).status_code == 302
    page = client.get("/admin/models/commendation/edit")
    assert page.status_code == 200
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))
    canary = tmp_path / "pwned"
    xml = HOSTILE["python in a condition"][0](canary).encode()
    for method, path in (("POST", "/admin/models/commendation/publish"),
                         ("PUT", "/admin/models/commendation/draft"),
                         ("POST", "/admin/models/commendation/validate"),
                         ("POST", "/admin/dossiers/1/migrate")):
        refused = page_json(client, method, path, xml, **XML)
        assert refused.status_code == 400, path  # no token: refused before anything is read
        assert refused.get_json()["error"]["code"] == "bad_request"
    assert events(csrf_app, "process_model.draft_saved") == []
    response = page_json(client, "POST", "/admin/models/commendation/publish", xml,
                         **XML, **{"X-CSRFToken": csrf.group(1)})
    assert response.status_code == 422
    assert "Flow_pwn" in {i["element_id"] for i in response.get_json()["issues"]}
    assert not canary.exists()
    checked = page_json(client, "POST", "/admin/models/commendation/validate", xml,
                        **XML, **{"X-CSRFToken": csrf.group(1)}).get_json()
    assert checked["valid"] is False and "Flow_pwn" in {i["element_id"]
                                                        for i in checked["issues"]}


# -- publishing, round trips and other modelers' files -------------------------------------------


def test_publishing_from_the_modeler_is_admin_only_audited_and_content_addressed(client):
    xml = with_consultation()
    for username in ("donvi1", "cum1", "bantdkt", "chutich", "kiemtoan"):
        assert publish(login(client, username), xml).status_code == 403
    admin = login(client, "quantri")
    created = publish(admin, xml)
    assert created.status_code == 201, created.get_json()
    version = created.get_json()["version"]
    assert (version["key"], version["version"]) == ("commendation", 2)
    assert version["sha256"] == hashlib.sha256(xml.encode()).hexdigest()
    again = publish(admin, xml)
    assert again.status_code == 200 and again.get_json()["version"]["version"] == 2
    published = events(client.application, "process_model.published")
    assert [json.loads(e.details)["sha256"] for e in published] == [version["sha256"]]
    assert published[0].actor == "quantri"


def test_round_trip_download_then_upload_unchanged_is_the_same_version(client):
    browser = sign_in(client.application.test_client())
    downloaded = browser.get("/admin/models/commendation/versions/1.bpmn")
    assert downloaded.status_code == 200
    admin = login(client, "quantri")
    response = publish(admin, downloaded.data)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"]["version"] == 1
    page = page_json(browser, "POST", "/admin/models/commendation/publish", downloaded.data,
                     **XML)
    assert page.status_code == 200 and page.get_json()["version"]["version"] == 1
    source = browser.get("/admin/models/commendation/source?version=1").get_json()
    assert source["xml"].encode() == downloaded.data and source["from"] == "version"
    assert versions(admin) == [1]


def _bpmn_io(text: str) -> str:
    """The same diagram as the bpmn.io demo would save it: nothing marked executable."""
    return (text.replace('isExecutable="true"', 'isExecutable="false"')
            .replace('exporter="Camunda Modeler" exporterVersion="5.17.0"',
                     'exporter="bpmn-js (https://demo.bpmn.io)" exporterVersion="17.0.2"'))


@pytest.mark.parametrize("variant", ["camunda modeler 5", "bpmn.io"])
def test_a_diagram_exported_by_another_modeler_is_accepted_and_runs(client, variant):
    text = EXPORT.read_text(encoding="utf-8")
    xml = text if variant == "camunda modeler 5" else _bpmn_io(text)
    admin = login(client, "quantri")
    checked = admin.client.post("/api/v1/process-models?publish=false", headers=admin.headers,
                                data={"file": (io.BytesIO(xml.encode()), "export.bpmn")},
                                content_type="multipart/form-data").get_json()
    assert checked == {"valid": True, "issues": []}
    response = publish(admin, xml)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"]["version"] == 2
    assert publish(admin, xml).status_code == 200  # and its own round trip

    # A new dossier now runs on it: the cluster's step requires the report.
    donvi, cum, ban = login(client, "donvi1"), login(client, "cum1"), login(client, "bantdkt")
    did = open_dossier(donvi)["id"]
    task = donvi.task_for(did)
    assert (task["step"], task["name"], task["lane"]) == (
        "Activity_1m9k2ds", "Chuẩn bị hồ sơ", "Đơn vị")
    assert donvi.upload(did, "Báo cáo thành tích.docx", docx_bytes()).status_code == 201
    donvi.decide(did, "approve")
    assert cum.task_for(did)["step"] == "Activity_0v7z4nb"
    cum.decide(did, "approve")
    result = ban.decide(did, "approve", fields={"appraisal_summary": "Đủ điều kiện"})
    assert result["dossier"]["status"] == "approved"


# -- drafts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_drafts_are_saved_overwritten_audited_and_removed_when_published(client):
    admin = login(client, "quantri")
    browser = sign_in(client.application.test_client())
    assert browser.get("/admin/models/commendation/source").get_json()["from"] == "version"

    first = with_consultation()
    saved = put_draft(admin, first)
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert body["saved"] is True and body["issues"] == []
    assert body["sha256"] == hashlib.sha256(first.encode()).hexdigest()

    # A draft may still break our rules: it is saved, and the issues are reported.
    decision = '<tdkt:decision value="approve" label="Hiệp y xong, chuyển thẩm định" />'
    broken = first.replace(decision, "")
    second = page_json(browser, "PUT", "/admin/models/commendation/draft", broken.encode(), **XML)
    assert second.status_code == 200
    assert (CONSULTATION_ID, "decisions_missing") in {
        (i["element_id"], i["code"]) for i in second.get_json()["issues"]}

    source = browser.get("/admin/models/commendation/source").get_json()
    assert source["from"] == "draft" and source["xml"] == broken
    assert source["latest_version"] == 1
    assert source["draft"]["base_version"] == 1 and source["draft"]["updated_by"] == "quantri"
    assert source["draft"]["sha256"] == hashlib.sha256(broken.encode()).hexdigest()
    with UnitOfWork(client.application.extensions["tdkt"].engine, write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(ProcessModelDraft)) == 1
    saves = events(client.application, "process_model.draft_saved")
    assert [json.loads(e.details)["sha256"] for e in saves] == [
        body["sha256"], source["draft"]["sha256"]]
    assert {e.actor for e in saves} == {"quantri"}

    assert browser.get("/admin/models/commendation/edit").status_code == 200

    # Publishing other bytes keeps the draft; publishing the draft's bytes removes it.
    assert publish(admin, first).status_code == 201
    assert browser.get("/admin/models/commendation/source").get_json()["from"] == "draft"
    fixed = first.replace(f'name="{CONSULTATION}">', 'name="Hiệp y liên ngành">')
    assert put_draft(admin, fixed).get_json()["issues"] == []
    assert publish(admin, fixed).status_code == 201
    after = browser.get("/admin/models/commendation/source").get_json()
    assert after["from"] == "version" and after["draft"] is None
    assert after["latest_version"] == 3 and after["xml"] == fixed


@pytest.mark.parametrize(("xml", "status", "code"), [
    ((UNIT_FIXTURES / "xxe_file.bpmn").read_bytes(), 422, "xml_doctype"),
    ((UNIT_FIXTURES / "billion_laughs.xml").read_bytes(), 422, "xml_doctype"),
    (b"<bpmn:definitions", 422, "xml_malformed"),
    (b"<x>" + b" " * (2 * 1024 * 1024) + b"</x>", 413, "too_large"),
    ("<?xml version='1.0' encoding='UTF-16'?><x/>".encode("utf-16"), 422, "xml_encoding"),
])
def test_unsafe_or_unreadable_xml_is_never_saved_as_a_draft(client, xml, status, code):
    admin = login(client, "quantri")
    response = put_draft(admin, xml)
    assert response.status_code == status
    body = response.get_json()
    assert body["error"]["code"] in ("unsafe_xml", "too_large")
    assert [i["code"] for i in body["issues"]] == [code]
    assert events(client.application, "process_model.draft_saved") == []


def test_modeler_endpoints_are_admin_only(client):
    for username in ("donvi1", "bantdkt", "kiemtoan"):
        assert put_draft(login(client, username), shipped()).status_code == 403
        browser = sign_in(client.application.test_client(), username)
        for method, path in (("GET", "/admin/models/commendation/edit"),
                             ("GET", "/admin/models/commendation/source"),
                             ("PUT", "/admin/models/commendation/draft"),
                             ("POST", "/admin/models/commendation/validate"),
                             ("POST", "/admin/models/commendation/publish"),
                             ("GET", "/admin/models/commendation/diff?format=json"),
                             ("POST", "/admin/dossiers/1/migrate")):
            response = page_json(browser, method, path, shipped().encode(), **XML)
            assert response.status_code == 403, (username, path)
            assert response.get_json()["error"]["code"] == "forbidden"
    anonymous = client.application.test_client()
    response = page_json(anonymous, "GET", "/admin/models/commendation/source")
    assert response.status_code == 401 and response.get_json()["error"]["code"]
    admin = login(client, "quantri")
    assert put_draft(admin, shipped(), key="no_such_model").status_code == 404


# -- comparing versions ---------------------------------------------------------------------------


def test_diff_lists_the_inserted_consultation_and_the_repointed_flow(client):
    admin = login(client, "quantri")
    assert publish(admin, with_consultation()).status_code == 201
    diff = admin.get("/process-models/commendation/diff?from=1&to=2").get_json()
    assert (diff["from"], diff["to"]) == (1, 2)
    assert {(e["id"], e["type"], e["name"]) for e in diff["added"]} == {
        (CONSULTATION_ID, "userTask", CONSULTATION),
        ("Flow_consultation_done", "sequenceFlow", None)}
    assert diff["removed"] == []
    changed = {e["id"]: e for e in diff["changed"]}
    assert set(changed) == {"Flow_cluster_review_approve"}
    assert changed["Flow_cluster_review_approve"]["changes"] == [
        {"field": "target", "before": "board_appraisal", "after": CONSULTATION_ID}]

    browser = sign_in(client.application.test_client())
    assert browser.get("/admin/models/commendation/diff?format=json").get_json() == diff
    page = browser.get("/admin/models/commendation/diff?from=1&to=2")
    assert page.status_code == 200 and CONSULTATION_ID in page.get_data(as_text=True)
    back = admin.get("/process-models/commendation/diff?from=2&to=1").get_json()
    assert {e["id"] for e in back["removed"]} == {CONSULTATION_ID, "Flow_consultation_done"}
    missing = admin.get("/process-models/commendation/diff?from=1&to=9")
    assert missing.status_code == 404


def test_diff_reports_changed_step_metadata(client):
    admin = login(client, "quantri")
    edited = (shipped()
              .replace('<tdkt:step dueWorkingDays="20">', '<tdkt:step dueWorkingDays="15">')
              .replace('<tdkt:lane role="cluster_leader" scope="cluster" />',
                       '<tdkt:lane role="cluster_secretary" scope="cluster" />')
              .replace('<tdkt:field name="cluster_ranking" />', ""))
    assert publish(admin, edited).status_code == 201
    diff = admin.get("/process-models/commendation/diff").get_json()
    changes = {(e["id"], c["field"]): (c["before"], c["after"])
               for e in diff["changed"] for c in e["changes"]}
    assert changes[("board_appraisal", "due_working_days")] == (20, 15)
    assert changes[("Lane_cluster", "role")] == ("cluster_leader", "cluster_secretary")
    assert changes[("cluster_review", "role")] == ("cluster_leader", "cluster_secretary")
    assert changes[("cluster_review", "fields")] == (["note", "cluster_ranking"], ["note"])


# -- whatever arrives, an answer per element and never a 500 -------------------------------------

_BPMN_OPEN = ("<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL' "
              "xmlns:tdkt='http://tdkt.gov.vn/schema/bpmn/tdkt'>")
STRANGE = {
    "binary": bytes(range(256)) * 4,
    "bad utf-8": b"<bpmn:definitions>\xc3\x28\xa0\xa1</bpmn:definitions>",
    "deep": (_BPMN_OPEN + "<bpmn:process id='p'>" + "<a>" * 400 + "</a>" * 400
             + "</bpmn:process></bpmn:definitions>").encode(),
    "wide": (_BPMN_OPEN + "<bpmn:process id='p'>"
             + "".join(f"<bpmn:startEvent id='s{n}'/>" for n in range(2000))
             + "</bpmn:process></bpmn:definitions>").encode(),
    "boundary without anything": (_BPMN_OPEN + "<bpmn:process id='p'><bpmn:boundaryEvent "
                                  "id='b'/></bpmn:process></bpmn:definitions>").encode(),
    "flow to nowhere": (_BPMN_OPEN + "<bpmn:process id='p'><bpmn:startEvent id='s'/>"
                        "<bpmn:sequenceFlow id='f' sourceRef='s'/></bpmn:process>"
                        "</bpmn:definitions>").encode(),
    "duplicate ids": shipped().replace('id="unit_submit"', 'id="unit_prepare"').encode(),
    "quotes in ids": shipped().replace("board_appraisal", "board'appraisal\"x").encode(),
    "timer in cdata": shipped().replace(
        '<bpmn:endEvent id="end_approved"',
        '<bpmn:boundaryEvent id="T" attachedToRef="board_appraisal"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration><![CDATA[__import__('os')]]></bpmn:timeDuration>"
        '</bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:endEvent id="end_approved"',
        1).encode(),
    "processing instruction": b"<?php system('id'); ?>" + shipped().encode(),
    "not xml at all": "Báo cáo thành tích năm 2023".encode(),
}


def _mutations() -> dict[str, bytes]:
    """The shipped diagram with one kind of element stripped of its id or its references."""
    text = shipped()
    return {
        "no ids on flows": re.sub(r'<bpmn:sequenceFlow id="[^"]+"', "<bpmn:sequenceFlow",
                                  text).encode(),
        "no targets": re.sub(r' targetRef="[^"]+"', "", text).encode(),
        "no lanes": re.sub(r"<bpmn:laneSet.*?</bpmn:laneSet>", "", text, flags=re.S).encode(),
        "no steps": re.sub(r"<tdkt:step[^>]*>.*?</tdkt:step>", "", text, flags=re.S).encode(),
        "gateways as tasks": text.replace("exclusiveGateway", "userTask").encode(),
        "events swapped": text.replace("startEvent", "TMP").replace("endEvent", "startEvent")
        .replace("TMP", "endEvent").encode(),
    }


@pytest.mark.parametrize("name", [*STRANGE, *_mutations()])
def test_any_xml_gets_a_clean_answer(client, name):
    xml = STRANGE.get(name) or _mutations()[name]
    admin = login(client, "quantri")
    browser = sign_in(client.application.test_client())
    answers = [
        page_json(browser, "POST", "/admin/models/commendation/validate", xml, **XML),
        page_json(browser, "PUT", "/admin/models/commendation/draft", xml, **XML),
        page_json(browser, "POST", "/admin/models/commendation/publish", xml, **XML),
        publish(admin, xml),
        put_draft(admin, xml),
    ]
    for response in answers:
        assert response.status_code in (200, 413, 422), (name, response.status_code)
        text = response.get_data(as_text=True)
        assert "Traceback" not in text and "Exception" not in text and "lxml" not in text
        body = response.get_json()
        assert body["issues"] and all(i["message"] and i["code"] for i in body["issues"]), name
        assert body.get("valid") is not True
    assert versions(admin) == [1]
