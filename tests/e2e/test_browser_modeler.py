"""The BPMN modeler and the route views in a real Chromium.

Quản trị viên chèn bước “Hiệp y” vào làn Ban TĐKT, giữa bước Cụm xét duyệt và bước thẩm định,
kiểm tra rồi công bố; hồ sơ lập trước khi công bố vẫn đi theo quy trình cũ, hồ sơ lập sau đi
qua bước mới; sơ đồ của hồ sơ đánh dấu đúng các bước. A diagram carrying Python in a condition
is flagged on the element and never published; the modeler speaks Vietnamese and English.

Everything is done through the page as a person does it (palette, canvas, our properties
panel, the toolbar), except reading back what the editor holds: the tests check the XML it
downloads and the markers it draws, never its internal state.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.browser import PROJECT_ROOT, BrowserUser
from tests.support.api import ApiUser, campaign_id, login, open_dossier

pytestmark = pytest.mark.browser

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "tdkt": "http://tdkt.gov.vn/schema/bpmn/tdkt"}
COMMENDATION = (PROJECT_ROOT / "workflows" / "bpmn" / "commendation.bpmn").read_text("utf-8")
PYTHON_PAYLOAD = "__import__('os').system('id')"
CONSULTATION = "Hiệp y"
CONSULTATION_ID = "board_consultation"
CONSULTATION_LABEL = "Hiệp y xong, chuyển thẩm định"


# -- the service's API, as the other actors use it --------------------------------------------


def api_user(live_server, username: str) -> ApiUser:
    """An API client on the live server's application and database."""
    return login(live_server.app.test_client(), username)


def dossier_at_cluster(live_server, title: str, returned: bool = False) -> int:
    """A dossier the unit prepared and its head submitted: it waits for the cluster.

    ``returned``: the cluster sent it back once on the way, with a reason.
    """
    unit, head = api_user(live_server, "donvi1"), api_user(live_server, "thutruong1")
    dossier_id = open_dossier(unit, title=title)["id"]
    unit.decide(dossier_id, "approve")
    head.decide(dossier_id, "approve")
    if returned:
        api_user(live_server, "cum1").decide(dossier_id, "return", "Bổ sung số liệu quý IV")
        unit.decide(dossier_id, "approve")
        head.decide(dossier_id, "approve")
    return dossier_id


# -- the modeler page ----------------------------------------------------------------------------


def open_modeler(admin: BrowserUser, path: str = "/admin/models") -> Page:
    page = admin.goto(path)
    if "/edit" not in path:
        with page.expect_navigation():
            page.get_by_test_id("models").get_by_role("link", name="Soạn trên sơ đồ").click()
    expect(page.locator("#modeler-app")).to_have_attribute("data-ready", "true")
    admin.check()
    return page


def status(page: Page):
    return page.get_by_test_id("modeler-status")


def shape(page: Page | Locator, element_id: str) -> Locator:
    return page.locator(f'.djs-element[data-element-id="{element_id}"]')


def drop_user_task_on_flow(page: Page, flow_id: str) -> None:
    """Palette → "user task" → dropped onto the flow's vertical segment: bpmn-js splits it."""
    line = shape(page, flow_id).locator(".djs-visual > path").first.bounding_box()
    assert line is not None
    # The flow goes down from the cluster's gateway, then right to the board's appraisal:
    # its left edge is the vertical segment; drop low on it, inside the board's lane.
    x, y = line["x"] + 1, line["y"] + line["height"] * 0.85
    page.locator(".djs-palette").get_by_role(
        "button", name="Tạo bước xử lý (tác vụ người dùng)", exact=True).click()
    page.mouse.move(x - 60, y - 60, steps=5)
    page.mouse.move(x, y, steps=10)
    page.mouse.down()
    page.mouse.up()


def download_xml(user: BrowserUser) -> ET.Element:
    page = user.page
    with page.expect_download() as info:
        page.get_by_role("button", name="Tải .bpmn").click()
    download = info.value
    assert download.suggested_filename == "commendation.bpmn"
    data = download.path().read_bytes()
    user.check()
    return ET.fromstring(data)


def upload(page: Page, name: str, xml: str) -> None:
    page.get_by_label("Tệp .bpmn từ công cụ khác").set_input_files(
        {"name": name, "mimeType": "application/xml", "buffer": xml.encode()})


# -- the stories ---------------------------------------------------------------------------------


