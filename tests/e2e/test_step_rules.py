"""What a step declares in the diagram and the service enforces: documents it requires before
an approval and documents it produces, and timers that move a dossier on when a step waits
too long."""

from __future__ import annotations

import io
import json
import time

from sqlalchemy import select

from service.db.models import AuditEvent
from service.db.session import UnitOfWork
from tests.support import DEMO_PASSWORD
from tests.support.api import ApiUser, login, open_dossier
from tests.support.files import docx_bytes
from tests.support.models import shipped

STEPS = ("donvi1", "thutruong1", "cum1", "bantdkt", "chutich")


def publish(admin: ApiUser, xml: str):
    return admin.client.post("/api/v1/process-models/commendation/publish", data=xml.encode(),
                             headers={**admin.headers, "Content-Type": "application/xml"})


def with_documents() -> str:
    return (shipped()
            .replace('<tdkt:field name="cluster_ranking" />',
                     '<tdkt:field name="cluster_ranking" />\n'
                     '          <tdkt:document kind="report" use="requires" />')
            .replace('<tdkt:field name="appraisal_summary" />',
                     '<tdkt:field name="appraisal_summary" />\n'
                     '          <tdkt:document kind="appraisal" use="produces" />'))


def test_a_required_document_must_be_in_the_dossier_before_approval(client):
    people = {name: login(client, name) for name in (*STEPS, "quantri")}
    assert publish(people["quantri"], with_documents()).status_code == 201
    did = open_dossier(people["donvi1"])["id"]
    people["donvi1"].decide(did, "approve")
    people["thutruong1"].decide(did, "approve")

    task = people["cum1"].task_for(did)
    refused = people["cum1"].post(f"/tasks/{task['id']}/complete",
                                  json={"decision": "approve"})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "document_required"
    assert "Báo cáo thành tích" in error["message"]
    assert people["cum1"].task_for(did)["id"] == task["id"]  # still open, nothing moved

    # A return needs no document; the unit adds the report and submits again.
    people["cum1"].decide(did, "return", "Thiếu báo cáo thành tích")
    assert people["donvi1"].upload(did, "Báo cáo thành tích.docx", docx_bytes()).status_code \
        == 201
    people["donvi1"].decide(did, "approve")
    people["thutruong1"].decide(did, "approve")
    assert people["cum1"].decide(did, "approve")["dossier"]["current_step"] == "board_appraisal"

    # The appraisal step produces the appraisal report: a file attached to its decision on
    # the task page is stored as that kind.
    page = client.application.test_client()
    page.post("/login", data={"username": "bantdkt", "password": DEMO_PASSWORD})
    board_task = people["bantdkt"].task_for(did)["id"]
    assert page.get(f"/tasks/{board_task}").status_code == 200
    response = page.post(f"/tasks/{board_task}", data={
        "decision": "approve", "comment": "Đủ điều kiện", "attachment_kind": "report",
        "attachment": (io.BytesIO(docx_bytes("Báo cáo thẩm định")), "Báo cáo thẩm định.docx")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    documents = people["bantdkt"].get(f"/dossiers/{did}").get_json()["documents"]
    assert sorted(d["kind"] for d in documents) == ["appraisal", "report"]


def test_an_unknown_document_kind_is_an_issue_on_its_step(client):
    admin = login(client, "quantri")
    xml = with_documents().replace('kind="report" use="requires"',
                                   'kind="bien_ban_mat" use="requires"')
    response = publish(admin, xml)
    assert response.status_code == 422
    assert {(i["element_id"], i["code"]) for i in response.get_json()["issues"]} == {
        ("cluster_review", "document_kind_unknown")}


def with_timer(duration: str) -> str:
    """The appraisal waits at most ``duration``; then the board's head follows it up."""
    return (shipped()
            .replace("<bpmn:flowNodeRef>end_rejected</bpmn:flowNodeRef>",
                     "<bpmn:flowNodeRef>end_rejected</bpmn:flowNodeRef>\n"
                     "        <bpmn:flowNodeRef>Timer_appraisal</bpmn:flowNodeRef>\n"
                     "        <bpmn:flowNodeRef>board_followup</bpmn:flowNodeRef>")
            .replace('<bpmn:endEvent id="end_approved"', f'''<bpmn:boundaryEvent \
id="Timer_appraisal" name="Quá hạn thẩm định" attachedToRef="board_appraisal">
      <bpmn:outgoing>Flow_timer_appraisal</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerEventDefinition_1">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{duration}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="board_followup" name="Trưởng Ban đôn đốc thẩm định">
      <bpmn:extensionElements>
        <tdkt:step role="board_head">
          <tdkt:decision value="approve" label="Giao thẩm định lại" />
        </tdkt:step>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_timer_appraisal</bpmn:incoming>
      <bpmn:outgoing>Flow_followup_done</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_timer_appraisal" sourceRef="Timer_appraisal" \
targetRef="board_followup" />
    <bpmn:sequenceFlow id="Flow_followup_done" sourceRef="board_followup" \
targetRef="board_appraisal" />
    <bpmn:endEvent id="end_approved"''', 1)
            .replace("<bpmn:incoming>Flow_chairman_decision_return</bpmn:incoming>",
                     "<bpmn:incoming>Flow_chairman_decision_return</bpmn:incoming>\n"
                     "      <bpmn:incoming>Flow_followup_done</bpmn:incoming>"))


def test_a_timer_that_has_fired_moves_the_dossier_on_when_it_is_next_loaded(client):
    people = {name: login(client, name) for name in (*STEPS, "quantri", "truongban")}
    assert publish(people["quantri"], with_timer("PT1S")).status_code == 201
    did = open_dossier(people["donvi1"])["id"]
    for name in ("donvi1", "thutruong1", "cum1"):
        people[name].decide(did, "approve")
    task = people["bantdkt"].task_for(did)
    assert task["step"] == "board_appraisal"
    time.sleep(1.2)

    late = people["bantdkt"].post(f"/tasks/{task['id']}/complete",
                                  json={"decision": "approve", "comment": "Muộn"})
    assert late.status_code == 409
    assert late.get_json()["error"]["code"] == "timer_fired"
    assert all(t["dossier_id"] != did for t in people["bantdkt"].tasks())
    followup = people["truongban"].task_for(did)
    assert (followup["step"], followup["role"]) == ("board_followup", "board_head")
    dossier = people["truongban"].get(f"/dossiers/{did}").get_json()
    assert dossier["current_step"] == "board_followup"
    with UnitOfWork(client.application.extensions["tdkt"].engine, write=False) as uow:
        fired = list(uow.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "instance.timers_fired")))
        completed = list(uow.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "task.completed", AuditEvent.actor == "bantdkt")))
    assert [(e.actor, e.dossier_id, json.loads(e.details)["next_step"]) for e in fired] == [
        ("system", did, "board_followup")]
    assert completed == []  # the late decision left no trace but the refusal


def test_timers_must_be_literal_iso_values(client):
    admin = login(client, "quantri")
    for good in ("P20D", "'PT12H'", '"P1M"'):
        response = admin.client.post("/api/v1/process-models?publish=false",
                                     headers=admin.headers, data={"file": (
                                         io.BytesIO(with_timer(good).encode()), "t.bpmn")},
                                     content_type="multipart/form-data")
        assert response.get_json() == {"valid": True, "issues": []}, good
    for bad in ("${dueDate}", "P99999Y", "R3/PT1H", "due_days", "P", "1 tuần"):
        response = publish(admin, with_timer(bad))
        assert response.status_code == 422, bad
        assert ("Timer_appraisal", "timer_invalid") in {
            (i["element_id"], i["code"]) for i in response.get_json()["issues"]}, bad
