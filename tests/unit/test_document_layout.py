"""Layout checker: opens generated .docx files and asserts the Nghị định 30/2020 numbers.

Reads the saved bytes back with python-docx and lxml, so what is checked is what a user opens.
"""

import io
import unicodedata
from datetime import date
from decimal import Decimal

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from service.documents.decision import DecisionInput, ProposalLine, build_decision_docx
from service.documents.nd30 import (
    Article,
    OfficialDocument,
    build_docx,
    document_number,
)

TNR = "Times New Roman"
TOLERANCE = Mm(0.5)
FONT_ATTRS = ("ascii", "hAnsi", "eastAsia", "cs")


def _decision_bytes(**changes) -> bytes:
    data = dict(
        province="Bình Thuận",
        sequence=5,
        date=date(2023, 12, 5),
        signer_name="Nguyễn Hồng Hải",
        signer_role="vice_chairman",
        lines=(
            ProposalLine("collective", "Phòng Tư pháp huyện Tuy Phong", "huyện Tuy Phong",
                         "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh", Decimal("3.0"), True),
            ProposalLine("individual", "Trần Thị Ánh Nguyệt", "Trưởng phòng, Sở Tư pháp",
                         "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh", Decimal("1.0"), True),
        ),
        submission_number="120/TTr-BTĐKT",
        submission_date=date(2023, 11, 28),
        base_salary=1_800_000,
        achievement="phong trào thi đua năm 2023",
    )
    data.update(changes)
    return build_decision_docx(DecisionInput(**data))


def _report_bytes() -> bytes:
    """A Tờ trình with a parent body and plain paragraphs: the other shape of the layout."""
    return build_docx(OfficialDocument(
        kind="Tờ trình",
        parent_body="UBND TỈNH BÌNH THUẬN",
        issuing_body="BAN THI ĐUA - KHEN THƯỞNG",
        number=document_number(7, "TTr", "BTĐKT"),
        place="Bình Thuận",
        date=date(2023, 12, 1),
        summary="Về việc đề nghị tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
        signer_authority=("TRƯỞNG BAN",),
        signer_name="Trần Thị Minh Thư",
        recipients=("Như trên",),
        archive="VT, NV",
        legal_bases=("Căn cứ Luật Thi đua, Khen thưởng ngày 26 tháng 11 năm 2003.",),
        paragraphs=("Ban Thi đua - Khen thưởng tỉnh kính trình Chủ tịch xem xét.",),
        articles=(Article(1, "Không dùng trong tờ trình thật; kiểm tra định dạng."),),
    ))


DOCUMENTS = {"decision": _decision_bytes, "submission": _report_bytes}


@pytest.fixture(params=sorted(DOCUMENTS))
def opened(request):
    return Document(io.BytesIO(DOCUMENTS[request.param]()))


@pytest.fixture
def decision():
    return Document(io.BytesIO(_decision_bytes()))


def _near(actual, expected) -> bool:
    return abs(int(actual) - int(expected)) <= int(TOLERANCE)


def _text_runs(part_element):
    return [r for r in part_element.iter(qn("w:r")) if r.find(qn("w:t")) is not None]


def _all_parts(document):
    section = document.sections[0]
    return [document.element.body, section.header._element, section.first_page_header._element]


def _one_run(paragraph):
    runs = [r for r in paragraph.runs if r.text]
    assert len(runs) == 1, paragraph.text
    return runs[0]


def _assert_run(run, size, *, bold=False, italic=False):
    assert run.font.size == Pt(size), run.text
    assert bool(run.font.bold) is bold, run.text
    assert bool(run.font.italic) is italic, run.text


def _has_bottom_rule(paragraph) -> bool:
    bottom = paragraph._p.find(qn("w:pPr") + "/" + qn("w:pBdr") + "/" + qn("w:bottom"))
    return bottom is not None and bottom.get(qn("w:val")) == "single"


def _table_borders(table):
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert borders is not None
    return {child.tag.split("}")[1]: child.get(qn("w:val")) for child in borders}


