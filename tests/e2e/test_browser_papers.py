"""The route's papers in a real Chromium: the cluster records its meeting, the board leaves a
line out, the Chairman approves, and the dossier page offers the numbered papers (.docx + PDF)
that the service made; a refused meeting keeps what was typed; an administrator edits a paper
template; the unit downloads its prefilled Báo cáo thành tích.

The live service makes the papers right after each approving command commits, as it does in
production (``JOBS_INLINE``), so each approval's page comes back with its papers listed.
"""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest
from docx import Document as Docx
from playwright.sync_api import Page, expect

from tests.e2e.browser import BrowserUser, LiveServer
from tests.support.api import ApiUser, login, open_dossier

pytestmark = pytest.mark.browser

TITLE = "Đề nghị khen thưởng phong trào thi đua nước rút 2023 (văn bản)"
KEPT = "Phòng Văn hóa và Thông tin huyện Tuy Phong"
LEFT_OUT = "Trần Văn Khải"
LINES = [
    {"subject_type": "collective", "name": KEPT, "award_code": "BK_CT_UBND",
     "summary": "Hoàn thành xuất sắc nhiệm vụ năm 2023"},
    {"subject_type": "individual", "name": LEFT_OUT, "award_code": "BK_CT_UBND",
     "summary": "Hoàn thành tốt nhiệm vụ"},
]
PLACE = "Hội trường UBND huyện Tuy Phong"
SECRETARY = "Lê Văn Tâm"
LEFT_OUT_REASON = "Chưa đủ thời gian công tác theo quy định"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# An approval that makes papers answers once they are rendered and converted (about a second
# each with LibreOffice, more when it starts cold).
PAPERS_TIMEOUT_MS = 90_000


@pytest.fixture
def papers_inline(live_server: LiveServer) -> LiveServer:
    """This test's live service makes papers inline (its own app: other tests keep queuing)."""
    live_server.app.extensions["tdkt"].config.JOBS_INLINE = True
    return live_server


# -- helpers ---------------------------------------------------------------------------------


def api(server: LiveServer, username: str) -> ApiUser:
    return login(server.app.test_client(), username)


def dossier_at_cluster(server: LiveServer) -> tuple[int, ApiUser]:
    """donvi1 opens the dossier and the unit's two steps send it on (by the API); returns its
    id and cum1's API client."""
    donvi, head = api(server, "donvi1"), api(server, "thutruong1")
    did = open_dossier(donvi, title=TITLE, proposals=LINES)["id"]
    donvi.decide(did, "approve")
    head.decide(did, "approve")
    return did, api(server, "cum1")


def flash(page: Page):
    return page.get_by_role("status")


def open_task_from_inbox(user: BrowserUser, dossier_id: int, step: str) -> Page:
    page = user.goto("/")
    row = page.get_by_test_id("inbox").locator(f'tr[data-dossier-id="{dossier_id}"]')
    expect(row).to_contain_text(step)
    with page.expect_navigation():
        row.get_by_role("link", name="Xử lý", exact=True).click()
    user.check()
    expect(page.get_by_role("heading", level=1)).to_have_text(step)
    return page


def approve(user: BrowserUser, decision: str) -> Page:
    """Choose the approving decision and send; the answer waits for the step's papers."""
    page = user.page
    form = page.get_by_test_id("task-form")
    form.get_by_label(decision, exact=True).check()
    with page.expect_navigation(timeout=PAPERS_TIMEOUT_MS):
        form.get_by_role("button", name="Gửi ý kiến").click()
    page.wait_for_load_state("load")
    user.check()
    expect(flash(page)).to_contain_text("Đã ghi nhận ý kiến xử lý.")
    expect(page.get_by_test_id("paper-job")).to_have_count(0)  # made, not waiting
    return page


def paper_row(page: Page, number: str):
    """The latest version of the generated paper numbered ``number``."""
    return page.get_by_test_id("documents").locator("tbody tr").filter(
        has_text=f"Số: {number}")


def proposal_row(page: Page, name: str):
    return page.get_by_test_id("proposals").locator("tbody tr").filter(has_text=name)


