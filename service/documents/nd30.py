"""Văn bản hành chính: a python-docx builder for the Nghị định 30/2020/NĐ-CP layout (Phụ lục I).

Pure code: a document model in, .docx bytes out. Every number the decree fixes is a constant
below, and every run carries its font, size and style directly, so the layout checker
(tests/unit/test_document_layout.py) can read them back and LibreOffice renders the same thing.

Rules under the issuing body and the summary are empty centred paragraphs with a bottom border
and equal side indents (1/3–1/2 of the text above); the rule under the motto is the motto's own
underline, which is exactly as long as the line. Both survive LibreOffice's PDF conversion,
unlike floating line shapes.

Papers that are not (yet) registered: a draft's number is ``document_number(None, …)``, which
prints "Số:      /QĐ-UBND" with room to write the number by hand, and its ``date`` is ``None``
with ``year`` set, which prints "ngày      tháng      năm 2023". ``number=None`` leaves the "Số:"
line out altogether (a báo cáo thành tích is not numbered from a register), and ``dated=False``
the place/date line (a biên bản states its time in the body, Mẫu 1.9). A ``draft_marker`` is
printed boxed in page 1's own header, above the header table where drafts carry it; page 1
still shows no page number.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
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
SIGN_HALF_WIDTH = Emu(TEXT_WIDTH // 2)  # two signers side by side share the width

SIZE_HEADER = Pt(13)  # parent body, issuing body, Quốc hiệu, "Số:"
SIZE_MOTTO = Pt(14)
SIZE_DATE_LINE = Pt(14)
SIZE_TITLE = Pt(14)
SIZE_BODY = Pt(14)
SIZE_ADDRESSEE = Pt(14)  # "Kính gửi:", 13–14
SIZE_SIGNER = Pt(14)
SIZE_RECIPIENTS_HEADING = Pt(12)
SIZE_RECIPIENTS = Pt(11)
SIZE_PAGE_NUMBER = Pt(14)
SIZE_DRAFT_MARKER = Pt(14)
SIZE_TABLE = Pt(13)  # tables and lists: 12–13
SIZE_TABLE_COMPACT = Pt(12)  # for tables of many columns
SIZE_RULE = Pt(2)  # an empty paragraph carrying a border: as flat as possible
RULE_LINE_HEIGHT = Pt(5)  # clears the descenders of the line above

FIRST_LINE_INDENT = Cm(1.27)
SPACE_AFTER_BODY = Pt(6)
LINE_SPACING_BODY = 1.15
RULE_FRACTION = 0.4  # of the text above it; the decree asks for 1/3 to 1/2
SIGNATURE_SPACE_LINES = 4
ADDRESSEE_INDENT = Cm(2.5)  # several addressees: "Kính gửi:" starts here …
ADDRESSEE_LABEL_WIDTH = Cm(2.3)  # … and the "- …;" lines align under the colon's end

QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
ADDRESSEE_LABEL = "Kính gửi:"
RECIPIENTS_LABEL = "Nơi nhận:"
# A draft leaves the number, day and month to be written by hand: six spaces between the words,
# "Số:      /QĐ-UBND" and "ngày      tháng      năm 2023".
BLANK_NUMBER = " " * 5
BLANK_DAY = " " * 4

ALIGNMENTS = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
              "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}

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
class Para:
    """A body paragraph (justified, first-line indent) that is a heading (bold) or the
    guidance a unit replaces with its own text (italic)."""

    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Column:
    """A table column: its heading, its share of the text width relative to the other
    columns, and how its cells align."""

    heading: str
    width: float = 1.0
    align: str = "left"  # a key of ALIGNMENTS

    def __post_init__(self) -> None:
        if self.align not in ALIGNMENTS:
            raise ValueError(f"column alignment must be one of {sorted(ALIGNMENTS)}, "
                             f"got {self.align!r}")
        if not self.width > 0:
            raise ValueError(f"a column needs a positive width, got {self.width!r}")

    @classmethod
    def of(cls, spec: str | dict) -> Column:
        """A column from template data: a bare heading (an equal share, left-aligned) or
        ``{"heading": …, "width": …, "align": …}``."""
        if isinstance(spec, str):
            return cls(spec)
        return cls(spec["heading"], float(spec.get("width", 1.0)), spec.get("align", "left"))


@dataclass(frozen=True)
class DataTable:
    """A bordered table in the body or in an annex: a bold header row repeated on every page,
    then the rows. When ``numbered``, the first column counts the rows (STT) and each row
    carries the other cells."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    numbered: bool = True
    compact: bool = False  # 12 pt instead of 13, for tables of many columns