def _grid_widths(table):
    return [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]


# --- page ---------------------------------------------------------------------------------------


def test_page_is_a4_with_the_decree_margins(opened):
    section = opened.sections[0]
    assert _near(section.page_width, Mm(210)) and _near(section.page_height, Mm(297))
    assert _near(section.top_margin, Mm(20))
    assert _near(section.bottom_margin, Mm(20))
    assert _near(section.left_margin, Mm(30))
    assert _near(section.right_margin, Mm(15))


def test_times_new_roman_everywhere_in_all_four_scripts_and_black(opened):
    styles = opened.styles.element
    defaults = styles.find(qn("w:docDefaults") + "/" + qn("w:rPrDefault") + "/" + qn("w:rPr"))
    normal = opened.styles["Normal"].element.find(qn("w:rPr"))
    for r_pr in (defaults, normal):
        fonts = r_pr.find(qn("w:rFonts"))
        assert {a: fonts.get(qn(f"w:{a}")) for a in FONT_ATTRS} == dict.fromkeys(FONT_ATTRS, TNR)
        assert not [a for a in fonts.attrib if a.endswith("Theme")]
    runs = [r for part in _all_parts(opened) for r in _text_runs(part)]
    assert len(runs) >= 15  # the check must have something to look at
    for run in runs:
        fonts = run.find(qn("w:rPr") + "/" + qn("w:rFonts"))
        assert fonts is not None
        for attr in FONT_ATTRS:
            assert fonts.get(qn(f"w:{attr}")) == TNR
        assert not [a for a in fonts.attrib if a.endswith("Theme")]
        color = run.find(qn("w:rPr") + "/" + qn("w:color"))
        assert color is not None and color.get(qn("w:val")) == "000000"


# --- header block -------------------------------------------------------------------------------


def test_header_is_a_borderless_two_column_table(opened):
    table = opened.tables[0]
    assert opened.element.body[0] is table._tbl  # the very first thing on the page
    assert len(_grid_widths(table)) == 2
    assert set(_table_borders(table).values()) <= {"nil", "none"}
    assert len(_table_borders(table)) == 6
    assert sum(_grid_widths(table)) * 635 == pytest.approx(Mm(165), abs=TOLERANCE)


def test_decision_header_lines(decision):
    table = decision.tables[0]
    left = [p for p in table.cell(0, 0).paragraphs]
    assert [p.text for p in left[:2]] == ["ỦY BAN NHÂN DÂN", "TỈNH BÌNH THUẬN"]
    for paragraph in left[:2]:
        _assert_run(_one_run(paragraph), 13, bold=True)
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
    right = table.cell(0, 1).paragraphs
    assert right[0].text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    _assert_run(_one_run(right[0]), 13, bold=True)
    assert right[1].text == "Độc lập - Tự do - Hạnh phúc"
    _assert_run(_one_run(right[1]), 14, bold=True)
    number = table.cell(1, 0).paragraphs[0]
    assert number.text == "Số: 05/QĐ-UBND"
    _assert_run(_one_run(number), 13)
    date_line = table.cell(1, 1).paragraphs[0]
    assert date_line.text == "Bình Thuận, ngày 05 tháng 12 năm 2023"
    _assert_run(_one_run(date_line), 14, italic=True)


def test_parent_body_is_upright_and_issuing_body_bold():
    table = Document(io.BytesIO(_report_bytes())).tables[0]
    parent, issuing = table.cell(0, 0).paragraphs[:2]
    assert parent.text == "UBND TỈNH BÌNH THUẬN"
    _assert_run(_one_run(parent), 13)
    assert issuing.text == "BAN THI ĐUA - KHEN THƯỞNG"
    _assert_run(_one_run(issuing), 13, bold=True)
    assert table.cell(1, 0).paragraphs[0].text == "Số: 07/TTr-BTĐKT"


