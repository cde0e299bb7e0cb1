"""PDF of a generated document with LibreOffice headless, read back with poppler."""

from __future__ import annotations

import io
import subprocess
import threading
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Pt

from service.documents import pdf as pdf_module
from service.documents.pdf import (
    PNG_MAGIC,
    PdfConversionError,
    page_count,
    pdf_text,
    render_png,
    to_pdf,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pdf"
PAGE_ONE = [
    "ỦY BAN NHÂN DÂN TỈNH BÌNH THUẬN",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Số: 05/QĐ-UBND",
    "Bình Thuận, ngày 05 tháng 12 năm 2023",
    "QUYẾT ĐỊNH",
    "Về việc tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
]
PAGE_TWO = [
    # each line shorter than the page: pdftotext drops a hyphen that ends a wrapped line
    "Điều 3. Chánh Văn phòng Ủy ban nhân dân tỉnh,",
    "Trưởng Ban Thi đua - Khen thưởng tỉnh thi hành.",
    "KT. CHỦ TỊCH",
    "PHÓ CHỦ TỊCH",
    "Nguyễn Văn Ánh",
    "Nơi nhận:",
]


def _two_page_docx() -> bytes:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(14)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), "Times New Roman")
    for line in PAGE_ONE:
        document.add_paragraph(line)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    for line in PAGE_TWO:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def converted() -> tuple[bytes, float]:
    started = time.perf_counter()
    pdf = to_pdf(_two_page_docx())
    return pdf, time.perf_counter() - started


def test_a_two_page_docx_becomes_a_two_page_pdf_with_its_vietnamese_text(converted):
    pdf, seconds = converted
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 2
    text = pdf_text(pdf)
    assert unicodedata.is_normalized("NFC", text)
    pages = text.split("\f")
    for line in PAGE_ONE:
        assert line in pages[0], line
    for line in PAGE_TWO:
        assert line in pages[1], line
    assert seconds < 60
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "timing.txt").write_text(f"to_pdf two-page docx: {seconds:.2f} s\n")


def test_times_new_roman_is_set_in_liberation_serif(converted, tmp_path):
    path = tmp_path / "d.pdf"
    path.write_bytes(converted[0])
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout
    assert "LiberationSerif" in fonts, fonts


def test_a_page_renders_to_png(converted):
    image = render_png(converted[0], page=2, dpi=80)
    assert image.startswith(PNG_MAGIC)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "page-2.png").write_bytes(image)
    (ARTIFACTS / "document.pdf").write_bytes(converted[0])
    with pytest.raises(PdfConversionError):
        render_png(converted[0], page=3, dpi=80)


def test_garbage_is_refused_quickly():
    started = time.perf_counter()
    with pytest.raises(PdfConversionError, match="không phải tài liệu Word"):
        to_pdf(b"\x00\x01garbage" * 100)
    # shaped like a .docx, broken inside: LibreOffice itself refuses it
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<broken")
        archive.writestr("word/document.xml", "<w:document><<<")
    with pytest.raises(PdfConversionError, match="LibreOffice không chuyển được"):
        to_pdf(buffer.getvalue())
    with pytest.raises(PdfConversionError):
        page_count(b"not a pdf")
    assert time.perf_counter() - started < 30


def _live_members(group: int) -> list[int]:
    """Processes of a process group that are still running (not zombies)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def test_a_conversion_past_its_timeout_is_killed_with_its_process_group(monkeypatch):
    groups: list[int] = []
    real_popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        process = real_popen(*args, **kwargs)
        groups.append(process.pid)  # start_new_session: the pid is the group id
        return process

    monkeypatch.setattr(pdf_module.subprocess, "Popen", recording_popen)
    started = time.perf_counter()
    with pytest.raises(PdfConversionError, match="không xong trong"):
        to_pdf(_two_page_docx(), timeout=0.05)
    assert time.perf_counter() - started < 10
    assert len(groups) == 1
    deadline = time.monotonic() + 5
    while _live_members(groups[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _live_members(groups[0]) == []


def test_missing_libreoffice_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(pdf_module, "SOFFICE_NAMES", ("tdkt-no-such-soffice",))
    with pytest.raises(PdfConversionError, match="libreoffice-writer"):
        to_pdf(_two_page_docx())


def test_conversions_run_side_by_side():
    docx = _two_page_docx()
    results: list[int] = []
    errors: list[BaseException] = []

    def convert() -> None:
        try:
            results.append(page_count(to_pdf(docx)))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=convert) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and results == [2, 2, 2]
