"""The commendation route in a real Chromium, as the people of the demo province use it.

Đơn vị lập hồ sơ → thủ trưởng ký trình → Cụm trả lại (có lý do) → đơn vị bổ sung phiên bản
mới → Cụm đồng ý → Ban TĐKT thẩm định → Chủ tịch phê duyệt; then the history, and the
validation report of a broken process model.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import BrowserUser
from tests.support.files import docx_bytes

pytestmark = pytest.mark.browser

CAMPAIGN = "Phong trào thi đua nước rút 05 tháng cuối năm 2023"
TITLE = "Đề nghị khen thưởng phong trào thi đua nước rút 05 tháng cuối năm 2023"
UNIT = "UBND thành phố Phan Thiết"
AWARD = "Bằng khen của Chủ tịch UBND tỉnh"
REPORT_NAME = "Báo cáo thành tích 2023.docx"
RETURN_REASON = "Bổ sung số liệu quý IV và ý kiến của Hội đồng TĐKT đơn vị"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DD_MM_YYYY = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")

BROKEN_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:tdkt="http://tdkt.gov.vn/schema/bpmn/tdkt"
    id="Definitions_broken" targetNamespace="http://tdkt.gov.vn/schema/bpmn">
  <bpmn:process id="broken" name="Quy trình lỗi" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_unit" name="Đơn vị">
        <bpmn:extensionElements><tdkt:lane role="unit_head" scope="unit" /></bpmn:extensionElements>
        <bpmn:flowNodeRef>review</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>Flow_start</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="Xét duyệt">
      <bpmn:extensionElements>
        <tdkt:step><tdkt:decision value="approve" label="Đồng ý" /></tdkt:step>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_start</bpmn:incoming>
      <bpmn:outgoing>Flow_review</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="Gateway_evil" name="Cổng độc hại" default="Flow_normal">
      <bpmn:incoming>Flow_review</bpmn:incoming>
      <bpmn:outgoing>Flow_evil</bpmn:outgoing>
      <bpmn:outgoing>Flow_normal</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="end_approved">
      <bpmn:extensionElements><tdkt:end outcome="approved" /></bpmn:extensionElements>
      <bpmn:incoming>Flow_evil</bpmn:incoming>
      <bpmn:incoming>Flow_normal</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_start" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="Flow_review" sourceRef="review" targetRef="Gateway_evil" />
    <bpmn:sequenceFlow id="Flow_evil" name="Nhánh độc hại" sourceRef="Gateway_evil"
        targetRef="end_approved">
      <bpmn:conditionExpression>__import__('os').system('id')</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_normal" sourceRef="Gateway_evil" targetRef="end_approved" />
  </bpmn:process>
</bpmn:definitions>
"""


# -- steps a person takes ------------------------------------------------------------------


def flash(page: Page):
    return page.get_by_role("status")


def inbox_row(user: BrowserUser, dossier_id: int):
    page = user.goto("/")
    expect(page.get_by_role("heading", name="Hộp công việc")).to_be_visible()
    row = page.get_by_test_id("inbox").locator(f'tr[data-dossier-id="{dossier_id}"]')
    expect(row).to_have_count(1)
    return row


def open_task_from_inbox(user: BrowserUser, dossier_id: int, step: str) -> Page:
    row = inbox_row(user, dossier_id)
    expect(row).to_contain_text(step)
    with user.page.expect_navigation():
        row.get_by_role("link", name="Xử lý", exact=True).click()
    user.check()
    expect(user.page.get_by_role("heading", level=1)).to_have_text(step)
    return user.page


def decide(user: BrowserUser, decision: str, comment: str = "") -> Page:
    """On an open task page: choose a decision, give a comment, send."""
    page = user.page
    form = page.get_by_test_id("task-form")
    form.get_by_label(decision, exact=True).check()
    if comment:
        form.get_by_label("Ý kiến / lý do").fill(comment)
    user.submit(form.get_by_role("button", name="Gửi ý kiến"))
    expect(flash(page)).to_contain_text("Đã ghi nhận ý kiến xử lý.")
    expect(page.get_by_test_id("dossier-title")).to_be_visible()
    return page


def status_of(page: Page):
    return page.get_by_test_id("dossier-status")