def test_admin_inserts_a_consultation_step_that_only_new_dossiers_take(browser_user, live_server):
    before = dossier_at_cluster(live_server, "Hồ sơ lập trước khi có bước hiệp y", returned=True)

    # 1. The administrator inserts "Hiệp y" between the cluster's approval and the appraisal.
    admin = browser_user("quantri")
    page = open_modeler(admin)
    expect(page.get_by_test_id("modeler-source")).to_contain_text("Đang mở: phiên bản 1.")
    drop_user_task_on_flow(page, "Flow_cluster_review_approve")
    panel = page.get_by_test_id("properties")
    expect(panel).to_contain_text("Tác vụ người dùng")
    expect(page.get_by_test_id("unsaved")).to_be_visible()

    panel.get_by_label("Tên", exact=True).fill(CONSULTATION)
    panel.get_by_label("Tên", exact=True).press("Tab")
    panel.get_by_label("Mã phần tử (ID)").fill(CONSULTATION_ID)
    panel.get_by_label("Mã phần tử (ID)").press("Tab")
    panel.get_by_label("Vai trò xử lý bước").select_option("board_specialist")
    panel.get_by_label("Đồng ý", exact=True).check()
    panel.get_by_label("Nhãn nút “Đồng ý”").fill(CONSULTATION_LABEL)
    panel.get_by_label("Nhãn nút “Đồng ý”").press("Tab")
    panel.get_by_label("Trường dữ liệu bước này nhận").fill("note")
    panel.get_by_label("Trường dữ liệu bước này nhận").press("Tab")
    panel.get_by_label("Thời hạn xử lý (ngày làm việc)").fill("5")
    panel.get_by_label("Thời hạn xử lý (ngày làm việc)").press("Tab")
    expect(shape(page, CONSULTATION_ID)).to_contain_text(CONSULTATION)

    # What the editor now holds, as the .bpmn it downloads.
    root = download_xml(admin)
    process = root.find("bpmn:process", NS)
    flows = {f.get("id"): f for f in process.findall("bpmn:sequenceFlow", NS)}
    into = flows["Flow_cluster_review_approve"]
    assert into.get("targetRef") == CONSULTATION_ID
    assert into.find("bpmn:conditionExpression", NS).text == "decision == 'approve'"
    assert [f.get("targetRef") for f in flows.values()
            if f.get("sourceRef") == CONSULTATION_ID] == ["board_appraisal"]
    task = process.find(f"bpmn:userTask[@id='{CONSULTATION_ID}']", NS)
    assert task.get("name") == CONSULTATION
    step = task.find("bpmn:extensionElements/tdkt:step", NS)
    assert (step.get("role"), step.get("dueWorkingDays")) == ("board_specialist", "5")
    assert [(d.get("value"), d.get("label")) for d in step.findall("tdkt:decision", NS)] == [
        ("approve", CONSULTATION_LABEL)]
    assert [f.get("name") for f in step.findall("tdkt:field", NS)] == ["note"]
    board_lane = process.find(".//bpmn:lane[@id='Lane_board']", NS)
    assert CONSULTATION_ID in [r.text for r in board_lane.findall("bpmn:flowNodeRef", NS)]

    # 2. Validate, save the draft, publish.
    page.get_by_role("button", name="Kiểm tra", exact=True).click()
    expect(status(page)).to_have_text("Sơ đồ hợp lệ, có thể công bố.")
    expect(page.get_by_test_id("issues")).to_be_hidden()
    page.get_by_role("button", name="Lưu bản nháp").click()
    expect(status(page)).to_contain_text("Đã lưu bản nháp lúc")
    expect(page.get_by_test_id("unsaved")).to_be_hidden()
    page.get_by_role("button", name="Công bố", exact=True).click()
    dialog = page.get_by_test_id("publish-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("hồ sơ đang xử lý giữ phiên bản cũ")
    dialog.get_by_role("button", name="Công bố", exact=True).click()
    expect(status(page)).to_have_text("Đã công bố phiên bản 2.")
    expect(dialog).to_be_hidden()
    expect(page.locator(".modal-backdrop")).to_have_count(0)
    expect(page.get_by_test_id("versions").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("versions").locator('tr[data-version="2"]')).to_contain_text(
        re.compile(r"^v2.*\d{2}/\d{2}/\d{4} \d{2}:\d{2}"))
    admin.check()
    admin.screenshot("06-modeler-consultation-published")

    # 3. The dossier opened before keeps its route; a new one goes through "Hiệp y".
    cluster, board = api_user(live_server, "cum1"), api_user(live_server, "bantdkt")
    cluster.decide(before, "approve", "Cụm thống nhất đề nghị")
    assert board.task_for(before)["step"] == "board_appraisal"
    after = dossier_at_cluster(live_server, "Hồ sơ lập sau khi có bước hiệp y")
    cluster.decide(after, "approve", "Cụm thống nhất đề nghị")
    waiting = board.task_for(after)
    assert (waiting["step"], waiting["name"], waiting["role"]) == (
        CONSULTATION_ID, CONSULTATION, "board_specialist")

    specialist = browser_user("bantdkt")
    inbox = specialist.goto("/").get_by_test_id("inbox")
    expect(inbox.locator(f'tr[data-dossier-id="{after}"]')).to_contain_text(CONSULTATION)
    expect(inbox.locator(f'tr[data-dossier-id="{before}"]')).to_contain_text(
        "Ban TĐKT thẩm định")

    # 4. The new dossier's diagram: its own version, the steps done, the step it waits at.
    page = specialist.goto(f"/dossiers/{after}")
    section = page.get_by_test_id("route-section")
    section.scroll_into_view_if_needed()
    expect(page.locator("#route-canvas")).to_have_attribute("data-ready", "true")
    expect(section).to_contain_text("Hồ sơ đi theo quy trình “commendation”, phiên bản 2.")
    for done in ("unit_prepare", "unit_submit", "cluster_review"):
        expect(shape(section, done)).to_have_class(re.compile(r"\broute-completed\b"))
    expect(shape(section, CONSULTATION_ID)).to_have_class(re.compile(r"\broute-current\b"))
    expect(shape(section, CONSULTATION_ID)).not_to_have_class(re.compile(r"route-completed"))
    expect(shape(section, "board_appraisal")).not_to_have_class(re.compile(r"route-"))
    expect(section.get_by_test_id("route-legend")).to_contain_text("Bước đang chờ xử lý")
    specialist.check()
    specialist.screenshot("07-dossier-route-consultation", section)

    # ...and the old one, on version 1 where "Hiệp y" does not exist, with its return.
    page = specialist.goto(f"/dossiers/{before}")
    section = page.get_by_test_id("route-section")
    section.scroll_into_view_if_needed()
    expect(page.locator("#route-canvas")).to_have_attribute("data-ready", "true")
    expect(section).to_contain_text("phiên bản 1.")
    expect(shape(section, CONSULTATION_ID)).to_have_count(0)
    expect(shape(section, "board_appraisal")).to_have_class(re.compile(r"\broute-current\b"))
    expect(section.locator('.route-return-badge[data-element-id="cluster_review"]')).to_have_text(
        "trả lại ×1")
    expect(shape(section, "Flow_cluster_review_return")).to_have_class(
        re.compile(r"\broute-returned\b"))
    specialist.check()
    specialist.screenshot("07b-dossier-route-old-version-with-return", section)

    # 5. Where dossiers wait, campaign-wide, on the latest version (the navbar's link).
    with page.expect_navigation():
        page.get_by_test_id("nav-route").click()
    specialist.check()
    assert page.url.endswith(f"/campaigns/{campaign_id(board)}/route")
    expect(page.locator("#heatmap-canvas")).to_have_attribute("data-ready", "true")
    for step_id, name in ((CONSULTATION_ID, CONSULTATION), ("board_appraisal",
                                                            "Ban TĐKT thẩm định")):
        badge = page.locator(f'.heat-badge[data-element-id="{step_id}"]')
        expect(badge).to_contain_text(re.compile(r"^1 hồ sơ"))
        expect(shape(page, step_id)).to_have_class(re.compile(r"\bheat-[1-5]\b"))
        row = page.get_by_test_id("heatmap-table").locator(f'tr[data-step="{step_id}"]')
        expect(row).to_contain_text(name)
    expect(page.get_by_test_id("heatmap-legend")).to_contain_text("Nhiều hồ sơ chờ")
    specialist.check()
    specialist.screenshot("08-campaign-heatmap")

    # 6. The administrator compares the two versions.
    page = open_modeler(admin, "/admin/models/commendation/edit")
    form = page.get_by_test_id("diff-form")
    expect(form.get_by_label("Từ phiên bản")).to_have_value("1")
    expect(form.get_by_label("Đến phiên bản")).to_have_value("2")
    admin.submit(form.get_by_role("button", name="So sánh"))
    expect(page.get_by_role("heading", level=1)).to_have_text("So sánh phiên bản v1 → v2")
    expect(page.get_by_test_id("diff-added").locator(
        f'tr[data-element-id="{CONSULTATION_ID}"]')).to_contain_text(CONSULTATION)
    target = page.get_by_test_id("diff-changed").locator(
        'tr[data-element-id="Flow_cluster_review_approve"][data-field="target"]')
    expect(target.locator(".diff-before")).to_have_text("board_appraisal")
    expect(target.locator(".diff-after")).to_have_text(CONSULTATION_ID)
    admin.screenshot("09-model-diff")


def test_a_python_payload_in_a_condition_is_marked_and_never_published(browser_user,
                                                                       live_server):
    admin = browser_user("quantri")
    page = open_modeler(admin)

    # A round trip first: what the editor downloads, uploaded unchanged, is valid.
    exported = ET.tostring(download_xml(admin), encoding="unicode")
    upload(page, "commendation.bpmn", exported)
    expect(status(page)).to_have_text("Sơ đồ hợp lệ, có thể công bố.")

    evil = COMMENDATION.replace(
        "decision == 'reject'</bpmn:conditionExpression>",
        f"{PYTHON_PAYLOAD}</bpmn:conditionExpression>", 1)
    assert PYTHON_PAYLOAD in evil
    upload(page, "quy-trinh-doc-hai.bpmn", evil)
    issues = page.get_by_test_id("issues")
    expect(issues).to_be_visible()
    expect(status(page)).to_contain_text("Sơ đồ chưa công bố được")
    flagged = issues.locator('[data-element-id="Flow_cluster_review_reject"]')
    expect(flagged).to_have_count(1)
    expect(flagged).to_contain_text("Không đề nghị")  # the flow's name
    expect(shape(page, "Flow_cluster_review_reject")).to_have_class(
        re.compile(r"\btdkt-invalid\b"))
    expect(page.locator('.tdkt-issue-badge[data-element-id="Flow_cluster_review_reject"]')
           ).to_be_visible()
    expect(page.locator(".djs-element.tdkt-invalid")).to_have_count(1)

    # The list leads to the element: selected, with its condition in the panel.
    flagged.click()
    panel = page.get_by_test_id("properties")
    expect(panel.get_by_label("Mã phần tử (ID)")).to_have_value("Flow_cluster_review_reject")
    expect(panel.get_by_label("Điều kiện đi theo luồng này")).to_have_value(PYTHON_PAYLOAD)
    admin.screenshot("10-modeler-python-payload")

    # Publishing is refused by the service, with the same element named.
    page.get_by_role("button", name="Công bố", exact=True).click()
    with admin.problems.expecting(r"\b422\b"):
        page.get_by_test_id("publish-dialog").get_by_role("button", name="Công bố",
                                                          exact=True).click()
        expect(status(page)).to_contain_text("Không công bố được")
    admin.check()
    expect(issues.locator('[data-element-id="Flow_cluster_review_reject"]')).to_have_count(1)
    expect(page.get_by_test_id("versions").locator("tbody tr")).to_have_count(1)
    models = api_user(live_server, "quantri").get("/process-models").get_json()["items"]
    assert [[v["version"] for v in m["versions"]] for m in models
            if m["key"] == "commendation"] == [[1]]


@pytest.mark.parametrize(("lang", "start_event", "user_task", "panel_title"), [
    ("vi", "Tạo sự kiện bắt đầu", "Tạo bước xử lý (tác vụ người dùng)", "Thuộc tính"),
    ("en", "Create start event", "Create user task", "Properties"),
], ids=["vietnamese", "english"])
def test_modeler_labels_follow_the_page_language(browser_user, lang, start_event, user_task,
                                                 panel_title):
    admin = browser_user("quantri")
    page = open_modeler(admin, f"/admin/models/commendation/edit?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    palette = page.locator(".djs-palette")
    expect(palette.get_by_role("button", name=start_event, exact=True)).to_have_count(1)
    expect(palette.get_by_role("button", name=user_task, exact=True)).to_have_count(1)
    expect(page.get_by_test_id("properties")).to_contain_text(panel_title)

    # The context pad and the replace menu of a task, through the same translation.
    shape(page, "board_appraisal").click()
    change = {"vi": "Đổi loại phần tử", "en": "Change element"}[lang]
    page.locator(".djs-context-pad").get_by_title(change, exact=True).click()
    menu = page.locator(".djs-popup")
    expect(menu).to_contain_text({"vi": "Tác vụ dịch vụ", "en": "Service task"}[lang])
    if lang == "en":
        expect(menu).not_to_contain_text("Tác vụ")
    admin.screenshot(f"11-modeler-labels-{lang}")
    page.keyboard.press("Escape")
    admin.check()
