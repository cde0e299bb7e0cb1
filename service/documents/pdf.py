"""PDF of a generated document, made with LibreOffice headless; page checks with poppler.

Each conversion runs ``soffice`` in its own process group with its own throw-away profile
(``-env:UserInstallation``), so that conversions may run side by side and a stuck one can be
killed whole. Debian packages: ``libreoffice-writer``, ``poppler-utils``, ``fonts-liberation``
(Liberation Serif stands in for Times New Roman with the same metrics).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import unicodedata
import zipfile
from io import BytesIO
from pathlib import Path

SOFFICE_NAMES = ("soffice", "libreoffice")
PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class PdfConversionError(RuntimeError):
    """The document could not be turned into a PDF (or a PDF could not be read)."""


def to_pdf(docx: bytes, *, timeout: float = 60) -> bytes:
    """Convert a .docx to PDF with LibreOffice headless; raise PdfConversionError on failure
    or after ``timeout`` seconds (the whole process group is killed)."""
    soffice = _soffice()
    _check_docx(docx)
    with tempfile.TemporaryDirectory(prefix="tdkt-pdf-") as tmp:
        work = Path(tmp)
        source = work / "document.docx"
        source.write_bytes(docx)
        outdir = work / "out"
        profile = work / "profile"
        command = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(outdir),
            str(source),
        ]
        env = {**os.environ, "HOME": str(work), "TMPDIR": str(work), "LANG": "C.UTF-8"}
        output = _run(command, timeout=timeout, env=env, cwd=work, what="LibreOffice")
        result = outdir / "document.pdf"
        if not result.is_file():
            detail = output.strip().splitlines()[-1] if output.strip() else "không có kết quả"
            raise PdfConversionError(
                f"LibreOffice không chuyển được tài liệu sang PDF ({detail})."
            )
        pdf = result.read_bytes()
    if not pdf.startswith(PDF_MAGIC):
        raise PdfConversionError("LibreOffice trả về một tệp không phải PDF.")
    return pdf


def page_count(pdf: bytes) -> int:
    """Number of pages, from ``pdfinfo``."""
    info = _poppler(["pdfinfo", "{pdf}"], pdf).decode("utf-8", "replace")
    for line in info.splitlines():
        if line.startswith("Pages:"):
            return int(line.split(":", 1)[1])
    raise PdfConversionError("Không đọc được số trang của tệp PDF.")


def pdf_text(pdf: bytes) -> str:
    """The text of the PDF (pages separated by form feeds), NFC-normalised, from ``pdftotext``.

    pdftotext joins wrapped lines and drops a hyphen that ends a line ("Thi đua -⏎Khen")."""
    text = _poppler(["pdftotext", "-enc", "UTF-8", "{pdf}", "-"], pdf).decode("utf-8")
    return unicodedata.normalize("NFC", text)


def render_png(pdf: bytes, page: int = 1, dpi: int = 100) -> bytes:
    """One page (from 1) as a PNG image, from ``pdftoppm``."""
    if page < 1 or not 10 <= dpi <= 600:
        raise ValueError("page starts at 1 and dpi is between 10 and 600")
    with tempfile.TemporaryDirectory(prefix="tdkt-png-") as tmp:
        prefix = Path(tmp) / "page"
        _poppler(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                  "-singlefile", "{pdf}", str(prefix)], pdf)
        image = prefix.with_suffix(".png")
        if not image.is_file():
            raise PdfConversionError(f"Không vẽ được trang {page} của tệp PDF.")
        return image.read_bytes()


def _soffice() -> str:
    for name in SOFFICE_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise PdfConversionError(
        "Không tìm thấy LibreOffice (soffice) trên máy chủ: cần cài gói libreoffice-writer."
    )


def _check_docx(docx: bytes) -> None:
    """Refuse what is not a Word document before starting LibreOffice (which would otherwise
    import arbitrary bytes as plain text)."""
    try:
        with zipfile.ZipFile(BytesIO(docx)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise PdfConversionError("Tệp không phải tài liệu Word (.docx) hợp lệ.") from exc
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise PdfConversionError("Tệp không phải tài liệu Word (.docx) hợp lệ.")


def _poppler(template: list[str], pdf: bytes, timeout: float = 60) -> bytes:
    if not shutil.which(template[0]):
        raise PdfConversionError(
            f"Không tìm thấy {template[0]} trên máy chủ: cần cài gói poppler-utils."
        )
    with tempfile.TemporaryDirectory(prefix="tdkt-poppler-") as tmp:
        path = Path(tmp) / "document.pdf"
        path.write_bytes(pdf)
        command = [str(path) if part == "{pdf}" else part for part in template]
        return _run(command, timeout=timeout, env=None, cwd=Path(tmp), what=template[0],
                    check=True, text=False)


def _run(command: list[str], *, timeout: float, env, cwd: Path, what: str,
         check: bool = False, text: bool = True):
    """Run in a new process group; on timeout kill the whole group."""
    try:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if text else subprocess.PIPE,
            cwd=cwd, env=env, start_new_session=True,
        )
    except OSError as exc:
        raise PdfConversionError(f"Không chạy được {what}: {exc}.") from exc
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise PdfConversionError(
            f"{what} không xong trong {timeout:g} giây; đã dừng tiến trình."
        ) from None
    finally:
        if process.poll() is None:  # pragma: no cover - interrupted while waiting
            _kill_group(process)
    if check and process.returncode != 0:
        message = (stderr or b"").decode("utf-8", "replace").strip()
        raise PdfConversionError(f"{what} báo lỗi (mã {process.returncode}): {message}")
    return stdout.decode("utf-8", "replace") if text else stdout


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()
