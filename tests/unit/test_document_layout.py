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

from service.documents.catalogue import PAPERS, bundled_template, render
from service.documents.decision import DecisionInput, ProposalLine, build_decision_docx
from service.documents.nd30 import (
    Article,
    Column,
    DataTable,
    OfficialDocument,
    Signature,
    build_docx,
    date_line,
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
        body=("Ban Thi đua - Khen thưởng tỉnh kính trình Chủ tịch xem xét.",),
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


# --- every paper of the catalogue, built from its specimen ---------------------------------------
#
# The same decree numbers, checked on each paper's .docx against the model it was built from:
# what the model says is there (a "Số:" line, a date line, Kính gửi, a co-signer, Nơi nhận, a
# draft marker) must be there with the decree's fonts and sizes, and nothing else may be.

TABLE_SIZES = (Pt(12), Pt(13))


@pytest.fixture(scope="module", params=sorted(PAPERS))
def paper(request):
    kind = PAPERS[request.param]
    data, template = kind.specimen(), bundled_template(kind.template)
    model = kind.build(data, template)
    return model, Document(io.BytesIO(render(kind.name, data, template)))


def _borderless(document):
    return [t for t in document.tables if set(_table_borders(t).values()) <= {"nil", "none"}]


def _bordered(document):
    return [t for t in document.tables if set(_table_borders(t).values()) == {"single"}]


def _position(document, element) -> int:
    return list(document.element.body).index(element)


def _title_index(document, model) -> int:
    paragraphs = document.paragraphs
    return next(i for i, p in enumerate(paragraphs) if p.text == model.kind.upper())


def test_paper_page_fonts_and_colour(paper):
    model, document = paper
    section = document.sections[0]
    assert _near(section.page_width, Mm(210)) and _near(section.page_height, Mm(297))
    for margin, expected in ((section.top_margin, Mm(20)), (section.bottom_margin, Mm(20)),
                             (section.left_margin, Mm(30)), (section.right_margin, Mm(15))):
        assert _near(margin, expected)
    runs = [r for part in _all_parts(document) for r in _text_runs(part)]
    assert len(runs) >= 20
    for run in runs:
        fonts = run.find(qn("w:rPr") + "/" + qn("w:rFonts"))
        assert {a: fonts.get(qn(f"w:{a}")) for a in FONT_ATTRS} == dict.fromkeys(FONT_ATTRS, TNR)
        assert not [a for a in fonts.attrib if a.endswith("Theme")]
        assert run.find(qn("w:rPr") + "/" + qn("w:color")).get(qn("w:val")) == "000000"


def test_paper_header_block(paper):
    model, document = paper
    header = document.tables[0]
    assert document.element.body[0] is header._tbl
    assert set(_table_borders(header).values()) <= {"nil", "none"}
    assert len(_grid_widths(header)) == 2
    assert sum(_grid_widths(header)) * 635 == pytest.approx(Mm(165), abs=TOLERANCE)
    left = [p for p in header.cell(0, 0).paragraphs if p.text]
    parent = [line.upper() for line in (model.parent_body or "").split("\n") if line]
    issuing = [line.upper() for line in model.issuing_body.split("\n") if line]
    assert [p.text for p in left] == parent + issuing
    for paragraph in left[:len(parent)]:
        _assert_run(_one_run(paragraph), 13)
    for paragraph in left[len(parent):]:
        _assert_run(_one_run(paragraph), 13, bold=True)
    assert _has_bottom_rule(header.cell(0, 0).paragraphs[-1])
    right = header.cell(0, 1).paragraphs
    assert [p.text for p in right] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                       "Độc lập - Tự do - Hạnh phúc"]
    _assert_run(_one_run(right[0]), 13, bold=True)
    _assert_run(_one_run(right[1]), 14, bold=True)

    number = [p for p in header.cell(1, 0).paragraphs if p.text] if len(header.rows) > 1 else []
    if model.number is None:
        assert number == []
    else:
        assert [p.text for p in number] == [f"Số: {model.number}"]
        _assert_run(_one_run(number[0]), 13)
    dated = [p for p in header.cell(1, 1).paragraphs if p.text] if len(header.rows) > 1 else []
    if model.dated:
        assert [p.text for p in dated] == [date_line(model.place, model.date, model.year)]
        _assert_run(_one_run(dated[0]), 14, italic=True)
    else:
        assert dated == []


def test_paper_title_summary_and_rule(paper):
    model, document = paper
    paragraphs = document.paragraphs
    index = _title_index(document, model)
    title = paragraphs[index]
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    _assert_run(_one_run(title), 14, bold=True)
    lines = [line.strip() for line in model.summary.split("\n") if line.strip()]
    summary = paragraphs[index + 1:index + 1 + len(lines)]
    assert [p.text for p in summary] == lines
    for paragraph in summary:
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
        _assert_run(_one_run(paragraph), 14, bold=True)
    rule = paragraphs[index + 1 + len(lines)]
    assert rule.text == "" and _has_bottom_rule(rule)
    assert rule.paragraph_format.left_indent == rule.paragraph_format.right_indent


