"""The route's paper trail: each approving step makes its papers, numbered from the issuing
body's register, stored as .docx + PDF with SHA-256, named in the history; the Quyết định
names every awarded line and no other; templates are versioned and pinned per dossier."""

from __future__ import annotations

import io
import json
import threading
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document as Docx
from sqlalchemy import select

from service.db.models import AuditEvent, Document, DocumentVersion, Dossier, Job
from service.db.session import UnitOfWork
from service.documents.pdf import page_count, pdf_text, render_png
from service.jobs import queue
from service.usecases import papers
from tests.support.api import login, open_dossier

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "papers"

LINES = [
    {"subject_type": "collective", "name": "Phòng Văn hóa và Thông tin huyện Tuy Phong",
     "award_code": "BK_CT_UBND", "summary": "Hoàn thành xuất sắc nhiệm vụ năm 2023"},
    {"subject_type": "individual", "name": "Nguyễn Thị Hồng Nhung",
     "award_code": "BK_CT_UBND", "summary": "Có nhiều sáng kiến được áp dụng"},
    {"subject_type": "individual", "name": "Trần Văn Khải",
     "award_code": "BK_CT_UBND", "summary": "Hoàn thành tốt nhiệm vụ"},
]


def _runtime(app) -> queue.Runtime:
    return app.extensions["tdkt"].runtime


def _run_jobs(app) -> int:
    return queue.run_ready(_runtime(app), worker="test")