def test_rule_under_the_issuing_body_is_short_and_centred(opened):
    cell = opened.tables[0].cell(0, 0)
    rule = cell.paragraphs[-1]
    assert rule.text == "" and _has_bottom_rule(rule)
    fmt = rule.paragraph_format
    assert fmt.left_indent == fmt.right_indent  # centred
    column = _grid_widths(opened.tables[0])[0] * 635
    width = column - fmt.left_indent - fmt.right_indent
    assert Mm(15) <= width <= column / 2


def test_motto_rule_is_as_long_as_the_line(opened):
    motto = opened.tables[0].cell(0, 1).paragraphs[1]
    run = _one_run(motto)
    assert run.text == "Độc lập - Tự do - Hạnh phúc"
    # A single underline under every character, spaces included: exactly the line's length.
    assert run._r.find(qn("w:rPr") + "/" + qn("w:u")).get(qn("w:val")) == "single"


# --- title and body -----------------------------------------------------------------------------


def _body_paragraphs(document):
    return document.paragraphs  # top-level paragraphs only; tables hold header and signature


def test_title_and_summary_with_its_rule(decision):
    paragraphs = _body_paragraphs(decision)
    title = next(p for p in paragraphs if p.text == "QUYẾT ĐỊNH")
    _assert_run(_one_run(title), 14, bold=True)
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    index = paragraphs.index(title)
    summary = paragraphs[index + 1]
    assert summary.text == "Về việc tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh"
    _assert_run(_one_run(summary), 14, bold=True)
    rule = paragraphs[index + 2]
    assert rule.text == "" and _has_bottom_rule(rule)
    fmt = rule.paragraph_format
    assert fmt.left_indent == fmt.right_indent
    heading = paragraphs[index + 3]
    assert heading.text == "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BÌNH THUẬN"
    _assert_run(_one_run(heading), 14, bold=True)


def _assert_body_format(paragraph):
    fmt = paragraph.paragraph_format
    assert paragraph.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert abs(fmt.first_line_indent - Cm(1.27)) <= TOLERANCE
    assert fmt.space_after >= Pt(6)
    assert isinstance(fmt.line_spacing, float) and 1.0 <= fmt.line_spacing <= 1.5


def test_legal_bases_are_italic_justified_body_lines(opened):
    bases = [p for p in _body_paragraphs(opened)
             if p.text.startswith("Căn cứ") or p.text.startswith("Theo đề nghị")]
    assert bases
    for paragraph in bases:
        _assert_body_format(paragraph)
        _assert_run(_one_run(paragraph), 14, italic=True)
    assert bases[-1].text.endswith(".")
    assert all(p.text.endswith(";") for p in bases[:-1])


def test_articles_start_with_a_bold_dieu_n(decision):
    articles = [p for p in _body_paragraphs(decision) if p.text.startswith("Điều ")]
    assert [p.text.split(".")[0] for p in articles] == ["Điều 1", "Điều 2", "Điều 3"]
    for paragraph in articles:
        _assert_body_format(paragraph)
        first, *rest = [r for r in paragraph.runs if r.text]
        assert first.text.strip() in {"Điều 1.", "Điều 2.", "Điều 3."}
        _assert_run(first, 14, bold=True)
        for run in rest:
            _assert_run(run, 14)
    enacting = next(p for p in _body_paragraphs(decision) if p.text == "QUYẾT ĐỊNH:")
    _assert_run(_one_run(enacting), 14, bold=True)


# --- signature and Nơi nhận ---------------------------------------------------------------------


def _signature_table(document):
    return next(t for t in document.tables
                if t.cell(0, 0).paragraphs[0].text == "Nơi nhận:")


def test_recipients_block_sizes_and_punctuation(opened):
    table = _signature_table(opened)
    assert set(_table_borders(table).values()) <= {"nil", "none"}
    heading, *lines = table.cell(0, 0).paragraphs
    _assert_run(_one_run(heading), 12, bold=True, italic=True)
    assert lines
    for paragraph in lines:
        _assert_run(_one_run(paragraph), 11)
        assert paragraph.text.startswith("- ")
    assert all(p.text.endswith(";") for p in lines[:-1])
    assert lines[-1].text.startswith("- Lưu: VT, ") and lines[-1].text.endswith(".")


