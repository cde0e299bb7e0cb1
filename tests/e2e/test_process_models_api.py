"""Publishing diagrams through the API and the admin page (SE-3, SE-7, XML-1)."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from service.db.models import AuditEvent
from service.db.session import UnitOfWork
from tests.support.api import login, open_dossier

FIXTURES = Path(__file__).resolve().parent.parent / "unit" / "bpmn"
SHIPPED = Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "commendation.bpmn"


def publish(user, xml: bytes, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return user.client.post(f"/api/v1/process-models?{query}", headers=user.headers,
                            data={"file": (io.BytesIO(xml), "model.bpmn")},
                            content_type="multipart/form-data")


@pytest.mark.parametrize(("fixture", "element", "code"), [
    ("gateway_injection.bpmn", "Flow_pwn", "condition_invalid"),
    ("script_task.bpmn", "Script_exec", None),
    ("unknown_role.bpmn", None, None),
    ("gateway_no_condition.bpmn", "Flow_yes", "condition_missing"),
    ("xxe_file.bpmn", None, "xml_doctype"),
    ("billion_laughs.xml", None, "xml_doctype"),
])
def test_hostile_or_broken_diagrams_are_refused_by_element(client, tmp_path, fixture, element,
                                                           code):
    admin = login(client, "quantri")
    canary = tmp_path / "pwned"
    xml = (FIXTURES / fixture).read_text().replace("CANARY_PATH", str(canary)).encode()
    response = publish(admin, xml)
    assert response.status_code == 422
    body = response.get_json()
    assert body["valid"] is False and body["error"]["code"] == "invalid_bpmn"
    issues = body["issues"]
    assert issues and all(i["message"] for i in issues)
    if element:
        assert element in {i["element_id"] for i in issues}
    if code:
        assert code in {i["code"] for i in issues}
    assert "Traceback" not in response.get_data(as_text=True)
    assert not canary.exists()
    models = admin.get("/process-models").get_json()["items"]
    assert [len(m["versions"]) for m in models] == [1]


def test_publishing_is_admin_only_and_audited_with_the_hash(client):
    xml = SHIPPED.read_text(encoding="utf-8").replace(
        'name="Quy trình xét khen thưởng"', 'name="Quy trình xét khen thưởng (sửa đổi)"').encode()
    assert xml != SHIPPED.read_bytes()
    for username in ("donvi1", "bantdkt", "chutich", "kiemtoan"):
        assert publish(login(client, username), xml).status_code == 403
    admin = login(client, "quantri")
    response = publish(admin, xml, key="commendation")
    assert response.status_code == 201, response.get_json()
    version = response.get_json()["version"]
    assert version["version"] == 2
    assert version["sha256"] == hashlib.sha256(xml).hexdigest()
    # The same bytes again: the existing version, not a new one (content-addressed).
    again = publish(admin, xml, key="commendation").get_json()["version"]
    assert again["version"] == 2
    with UnitOfWork(client.application.extensions["tdkt"].engine, write=False) as uow:
        events = list(uow.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "process_model.published", AuditEvent.actor == "quantri")))
    assert len(events) == 1
    assert json.loads(events[0].details)["sha256"] == hashlib.sha256(xml).hexdigest()
    fetched = admin.get("/process-models/commendation/versions/2").get_json()
    assert fetched["xml"].encode() == xml


def test_running_dossiers_keep_their_version(client):
    donvi = login(client, "donvi1")
    before = open_dossier(donvi)["id"]
    xml = SHIPPED.read_text(encoding="utf-8").replace(
        'id="unit_prepare" name="Chuẩn bị hồ sơ"',
        'id="unit_prepare" name="Chuẩn bị và rà soát hồ sơ"').encode()
    assert xml != SHIPPED.read_bytes()
    assert publish(login(client, "quantri"), xml, key="commendation").status_code == 201
    after = open_dossier(donvi)["id"]
    names = {t["dossier_id"]: t["name"] for t in donvi.tasks()}
    assert names[before] == "Chuẩn bị hồ sơ"
    assert names[after] == "Chuẩn bị và rà soát hồ sơ"


def test_admin_page_shows_the_validation_report(client):
    client.post("/login", data={"username": "quantri", "password": "demo-password"})
    xml = (FIXTURES / "gateway_no_condition.bpmn").read_bytes()
    response = client.post("/admin/models", data={
        "file": (io.BytesIO(xml), "quy-trinh.bpmn"), "action": "publish"},
        content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Flow_yes" in page and "quy-trinh.bpmn" in page
    assert client.get("/admin/models").status_code == 200
    client.post("/logout")
    client.post("/login", data={"username": "donvi1", "password": "demo-password"})
    assert client.get("/admin/models").status_code == 403
