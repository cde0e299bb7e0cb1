"""What the route papers say: the lines each lists, counts, rates, money, blanks and reasons.

Built from the catalogue's specimens (service/documents/specimens.py), read back from the .docx
where the layout matters to the reader, and from the model where the structure does.
"""

from __future__ import annotations

import io
import json
import unicodedata
from dataclasses import fields, is_dataclass, replace
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from service.documents import specimens
from service.documents.catalogue import PAPERS, bundled_template, render
from service.documents.decision import DecisionInput, decision_document
from service.documents.inputs import (
    Line,
    Meeting,
    Paper,
    PastAward,
    Signer,
    dump,
    load,
)
from service.documents.nd30 import DataTable, Para
from service.domain.documents import DOCUMENT_KINDS
from service.domain.dossiers import Outcome

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _build(name: str, data=None, template: dict | None = None):
    kind = PAPERS[name]
    return kind.build(data if data is not None else kind.specimen(),
                      template if template is not None else bundled_template(kind.template))


def _docx(name: str, data=None, template: dict | None = None) -> Document:
    kind = PAPERS[name]
    raw = render(name, data if data is not None else kind.specimen(),
                 template if template is not None else bundled_template(kind.template))
    return Document(io.BytesIO(raw))


def _lines(document: Document) -> list[str]:
    """Every paragraph's text, table cells included, in document order."""
    return ["".join(t.text or "" for t in p.iter(qn("w:t")))
            for p in document.element.body.iter(qn("w:p"))]


def _texts(blocks) -> list[str]:
    return [b if isinstance(b, str) else b.text for b in blocks if not isinstance(b, DataTable)]


def _tables(blocks) -> list[DataTable]:
    return [b for b in blocks if isinstance(b, DataTable)]


# --- Biên bản họp bình xét ----------------------------------------------------------------------


def test_minutes_name_every_member_as_present_or_absent():
    model = _build("cluster_minutes")
    texts = _texts(model.body)
    attendance = next(i for i, t in enumerate(texts) if t.startswith("Thành phần tham dự"))
    absence = next(i for i, t in enumerate(texts) if t.startswith("Vắng mặt"))
    assert texts[attendance] == ("Thành phần tham dự: đại diện 4/5 đơn vị thành viên của Cụm "
                                 "thi đua số 1, gồm:")
    present = texts[attendance + 1:absence]
    absent = texts[absence + 1:absence + 2]
    assert present == ["- UBND thành phố Phan Thiết;", "- UBND huyện Hàm Thuận Bắc;",
                       "- UBND huyện Bắc Bình;", "- UBND huyện Tuy Phong."]
    assert texts[absence] == "Vắng mặt: 1/5 đơn vị, gồm:"
    assert absent == ["- UBND huyện Phú Quý."]
    meeting = specimens.cluster_minutes().meeting
    assert {t[2:-1] for t in present + absent} == set(meeting.members)


def test_minutes_without_absentees_say_so():
    data = specimens.cluster_minutes()
    members = data.meeting.members
    data = replace(data, meeting=replace(data.meeting, present=members, absent=()))
    texts = _texts(_build("cluster_minutes", data).body)
    assert "Vắng mặt: không." in texts
    assert not any(t.startswith("Vắng mặt: 0") for t in texts)


def test_minutes_table_gives_each_line_its_score_votes_and_rate():
    [table] = _tables(_build("cluster_minutes").body)
    assert [c.heading for c in table.columns] == [
        "STT", "Họ tên – tên tập thể", "Đơn vị", "Hình thức đề nghị", "Điểm",
        "Số phiếu đồng ý", "Tỷ lệ (%)", "Kết quả"]
    rows = {row[0]: row for row in table.rows}
    assert len(rows) == 5  # every line considered, proposed or not
    # ballots_valid = 11; rates are cut, not rounded, to two places
    assert rows["Ủy ban nhân dân huyện Tuy Phong"][3:] == (
        "96,5", "11", "100", "Đề nghị khen thưởng")
    assert rows["Phòng Tài chính - Kế hoạch huyện Tuy Phong"][3:] == (
        "92,25", "10", "90,90", "Đề nghị khen thưởng")
    assert rows["Trần Thị Ánh Nguyệt"][3:] == ("—", "9", "81,81", "Đề nghị khen thưởng")
    assert rows["Nguyễn Hữu Phước"][3:] == ("85", "6", "54,54", "Không đề nghị")