def _docx_text(data: bytes) -> str:
    document = Docx(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def _papers(user, dossier_id: int) -> dict[str, dict]:
    docs = user.get(f"/dossiers/{dossier_id}").get_json()["documents"]
    return {d["kind"]: d for d in docs if d["generated"]}


def _download(user, dossier_id: int, document_id: int, fmt: str | None = None) -> bytes:
    query = "?format=pdf" if fmt else ""
    response = user.get(f"/dossiers/{dossier_id}/documents/{document_id}{query}")
    assert response.status_code == 200, response.get_json()
    return response.data


def _to_chairman(client, *, title: str = "Hồ sơ đề nghị khen thưởng nước rút 2023",
                 exclude_at_board: str | None = None, run=None):
    donvi, head, cum = login(client, "donvi1"), login(client, "thutruong1"), login(client, "cum1")
    board = login(client, "bantdkt")
    dossier = open_dossier(donvi, title=title, proposals=LINES)
    did = dossier["id"]
    donvi.decide(did, "approve")
    head.decide(did, "approve")
    form = cum.get(f"/tasks/{cum.task_for(did)['id']}").get_json()["form"]
    members = [m["id"] for m in form["meeting_members"]]
    lines = {line["name"]: line["proposal_id"] for line in form["lines"]}
    cum.decide(did, "approve", meeting={
        "held_on": "2023-12-01", "place": "Hội trường UBND huyện Tuy Phong",
        "secretary": "Lê Văn Tâm", "present": members[:-1], "ballots_issued": len(members) - 1,
        "ballots_valid": len(members) - 1,
        "votes": {str(i): len(members) - 1 for i in lines.values()},
        "scores": {str(i): 95.5 for i in lines.values()}})
    if run:
        run()
    excluded = []
    if exclude_at_board:
        excluded = [{"proposal_id": lines[exclude_at_board],
                     "reason": "Chưa đủ thời gian công tác theo quy định"}]
    board.decide(did, "approve", fields={"appraisal_summary": "Hồ sơ đủ điều kiện."},
                 excluded_lines=excluded)
    if run:
        run()
    return did, members, lines


def test_the_route_produces_its_paper_trail(app):
    client = app.test_client()
    did, members, lines = _to_chairman(client, exclude_at_board="Trần Văn Khải",
                                       run=lambda: _run_jobs(app))
    cum = login(client, "cum1")
    made = _papers(cum, did)
    assert made["cluster_minutes"]["number"] == "01/BB-CTĐ"
    assert made["cluster_submission"]["number"] == "01/TTr-CTĐ"
    assert made["appraisal"]["number"] == "01/BC-BTĐKT"
    assert made["board_submission"]["number"] == "01/TTr-BTĐKT"
    assert made["draft_decision"]["number"] is None
    assert made["cluster_minutes"]["display_name"] == (
        "Biên bản họp bình xét của Cụm-Khối số 01-BB-CTĐ.docx")
    assert made["draft_decision"]["display_name"] == "Dự thảo Quyết định.docx"

    minutes = _docx_text(_download(cum, did, made["cluster_minutes"]["id"]))
    assert "Lê Văn Tâm" in minutes and "Hội trường UBND huyện Tuy Phong" in minutes

    chutich = login(client, "chutich")
    chutich.decide(did, "approve")
    assert _run_jobs(app) == 1
    made = _papers(chutich, did)
    decision = made["decision"]
    assert decision["number"] == "01/QĐ-UBND"
    assert made["award_notice"]["number"] == "01/TB-BTĐKT"

    text = _docx_text(_download(chutich, did, decision["id"]))
    assert "Phòng Văn hóa và Thông tin huyện Tuy Phong" in text
    assert "Nguyễn Thị Hồng Nhung" in text
    assert "Trần Văn Khải" not in text
    assert "01/TTr-BTĐKT" in text  # "Theo đề nghị … tại Tờ trình số 01/TTr-BTĐKT"
    assert unicodedata.is_normalized("NFC", text)

    notice = _docx_text(_download(chutich, did, made["award_notice"]["id"]))
    assert "Trần Văn Khải" in notice
    assert "Chưa đủ thời gian công tác theo quy định" in notice
    assert "Nguyễn Thị Hồng Nhung" not in notice

    pdf = _download(chutich, did, decision["id"], "pdf")
    assert pdf.startswith(b"%PDF-")
    assert 2 <= page_count(pdf) <= 3  # the decision, then its annexed list
    words = " ".join(pdf_text(pdf).split())
    assert "QUYẾT ĐỊNH" in words and "01/QĐ-UBND" in words and "Đoàn Anh Dũng" in words
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "quyet-dinh-trang-1.png").write_bytes(render_png(pdf, page=1, dpi=90))
    (ARTIFACTS / "quyet-dinh.pdf").write_bytes(pdf)
    for kind, paper in made.items():
        name = f"{kind}.docx"
        (ARTIFACTS / name).write_bytes(_download(chutich, did, paper["id"]))

    engine = app.extensions["tdkt"].engine
    with engine.connect() as conn:
        events = conn.execute(select(AuditEvent).where(AuditEvent.dossier_id == did)
                              .order_by(AuditEvent.id)).all()
        versions = {(v.document_id, v.version): v for v in conn.execute(select(DocumentVersion))}
        pinned = json.loads(conn.scalar(select(Dossier.template_versions)
                                        .where(Dossier.id == did)))
    completed = [e for e in events if e.action == "task.completed"
                 and e.step == "chairman_decision"][-1]
    planned = json.loads(completed.details)["papers"]
    assert {p["paper"]: p["number"] for p in planned["papers"]} == {
        "decision": "01/QĐ-UBND", "award_notice": "01/TB-BTĐKT"}
    assert all(p["template"].endswith("@1") for p in planned["papers"])
    generated = [e for e in events if e.action == "document.generated"][-1]
    refs = json.loads(generated.documents)
    assert {r["number"] for r in refs} == {"01/QĐ-UBND", "01/TB-BTĐKT"}
    for ref in refs:
        row = versions[(ref["id"], ref["version"])]
        assert ref["sha256"] == row.sha256 and ref["pdf_sha256"] == row.pdf_sha256
    assert pinned["decision"] == 1

    history = chutich.get(f"/dossiers/{did}/history").get_json()["items"]
    assert any(h["action"] == "document.generated" and
               any(d["name"].startswith("Quyết định khen thưởng") for d in h["documents"])
               for h in history)
    lines_after = {p["name"]: p for p in chutich.get(f"/dossiers/{did}").get_json()["proposals"]}
    assert lines_after["Trần Văn Khải"]["outcome"] == "not_approved"
    assert lines_after["Nguyễn Thị Hồng Nhung"]["outcome"] == "approved"


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_decision_numbers_increase_without_gaps_across_concurrent_approvals(app):
    client = app.test_client()
    dossiers = [_to_chairman(client, title=f"Hồ sơ ký cùng lúc {n}")[0] for n in range(6)]
    chutich = login(client, "chutich")
    tasks = [chutich.task_for(did)["id"] for did in dossiers]
    barrier = threading.Barrier(len(tasks))
    codes: list[int] = []

    def approve(task_id: str) -> None:
        local = app.test_client()
        barrier.wait()
        response = local.post(f"/api/v1/tasks/{task_id}/complete", json={"decision": "approve"},
                              headers=chutich.headers)
        codes.append(response.status_code)

    threads = [threading.Thread(target=approve, args=(t,)) for t in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * len(tasks)
    with app.extensions["tdkt"].engine.connect() as conn:
        payloads = conn.scalars(select(Job.payload).where(Job.kind == papers.JOB_KIND)).all()
    numbers = [item["number"] for p in payloads for item in json.loads(p)["items"]
               if item["paper"] == "decision"]
    assert sorted(numbers) == [f"{n:02d}/QĐ-UBND" for n in range(1, len(tasks) + 1)]


def test_a_cluster_approval_records_its_meeting(app):
    client = app.test_client()
    donvi, head, cum = login(client, "donvi1"), login(client, "thutruong1"), login(client, "cum1")
    did = open_dossier(donvi, proposals=LINES)["id"]
    donvi.decide(did, "approve")
    head.decide(did, "approve")
    task_id = cum.task_for(did)["id"]
    refused = cum.post(f"/tasks/{task_id}/complete", json={"decision": "approve"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "meeting_required"
    stranger = cum.post(f"/tasks/{task_id}/complete",
                        json={"decision": "approve", "meeting": {"present": [1]}})
    assert stranger.status_code == 422
    assert "thành viên" in stranger.get_json()["error"]["message"]
    form = cum.get(f"/tasks/{task_id}").get_json()["form"]
    too_many = cum.post(f"/tasks/{task_id}/complete", json={
        "decision": "approve", "meeting": {
            "present": [form["meeting_members"][0]["id"]], "ballots_issued": 3,
            "ballots_valid": 4}})
    assert too_many.status_code == 422
    # Nothing was taken: no number, no job, the task still open.
    with app.extensions["tdkt"].engine.connect() as conn:
        assert conn.scalar(select(Job.id)) is None
    assert cum.task_for(did)["id"] == task_id


def test_leaving_out_every_line_is_refused_and_needs_reasons(app):
    client = app.test_client()
    donvi, head, cum = login(client, "donvi1"), login(client, "thutruong1"), login(client, "cum1")
    did = open_dossier(donvi, proposals=LINES[:1])["id"]
    donvi.decide(did, "approve")
    head.decide(did, "approve")
    task_id = cum.task_for(did)["id"]
    form = cum.get(f"/tasks/{task_id}").get_json()["form"]
    line = form["lines"][0]["proposal_id"]
    meeting = {"present": [m["id"] for m in form["meeting_members"]]}
    no_reason = cum.post(f"/tasks/{task_id}/complete", json={
        "decision": "approve", "meeting": meeting,
        "excluded_lines": [{"proposal_id": line, "reason": " "}]})
    assert no_reason.get_json()["error"]["code"] == "reason_required"
    all_out = cum.post(f"/tasks/{task_id}/complete", json={
        "decision": "approve", "meeting": meeting,
        "excluded_lines": [{"proposal_id": line, "reason": "Không đạt"}]})
    assert all_out.status_code == 422
    assert all_out.get_json()["error"]["code"] == "no_line_left"


def test_a_return_brings_left_out_lines_back(app):
    client = app.test_client()
    did, _members, lines = _to_chairman(client, exclude_at_board="Trần Văn Khải")
    chutich = login(client, "chutich")
    chutich.decide(did, "return", "Bổ sung hồ sơ")
    proposals = {p["name"]: p for p in chutich.get(f"/dossiers/{did}").get_json()["proposals"]}
    assert proposals["Trần Văn Khải"]["outcome"] == "pending"
    assert proposals["Trần Văn Khải"]["outcome_reason"] is None


def test_a_generation_that_dies_after_storing_is_redone_without_a_row_missing_its_object(
        app, monkeypatch):
    """REL-5: the objects go first; a crash before the rows leaves orphans only, which the
    sweep removes, and the retried job stores its own objects and rows."""
    client = app.test_client()
    did, _m, _l = _to_chairman(client)
    login(client, "chutich").decide(did, "approve")
    tdkt = app.extensions["tdkt"]
    calls = {"n": 0}
    real = papers._add_versions

    def crash_first(uow, payload, stored, job_id):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("tiến trình bị dừng")
        return real(uow, payload, stored, job_id)

    monkeypatch.setattr(papers, "_add_versions", crash_first)
    # Three jobs wait (cluster, board, Chairman): the first dies after storing its objects.
    assert _run_jobs(app) == 2
    with tdkt.engine.connect() as conn:
        states = dict(conn.execute(select(Job.id, Job.state)
                                   .where(Job.kind == papers.JOB_KIND)).all())
        keys = {k for row in conn.execute(select(DocumentVersion.object_key,
                                                 DocumentVersion.pdf_object_key)) for k in row}
    assert list(states.values()).count(queue.PENDING) == 1
    stored = {o.key for o in tdkt.store.list()}
    orphans = {k for k in stored if k not in keys and "/papers/" in k}
    assert orphans, "the failed attempt stored its objects before failing"

    # While the job is pending, the sweep leaves its objects alone.
    future = datetime.now(UTC) + timedelta(hours=1)
    with UnitOfWork(tdkt.engine, write=False) as uow:
        assert papers.sweep(uow.session, tdkt.store, future) == []

    later = queue.take(tdkt.engine, worker="w2", now=datetime.now(UTC).replace(tzinfo=None)
                       + timedelta(hours=2))
    assert later is not None and queue.run(_runtime(app), later, worker="w2")
    with tdkt.engine.connect() as conn:
        rows = conn.execute(select(DocumentVersion.object_key, DocumentVersion.pdf_object_key)
                            .join(Document).where(Document.generated.is_(True))).all()
    referenced = {k for row in rows for k in row}
    assert all(tdkt.store.exists(k) for k in referenced)
    with UnitOfWork(tdkt.engine, write=False) as uow:
        removed = set(papers.sweep(uow.session, tdkt.store, future))
    assert removed == orphans
    assert all(tdkt.store.exists(k) for k in referenced)


def test_a_new_template_version_applies_to_new_dossiers_only(app):
    client = app.test_client()
    first, _m, _l = _to_chairman(client, title="Hồ sơ dùng mẫu cũ", run=lambda: _run_jobs(app))
    admin = login(client, "quantri")
    current = admin.get("/templates/decision").get_json()
    body = current["body"]
    body["signer_authority"]["chairman"] = ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    published = admin.post("/templates/decision", json={"body": body,
                                                        "note": "Ký thay mặt tập thể"})
    assert published.status_code == 201, published.get_json()
    assert published.get_json()["version"] == 2

    broken = dict(body, summary="Về việc tặng {giai_thuong}")
    refused = admin.post("/templates/decision", json={"body": broken})
    assert refused.status_code == 422
    assert "giai_thuong" in refused.get_json()["error"]["message"]

    second, _m, _l = _to_chairman(client, title="Hồ sơ dùng mẫu mới")
    chutich = login(client, "chutich")
    chutich.decide(first, "approve")
    chutich.decide(second, "approve")
    _run_jobs(app)
    old = _docx_text(_download(chutich, first, _papers(chutich, first)["decision"]["id"]))
    new = _docx_text(_download(chutich, second, _papers(chutich, second)["decision"]["id"]))
    assert "TM. ỦY BAN NHÂN DÂN" not in old
    assert "TM. ỦY BAN NHÂN DÂN" in new
    assert _papers(chutich, first)["decision"]["template"] == "decision@1"
    assert _papers(chutich, second)["decision"]["template"] == "decision@2"


def test_only_an_administrator_manages_templates(app):
    client = app.test_client()
    assert login(client, "chutich").get("/templates").status_code == 403
    assert login(client, "quantri").get("/templates/khong-co").status_code == 404


def test_the_unit_gets_its_achievement_report_prefilled_with_past_awards(app):
    client = app.test_client()
    did, _m, _l = _to_chairman(client, title="Hồ sơ năm trước")
    chutich = login(client, "chutich")
    chutich.decide(did, "approve")
    _run_jobs(app)
    donvi = login(client, "donvi1")
    again = open_dossier(donvi, title="Hồ sơ mới", proposals=LINES[:2])
    lines = {p["name"]: p["id"] for p in again["proposals"]}

    response = donvi.get(f"/dossiers/{again['id']}/proposals/"
                         f"{lines['Nguyễn Thị Hồng Nhung']}/report-template")
    assert response.status_code == 200
    assert "B%C3%A1o%20c%C3%A1o%20th%C3%A0nh%20t%C3%ADch" in response.headers[
        "Content-Disposition"]
    text = _docx_text(response.data)
    assert "BÁO CÁO THÀNH TÍCH" in text
    assert "Nguyễn Thị Hồng Nhung" in text
    assert "Quyết định số 01/QĐ-UBND" in text  # the award given by the first dossier
    collective = _docx_text(donvi.get(
        f"/dossiers/{again['id']}/proposals/"
        f"{lines['Phòng Văn hóa và Thông tin huyện Tuy Phong']}/report-template").data)
    for section in ("I.", "II.", "III."):
        assert section in collective
    # Another unit's officer does not see the dossier, nor its report.
    other = login(client, "donvi2")
    assert other.get(f"/dossiers/{again['id']}/proposals/{lines['Nguyễn Thị Hồng Nhung']}"
                     "/report-template").status_code == 404


def test_a_failed_generation_is_an_incident_the_administrator_can_retry(app, monkeypatch):
    client = app.test_client()
    donvi, head, cum = login(client, "donvi1"), login(client, "thutruong1"), login(client, "cum1")
    did = open_dossier(donvi)["id"]
    donvi.decide(did, "approve")
    head.decide(did, "approve")
    cum.decide(did, "approve")
    tdkt = app.extensions["tdkt"]

    def broken(*_args, **_kwargs):
        raise RuntimeError("LibreOffice không chạy được")

    monkeypatch.setattr(papers, "to_pdf", broken)
    with tdkt.engine.connect() as conn:
        job_id = conn.scalar(select(Job.id).where(Job.kind == papers.JOB_KIND))
    for attempt in range(queue.MAX_ATTEMPTS):
        taken = queue.take(tdkt.engine, worker="w", now=datetime.now(UTC).replace(tzinfo=None)
                           + timedelta(days=attempt + 1))
        assert taken is not None and not queue.run(_runtime(app), taken, worker="w")
    history = cum.get(f"/dossiers/{did}/history").get_json()["items"]
    assert [e["action"] for e in history].count("job.failed") == 1

    page = app.test_client()
    page.post("/login", data={"username": "quantri", "password": "demo-password"})
    listing = page.get("/admin/jobs")
    assert listing.status_code == 200
    assert "LibreOffice không chạy được" in listing.get_data(as_text=True)
    monkeypatch.undo()
    answer = page.post(f"/admin/jobs/{job_id}/retry", follow_redirects=True)
    assert answer.status_code == 200
    with tdkt.engine.connect() as conn:
        assert conn.scalar(select(Job.state).where(Job.id == job_id)) == queue.PENDING
    assert _run_jobs(app) == 1
    assert set(_papers(cum, did)) == {"cluster_minutes", "cluster_submission"}
    history = cum.get(f"/dossiers/{did}/history").get_json()["items"]
    assert "job.retried" in [e["action"] for e in history]
    officer = app.test_client()
    officer.post("/login", data={"username": "donvi1", "password": "demo-password"})
    assert officer.get("/admin/jobs").status_code == 403


def test_a_line_moved_to_another_award_goes_on_under_it(app):
    client = app.test_client()
    donvi, head, cum = login(client, "donvi1"), login(client, "thutruong1"), login(client, "cum1")
    board, chutich = login(client, "bantdkt"), login(client, "chutich")
    did = open_dossier(donvi, proposals=[
        {"subject_type": "collective", "name": "Phòng Giáo dục và Đào tạo",
         "award_code": "CO_TD_TINH", "summary": "Dẫn đầu Cụm thi đua"},
        {"subject_type": "individual", "name": "Võ Minh Tâm", "award_code": "BK_CT_UBND",
         "summary": "Hoàn thành xuất sắc nhiệm vụ"}])["id"]
    for user in (donvi, head, cum):
        user.decide(did, "approve")
    lines = {p["name"]: p["id"] for p in board.get(f"/dossiers/{did}").get_json()["proposals"]}
    task_id = board.task_for(did)["id"]
    wrong = board.post(f"/tasks/{task_id}/complete", json={
        "decision": "approve", "moved_lines": [
            {"proposal_id": lines["Võ Minh Tâm"], "award_code": "CO_TD_TINH", "reason": "x"}]})
    assert wrong.status_code == 422 and "không áp dụng" in wrong.get_json()["error"]["message"]
    board.decide(did, "approve", moved_lines=[
        {"proposal_id": lines["Phòng Giáo dục và Đào tạo"], "award_code": "BK_CT_UBND",
         "reason": "Chưa đạt tiêu chí dẫn đầu Khối, đủ tiêu chuẩn Bằng khen"}])
    chutich.decide(did, "approve")
    _run_jobs(app)
    proposals = {p["name"]: p for p in chutich.get(f"/dossiers/{did}").get_json()["proposals"]}
    assert proposals["Phòng Giáo dục và Đào tạo"]["award_code"] == "BK_CT_UBND"
    assert proposals["Phòng Giáo dục và Đào tạo"]["outcome"] == "approved"
    decision = _docx_text(_download(chutich, did, _papers(chutich, did)["decision"]["id"]))
    assert "Cờ thi đua" not in decision
    assert "Phòng Giáo dục và Đào tạo" in decision
    with app.extensions["tdkt"].engine.connect() as conn:
        details = json.loads(conn.scalar(
            select(AuditEvent.details).where(AuditEvent.step == "board_appraisal",
                                             AuditEvent.action == "task.completed")))
    assert details["moved_lines"][0]["from"] == "CO_TD_TINH"
    assert details["moved_lines"][0]["to"] == "BK_CT_UBND"