Block = str | Para | DataTable  # an item of the body; a str is an ordinary paragraph


class AnnexRow(NamedTuple):
    """A row of the decision's list: the cells after STT."""

    name: str  # họ tên / tên tập thể
    position_unit: str  # chức vụ, đơn vị
    award: str  # hình thức khen thưởng


@dataclass(frozen=True)
class Annex:
    """Phụ lục / danh sách kèm theo: a new page, a heading, a guide line and a numbered table."""

    heading: str  # "DANH SÁCH …"
    guide: str  # "(Kèm theo Quyết định số … ngày … của …)"
    rows: tuple[tuple[str, ...], ...]  # the cells after STT
    columns: tuple[Column, ...]  # STT first
    subheading: str | None = None
    label: str | None = None  # "Phụ lục I", when a paper carries several


@dataclass(frozen=True)
class Signature:
    """One signer: authority lines (bold caps), an optional italic note such as "(Ký, đóng
    dấu)", and the name; an empty name is left to be written by hand."""

    authority: tuple[str, ...]
    name: str = ""
    note: str | None = None


@dataclass(frozen=True)
class OfficialDocument:
    """A văn bản hành chính as Nghị định 30/2020 lays it out."""

    kind: str  # tên loại: QUYẾT ĐỊNH, TỜ TRÌNH, BIÊN BẢN, BÁO CÁO
    parent_body: str | None  # cơ quan chủ quản (upright caps); None for a UBND tỉnh
    issuing_body: str  # cơ quan ban hành (bold caps); "\n" separates lines
    number: str | None  # "05/QĐ-UBND" (document_number); None: no "Số:" line
    place: str
    date: date | None  # None: a blank date line for a draft, of ``year``
    summary: str  # trích yếu: "Về việc …"; "\n" separates lines
    signer_authority: tuple[str, ...]  # ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    signer_name: str
    recipients: tuple[str, ...]  # without the leading "- " and the final ";"
    archive: str | None  # "VT, TĐKT" → "- Lưu: VT, TĐKT."; None, with no recipients: no Nơi nhận
    legal_bases: tuple[str, ...] = ()  # "Căn cứ …" lines, italic
    issuer_heading: str | None = None  # "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …"
    enacting_line: str | None = None  # "QUYẾT ĐỊNH:"
    body: tuple[Block, ...] = ()
    articles: tuple[Article, ...] = ()
    annexes: tuple[Annex, ...] = field(default=())
    year: int | None = None  # the year a blank date line shows
    dated: bool = True  # False: no place/date line
    addressees: tuple[str, ...] = ()  # "Kính gửi:", without the final punctuation
    signer_note: str | None = None
    co_signer: Signature | None = None  # signs on the left: THƯ KÝ on a biên bản
    draft_marker: str | None = None  # "DỰ THẢO"

    def __post_init__(self) -> None:
        if self.dated and self.date is None and self.year is None:
            raise ValueError("a blank date line needs the year it is for")


def document_number(sequence: int | None, type_code: str, body_code: str) -> str:
    """Số, ký hiệu: ``05/QĐ-UBND``; numbers below 10 take a leading zero. A draft (``None``)
    leaves the number blank: ``     /QĐ-UBND``."""
    if sequence is None:
        return f"{BLANK_NUMBER}/{type_code}-{body_code}"
    if sequence < 1:
        raise ValueError(f"document numbers start at 01, got {sequence}")
    return f"{sequence:02d}/{type_code}-{body_code}"