def docx_text(data: bytes) -> str:
    document = Docx(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


# -- the stories -----------------------------------------------------------------------------


def test_the_route_makes_its_papers_and_the_dossier_page_offers_them(browser_user,
                                                                       papers_inline):
    did, _cum_api = dossier_at_cluster(papers_inline)

    # 1. The cluster leader records the meeting: one member unit absent.
    cum = browser_user("cum1")
    page = open_task_from_inbox(cum, did, "Cụm thi đua xét duyệt")
    form = page.get_by_test_id("task-form")
    expect(form).to_contain_text("Khi đồng ý, hệ thống lập và cấp số:")
    meeting = form.get_by_test_id("meeting")
    expect(meeting.locator("legend")).to_have_text("Cuộc họp bình xét (để lập biên bản)")
    present = meeting.locator('input[type="checkbox"][name^="present_"]')
    members = present.count()
    assert members >= 2, "the cluster needs two member units for one to be absent"
    for box in present.all():
        expect(box).to_be_checked()  # everyone present unless unticked
    absent_box = present.nth(members - 1)
    absent = meeting.locator(f'label[for="{absent_box.get_attribute("id")}"]').inner_text()
    absent_box.uncheck()
    meeting.get_by_label("Ngày họp").fill("2023-12-01")
    meeting.get_by_label("Địa điểm").fill(PLACE)
    meeting.get_by_label("Thư ký cuộc họp").fill(SECRETARY)
    meeting.get_by_label("Số phiếu phát ra").fill(str(members - 1))
    meeting.get_by_label("Số phiếu hợp lệ").fill(str(members - 1))
    for name, score in ((KEPT, "96.5"), (LEFT_OUT, "88")):
        meeting.get_by_label(f"Phiếu đồng ý cho {name}").fill(str(members - 1))
        meeting.get_by_label(f"Điểm của {name}").fill(score)
    expect(form.get_by_test_id("line-outcomes")).to_be_visible()
    cum.screenshot("papers-01-cluster-meeting-form")
    page = approve(cum, "Đồng ý, trình Ban TĐKT")
    minutes = paper_row(page, "01/BB-CTĐ")
    expect(minutes).to_have_count(1)
    expect(minutes).to_contain_text("Hệ thống lập")
    expect(paper_row(page, "01/TTr-CTĐ")).to_have_count(1)
    # The minutes say what the form said: place, secretary, the absent unit.
    _name, data = cum.download(minutes.get_by_role("link", name=re.compile(r"\.docx$")))
    text = docx_text(data)
    assert PLACE in text and SECRETARY in text
    assert f"Vắng mặt: 1/{members} đơn vị" in text
    assert absent in text[text.index("Vắng mặt"):]

    # 2. The board leaves one line out, with its reason.
    ban = browser_user("bantdkt")
    page = open_task_from_inbox(ban, did, "Ban TĐKT thẩm định")
    form = page.get_by_test_id("task-form")
    expect(form.get_by_test_id("meeting")).to_have_count(0)
    outcomes = form.get_by_test_id("line-outcomes")
    expect(outcomes.locator("legend")).to_have_text("Kết quả từng dòng đề nghị")
    outcomes.get_by_label(LEFT_OUT, exact=True).check()
    outcomes.get_by_label(f"Lý do không chuyển tiếp hoặc chuyển hình thức {LEFT_OUT}").fill(
        LEFT_OUT_REASON)
    form.get_by_label("Tóm tắt kết quả thẩm định").fill("Hồ sơ đủ điều kiện.")
    page = approve(ban, "Thẩm định đạt, trình Chủ tịch")
    expect(paper_row(page, "01/BC-BTĐKT")).to_have_count(1)
    expect(paper_row(page, "01/TTr-BTĐKT")).to_have_count(1)

    # 3. The Chairman approves: the Quyết định gets its number.
    chutich = browser_user("chutich")
    open_task_from_inbox(chutich, did, "Chủ tịch quyết định")
    page = approve(chutich, "Phê duyệt khen thưởng")
    expect(page.get_by_test_id("dossier-status")).to_have_text("Phê duyệt một phần")

    decision = paper_row(page, "01/QĐ-UBND")
    expect(decision).to_have_count(1)
    expect(decision.locator("td").first).to_have_text("Quyết định khen thưởng")
    expect(decision).to_contain_text("Hệ thống lập")
    pdf_link = decision.get_by_test_id("pdf-link")
    expect(pdf_link).to_have_text("PDF")
    name, pdf = chutich.download(pdf_link)
    assert pdf.startswith(b"%PDF-"), pdf[:16]
    assert name.endswith(".pdf") and "01-QĐ-UBND" in name, name
    notice = paper_row(page, "01/TB-BTĐKT")
    expect(notice.locator("td").first).to_have_text("Thông báo kết quả xét khen thưởng")

    left_out = proposal_row(page, LEFT_OUT).locator("td").nth(5)
    expect(left_out).to_have_text(f"Không được khen thưởng ({LEFT_OUT_REASON})")
    expect(proposal_row(page, KEPT).locator("td").nth(5)).to_have_text("Được khen thưởng")
    chutich.screenshot("papers-02-dossier-documents", page.get_by_test_id("documents"))

    history = page.get_by_test_id("history")
    generated = history.locator('tbody tr[data-action="document.generated"]')
    expect(generated).to_have_count(3)  # the cluster's, the board's, the Chairman's
    expect(generated).to_contain_text(["Hệ thống lập văn bản"] * 3)
    expect(generated.filter(has_text="Quyết định khen thưởng")).to_have_count(1)
    chutich.screenshot("papers-03-history", page.get_by_test_id("history-section"))


def test_a_meeting_with_nobody_present_is_refused_and_the_form_keeps_its_input(
        browser_user, papers_inline):
    did, cum_api = dossier_at_cluster(papers_inline)
    task_id = cum_api.task_for(did)["id"]

    cum = browser_user("cum1")
    page = open_task_from_inbox(cum, did, "Cụm thi đua xét duyệt")
    form = page.get_by_test_id("task-form")
    meeting = form.get_by_test_id("meeting")
    present = meeting.locator('input[type="checkbox"][name^="present_"]')
    for box in present.all():
        box.uncheck()
    meeting.get_by_label("Địa điểm").fill(PLACE)
    meeting.get_by_label("Thư ký cuộc họp").fill(SECRETARY)
    form.get_by_label("Đồng ý, trình Ban TĐKT", exact=True).check()
    with cum.problems.expecting(r"\b422\b"):
        with page.expect_navigation() as answered:
            form.get_by_role("button", name="Gửi ý kiến").click()
        page.wait_for_load_state("load")
    cum.check()
    assert answered.value is not None and answered.value.status == 422

    expect(page.get_by_test_id("error")).to_have_text("Cần chọn ít nhất một đơn vị có mặt.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cụm thi đua xét duyệt")
    form = page.get_by_test_id("task-form")
    meeting = form.get_by_test_id("meeting")
    expect(meeting.get_by_label("Địa điểm")).to_have_value(PLACE)
    expect(meeting.get_by_label("Thư ký cuộc họp")).to_have_value(SECRETARY)
    expect(form.get_by_label("Đồng ý, trình Ban TĐKT", exact=True)).to_be_checked()
    for box in meeting.locator('input[type="checkbox"][name^="present_"]').all():
        expect(box).not_to_be_checked()
    cum.screenshot("papers-04-meeting-nobody-present")

    # Nothing was done: the same task is open, no paper was made or queued.
    assert cum_api.task_for(did)["id"] == task_id
    dossier = cum_api.get(f"/dossiers/{did}").get_json()
    assert dossier["status"] == "in_review"
    assert [d for d in dossier["documents"] if d["generated"]] == []
    page = cum.goto(f"/dossiers/{did}")
    expect(page.get_by_test_id("current-step")).to_have_text("Cụm thi đua xét duyệt")
    expect(page.get_by_test_id("paper-job")).to_have_count(0)


def test_an_administrator_edits_a_paper_template(browser_user):
    admin = browser_user("quantri")
    page = admin.page
    page.get_by_test_id("nav-admin").get_by_role("button", name="Quản trị").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Mẫu văn bản").click()
    admin.check()
    assert page.url.endswith("/admin/templates")
    templates = page.get_by_test_id("paper-templates")
    row = templates.locator("tbody tr").filter(has=page.locator("code", has_text="decision"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Quyết định khen thưởng")
    expect(row).to_contain_text("v1")
    with page.expect_navigation():
        row.get_by_role("link", name="decision").click()
    admin.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("decision · v1")

    body = page.locator("#body")
    original = body.input_value()
    assert '"summary": "Về việc tặng {awards}"' in original
    assert '"archive": "VT, TĐKT"' in original
    form = page.get_by_test_id("template-form")
    note = form.get_by_label("Ghi chú thay đổi")
    button = form.get_by_role("button", name="Kiểm tra và công bố phiên bản mới")

    # An unknown placeholder is refused, with its name, and nothing is published.
    broken = original.replace("Về việc tặng {awards}", "Về việc tặng {giai_thuong}")
    body.fill(broken)
    note.fill("Thử trường lạ")
    with admin.problems.expecting(r"\b422\b"):
        with page.expect_navigation() as answered:
            button.click()
        page.wait_for_load_state("load")
    admin.check()
    assert answered.value is not None and answered.value.status == 422
    error = page.get_by_test_id("template-error")
    expect(error).to_contain_text("giai_thuong")
    expect(error).to_contain_text("Mẫu “")
    expect(page.get_by_role("alert")).to_have_count(1)  # said once
    expect(body).to_have_value(broken)  # the text typed is kept, to be corrected
    expect(note).to_have_value("Thử trường lạ")
    expect(page.get_by_test_id("template-versions").locator("li")).to_have_count(1)
    admin.screenshot("papers-05-template-error")

    # A valid change is published as version 2.
    body.fill(original.replace('"archive": "VT, TĐKT"', '"archive": "VT, TĐKT, VP"'))
    note.fill("Thêm lưu Văn phòng")
    admin.submit(button)
    expect(flash(page)).to_have_text("Đã công bố mẫu “decision” phiên bản 2.")
    expect(page.get_by_role("heading", level=1)).to_have_text("decision · v2")
    versions = page.get_by_test_id("template-versions").locator("li")
    expect(versions).to_have_count(2)
    expect(versions.first).to_contain_text("v2")
    expect(versions.first).to_contain_text("Thêm lưu Văn phòng")
    expect(versions.nth(1)).to_contain_text("v1")
    admin.screenshot("papers-06-template-published")

    name, data = admin.download(versions.first.get_by_role(
        "link", name="Tải văn bản mẫu (.docx)"))
    assert data.startswith(b"PK"), data[:8]
    assert name.endswith("(mẫu v2).docx"), name
    assert "- Lưu: VT, TĐKT, VP." in docx_text(data)

    with page.expect_navigation():
        page.get_by_role("link", name="Mẫu văn bản", exact=True).last.click()
    admin.check()
    row = page.get_by_test_id("paper-templates").locator("tbody tr").filter(
        has=page.locator("code", has_text="decision"))
    expect(row).to_contain_text("v2")
    expect(row).to_contain_text("Thêm lưu Văn phòng")


def test_the_unit_officer_downloads_a_prefilled_achievement_report(browser_user, live_server):
    donvi_api = api(live_server, "donvi1")
    did = open_dossier(donvi_api, title=TITLE, proposals=LINES)["id"]

    donvi = browser_user("donvi1")
    page = donvi.goto(f"/dossiers/{did}")
    link = proposal_row(page, LEFT_OUT).get_by_test_id("report-template")
    expect(link).to_have_text("Mẫu báo cáo thành tích (điền sẵn)")
    name, data = donvi.download(link)
    assert data.startswith(b"PK"), data[:8]
    assert name == f"Báo cáo thành tích - {LEFT_OUT}.docx"
    text = docx_text(data)
    assert "BÁO CÁO THÀNH TÍCH" in text and LEFT_OUT in text

    # The header keeps the Vietnamese name (RFC 5987) beside an ASCII fallback.
    response = page.request.get(link.get_attribute("href"))
    # The report is rendered afresh for each request (a .docx carries its time of making), so
    # the same report, not the same bytes.
    assert response.ok and docx_text(response.body()) == text
    assert response.headers["content-type"].startswith(DOCX)
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('Báo cáo thành tích')}" in disposition, disposition