def test_signature_block_bottom_right(decision):
    table = _signature_table(decision)
    paragraphs = table.cell(0, 1).paragraphs
    assert [p.text for p in paragraphs[:2]] == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    for paragraph in paragraphs[:2] + [paragraphs[-1]]:
        _assert_run(_one_run(paragraph), 14, bold=True)
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert paragraphs[-1].text == "Nguyễn Hồng Hải"
    space = paragraphs[2:-1]
    assert len(space) >= 3 and all(p.text == "" for p in space)  # room to sign
    body = decision.element.body
    last_article = next(p for p in decision.paragraphs if p.text.startswith("Điều 3."))
    assert body.index(table._tbl) == body.index(last_article._p) + 1  # right after the body


# --- page numbers -------------------------------------------------------------------------------


def test_page_number_is_a_centred_page_field_in_the_header(opened):
    header = opened.sections[0].header
    assert not header.is_linked_to_previous
    paragraph = header.paragraphs[0]
    assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
    p = paragraph._p
    kinds = [c.get(qn("w:fldCharType")) for c in p.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"]
    assert [i.text.strip() for i in p.iter(qn("w:instrText"))] == ["PAGE"]
    for run in p.iter(qn("w:r")):
        assert run.find(qn("w:rPr") + "/" + qn("w:sz")).get(qn("w:val")) == "28"  # 14 pt


def test_no_page_number_on_page_one(opened):
    section = opened.sections[0]
    title_pg = section._sectPr.find(qn("w:titlePg"))
    assert title_pg is not None and title_pg.get(qn("w:val")) in (None, "1", "true", "on")
    first = section.first_page_header
    assert not first.is_linked_to_previous
    element = first._element
    assert "".join(t.text or "" for t in element.iter(qn("w:t"))) == ""
    assert element.find(".//" + qn("w:fldChar")) is None
    assert element.find(".//" + qn("w:fldSimple")) is None


# --- annex --------------------------------------------------------------------------------------


def test_annex_on_a_new_page_with_a_bordered_table(decision):
    paragraphs = decision.paragraphs
    heading = next(p for p in paragraphs if p.text.startswith("DANH SÁCH"))
    index = paragraphs.index(heading)
    breaks = paragraphs[index - 1]._p.findall(".//" + qn("w:br"))
    assert [b.get(qn("w:type")) for b in breaks] == ["page"]
    _assert_run(_one_run(heading), 14, bold=True)
    guide = paragraphs[index + 1]
    assert guide.text == ("(Kèm theo Quyết định số 05/QĐ-UBND ngày 05 tháng 12 năm 2023 "
                          "của Chủ tịch Ủy ban nhân dân tỉnh Bình Thuận)")
    _assert_run(_one_run(guide), 14, italic=True)
    table = decision.tables[-1]
    assert set(_table_borders(table).values()) == {"single"}
    assert [c.text for c in table.rows[0].cells] == [
        "STT", "Họ và tên / Tên tập thể", "Chức vụ, đơn vị", "Hình thức khen thưởng"]
    assert [r.cells[0].text for r in table.rows[1:]] == ["1", "2"]
    assert sum(_grid_widths(table)) * 635 == pytest.approx(Mm(165), abs=TOLERANCE)


# --- Vietnamese text ----------------------------------------------------------------------------


def test_vietnamese_text_round_trips_exactly_in_nfc():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Thuỷ Ngọc")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    raw = _decision_bytes(signer_name=decomposed)
    document = Document(io.BytesIO(raw))
    reopened = Document(io.BytesIO(_resave(document)))
    texts = [t.text for part in _all_parts(reopened) for t in part.iter(qn("w:t")) if t.text]
    assert all(unicodedata.is_normalized("NFC", t) for t in texts)
    assert unicodedata.normalize("NFC", decomposed) in texts
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts
    assert "Bình Thuận, ngày 05 tháng 12 năm 2023" in texts


def _resave(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
