"""The auditor (kiemtoan) in a real Chromium: searching the trail without diacritics, reading
one dossier's whole trail and taking its PDF report."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.api import login, open_dossier
from tests.support.files import docx_bytes

pytestmark = pytest.mark.browser

TITLE = "Đề nghị khen thưởng phong trào thi đua nước rút 05 tháng cuối năm 2023"
UNIT_COMMENT = "Hồ sơ phong trào thi đua đủ thành phần"
RETURN_REASON = "Bổ sung biên bản họp xét khen thưởng"
REPORT_NAME = "Báo cáo thành tích 2023.docx"


def test_auditor_searches_without_diacritics_and_reads_a_trail(browser_user, live_server):
    api = live_server.app.test_client()
    donvi = login(api, "donvi1")
    dossier_id = open_dossier(donvi, title=TITLE)["id"]
    donvi.upload(dossier_id, REPORT_NAME, docx_bytes("Báo cáo thành tích phong trào"))
    donvi.decide(dossier_id, "approve", UNIT_COMMENT)
    login(api, "thutruong1").decide(dossier_id, "approve")
    login(api, "cum1").decide(dossier_id, "return", RETURN_REASON)

    auditor = browser_user("kiemtoan")
    page = auditor.page
    with page.expect_navigation():
        page.get_by_test_id("nav-audit").click()
    auditor.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tra cứu nhật ký xử lý")

    filters = page.get_by_test_id("audit-filters")
    filters.get_by_label("Nội dung").fill("thi dua")
    auditor.submit(filters.get_by_role("button", name="Tìm"))
    expect(filters.get_by_label("Nội dung")).to_have_value("thi dua")
    results = page.get_by_test_id("audit-results")
    rows = results.locator("tbody tr")
    expect(rows.first).to_be_visible()
    # Sign-ins mention no "thi đua"; the dossier's events all do (its title, its steps).
    expect(results.locator('tr[data-action="auth.login"]')).to_have_count(0)
    mine = results.locator('tbody tr[data-action="task.completed"]', has_text=UNIT_COMMENT)
    expect(mine).to_have_count(1)
    expect(mine.get_by_test_id("event-comment")).to_have_text(UNIT_COMMENT)
    expect(mine.get_by_test_id("event-action")).to_have_text("Cho ý kiến xử lý")
    expect(mine.get_by_test_id("event-step")).to_have_text("Chuẩn bị hồ sơ")
    expect(mine.get_by_test_id("event-dossier")).to_contain_text(TITLE)
    expect(mine.get_by_test_id("event-documents")).to_contain_text(f"{REPORT_NAME} · v1 · ")
    created = results.locator('tbody tr[data-action="dossier.created"]')
    expect(created.get_by_test_id("event-step")).to_have_text("Chuẩn bị hồ sơ")  # not its id
    returned = results.locator("tbody tr", has_text=RETURN_REASON)
    expect(returned).to_contain_text("Cụm thi đua số 1")
    for text in rows.all_inner_texts():  # each row shows where "thi đua" is
        assert "thi đua" in text.lower(), text
    auditor.screenshot("audit-01-search")

    with page.expect_navigation():
        mine.get_by_test_id("event-dossier").get_by_role("link").click()
    auditor.check()
    assert page.url.endswith(f"/audit/dossiers/{dossier_id}")
    expect(page.get_by_test_id("trail-title")).to_contain_text(f"#{dossier_id} · {TITLE}")
    trail = page.get_by_test_id("trail").locator("tbody tr")
    expect(trail).to_have_count(5)
    expect(trail.locator("[data-testid=event-action]")).to_have_text(
        ["Lập hồ sơ", "Tải lên tài liệu", "Cho ý kiến xử lý", "Cho ý kiến xử lý",
         "Cho ý kiến xử lý"])
    expect(trail.nth(4).get_by_test_id("event-decision")).to_have_text("Trả lại đơn vị bổ sung")
    expect(page.get_by_test_id("trail-hashes")).to_contain_text(
        re.compile(r"#\d+ · [0-9a-f]{64}"))
    auditor.screenshot("audit-02-dossier-trail")

    name, data = auditor.download(page.get_by_test_id("trail-report"))
    assert name == f"Nhật ký xử lý hồ sơ {dossier_id}.pdf"
    assert data.startswith(b"%PDF-")
    page = auditor.goto(f"/audit/dossiers/{dossier_id}")
    expect(page.get_by_test_id("trail").locator("tbody tr").last).to_have_attribute(
        "data-action", "audit.trail_report")
