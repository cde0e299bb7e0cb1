"""The campaign dashboard in Chromium: the Chairman opens it from the navbar and sees the
charts drawn as inline SVG, under the strict Content Security Policy."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.browser import LiveServer
from tests.support.api import login, open_dossier

pytestmark = pytest.mark.browser

LINES = [
    {"subject_type": "collective", "name": "Phòng Văn hóa và Thông tin",
     "award_code": "BK_CT_UBND", "summary": "Hoàn thành xuất sắc nhiệm vụ"},
    {"subject_type": "collective", "name": "Phòng Tài chính - Kế hoạch",
     "award_code": "TTLDXS", "summary": "Hoàn thành xuất sắc nhiệm vụ"},
]


def _campaign_state(server: LiveServer) -> None:
    """Unit 1 approved, unit 2 at its cluster (overdue), unit 6 at the board."""
    client = server.app.test_client()
    people = {}

    def user(name: str):
        if name not in people:
            people[name] = login(client, name)
        return people[name]

    for officer, steps in (("donvi1", 5), ("donvi2", 2), ("donvi6", 3)):
        no = officer.removeprefix("donvi")
        actors = [officer, f"thutruong{no}", "cum1" if no in "12" else "cum2", "bantdkt",
                  "chutich"]
        did = open_dossier(user(officer), proposals=LINES)["id"]
        for actor in actors[:steps]:
            user(actor).decide(did, "approve")


def test_the_chairman_reads_the_dashboard(browser_user, live_server):
    _campaign_state(live_server)
    chairman = browser_user("chutich")
    page = chairman.page
    with page.expect_navigation():
        page.get_by_test_id("nav-dashboard").click()
    chairman.check()
    expect(page.get_by_role("heading", name="Bảng tổng hợp đợt thi đua")).to_be_visible()
    assert "15/12/2023" in page.get_by_test_id("campaign-name").inner_text()

    awards = page.get_by_test_id("chart-awards")
    expect(awards).to_be_visible()
    assert awards.evaluate("e => e.namespaceURI") == "http://www.w3.org/2000/svg"
    # Two award types, each with a bar proposed and a bar approved.
    expect(awards.locator("rect.bar-proposed")).to_have_count(2)
    expect(awards.locator("rect.bar-approved")).to_have_count(2)
    steps = page.get_by_test_id("chart-steps").locator("rect.bar-step")
    expect(steps).to_have_count(5)
    widths = {steps.nth(i).get_attribute("data-step"): float(steps.nth(i).get_attribute("width"))
              for i in range(5)}
    assert widths["cluster_review"] > 0 and widths["board_appraisal"] > 0
    assert widths["unit_prepare"] == 0 and widths["chairman_decision"] == 0

    expect(page.get_by_test_id("card-reported")).to_contain_text("3")
    late = page.locator('[data-testid="unit-row"][data-late="1"]')
    assert late.count() > 0
    expect(late.first).to_have_class("small table-danger")
    assert "table-danger" in page.locator(
        '[data-testid="unit-row"]', has_text="UBND huyện Hàm Thuận Bắc").get_attribute("class")
    assert "table-danger" not in page.locator(
        '[data-testid="unit-row"]', has_text="UBND thành phố Phan Thiết").get_attribute("class")
    chairman.screenshot("dashboard-01")

    name, data = chairman.download(page.get_by_test_id("dashboard-xlsx"))
    assert name.endswith(".xlsx")
    assert load_workbook(io.BytesIO(data), read_only=True).sheetnames == [
        "Don vi", "Buoc", "Hinh thuc"]
