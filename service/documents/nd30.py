"""Văn bản hành chính: a python-docx builder for the Nghị định 30/2020/NĐ-CP layout (Phụ lục I).

Pure code: a document model in, .docx bytes out. Every number the decree fixes is a constant
below, and every run carries its font, size and style directly, so the layout checker
(tests/unit/test_document_layout.py) can read them back and LibreOffice renders the same thing.

Rules under the issuing body and the summary are empty centred paragraphs with a bottom border
and equal side indents (1/3–1/2 of the text above); the rule under the motto is the motto's own
underline, which is exactly as long as the line. Both survive LibreOffice's PDF conversion,
unlike floating line shapes.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Length, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from service.domain.dates import administrative_date_line

FONT = "Times New Roman"
ZERO = Emu(0)
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(20), Mm(20), Mm(30), Mm(15)
HEADER_DISTANCE = Mm(10)
TEXT_WIDTH = Emu(PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT)  # 165 mm
HEADER_LEFT_WIDTH = Mm(65)
HEADER_RIGHT_WIDTH = Emu(TEXT_WIDTH - HEADER_LEFT_WIDTH)
SIGN_LEFT_WIDTH = Mm(75)
SIGN_RIGHT_WIDTH = Emu(TEXT_WIDTH - SIGN_LEFT_WIDTH)

SIZE_HEADER = Pt(13)  # parent body, issuing body, Quốc hiệu, "Số:"
SIZE_MOTTO = Pt(14)
SIZE_DATE_LINE = Pt(14)
SIZE_TITLE = Pt(14)
SIZE_BODY = Pt(14)
SIZE_SIGNER = Pt(14)
SIZE_RECIPIENTS_HEADING = Pt(12)
SIZE_RECIPIENTS = Pt(11)
SIZE_PAGE_NUMBER = Pt(14)
SIZE_ANNEX_TABLE = Pt(13)
SIZE_RULE = Pt(2)  # an empty paragraph carrying a border: as flat as possible
RULE_LINE_HEIGHT = Pt(5)  # clears the descenders of the line above

FIRST_LINE_INDENT = Cm(1.27)
SPACE_AFTER_BODY = Pt(6)
LINE_SPACING_BODY = 1.15
RULE_FRACTION = 0.4  # of the text above it; the decree asks for 1/3 to 1/2
SIGNATURE_SPACE_LINES = 4

QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"

# Rough advance widths of Times New Roman, in ems, to size rules; only the proportion matters.
_EM_CAPS_BOLD = 0.70
_EM_TEXT_BOLD = 0.50


@dataclass(frozen=True)
class Article:
    """Điều: "Điều N." in bold, then its text; further paragraphs are its khoản."""

    number: int
    text: str
    more: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnnexRow:
    name: str  # họ tên / tên tập thể
    position_unit: str  # chức vụ, đơn vị
    award: str  # hình thức khen thưởng


@dataclass(frozen=True)
class Annex:
    """Phụ lục / danh sách kèm theo: a new page, a heading, a guide line and a bordered table."""

    heading: str  # "DANH SÁCH …"
    guide: str  # "(Kèm theo Quyết định số … ngày … của …)"
    rows: tuple[AnnexRow, ...]
    columns: tuple[str, str, str, str] = (
        "STT", "Họ và tên / Tên tập thể", "Chức vụ, đơn vị", "Hình thức khen thưởng",
    )
    subheading: str | None = None


@dataclass(frozen=True)
class OfficialDocument:
    """A văn bản hành chính as Nghị định 30/2020 lays it out."""

    kind: str  # tên loại: QUYẾT ĐỊNH, TỜ TRÌNH, BIÊN BẢN, BÁO CÁO
    parent_body: str | None  # cơ quan chủ quản (upright caps); None for a UBND tỉnh
    issuing_body: str  # cơ quan ban hành (bold caps); "\n" separates lines
    number: str  # "05/QĐ-UBND", see document_number()
    place: str
    date: date
    summary: str  # trích yếu: "Về việc …"
    signer_authority: tuple[str, ...]  # ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    signer_name: str
    recipients: tuple[str, ...]  # without the leading "- " and the final ";"
    archive: str  # "VT, TĐKT": becomes "- Lưu: VT, TĐKT."
    legal_bases: tuple[str, ...] = ()  # "Căn cứ …" lines, italic
    issuer_heading: str | None = None  # "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …"
    enacting_line: str | None = None  # "QUYẾT ĐỊNH:"
    paragraphs: tuple[str, ...] = ()
    articles: tuple[Article, ...] = ()
    annexes: tuple[Annex, ...] = field(default=())


def document_number(sequence: int, type_code: str, body_code: str) -> str:
    """Số, ký hiệu: ``05/QĐ-UBND``; numbers below 10 take a leading zero."""
    if sequence < 1:
        raise ValueError(f"document numbers start at 01, got {sequence}")
    return f"{sequence:02d}/{type_code}-{body_code}"


def build_docx(doc: OfficialDocument) -> bytes:
    """The .docx bytes of ``doc``."""
    document = Document()
    _setup_styles(document)
    _setup_section(document)
    body_start = document.paragraphs[0] if document.paragraphs else None
    _header_block(document, doc)
    _title_block(document, doc)
    for line in doc.legal_bases:
        _body_paragraph(document, line, italic=True)
    if doc.enacting_line:
        _centred(document.add_paragraph(), doc.enacting_line, SIZE_BODY, bold=True, after=Pt(6))
    for text in doc.paragraphs:
        _body_paragraph(document, text)
    for article in doc.articles:
        _article(document, article)
    _signature_block(document, doc)
    for annex in doc.annexes:
        _annex(document, annex)
    if body_start is not None:  # the template's initial empty paragraph
        body_start._element.getparent().remove(body_start._element)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- styles and page ---------------------------------------------------------------------------


def _setup_styles(document) -> None:
    styles_el = document.styles.element
    defaults = styles_el.find(qn("w:docDefaults"))
    if defaults is not None:
        r_pr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if r_pr is not None:
            _set_fonts(r_pr)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = SIZE_BODY
    _set_fonts(normal.element.get_or_add_rPr())
    _set_black(normal.element.get_or_add_rPr())
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    for name in ("Header", "Table Grid"):
        if name in [s.name for s in document.styles]:
            _set_fonts(document.styles[name].element.get_or_add_rPr())


def _setup_section(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance = HEADER_DISTANCE
    section.different_first_page_header_footer = True
    # Page 1 carries no number: an explicit, empty first-page header.
    section.first_page_header.is_linked_to_previous = False
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    _format(paragraph, WD_ALIGN_PARAGRAPH.CENTER)
    _page_field(paragraph)


def _page_field(paragraph: Paragraph) -> None:
    """A PAGE field (begin / instrText / separate / result / end), each run in the body font."""
    for kind in ("begin", "instr", "separate", "result", "end"):
        run = paragraph.add_run()
        _style_run(run, SIZE_PAGE_NUMBER)
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = " PAGE "
            run._r.append(instr)
        elif kind == "result":
            run.text = "2"
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)


# --- blocks ------------------------------------------------------------------------------------


def _header_block(document, doc: OfficialDocument) -> None:
    # Two rows keep "Số:" and the place/date line on the same line, as the decree asks.
    table = _borderless_table(document, 2, (HEADER_LEFT_WIDTH, HEADER_RIGHT_WIDTH))
    left, right = table.cell(0, 0), table.cell(0, 1)
    first = True
    if doc.parent_body:
        for line in _lines(doc.parent_body):
            _centred(_cell_paragraph(left, first), line.upper(), SIZE_HEADER)
            first = False
    issuing_lines = _lines(doc.issuing_body)
    for line in issuing_lines:
        _centred(_cell_paragraph(left, first), line.upper(), SIZE_HEADER, bold=True)
        first = False
    _rule(left.add_paragraph(), HEADER_LEFT_WIDTH, issuing_lines, SIZE_HEADER)

    _centred(_cell_paragraph(right, True), QUOC_HIEU, SIZE_HEADER, bold=True)
    _centred(right.add_paragraph(), TIEU_NGU, SIZE_MOTTO, bold=True, underline=True)

    number_cell, date_cell = table.cell(1, 0), table.cell(1, 1)
    _centred(_cell_paragraph(number_cell, True), f"Số: {doc.number}", SIZE_HEADER, before=Pt(6))
    _centred(
        _cell_paragraph(date_cell, True), administrative_date_line(doc.place, doc.date),
        SIZE_DATE_LINE, italic=True, before=Pt(6),
    )


def _title_block(document, doc: OfficialDocument) -> None:
    _centred(document.add_paragraph(), doc.kind.upper(), SIZE_TITLE, bold=True, before=Pt(18))
    summary_lines = _lines(doc.summary)
    for line in summary_lines:
        _centred(document.add_paragraph(), line, SIZE_TITLE, bold=True)
    _rule(document.add_paragraph(), TEXT_WIDTH, summary_lines, SIZE_TITLE, caps=False)
    if doc.issuer_heading:
        _centred(
            document.add_paragraph(), doc.issuer_heading.upper(), SIZE_TITLE, bold=True,
            before=Pt(12), after=Pt(12),
        )
    else:
        document.paragraphs[-1].paragraph_format.space_after = Pt(12)


def _body_paragraph(document, text: str, *, italic: bool = False) -> Paragraph:
    paragraph = document.add_paragraph()
    _format_body(paragraph)
    _style_run(paragraph.add_run(_nfc(text)), SIZE_BODY, italic=italic)
    return paragraph


def _format_body(paragraph: Paragraph) -> None:
    _format(
        paragraph, WD_ALIGN_PARAGRAPH.JUSTIFY, first_line=FIRST_LINE_INDENT,
        after=SPACE_AFTER_BODY, line=LINE_SPACING_BODY,
    )


def _article(document, article: Article) -> None:
    paragraph = document.add_paragraph()
    _format_body(paragraph)
    heading = f"Điều {article.number}."
    if article.text:
        _style_run(paragraph.add_run(f"{heading} "), SIZE_BODY, bold=True)
        _style_run(paragraph.add_run(_nfc(article.text)), SIZE_BODY)
    else:  # an article made only of khoản
        _style_run(paragraph.add_run(heading), SIZE_BODY, bold=True)
    for text in article.more:
        _body_paragraph(document, text)


def _signature_block(document, doc: OfficialDocument) -> None:
    table = _borderless_table(document, 1, (SIGN_LEFT_WIDTH, SIGN_RIGHT_WIDTH))
    left, right = table.cell(0, 0), table.cell(0, 1)
    heading = _cell_paragraph(left, True)
    _format(heading, WD_ALIGN_PARAGRAPH.LEFT, before=Pt(6))
    _style_run(heading.add_run("Nơi nhận:"), SIZE_RECIPIENTS_HEADING, bold=True, italic=True)
    lines = [f"- {_nfc(r)};" for r in doc.recipients] + [f"- Lưu: {_nfc(doc.archive)}."]
    for line in lines:
        paragraph = left.add_paragraph()
        _format(paragraph, WD_ALIGN_PARAGRAPH.LEFT)
        _style_run(paragraph.add_run(line), SIZE_RECIPIENTS)

    first = True
    for line in doc.signer_authority:
        _centred(_cell_paragraph(right, first), line.upper(), SIZE_SIGNER, bold=True,
                 before=Pt(6) if first else Pt(0))
        first = False
    for _ in range(SIGNATURE_SPACE_LINES):
        _format(right.add_paragraph(), WD_ALIGN_PARAGRAPH.CENTER)
    _centred(right.add_paragraph(), doc.signer_name, SIZE_SIGNER, bold=True)


def _annex(document, annex: Annex) -> None:
    breaker = document.add_paragraph()
    _format(breaker, WD_ALIGN_PARAGRAPH.LEFT)
    breaker.add_run().add_break(WD_BREAK.PAGE)
    for line in _lines(annex.heading):
        _centred(document.add_paragraph(), line.upper(), SIZE_TITLE, bold=True)
    if annex.subheading:
        _centred(document.add_paragraph(), annex.subheading, SIZE_TITLE, bold=True)
    _centred(document.add_paragraph(), annex.guide, SIZE_TITLE, italic=True, after=Pt(12))

    widths = (Mm(15), Mm(58), Mm(52), Emu(TEXT_WIDTH - Mm(125)))
    table = document.add_table(rows=1 + len(annex.rows), cols=4)
    _fix_widths(table, widths)
    _borders(table, "single")
    for cell, text in zip(table.rows[0].cells, annex.columns, strict=True):
        _centred(_cell_paragraph(cell, True), text, SIZE_ANNEX_TABLE, bold=True)
    for index, row in enumerate(annex.rows, start=1):
        cells = table.rows[index].cells
        _centred(_cell_paragraph(cells[0], True), str(index), SIZE_ANNEX_TABLE)
        for cell, text in zip(cells[1:], (row.name, row.position_unit, row.award), strict=True):
            paragraph = _cell_paragraph(cell, True)
            _format(paragraph, WD_ALIGN_PARAGRAPH.LEFT)
            _style_run(paragraph.add_run(_nfc(text)), SIZE_ANNEX_TABLE)


# --- helpers -----------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in _nfc(text).split("\n") if line.strip()]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _cell_paragraph(cell: _Cell, first: bool) -> Paragraph:
    return cell.paragraphs[0] if first else cell.add_paragraph()


def _centred(paragraph: Paragraph, text: str, size: Pt, *, bold: bool = False,
             italic: bool = False, underline: bool = False, before: Length = ZERO,
             after: Length = ZERO) -> Paragraph:
    _format(paragraph, WD_ALIGN_PARAGRAPH.CENTER, before=before, after=after)
    _style_run(paragraph.add_run(_nfc(text)), size, bold=bold, italic=italic, underline=underline)
    return paragraph


def _format(paragraph: Paragraph, alignment, *, first_line: Length = ZERO,
            before: Length = ZERO, after: Length = ZERO, line: float = 1.0) -> None:
    fmt = paragraph.paragraph_format
    fmt.alignment = alignment
    fmt.first_line_indent = first_line
    fmt.space_before = before
    fmt.space_after = after
    fmt.line_spacing = line


def _style_run(run, size: Pt, *, bold: bool = False, italic: bool = False,
               underline: bool = False) -> None:
    run.font.name = FONT
    run.font.size = size
    run.font.bold = bold
    run.font.italic = italic
    run.font.underline = underline
    r_pr = run._r.get_or_add_rPr()
    _set_fonts(r_pr)
    _set_black(r_pr)


def _set_fonts(r_pr) -> None:
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    # Theme attributes win over explicit names, so a leftover asciiTheme would undo all this.
    for attr in list(fonts.attrib):
        if attr.endswith("Theme"):
            del fonts.attrib[attr]
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), FONT)


def _set_black(r_pr) -> None:
    color = r_pr.find(qn("w:color"))
    if color is None:
        color = OxmlElement("w:color")
        r_pr.append(color)
    color.set(qn("w:val"), "000000")
    # python-docx keeps rPr children in schema order only when it adds them itself.
    _order_rpr(r_pr)


_RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike",
              "dstrike", "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid",
              "vanish", "webHidden", "color", "spacing", "w", "kern", "position", "sz", "szCs",
              "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs",
              "em", "lang", "eastAsianLayout", "specVanish", "oMath")


def _order_rpr(r_pr) -> None:
    rank = {qn(f"w:{name}"): i for i, name in enumerate(_RPR_ORDER)}
    children = sorted(r_pr, key=lambda el: rank.get(el.tag, len(rank)))
    for child in children:
        r_pr.append(child)


def _rule(paragraph: Paragraph, column_width, lines: Sequence[str], size: Pt, *,
          caps: bool = True) -> None:
    """A short centred rule: an empty paragraph with a bottom border and equal side indents."""
    widest = max((len(line) for line in lines), default=10)
    em = _EM_CAPS_BOLD if caps else _EM_TEXT_BOLD
    text_width = min(int(widest * em * size), int(column_width))
    rule_width = max(int(text_width * RULE_FRACTION), int(Mm(15)))
    indent = Emu(max((int(column_width) - rule_width) // 2, 0))
    _format(paragraph, WD_ALIGN_PARAGRAPH.CENTER)
    fmt = paragraph.paragraph_format
    fmt.left_indent = indent
    fmt.right_indent = indent
    fmt.line_spacing = RULE_LINE_HEIGHT  # exact, so the rule sits just under the text
    mark = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "000000")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    _insert_pbdr(mark, borders)
    # The paragraph mark's size sets the empty paragraph's height.
    r_pr = OxmlElement("w:rPr")
    _set_fonts(r_pr)
    for tag in ("w:sz", "w:szCs"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), str(int(SIZE_RULE.pt * 2)))
        r_pr.append(el)
    mark.append(r_pr)  # rPr is the last child pPr may hold here (no sectPr, no change tracking)


_PPR_BEFORE_PBDR = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr",
                    "widowControl", "numPr", "suppressLineNumbers")


def _insert_pbdr(p_pr, borders) -> None:
    index = 0
    for i, child in enumerate(p_pr):
        if child.tag in {qn(f"w:{t}") for t in _PPR_BEFORE_PBDR}:
            index = i + 1
    p_pr.insert(index, borders)


def _borderless_table(document, rows: int, widths: Iterable) -> Table:
    widths = tuple(widths)
    table = document.add_table(rows=rows, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fix_widths(table, widths)
    _borders(table, "nil")
    # No cell margins, so the Quốc hiệu fits its column on one line.
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), "0")
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    _tbl_pr_insert(table, margins, after=("tblStyle", "tblpPr", "tblOverlap", "bidiVisual",
                                          "tblStyleRowBandSize", "tblStyleColBandSize", "tblW",
                                          "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd",
                                          "tblLayout"))
    return table


def _fix_widths(table: Table, widths: Sequence) -> None:
    table.autofit = False
    tbl = table._tbl
    tbl_w = tbl.tblPr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        _tbl_pr_insert(table, tbl_w, after=("tblStyle", "tblpPr", "tblOverlap", "bidiVisual",
                                            "tblStyleRowBandSize", "tblStyleColBandSize"))
    tbl_w.set(qn("w:w"), str(sum(int(w) for w in widths) // 635))
    tbl_w.set(qn("w:type"), "dxa")
    for grid_col, width in zip(tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        grid_col.set(qn("w:w"), str(int(width) // 635))
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _borders(table: Table, value: str) -> None:
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), value)
        if value != "nil":
            el.set(qn("w:sz"), "4")
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        borders.append(el)
    _tbl_pr_insert(table, borders, after=("tblStyle", "tblpPr", "tblOverlap", "bidiVisual",
                                          "tblStyleRowBandSize", "tblStyleColBandSize", "tblW",
                                          "jc", "tblCellSpacing", "tblInd"))


def _tbl_pr_insert(table: Table, element, *, after: Sequence[str]) -> None:
    tbl_pr = table._tbl.tblPr
    existing = tbl_pr.find(element.tag)
    if existing is not None:
        tbl_pr.remove(existing)
    names = {qn(f"w:{name}") for name in after}
    index = 0
    for i, child in enumerate(tbl_pr):
        if child.tag in names:
            index = i + 1
    tbl_pr.insert(index, element)