def document_row(page: Page, version: int):
    return page.get_by_test_id("documents").locator(f'tr[data-version="{version}"]')


def history_rows(page: Page):
    return page.get_by_test_id("history").locator('tbody tr[data-action="task.completed"]')


# -- the story -------------------------------------------------------------------------------


def test_dossier_goes_the_whole_route_with_a_return(browser_user):
    first, second = docx_bytes("Phiên bản đầu"), docx_bytes("Phiên bản bổ sung số liệu quý IV")
    sha1, sha2 = hashlib.sha256(first).hexdigest(), hashlib.sha256(second).hexdigest()

    # 1. The unit officer prepares the dossier.
    donvi = browser_user("donvi1")
    page = donvi.page
    expect(page.get_by_test_id("whoami")).to_contain_text(UNIT)
    with page.expect_navigation():
        page.get_by_role("link", name="Lập hồ sơ").click()
    donvi.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lập hồ sơ đề nghị khen thưởng")
    campaign = page.get_by_label("Đợt thi đua")
    option = campaign.locator("option", has_text=CAMPAIGN)
    expect(option).to_have_text(f"{CAMPAIGN} (hạn 15/12/2023)")
    campaign.select_option(option.get_attribute("value"))
    page.get_by_label("Tiêu đề hồ sơ").fill(TITLE)
    rows = page.get_by_test_id("proposal-row")
    expect(rows).to_have_count(5)
    page.get_by_role("button", name="Thêm dòng").click()  # app.js clones an empty row
    expect(rows).to_have_count(6)
    lines = [("Tập thể", "Phòng Văn hóa và Thông tin", "Hoàn thành xuất sắc nhiệm vụ năm 2023"),
             ("Cá nhân", "Nguyễn Thị Hồng Nhung", "Có nhiều sáng kiến trong cải cách hành chính")]
    for row, (subject, name, summary) in zip(rows.all(), lines, strict=False):
        row.get_by_label("Đối tượng").select_option(label=subject)
        row.get_by_label("Tên").fill(name)
        row.get_by_label("Hình thức").select_option(label=AWARD)
        row.get_by_label("Tóm tắt").fill(summary)
    donvi.submit(page.get_by_role("button", name="Lập hồ sơ"))
    expect(flash(page)).to_contain_text("Đã lập hồ sơ.")
    expect(status_of(page)).to_have_text("Đang chuẩn bị")
    expect(page.get_by_test_id("dossier-title")).to_contain_text(TITLE)
    expect(page.get_by_text("hạn nộp 15/12/2023")).to_be_visible()
    dossier_id = int(re.search(r"/dossiers/(\d+)", page.url).group(1))
    proposals = page.get_by_test_id("proposals").locator("tbody tr")
    expect(proposals).to_have_count(2)
    expect(proposals.nth(0)).to_contain_text("Tập thể")
    expect(proposals.nth(0)).to_contain_text(AWARD)
    expect(proposals.nth(1)).to_contain_text("Nguyễn Thị Hồng Nhung")

    upload = page.get_by_test_id("upload-document")
    upload.get_by_label("Loại tài liệu").select_option(label="Báo cáo thành tích")
    upload.get_by_label("Tệp", exact=True).set_input_files(
        {"name": REPORT_NAME, "mimeType": DOCX, "buffer": first})
    donvi.submit(upload.get_by_role("button", name="Tải lên tài liệu"))
    expect(flash(page)).to_contain_text(f"Đã tải lên “{REPORT_NAME}” (phiên bản 1)")
    expect(document_row(page, 1)).to_contain_text(REPORT_NAME)
    expect(document_row(page, 1)).to_contain_text(sha1)

    with page.expect_navigation():
        page.get_by_test_id("act-on-task").click()
    donvi.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chuẩn bị hồ sơ")
    decide(donvi, "Chuyển thủ trưởng ký trình")
    expect(page.get_by_test_id("current-step")).to_have_text("Thủ trưởng ký trình")

    # The head of the unit signs and submits it to the cluster.
    head = browser_user("thutruong1")
    open_task_from_inbox(head, dossier_id, "Thủ trưởng ký trình")
    decide(head, "Trình Cụm thi đua")
    expect(status_of(head.page)).to_have_text("Đang xét duyệt")

    # 2. The cluster leader finds it, claims it and returns it for a supplement.
    cum = browser_user("cum1")
    row = inbox_row(cum, dossier_id)
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text(UNIT)
    expect(row).to_contain_text("Cụm thi đua xét duyệt")
    expect(row).to_contain_text("Chưa ai nhận")
    due = row.get_by_test_id("due-on")
    expect(due).to_have_text(DD_MM_YYYY)
    cum.submit(row.get_by_role("button", name="Nhận xử lý"))
    expect(flash(cum.page)).to_contain_text("Đã nhận xử lý công việc.")
    row = inbox_row(cum, dossier_id)
    expect(row.get_by_role("button", name="Trả lại hộp chung")).to_be_visible()
    expect(row.get_by_test_id("claimed-by")).not_to_contain_text("Chưa ai nhận")
    cum.screenshot("01-inbox-cum1")

    page = open_task_from_inbox(cum, dossier_id, "Cụm thi đua xét duyệt")
    form = page.get_by_test_id("task-form")
    expect(form.get_by_label("Trả lại đơn vị bổ sung")).to_be_visible()
    form.get_by_label("Xếp hạng trong Cụm").fill("Hạng nhất")
    form.get_by_label("Trả lại đơn vị bổ sung").check()
    # The browser posts the form; the service answers 422 with the page and its message.
    with cum.problems.expecting(r"\b422\b"):
        with page.expect_navigation():
            form.get_by_role("button", name="Gửi ý kiến").click()
        page.wait_for_load_state("load")
    cum.check()
    expect(page.get_by_test_id("error")).to_have_text("Trả lại hoặc từ chối phải ghi rõ lý do.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cụm thi đua xét duyệt")
    form = page.get_by_test_id("task-form")
    expect(form.get_by_label("Trả lại đơn vị bổ sung")).to_be_checked()
    expect(form.get_by_label("Xếp hạng trong Cụm")).to_have_value("Hạng nhất")
    cum.screenshot("02-task-return-without-reason")
    decide(cum, "Trả lại đơn vị bổ sung", RETURN_REASON)
    expect(status_of(cum.page)).to_have_text("Bị trả lại, chờ bổ sung")

    # The unit sees the return, uploads a new version of the same report and sends it again.
    page = donvi.goto(f"/dossiers/{dossier_id}")
    expect(status_of(page)).to_have_text("Bị trả lại, chờ bổ sung")
    expect(page.get_by_test_id("history")).to_contain_text(RETURN_REASON)
    new_version = document_row(page, 1)
    new_version.get_by_label("Tệp phiên bản mới").set_input_files(
        {"name": REPORT_NAME, "mimeType": DOCX, "buffer": second})
    donvi.submit(new_version.get_by_role("button", name="Tải lên", exact=True))
    expect(flash(page)).to_contain_text(f"Đã tải lên “{REPORT_NAME}” (phiên bản 2)")
    expect(document_row(page, 2)).to_contain_text("mới nhất")
    expect(document_row(page, 2)).to_contain_text(sha2)
    expect(document_row(page, 1)).to_contain_text(REPORT_NAME)
    expect(document_row(page, 1)).to_contain_text("v1")
    expect(document_row(page, 1)).to_contain_text(sha1)
    old = donvi.download(document_row(page, 1).get_by_role("link", name=REPORT_NAME))
    assert old == (REPORT_NAME, first)
    with page.expect_navigation():
        page.get_by_test_id("act-on-task").click()
    decide(donvi, "Chuyển thủ trưởng ký trình")

    open_task_from_inbox(head, dossier_id, "Thủ trưởng ký trình")
    decide(head, "Trình Cụm thi đua")

    open_task_from_inbox(cum, dossier_id, "Cụm thi đua xét duyệt")
    decide(cum, "Đồng ý, trình Ban TĐKT", "Cụm thống nhất đề nghị")

    # 3. The board appraises, the chairman approves.
    ban = browser_user("bantdkt")
    open_task_from_inbox(ban, dossier_id, "Ban TĐKT thẩm định")
    decide(ban, "Thẩm định đạt, trình Chủ tịch", "Đủ điều kiện")
    chutich = browser_user("chutich")
    page = open_task_from_inbox(chutich, dossier_id, "Chủ tịch quyết định")
    decide(chutich, "Phê duyệt khen thưởng")
    expect(status_of(page)).to_have_text("Đã phê duyệt")
    expect(page.get_by_test_id("current-step")).to_have_count(0)
    expect(page.get_by_test_id("proposals").locator("tbody tr")).to_have_text(
        [re.compile("Được khen thưởng")] * 2)
    chutich.screenshot("03-dossier-approved")

    # 4. The history, as the board specialist sees it.
    page = ban.goto(f"/dossiers/{dossier_id}")
    expect(status_of(page)).to_have_text("Đã phê duyệt")
    steps = history_rows(page)
    expected = [
        ("Chuẩn bị hồ sơ", "donvi1", "Chuyển thủ trưởng ký trình"),
        ("Thủ trưởng ký trình", "thutruong1", "Trình Cụm thi đua"),
        ("Cụm thi đua xét duyệt", "cum1", "Trả lại đơn vị bổ sung"),
        ("Chuẩn bị hồ sơ", "donvi1", "Chuyển thủ trưởng ký trình"),
        ("Thủ trưởng ký trình", "thutruong1", "Trình Cụm thi đua"),
        ("Cụm thi đua xét duyệt", "cum1", "Đồng ý, trình Ban TĐKT"),
        ("Ban TĐKT thẩm định", "bantdkt", "Thẩm định đạt, trình Chủ tịch"),
        ("Chủ tịch quyết định", "chutich", "Phê duyệt khen thưởng"),
    ]
    expect(steps).to_have_count(len(expected))
    for row, (step, actor, decision) in zip(steps.all(), expected, strict=True):
        expect(row.get_by_test_id("history-step")).to_have_text(step)
        expect(row.get_by_test_id("history-actor")).to_contain_text(actor)
        expect(row.get_by_test_id("history-decision")).to_have_text(decision)
    history = page.get_by_test_id("history")
    expect(history).not_to_contain_text(re.compile(r"\b[a-z]+_[a-z_]+\b"))  # no raw codes
    expect(history.locator('tr[data-action="dossier.created"]')).to_contain_text(
        "Cán bộ TĐKT đơn vị · UBND thành phố Phan Thiết")
    returned = steps.nth(2)
    expect(returned).to_contain_text("Trưởng Cụm/Khối thi đua · Cụm thi đua số 1")
    expect(returned.get_by_test_id("history-comment")).to_have_text(RETURN_REASON)
    expect(returned.get_by_test_id("history-documents")).to_have_text(
        f"{REPORT_NAME} · v1 · {sha1[:16]}…")
    board = steps.nth(6)
    expect(board.get_by_test_id("history-comment")).to_have_text("Đủ điều kiện")
    expect(board.get_by_test_id("history-documents")).to_have_text(
        f"{REPORT_NAME} · v2 · {sha2[:16]}…")
    ban.screenshot("04-history", page.get_by_test_id("history-section"))


def test_admin_sees_the_validation_report_of_a_broken_model(browser_user):
    admin = browser_user("quantri")
    page = admin.page
    with page.expect_navigation():
        page.get_by_role("link", name="Quy trình").click()
    admin.check()
    assert page.url.endswith("/admin/models")
    models = page.get_by_test_id("models")
    expect(models).to_contain_text("commendation")
    expect(models).to_contain_text("Quy trình xét khen thưởng")

    form = page.get_by_test_id("model-upload")
    form.get_by_label("Tệp BPMN").set_input_files(
        {"name": "quy-trinh-loi.bpmn", "mimeType": "application/xml",
         "buffer": BROKEN_BPMN.encode()})
    with admin.problems.expecting(r"\b422\b"):
        admin.submit(form.get_by_role("button", name="Kiểm tra", exact=True))
    report = page.get_by_test_id("validation-report")
    expect(report).to_contain_text("quy-trinh-loi.bpmn")
    issue = report.locator("tbody tr", has=page.locator("code", has_text="Flow_evil"))
    expect(issue).to_have_count(1)
    expect(models.locator("code")).to_have_text(["commendation"])
    admin.screenshot("05-model-validation-report")