@pytest.mark.parametrize(("votes", "valid", "rate"), [
    (2, 3, "66,66"), (8, 10, "80"), (0, 7, "0"), (5, None, "—"), (None, 9, "—"), (3, 0, "—")])
def test_rates_are_cut_to_two_places_and_unknown_ones_are_a_dash(votes, valid, rate):
    data = specimens.cluster_minutes()
    line = replace(data.paper.lines[0], votes_for=votes)
    data = replace(data, paper=replace(data.paper, lines=(line,)),
                   meeting=replace(data.meeting, ballots_valid=valid))
    [table] = _tables(_build("cluster_minutes", data).body)
    assert table.rows[0][5] == rate


def test_minutes_header_ballots_results_and_two_signers():
    model = _build("cluster_minutes")
    texts = _texts(model.body)
    assert model.number == "01/BB-CTĐ" and not model.dated  # Mẫu 1.9: the time opens the body
    assert texts[0] == "Thời gian bắt đầu: 8 giờ 00 phút, ngày 01 tháng 12 năm 2023."
    assert "Thư ký: Nguyễn Thị Hạnh." in texts
    assert any("số phiếu phát ra: 12; số phiếu hợp lệ: 11" in t for t in texts)
    assert any(t.startswith("4. Căn cứ kết quả bình xét, hội nghị thống nhất đề nghị khen "
                            "thưởng 4 trường hợp (2 tập thể, 1 cá nhân và 1 hộ gia đình)")
               for t in texts)
    assert "- Cờ thi đua của Ủy ban nhân dân tỉnh: 1 tập thể;" in texts
    assert ("- Nguyễn Hữu Phước: Không đạt tỷ lệ phiếu đồng ý theo Quy chế hoạt động của "
            "Cụm.") in texts  # the reason's own full stop is not doubled
    assert texts[-1].startswith("Cuộc họp kết thúc vào 11 giờ 30 phút cùng ngày.")
    assert model.co_signer.authority == ("THƯ KÝ",) and model.co_signer.name == "Nguyễn Thị Hạnh"
    assert model.signer_authority == ("CHỦ TRÌ",) and model.signer_name == "Lê Văn Thành"


def test_minutes_leave_unknown_times_and_ballots_to_be_written_in():
    data = specimens.cluster_minutes()
    data = replace(data, meeting=replace(data.meeting, starts_at=None, ends_at=None,
                                         ballots_issued=None, ballots_valid=None,
                                         secretary=None))
    model = _build("cluster_minutes", data)
    texts = _texts(model.body)
    assert texts[0] == "Thời gian bắt đầu: …………, ngày 01 tháng 12 năm 2023."
    assert any("số phiếu phát ra: —; số phiếu hợp lệ: —" in t for t in texts)
    assert model.co_signer.name == ""  # the secretary signs and writes the name by hand


# --- Tờ trình of the cluster --------------------------------------------------------------------


def test_cluster_submission_annexes_split_by_subject_and_list_only_proposed_lines():
    model = _build("cluster_submission")
    assert [a.heading for a in model.annexes] == [
        "DANH SÁCH CÁ NHÂN ĐỀ NGHỊ KHEN THƯỞNG", "DANH SÁCH TẬP THỂ ĐỀ NGHỊ KHEN THƯỞNG",
        "DANH SÁCH HỘ GIA ĐÌNH ĐỀ NGHỊ KHEN THƯỞNG"]
    assert [a.label for a in model.annexes] == ["Phụ lục I", "Phụ lục II", "Phụ lục III"]
    assert [[row[0] for row in a.rows] for a in model.annexes] == [
        ["Trần Thị Ánh Nguyệt"],
        ["Ủy ban nhân dân huyện Tuy Phong", "Phòng Tài chính - Kế hoạch huyện Tuy Phong"],
        ["Hộ ông Nguyễn Văn Bảy"]]
    assert [[c.heading for c in a.columns][1] for a in model.annexes] == [
        "Họ và tên", "Tên tập thể", "Tên hộ"]
    assert [c.heading for c in model.annexes[0].columns] == [
        "STT", "Họ và tên", "Chức vụ, đơn vị", "Hình thức đề nghị", "Tóm tắt thành tích"]
    assert model.annexes[0].rows[0][3] == "Tham mưu hoàn thành sắp xếp đơn vị hành chính cấp xã."
    assert model.annexes[0].guide == ("(Kèm theo Tờ trình số 03/TTr-CTĐ ngày 04 tháng 12 năm "
                                      "2023 của Cụm thi đua số 1)")
    text = "\n".join(_lines(_docx("cluster_submission")))
    assert "Nguyễn Hữu Phước" not in text  # not proposed by the cluster