def date_words(when: date | None, year: int | None = None) -> str:
    """``05 tháng 12 năm 2023``, as written after "ngày"; blank day and month for a draft."""
    if when is None:
        if year is None:
            raise ValueError("a blank date needs its year")
        return f"{BLANK_DAY} tháng {BLANK_DAY} năm {year}"
    return administrative_date_line("-", when).split(", ngày ", 1)[1]


def date_line(place: str, when: date | None, year: int | None = None) -> str:
    """``Bình Thuận, ngày 05 tháng 12 năm 2023``, or its blank form for a draft."""
    if when is not None:
        return administrative_date_line(place, when)
    if not place.strip():
        raise ValueError("the date line needs the place name of the issuing body")
    return f"{_nfc(place.strip())}, ngày {date_words(None, year)}"


def build_docx(doc: OfficialDocument) -> bytes:
    """The .docx bytes of ``doc``."""
    document = Document()
    _setup_styles(document)
    _setup_section(document, doc.draft_marker)
    body_start = document.paragraphs[0] if document.paragraphs else None
    _header_block(document, doc)
    _title_block(document, doc)
    if doc.addressees:
        _addressees(document, doc.addressees)
    for line in doc.legal_bases:
        _body_paragraph(document, line, italic=True)
    if doc.enacting_line:
        _centred(document.add_paragraph(), doc.enacting_line, SIZE_BODY, bold=True, after=Pt(6))
    for block in doc.body:
        _block(document, block)
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
            set_fonts(r_pr)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = SIZE_BODY
    set_fonts(normal.element.get_or_add_rPr())
    _set_black(normal.element.get_or_add_rPr())
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    for name in ("Header", "Table Grid"):
        if name in [s.name for s in document.styles]:
            set_fonts(document.styles[name].element.get_or_add_rPr())


def _setup_section(document, draft_marker: str | None) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance = HEADER_DISTANCE
    section.different_first_page_header_footer = True
    # Page 1 carries no number: an explicit first-page header, empty but for a draft's marker.
    first = section.first_page_header
    first.is_linked_to_previous = False
    if draft_marker:
        paragraph = first.paragraphs[0]
        _format(paragraph, WD_ALIGN_PARAGRAPH.LEFT)
        _style_run(paragraph.add_run(_nfc(draft_marker).upper()), SIZE_DRAFT_MARKER, bold=True,
                   boxed=True)
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
    # A second row keeps "Số:" and the place/date line on the same line, as the decree asks.
    rows = 2 if doc.number is not None or doc.dated else 1
    table = _borderless_table(document, rows, (HEADER_LEFT_WIDTH, HEADER_RIGHT_WIDTH))
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

    if rows == 1:
        return
    number_cell, date_cell = table.cell(1, 0), table.cell(1, 1)
    if doc.number is not None:
        _centred(_cell_paragraph(number_cell, True), f"Số: {doc.number}", SIZE_HEADER,
                 before=Pt(6))
    if doc.dated:
        _centred(_cell_paragraph(date_cell, True), date_line(doc.place, doc.date, doc.year),
                 SIZE_DATE_LINE, italic=True, before=Pt(6))


def _title_block(document, doc: OfficialDocument) -> None:
    _centred(document.add_paragraph(), doc.kind.upper(), SIZE_TITLE, bold=True, before=Pt(18))
    summary_lines = _lines(doc.summary)
    for line in summary_lines:
        _centred(document.add_paragraph(), line, SIZE_TITLE, bold=True)
    caps = all(line == line.upper() for line in summary_lines)
    _rule(document.add_paragraph(), TEXT_WIDTH, summary_lines, SIZE_TITLE, caps=caps)
    if doc.issuer_heading:
        _centred(
            document.add_paragraph(), doc.issuer_heading.upper(), SIZE_TITLE, bold=True,
            before=Pt(12), after=Pt(12),
        )
    else:
        document.paragraphs[-1].paragraph_format.space_after = Pt(12)