def test_paper_addressees(paper):
    model, document = paper
    lines = [p for p in document.paragraphs if p.text.startswith("Kính gửi:")]
    if not model.addressees:
        assert lines == []
        return
    assert len(lines) == 1 and lines[0].text.endswith(".")
    for name in model.addressees:
        assert name in lines[0].text
    _assert_run(_one_run(lines[0]), 14)
    assert _position(document, lines[0]._p) > _title_index(document, model)


def _body_between_title_and_signature(document, model):
    paragraphs = document.paragraphs
    start = _title_index(document, model)
    signature = _borderless(document)[1]
    end = _position(document, signature._tbl)
    skip = {model.kind.upper(), (model.issuer_heading or "").upper(), model.enacting_line}
    skip.update(line.strip() for line in model.summary.split("\n"))
    return [p for p in paragraphs[start:]
            if _position(document, p._p) < end and p.text.strip() and p.text not in skip
            and not p.text.startswith("Kính gửi:")]


def test_paper_body_paragraphs_follow_the_decree(paper):
    model, document = paper
    body = _body_between_title_and_signature(document, model)
    assert len(body) >= 3
    for paragraph in body:
        _assert_body_format(paragraph)
        for run in paragraph.runs:
            if run.text:
                assert run.font.size == Pt(14), run.text
    bases = [p for p in body if p.text.startswith("Căn cứ")]
    assert len(bases) == len([b for b in model.legal_bases if b.startswith("Căn cứ")])
    for paragraph in bases:
        _assert_run(_one_run(paragraph), 14, italic=True)


def test_paper_tables_are_bordered_with_a_repeated_bold_header(paper):
    model, document = paper
    tables = _bordered(document)
    expected = len(model.annexes) + sum(1 for b in model.body if isinstance(b, DataTable))
    assert len(tables) == expected
    for table in tables:
        assert sum(_grid_widths(table)) * 635 == pytest.approx(Mm(165), abs=TOLERANCE)
        header, *rows = table.rows
        tr_pr = header._tr.trPr
        assert tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None
        for row in table.rows:
            assert row._tr.trPr.find(qn("w:cantSplit")) is not None  # a row stays on its page
        for cell in header.cells:
            paragraph = cell.paragraphs[0]
            assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
            run = _one_run(paragraph)
            assert run.font.size in TABLE_SIZES and run.font.bold, run.text
        sizes = {run.font.size for row in rows for cell in row.cells
                 for p in cell.paragraphs for run in p.runs if run.text}
        assert sizes <= set(TABLE_SIZES)
        assert all(not run.font.bold for row in rows for cell in row.cells
                   for p in cell.paragraphs for run in p.runs)


def _assert_signature_cell(cell, signature):
    paragraphs = cell.paragraphs
    titles = paragraphs[:len(signature.authority)]
    assert [p.text for p in titles] == [line.upper() for line in signature.authority]
    for paragraph in titles:
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
        _assert_run(_one_run(paragraph), 14, bold=True)
    rest = paragraphs[len(signature.authority):]
    if signature.note:
        assert rest[0].text == signature.note
        _assert_run(_one_run(rest[0]), 14, italic=True)
        rest = rest[1:]
    if signature.name:
        *space, name = rest
        assert name.text == signature.name
        _assert_run(_one_run(name), 14, bold=True)
    else:
        space = rest
    assert len(space) >= 3 and all(p.text == "" for p in space)  # room to sign
    return len(paragraphs) - (1 if signature.name else 0)  # the line the name stands on


def test_paper_signature_blocks_and_recipients(paper):
    model, document = paper
    table = _borderless(document)[1]
    assert set(_table_borders(table).values()) <= {"nil", "none"}
    assert sum(_grid_widths(table)) * 635 == pytest.approx(Mm(165), abs=TOLERANCE)
    signer = Signature(model.signer_authority, model.signer_name, model.signer_note)
    if model.co_signer is None:
        _assert_signature_cell(table.cell(0, 1), signer)
        recipients_cell = table.cell(0, 0)
    else:
        left = _assert_signature_cell(table.cell(0, 0), model.co_signer)
        right = _assert_signature_cell(table.cell(0, 1), signer)
        assert left == right  # the two names (or the places for them) stand on one line
        recipients_cell = table.cell(1, 0) if len(table.rows) > 1 else None
    if not model.recipients and not model.archive:
        texts = [p.text for t in document.tables for c in t._cells for p in c.paragraphs]
        assert "Nơi nhận:" not in texts
        return
    heading, *lines = recipients_cell.paragraphs
    assert heading.text == "Nơi nhận:"
    _assert_run(_one_run(heading), 12, bold=True, italic=True)
    assert [p.text for p in lines] == (
        [f"- {r};" for r in model.recipients] + [f"- Lưu: {model.archive}."])
    for paragraph in lines:
        _assert_run(_one_run(paragraph), 11)


