"""Exports asked for on the auditor's page: recorded, made in the background with progress,
stored, downloaded checked against their SHA-256, and verifiable offline with the public key."""

from __future__ import annotations

import csv
import io
import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from service.audit import verify_file
from service.db.models import AuditEvent, AuditExport
from service.jobs import queue
from tests.support import DEMO_PASSWORD
from tests.support.api import login, open_dossier


def _page_client(app, username: str):
    client = app.test_client()
    client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    return client


def _some_events(app) -> None:
    api = app.test_client()
    donvi = login(api, "donvi1")
    did = open_dossier(donvi)["id"]
    donvi.decide(did, "approve", "Hồ sơ phong trào thi đua đủ thành phần")


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xlsx"])
def test_an_export_is_made_in_the_background_and_verifies_offline(app, tmp_path, fmt):
    _some_events(app)
    auditor = _page_client(app, "kiemtoan")
    answer = auditor.post("/audit/exports", data={"format": fmt})
    assert answer.status_code == 302
    tdkt = app.extensions["tdkt"]
    with tdkt.engine.connect() as conn:
        export_id = conn.scalar(select(AuditExport.id))
        recorded = conn.execute(select(AuditEvent).where(AuditEvent.action == "audit.exported")
                                ).all()
    assert len(recorded) == 1 and recorded[0].actor == "kiemtoan"
    waiting = auditor.get(f"/audit/exports/{export_id}.json").get_json()
    assert waiting["state"] == "pending" and waiting["download"] is None
    assert "Đang chuẩn bị" in auditor.get("/audit/exports").get_data(as_text=True)

    assert queue.run_ready(tdkt.runtime, worker="test") == 1
    ready = auditor.get(f"/audit/exports/{export_id}.json").get_json()
    assert ready["state"] == "ready"
    assert ready["events_done"] == ready["events_total"] > 0
    file = auditor.get(ready["download"])
    assert file.status_code == 200
    path = tmp_path / f"nhat-ky.{fmt}"
    path.write_bytes(file.data)
    report = verify_file.verify(path, tdkt.audit_signer.public_key)  # raises if invalid
    assert report.pinned and report.events == ready["events_done"]


def test_only_auditors_and_administrators_export(app):
    _some_events(app)
    officer = _page_client(app, "donvi1")
    assert officer.get("/audit/exports").status_code == 403
    assert officer.post("/audit/exports", data={"format": "jsonl"}).status_code == 403
    auditor = _page_client(app, "kiemtoan")
    auditor.post("/audit/exports", data={"format": "jsonl"})
    other_auditor_view = _page_client(app, "quantri").get("/audit/exports/1.json")
    assert other_auditor_view.status_code == 404  # each sees the exports they asked for
    refused = auditor.post("/audit/exports", data={"format": "pdf"})
    assert refused.status_code == 422


@pytest.mark.browser
def test_the_page_follows_an_export_until_its_file_is_ready(browser_user, live_server):
    _some_events(live_server.app)
    auditor = browser_user("kiemtoan")
    page = auditor.page
    with page.expect_navigation():
        page.get_by_test_id("nav-audit").click()
    with page.expect_navigation():
        page.get_by_test_id("to-exports").click()
    auditor.check()
    expect(page.get_by_test_id("key-fingerprint")).to_have_text(
        live_server.app.extensions["tdkt"].audit_signer.fingerprint)
    form = page.get_by_test_id("export-form")
    form.get_by_label("Định dạng").select_option("csv")
    auditor.submit(form.get_by_role("button", name="Chuẩn bị bản xuất"))
    row = page.get_by_test_id("exports").locator("tbody tr").first
    expect(row).to_contain_text("Đang chuẩn bị")
    auditor.screenshot("audit-03-export-preparing")
    # The worker makes it; the page, polling, shows the file without a reload.
    assert queue.run_ready(live_server.app.extensions["tdkt"].runtime, worker="test") == 1
    expect(row.get_by_test_id("export-download")).to_be_visible(timeout=15_000)
    expect(row).to_contain_text("Xong")
    auditor.screenshot("audit-04-export-ready")
    name, data = auditor.download(row.get_by_test_id("export-download"))
    assert name.endswith(".csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "id" and rows[-1][0] == "#trailer"
    assert json.loads(rows[-1][1])["type"] == "tdkt-audit-export"