def _addressees(document, addressees: Sequence[str]) -> None:
    """Kính gửi: one addressee on the label's line, centred; several as "- …;" lines aligned
    under the end of the label, the last ending with a full stop."""
    names = [_nfc(a).strip().rstrip(".;") for a in addressees]
    if len(names) == 1:
        _centred(document.add_paragraph(), f"{ADDRESSEE_LABEL} {names[0]}.", SIZE_ADDRESSEE,
                 after=Pt(12))
        return
    for index, name in enumerate(names):
        last = index == len(names) - 1
        paragraph = document.add_paragraph()
        _format(paragraph, WD_ALIGN_PARAGRAPH.LEFT, after=Pt(12) if last else ZERO)
        fmt = paragraph.paragraph_format
        fmt.left_indent = Emu(ADDRESSEE_INDENT + ADDRESSEE_LABEL_WIDTH)
        line = f"- {name}{'.' if last else ';'}"
        if index == 0:
            # A hanging first line: the label, then a tab to the indent the others start at.
            fmt.first_line_indent = Emu(-ADDRESSEE_LABEL_WIDTH)
            line = f"{ADDRESSEE_LABEL}\t{line}"
        _style_run(paragraph.add_run(line), SIZE_ADDRESSEE)


def _block(document, block: Block) -> None:
    if isinstance(block, str):
        _body_paragraph(document, block)
    elif isinstance(block, Para):
        _body_paragraph(document, block.text, bold=block.bold, italic=block.italic)
    elif isinstance(block, DataTable):
        _data_table(document, block)
        # Two tables in a row would merge into one; the spacer also sets the gap after it.
        _format(document.add_paragraph(), WD_ALIGN_PARAGRAPH.LEFT, after=SPACE_AFTER_BODY)
    else:
        raise TypeError(f"not a body block: {block!r}")


def _body_paragraph(document, text: str, *, bold: bool = False,
                    italic: bool = False) -> Paragraph:
    paragraph = document.add_paragraph()
    _format_body(paragraph)
    _style_run(paragraph.add_run(_nfc(text)), SIZE_BODY, bold=bold, italic=italic)
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
    """Nơi nhận bottom left, the signer bottom right; with a co-signer the two sign side by
    side (THƯ KÝ left, CHỦ TRÌ right) and Nơi nhận goes under them."""
    signer = Signature(doc.signer_authority, doc.signer_name, doc.signer_note)
    recipients = _recipient_lines(doc)
    if doc.co_signer is None:
        table = _borderless_table(document, 1, (SIGN_LEFT_WIDTH, SIGN_RIGHT_WIDTH))
        _keep_whole(table.rows[0])
        if recipients:
            _recipients(table.cell(0, 0), recipients, before=Pt(6))
        _signature(table.cell(0, 1), signer, depth=0)
        return
    rows = 2 if recipients else 1
    table = _borderless_table(document, rows, (SIGN_HALF_WIDTH, SIGN_HALF_WIDTH))
    for row in table.rows:
        _keep_whole(row)
    # Pad the shorter title so that both names stand on the same line.
    depth = max(_title_depth(doc.co_signer), _title_depth(signer))
    _signature(table.cell(0, 0), doc.co_signer, depth=depth)
    _signature(table.cell(0, 1), signer, depth=depth)
    if recipients:
        _recipients(table.cell(1, 0), recipients, before=Pt(12))


def _recipient_lines(doc: OfficialDocument) -> list[str]:
    lines = [f"- {_nfc(r)};" for r in doc.recipients]
    if doc.archive:
        lines.append(f"- Lưu: {_nfc(doc.archive)}.")
    return lines


def _recipients(cell: _Cell, lines: Sequence[str], *, before: Length) -> None:
    heading = _cell_paragraph(cell, True)
    _format(heading, WD_ALIGN_PARAGRAPH.LEFT, before=before)
    _style_run(heading.add_run(RECIPIENTS_LABEL), SIZE_RECIPIENTS_HEADING, bold=True,
               italic=True)
    for line in lines:
        paragraph = cell.add_paragraph()
        _format(paragraph, WD_ALIGN_PARAGRAPH.LEFT)
        _style_run(paragraph.add_run(line), SIZE_RECIPIENTS)


def _title_depth(signature: Signature) -> int:
    return len(signature.authority) + (1 if signature.note else 0)