def test_cluster_submission_body_counts_and_signer():
    model = _build("cluster_submission")
    assert model.addressees == ("Ban Thi đua - Khen thưởng tỉnh",)
    assert model.summary == ("Về việc đề nghị tặng Cờ thi đua của Ủy ban nhân dân tỉnh và "
                             "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh")
    texts = _texts(model.body)
    assert "khen thưởng 4 trường hợp (2 tập thể, 1 cá nhân và 1 hộ gia đình), cụ thể:" in texts[0]
    assert texts[1:3] == [
        "- Cờ thi đua của Ủy ban nhân dân tỉnh: 1 tập thể;",
        "- Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh: 1 tập thể, 1 cá nhân và 1 hộ gia đình."]
    assert model.legal_bases[-1] == ("Căn cứ Biên bản họp bình xét thi đua, khen thưởng của Cụm "
                                     "thi đua số 1 ngày 01 tháng 12 năm 2023.")
    assert "91/2017/NĐ-CP" in " ".join(model.legal_bases)


def test_a_bloc_signs_as_its_leader_and_one_list_takes_no_number():
    data = specimens.cluster_submission()
    only_individual = tuple(line for line in data.paper.lines if line.position in (3, 4))
    paper = replace(data.paper, issuer="Khối thi đua số 9 (Nội chính)", lines=only_individual,
                    signer=Signer("Lê Văn Thành", ("TM. {issuer_upper}", "{leader_title}")))
    model = _build("cluster_submission", replace(data, paper=paper))
    assert model.signer_authority == ("TM. KHỐI THI ĐUA SỐ 9 (NỘI CHÍNH)", "TRƯỞNG KHỐI")
    assert [a.label for a in model.annexes] == [None]


def test_a_cluster_submission_without_a_proposed_line_is_refused():
    data = specimens.cluster_submission()
    lines = tuple(replace(line, outcome="not_approved") for line in data.paper.lines)
    with pytest.raises(ValueError):
        _build("cluster_submission", replace(data, paper=replace(data.paper, lines=lines)))


# --- Báo cáo thẩm định --------------------------------------------------------------------------


def test_appraisal_gives_each_ineligible_line_its_reason():
    model = _build("appraisal")
    [table] = _tables(model.body)
    results = {row[0]: row[3] for row in table.rows}
    assert results == {
        "Ủy ban nhân dân huyện Tuy Phong": "Đủ điều kiện",
        "Phòng Tài chính - Kế hoạch huyện Tuy Phong": "Đủ điều kiện",
        "Trần Thị Ánh Nguyệt":
            "Không đủ điều kiện: Chưa đủ 02 năm liên tục hoàn thành xuất sắc nhiệm vụ.",
        "Nguyễn Hữu Phước": "Không đủ điều kiện: Không đạt tỷ lệ phiếu đồng ý theo Quy chế "
                            "hoạt động của Cụm.",
        "Hộ ông Nguyễn Văn Bảy": "Đủ điều kiện",
    }
    text = "\n".join(_lines(_docx("appraisal")))
    assert "Không đủ điều kiện: Chưa đủ 02 năm liên tục hoàn thành xuất sắc nhiệm vụ." in text