def test_paper_page_numbers_and_draft_marker(paper):
    model, document = paper
    section = document.sections[0]
    header = section.header.paragraphs[0]._p
    assert [c.get(qn("w:fldCharType")) for c in header.iter(qn("w:fldChar"))] == [
        "begin", "separate", "end"]
    assert [i.text.strip() for i in header.iter(qn("w:instrText"))] == ["PAGE"]
    first = section.first_page_header._element
    assert section._sectPr.find(qn("w:titlePg")) is not None
    assert first.find(".//" + qn("w:fldChar")) is None
    assert first.find(".//" + qn("w:fldSimple")) is None
    text = "".join(t.text or "" for t in first.iter(qn("w:t")))
    assert text == (model.draft_marker or "")
    if model.draft_marker:
        [run] = [r for r in section.first_page_header.paragraphs[0].runs if r.text]
        _assert_run(run, 14, bold=True)
        border = run._r.find(qn("w:rPr") + "/" + qn("w:bdr"))
        assert border is not None and border.get(qn("w:val")) == "single"  # boxed


def test_paper_annexes_start_a_page(paper):
    model, document = paper
    paragraphs = document.paragraphs
    for annex in model.annexes:
        first = annex.label or annex.heading.split("\n")[0].upper()
        index = next(i for i, p in enumerate(paragraphs) if p.text == first
                     and paragraphs[i - 1]._p.find(".//" + qn("w:br")) is not None)
        _assert_run(_one_run(paragraphs[index]), 14, bold=True)
        guide = next(p for p in paragraphs[index:] if p.text == annex.guide)
        _assert_run(_one_run(guide), 14, italic=True)


# --- the shapes no specimen has ---------------------------------------------------------------


def _minimal(**changes) -> OfficialDocument:
    data = dict(
        kind="Tờ trình", parent_body="UBND TỈNH BÌNH THUẬN",
        issuing_body="BAN THI ĐUA - KHEN THƯỞNG",
        number=document_number(None, "TTr", "BTĐKT"), place="Bình Thuận", date=None, year=2023,
        summary="Về việc đề nghị tặng Bằng khen", signer_authority=("TRƯỞNG BAN",),
        signer_name="Trần Văn Hùng", recipients=("Như trên",), archive="VT, NV",
        body=("Nội dung tờ trình.",),
    )
    data.update(changes)
    return build_docx(OfficialDocument(**data))


def test_several_addressees_hang_under_the_label():
    document = Document(io.BytesIO(_minimal(addressees=("Chủ tịch UBND tỉnh", "Sở Nội vụ"))))
    first, second = [p for p in document.paragraphs if p.text.startswith(("Kính gửi:", "- Sở"))]
    assert first.text == "Kính gửi:\t- Chủ tịch UBND tỉnh;"
    assert second.text == "- Sở Nội vụ."
    assert first.paragraph_format.left_indent == second.paragraph_format.left_indent
    assert first.paragraph_format.first_line_indent < 0  # the label hangs out to the left
    for paragraph in (first, second):
        _assert_run(_one_run(paragraph), 14)


def test_blank_number_and_date_keep_their_spaces():
    document = Document(io.BytesIO(_minimal()))
    header = document.tables[0]
    number = header.cell(1, 0).paragraphs[0]
    assert number.text == "Số:      /TTr-BTĐKT"
    assert header.cell(1, 1).paragraphs[0].text == "Bình Thuận, ngày      tháng      năm 2023"
    for paragraph in (number, header.cell(1, 1).paragraphs[0]):
        [t] = paragraph._p.iter(qn("w:t"))
        assert t.get(qn("xml:space")) == "preserve"  # Word would collapse the blanks otherwise


def test_a_blank_date_needs_its_year():
    with pytest.raises(ValueError):
        _minimal(year=None)


def test_column_widths_and_alignment_are_checked():
    with pytest.raises(ValueError):
        Column("STT", width=0)
    with pytest.raises(ValueError):
        Column("STT", align="middle")
    assert Column.of("Năm") == Column("Năm")
    assert Column.of({"heading": "Năm", "width": 18, "align": "center"}) == Column(
        "Năm", 18.0, "center")


def test_a_row_with_the_wrong_number_of_cells_is_refused():
    table = DataTable((Column("STT"), Column("Tên")), (("a", "b"),))
    with pytest.raises(ValueError):
        _minimal(body=(table,))