def _signature(cell: _Cell, signature: Signature, *, depth: int) -> None:
    first = True
    for line in signature.authority:
        _centred(_cell_paragraph(cell, first), line.upper(), SIZE_SIGNER, bold=True,
                 before=Pt(6) if first else ZERO)
        first = False
    if signature.note:
        _centred(_cell_paragraph(cell, first), signature.note, SIZE_SIGNER, italic=True)
        first = False
    for _ in range(max(depth - _title_depth(signature), 0) + SIGNATURE_SPACE_LINES):
        _format(_cell_paragraph(cell, first), WD_ALIGN_PARAGRAPH.CENTER)
        first = False
    if signature.name:
        _centred(cell.add_paragraph(), signature.name, SIZE_SIGNER, bold=True)


def _annex(document, annex: Annex) -> None:
    breaker = document.add_paragraph()
    _format(breaker, WD_ALIGN_PARAGRAPH.LEFT)
    breaker.add_run().add_break(WD_BREAK.PAGE)
    if annex.label:
        _centred(document.add_paragraph(), annex.label, SIZE_TITLE, bold=True)
    for line in _lines(annex.heading):
        _centred(document.add_paragraph(), line.upper(), SIZE_TITLE, bold=True)
    if annex.subheading:
        _centred(document.add_paragraph(), annex.subheading, SIZE_TITLE, bold=True)
    _centred(document.add_paragraph(), annex.guide, SIZE_TITLE, italic=True, after=Pt(12))
    _data_table(document, DataTable(annex.columns, annex.rows))


def _data_table(document, data: DataTable) -> Table:
    columns = data.columns
    size = SIZE_TABLE_COMPACT if data.compact else SIZE_TABLE
    table = document.add_table(rows=1 + len(data.rows), cols=len(columns))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fix_widths(table, _shares(TEXT_WIDTH, [c.width for c in columns]))
    _borders(table, "single")
    for index, row in enumerate(table.rows):
        _keep_whole(row, header=index == 0)
    header = table.rows[0]
    for cell, column in zip(header.cells, columns, strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _centred(_cell_paragraph(cell, True), column.heading, size, bold=True)
    for index, row in enumerate(data.rows, start=1):
        cells = (str(index), *row) if data.numbered else tuple(row)
        if len(cells) != len(columns):
            raise ValueError(f"row {index} has {len(cells)} cells for {len(columns)} columns")
        for cell, text, column in zip(table.rows[index].cells, cells, columns, strict=True):
            paragraph = _cell_paragraph(cell, True)
            _format(paragraph, ALIGNMENTS[column.align])
            if text:
                _style_run(paragraph.add_run(_nfc(text)), size)
    return table


def _keep_whole(row, *, header: bool = False) -> None:
    """Keep the row on one page; a header row is also repeated at the top of every page the
    table runs onto."""
    tr_pr = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader") if header else ("w:cantSplit",):  # schema order
        tr_pr.append(OxmlElement(tag))


def _shares(total: int, weights: Sequence[float]) -> list[Emu]:
    """``total`` split in proportion to ``weights``; the last share takes the rounding."""
    scale = int(total) / sum(weights)
    shares = [Emu(int(w * scale)) for w in weights[:-1]]
    return [*shares, Emu(int(total) - sum(int(s) for s in shares))]


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
               underline: bool = False, boxed: bool = False) -> None:
    run.font.name = FONT
    run.font.size = size
    run.font.bold = bold
    run.font.italic = italic
    run.font.underline = underline
    r_pr = run._r.get_or_add_rPr()
    set_fonts(r_pr)
    if boxed:
        border = OxmlElement("w:bdr")
        for key, value in (("val", "single"), ("sz", "8"), ("space", "1"), ("color", "000000")):
            border.set(qn(f"w:{key}"), value)
        r_pr.append(border)
    _set_black(r_pr)
    # The blanks of a draft ("Số:      /QĐ-UBND") are runs of spaces that must not collapse.
    for text in run._r.iter(qn("w:t")):
        if text.text and "  " in text.text:
            text.set(qn("xml:space"), "preserve")


def set_fonts(r_pr) -> None:
    """Times New Roman in all four font slots (Vietnamese letters are not all "ascii")."""
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
    set_fonts(r_pr)
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