def test_appraisal_states_what_it_received_its_conclusions_and_findings():
    texts = _texts(_build("appraisal").body)
    assert texts[0].startswith("Ban Thi đua - Khen thưởng tỉnh nhận được Tờ trình số "
                               "03/TTr-CTĐ ngày 05 tháng 12 năm 2023 của Cụm thi đua số 1 đề "
                               "nghị khen thưởng 5 trường hợp (2 tập thể, 2 cá nhân và 1 hộ gia "
                               "đình)")
    assert ("- Cờ thi đua của Ủy ban nhân dân tỉnh: đề nghị 1 trường hợp (1 tập thể); đủ điều "
            "kiện: 1 trường hợp (1 tập thể); không đủ điều kiện: không có;") in texts
    assert ("- Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh: đề nghị 4 trường hợp (1 tập thể, 2 "
            "cá nhân và 1 hộ gia đình); đủ điều kiện: 2 trường hợp (1 tập thể và 1 hộ gia đình); "
            "không đủ điều kiện: 2 trường hợp (2 cá nhân).") in texts
    findings = texts.index("3. Ý kiến thẩm định")
    assert texts[findings + 1] == "Hồ sơ đủ thành phần theo quy định."


def test_appraisal_without_findings_or_a_numbered_submission():
    data = replace(specimens.appraisal(), findings="  \n", received_number=None,
                   received_date=None)
    texts = _texts(_build("appraisal", data).body)
    assert "3. Ý kiến thẩm định" not in texts
    assert "nhận được Tờ trình số ………… ngày ………… của Cụm thi đua số 1" in texts[0]


# --- Tờ trình of the Ban TĐKT -------------------------------------------------------------------


def test_board_submission_totals_the_money_in_figures_and_words():
    model = _build("board_submission")
    texts = _texts(model.body)
    # 8,0 × 1.800.000 + 3,0 × 1.800.000 + 1,5 × 1.800.000; the two individuals are not approved
    assert ("Tổng số tiền thưởng là 22.500.000 đồng (Hai mươi hai triệu năm trăm nghìn đồng), "
            "tính theo mức lương cơ sở 1.800.000 đồng;") in " ".join(texts)
    assert ("- Tặng Cờ thi đua của Ủy ban nhân dân tỉnh cho 1 tập thể; tiền thưởng: 14.400.000 "
            "đồng (Mười bốn triệu bốn trăm nghìn đồng);") in texts
    assert ("- Tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh cho 1 tập thể và 1 hộ gia đình; "
            "tiền thưởng: 8.100.000 đồng (Tám triệu một trăm nghìn đồng).") in texts
    assert "khen thưởng 3 trường hợp (2 tập thể và 1 hộ gia đình)" in texts[0]


def test_board_submission_is_addressed_to_the_chairman_with_the_draft_attached():
    model = _build("board_submission")
    assert model.addressees == ("Chủ tịch Ủy ban nhân dân tỉnh",)
    assert model.number == "120/TTr-BTĐKT"
    assert [b for b in model.body if isinstance(b, Para)] == [
        Para("(Kèm theo dự thảo Quyết định)", italic=True)]
    assert model.legal_bases[-1] == ("Căn cứ kết quả thẩm định hồ sơ tại Báo cáo số 12/BC-BTĐKT "
                                     "của Ban Thi đua - Khen thưởng tỉnh.")


@pytest.mark.parametrize(("on", "decree"), [(date(2023, 12, 14), "91/2017/NĐ-CP"),
                                            (date(2024, 3, 1), "98/2023/NĐ-CP"),
                                            (date(2025, 7, 1), "152/2025/NĐ-CP")])
def test_board_submission_cites_the_regime_of_its_date(on, decree):
    data = specimens.board_submission()
    model = _build("board_submission", replace(data, paper=replace(data.paper, date=on)))
    assert decree in " ".join(model.legal_bases)


def test_salary_change_changes_the_total():
    data = replace(specimens.board_submission(), base_salary=2_340_000)
    assert any("Tổng số tiền thưởng là 29.250.000 đồng (Hai mươi chín triệu hai trăm năm mươi "
               "nghìn đồng)" in t for t in _texts(_build("board_submission", data).body))


# --- dự thảo Quyết định -------------------------------------------------------------------------


def test_draft_decision_has_blank_number_and_date_and_the_marker():
    document = _docx("draft_decision")
    header = document.tables[0]
    assert header.cell(1, 0).paragraphs[0].text == "Số:      /QĐ-UBND"
    assert header.cell(1, 1).paragraphs[0].text == "Bình Thuận, ngày      tháng      năm 2023"
    first_page = document.sections[0].first_page_header
    assert "".join(p.text for p in first_page.paragraphs) == "DỰ THẢO"
    text = "\n".join(_lines(document))
    assert ("(Kèm theo Quyết định số      /QĐ-UBND ngày      tháng      năm 2023 của Chủ tịch "
            "Ủy ban nhân dân tỉnh Bình Thuận)") in text
    model = _build("draft_decision")
    assert not any(ch.isdigit() for ch in model.number)  # no number is taken for a draft
    assert model.draft_marker == "DỰ THẢO" and model.date is None


def test_the_decision_itself_carries_no_marker():
    model = _build("decision")
    assert model.draft_marker is None and model.number == "05/QĐ-UBND"
    assert "".join(p.text for p in _docx("decision").sections[0].first_page_header.paragraphs) \
        == ""


def test_a_draft_is_the_decision_without_number_date_or_signature_date():
    draft, final = _build("draft_decision"), _build("decision")
    assert draft.articles == final.articles and draft.legal_bases == final.legal_bases
    assert [a.rows for a in draft.annexes] == [a.rows for a in final.annexes]


def test_a_draft_with_a_number_or_a_blank_date_without_year_is_refused():
    template = bundled_template("decision")
    with pytest.raises(ValueError):
        decision_document(replace(specimens.draft_decision(), sequence=7), template)
    with pytest.raises(ValueError):
        decision_document(replace(specimens.draft_decision(), year=None), template)


# --- Thông báo ----------------------------------------------------------------------------------


def test_notice_lists_every_line_not_awarded_with_its_reason_and_no_other():
    model = _build("award_notice")
    [table] = _tables(model.body)
    assert [(row[0], row[3]) for row in table.rows] == [
        ("Trần Thị Ánh Nguyệt", "Chưa đủ 02 năm liên tục hoàn thành xuất sắc nhiệm vụ."),
        ("Nguyễn Hữu Phước", "Không đạt tỷ lệ phiếu đồng ý theo Quy chế hoạt động của Cụm.")]
    text = "\n".join(_lines(_docx("award_notice")))
    for line in specimens.BOARD_LINES:
        assert (line.name in text) is (line.outcome == "not_approved")


def test_notice_refers_to_the_decision_and_goes_to_the_unit():
    model = _build("award_notice")
    texts = _texts(model.body)
    assert texts[0].startswith("Ngày 20 tháng 12 năm 2023, Chủ tịch Ủy ban nhân dân tỉnh đã ban "
                               "hành Quyết định số 05/QĐ-UBND")
    assert model.number == "15/TB-BTĐKT"
    assert model.recipients[0] == "UBND huyện Tuy Phong" and model.archive == "VT, NV"


def test_a_notice_with_nothing_to_notify_is_refused():
    data = specimens.award_notice()
    lines = tuple(replace(line, outcome="approved", reason=None) for line in data.paper.lines)
    with pytest.raises(ValueError):
        _build("award_notice", replace(data, paper=replace(data.paper, lines=lines)))


# --- Báo cáo thành tích -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "sections"), [
    ("achievement_report_collective", ["I. SƠ LƯỢC ĐẶC ĐIỂM, TÌNH HÌNH",
                                       "II. THÀNH TÍCH ĐẠT ĐƯỢC",
                                       "III. CÁC HÌNH THỨC ĐÃ ĐƯỢC KHEN THƯỞNG"]),
    ("achievement_report_individual", ["I. SƠ LƯỢC LÝ LỊCH", "II. THÀNH TÍCH ĐẠT ĐƯỢC",
                                       "III. CÁC HÌNH THỨC ĐÃ ĐƯỢC KHEN THƯỞNG"]),
])
def test_reports_have_sections_one_to_three_and_the_past_awards_table(name, sections):
    model = _build(name)
    headings = [b.text for b in model.body if isinstance(b, Para) and b.bold]
    assert [h for h in headings if h.split(".")[0] in ("I", "II", "III")] == sections
    [table] = _tables(model.body)
    assert model.body[-1] is table  # the table closes section III
    assert [c.heading for c in table.columns] == [
        "Năm", "Hình thức khen thưởng", "Số, ngày của quyết định"]
    assert not table.numbered
    expected = PAPERS[name].specimen().past_awards
    assert table.rows == tuple((str(a.year), a.award, a.decision) for a in expected)
    guides = [b.text for b in model.body if isinstance(b, Para) and b.italic]
    assert guides and all(g.startswith("(") and g.endswith(")") for g in guides)
    assert model.number is None and model.recipients == () and model.archive is None


def test_reports_are_unnumbered_and_dated_blank_for_the_unit():
    document = _docx("achievement_report_collective")
    header = document.tables[0]
    assert "".join(p.text for p in header.cell(1, 0).paragraphs) == ""  # no "Số:"
    assert header.cell(1, 1).paragraphs[0].text == "Bình Thuận, ngày      tháng      năm 2023"
    text = "\n".join(_lines(document))
    assert "Số:" not in text and "Nơi nhận" not in text
    assert "PHÒNG TÀI CHÍNH - KẾ HOẠCH" in text and "UBND HUYỆN TUY PHONG" in text
    assert "ĐỀ NGHỊ TẶNG BẰNG KHEN CỦA CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH" in text


def test_a_report_with_no_past_awards_gives_empty_rows_to_fill():
    data = replace(specimens.achievement_report_collective(), past_awards=())
    [table] = _tables(_build("achievement_report_collective", data).body)
    assert table.rows == (("", "", ""),) * 3


def test_report_signatures():
    collective = _build("achievement_report_collective")
    assert collective.signer_authority == ("THỦ TRƯỞNG ĐƠN VỊ",)
    assert collective.signer_note == "(Ký, đóng dấu)" and collective.signer_name == ""
    assert collective.co_signer.authority == (
        "THỦ TRƯỞNG ĐƠN VỊ", "CẤP TRÊN TRỰC TIẾP", "NHẬN XÉT, XÁC NHẬN")
    individual = _build("achievement_report_individual")
    assert individual.signer_authority == ("NGƯỜI BÁO CÁO THÀNH TÍCH",)
    assert individual.signer_name == "Trần Thị Ánh Nguyệt"
    assert individual.co_signer.authority == ("XÁC NHẬN CỦA", "THỦ TRƯỞNG ĐƠN VỊ")


def test_individual_report_is_prefilled_and_leaves_the_rest_blank():
    texts = _texts(_build("achievement_report_individual").body)
    assert "- Họ và tên: Trần Thị Ánh Nguyệt" in texts
    assert "- Chức vụ (Đảng, chính quyền, đoàn thể): Trưởng phòng Nội vụ" in texts
    assert "- Đơn vị công tác: Phòng Nội vụ huyện Tuy Phong" in texts
    assert "- Quê quán: …………………" in texts
    data = replace(specimens.achievement_report_individual(), position=None)
    assert ("- Chức vụ (Đảng, chính quyền, đoàn thể): …………………"
            in _texts(_build("achievement_report_individual", data).body))


def test_a_report_form_refuses_the_other_subject():
    with pytest.raises(ValueError):
        _build("achievement_report_collective", specimens.achievement_report_individual())


# --- Vietnamese text ----------------------------------------------------------------------------


def _decomposed(value):
    """``value`` with every string in NFD: the input a careless client might send."""
    if isinstance(value, str):
        return unicodedata.normalize("NFD", value)
    if isinstance(value, tuple):
        return tuple(_decomposed(v) for v in value)
    if isinstance(value, list):
        return [_decomposed(v) for v in value]
    if isinstance(value, dict):
        return {k: _decomposed(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _decomposed(getattr(value, f.name))
                                 for f in fields(value)})
    return value


@pytest.mark.parametrize("name", sorted(PAPERS))
def test_every_text_comes_out_in_nfc_whatever_the_input(name):
    kind = PAPERS[name]
    template = bundled_template(kind.template)
    expected = _lines(_docx(name))
    decomposed = _decomposed(kind.specimen())
    assert decomposed != kind.specimen()
    document = _docx(name, decomposed, _decomposed(template))
    texts = [t.text for part in (document.element.body,
                                 document.sections[0].first_page_header._element)
             for t in part.iter(qn("w:t")) if t.text]
    assert all(unicodedata.is_normalized("NFC", t) for t in texts)
    assert _lines(document) == expected


# --- the stored snapshot ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PAPERS))
def test_every_input_type_round_trips_through_json_exactly(name):
    data = PAPERS[name].specimen()
    stored = json.loads(json.dumps(dump(data), ensure_ascii=False))
    assert load(type(data), stored) == data
    assert dump(load(type(data), stored)) == stored


def _bare_paper() -> Paper:
    line = Line(1, "individual", "Trần Văn Khải", "Chuyên viên", "Bằng khen", Decimal("1.50"),
                outcome=Outcome.NOT_APPROVED, reason=None, votes_for=None, score=None)
    return Paper("Bình Thuận", "Cụm thi đua số 1", None, "CTĐ", None, None,
                 Signer("", ()), "Phong trào", 2023, "UBND huyện Tuy Phong", None, (line,))


def test_blanks_and_nones_round_trip_and_decimals_keep_their_places():
    paper = _bare_paper()
    meeting = Meeting(date(2023, 12, 1), "Hội trường", "Chủ trì", None, (), (), (), None, None,
                      time(8, 5), None)
    for value in (paper, meeting, PastAward(2022, "Giấy khen", "")):
        assert load(type(value), json.loads(json.dumps(dump(value)))) == value
    stored = dump(paper)
    assert stored["lines"][0]["multiplier"] == "1.50"
    assert stored["lines"][0]["outcome"] == "not_approved"  # a StrEnum is stored as its value
    assert type(stored["lines"][0]["outcome"]) is str
    assert str(load(Paper, stored).lines[0].multiplier) == "1.50"


@pytest.mark.parametrize("change", [
    lambda d: d.update(unknown=1),
    lambda d: d.pop("issuer"),
    lambda d: d.update(year=True),
    lambda d: d.update(year="2023"),
    lambda d: d.update(issuer=7),
    lambda d: d.update(date="05/12/2023"),
    lambda d: d.update(lines={}),
])
def test_load_refuses_what_dump_would_not_have_written(change):
    stored = dump(_bare_paper())
    change(stored)
    with pytest.raises(ValueError):
        load(Paper, stored)


# --- the catalogue ------------------------------------------------------------------------------


def test_the_catalogue_names_every_paper_of_the_route():
    assert set(PAPERS) == {
        "decision", "draft_decision", "cluster_minutes", "cluster_submission", "appraisal",
        "board_submission", "award_notice", "achievement_report_collective",
        "achievement_report_individual"}
    for name, kind in PAPERS.items():
        assert kind.name == name and kind.document_kind in DOCUMENT_KINDS
        assert isinstance(kind.specimen(), kind.input_type)


@pytest.mark.parametrize("name", sorted({kind.template for kind in PAPERS.values()}))
def test_each_template_file_names_itself_and_its_form(name):
    template = json.loads((TEMPLATES / f"{name}.json").read_text(encoding="utf-8"))
    assert template["template"] == name
    assert template["version"] and template["form"]
    assert bundled_template(name) == template
    for kind in PAPERS.values():
        if kind.template == name and "type_code" in template:
            assert template["type_code"] == kind.type_code


def test_the_draft_shares_the_decisions_template():
    assert PAPERS["draft_decision"].template == "decision"
    assert bundled_template("draft_decision") == bundled_template("decision")


def test_render_refuses_the_wrong_input_or_template():
    with pytest.raises(TypeError):
        render("appraisal", specimens.award_notice(), bundled_template("appraisal"))
    with pytest.raises(ValueError):
        render("appraisal", specimens.appraisal(), bundled_template("award_notice"))
    with pytest.raises(LookupError):
        render("bang_khen", specimens.appraisal(), bundled_template("appraisal"))


def test_a_template_naming_an_unknown_field_fails_on_its_specimen():
    template = dict(bundled_template("award_notice"), summary="Về việc {giai_thuong}")
    with pytest.raises(KeyError, match="giai_thuong"):
        render("award_notice", specimens.award_notice(), template)


def test_decision_input_is_still_built_the_old_way():
    data = DecisionInput(**{f.name: getattr(specimens.decision(), f.name)
                            for f in fields(DecisionInput) if f.name not in ("year", "draft")})
    assert not data.draft and decision_document(data).number == "05/QĐ-UBND"
