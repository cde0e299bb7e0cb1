"""Checks on an uploaded file before anything stores or parses it (DOC-1 to DOC-4, DOC-6).

Pure functions, no Flask. Hostile input is never handed to python-docx, ElementTree or lxml here:
the zip structure is read with `struct` and bounded loops, parts are decompressed as streams with
real-size checks, and XML parts are checked by scanning bytes.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import struct
import unicodedata
import uuid
import zipfile
import zlib
from dataclasses import dataclass

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_ENTRY_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100
# Below this size a high ratio cannot hurt (the entry is small whatever its ratio), and small,
# repetitive XML such as an empty table legitimately deflates more than 100 times.
RATIO_FLOOR_BYTES = 1024 * 1024
# Package parts read whole for attribute checks; real ones are a few kilobytes.
MAX_PACKAGE_XML_BYTES = 2 * 1024 * 1024
MAX_DISPLAY_NAME = 200
FALLBACK_NAME = "tai-lieu"
# Browsers sniff at most this many bytes (WHATWG MIME sniffing, "resource header").
SNIFF_BYTES = 1445

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {
    "docx": DOCX_TYPE,
    "xlsx": XLSX_TYPE,
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}
# extension -> (main part, its content type): a macro-enabled twin has a different type.
_OOXML_MAIN = {
    "docx": ("word/document.xml", DOCX_TYPE + ".main+xml"),
    "xlsx": ("xl/workbook.xml", XLSX_TYPE + ".main+xml"),
}
_ACTIVE_CONTENT = ("macroenabled", "vbaproject", "vbadata", "activex")

_MESSAGES = {
    "too_large": "Tệp vượt quá dung lượng cho phép ({limit} MB).",
    "unsupported_type": (
        "Định dạng tệp không được chấp nhận. Chỉ nhận tệp .docx, .pdf, .xlsx, .png hoặc .jpg."
    ),
    "type_mismatch": "Nội dung tệp không khớp với phần mở rộng của tên tệp.",
    "macro": "Tệp chứa macro hoặc mã thực thi (ví dụ tệp .docm) nên không được chấp nhận.",
    "polyglot": "Tệp chứa thêm nội dung của định dạng khác (HTML hoặc ZIP) nên bị từ chối.",
    "empty": "Tệp rỗng.",
    "zip_too_many_entries": "Tệp chứa quá nhiều thành phần.",
    "zip_too_large": "Dung lượng sau giải nén của tệp quá lớn.",
    "zip_ratio": "Tệp có tỉ lệ nén bất thường nên bị từ chối.",
    "zip_encrypted": "Tệp đã được mã hoá hoặc đặt mật khẩu; hãy gỡ mật khẩu rồi tải lên lại.",
    "zip_bad_name": "Tệp chứa thành phần có tên không hợp lệ.",
    "corrupt": "Tệp bị hỏng hoặc không đúng cấu trúc.",
    "xml_doctype": "Tệp chứa khai báo DOCTYPE hoặc thực thể XML nên không được chấp nhận.",
    "xml_encoding": "Tệp chứa phần XML dùng bảng mã không được hỗ trợ.",
    "external_relationship": (
        "Tệp liên kết tới tài nguyên bên ngoài (ví dụ mẫu tài liệu từ xa) nên không được chấp nhận."
    ),
}


class UploadRejected(Exception):
    """The upload is refused; `message` is for the user (Vietnamese), `code` for clients."""

    def __init__(self, http_status: int, code: str, message: str) -> None:
        super().__init__(f"{http_status} {code}: {message}")
        self.http_status = http_status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    display_name: str  # display metadata only, never part of a key (DOC-6)
    extension: str  # lowercase, no dot
    content_type: str
    size: int
    sha256: str


def _reject(http_status: int, code: str, **values: object) -> UploadRejected:
    return UploadRejected(http_status, code, _MESSAGES[code].format(**values))


def check_upload(filename: str, data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> CheckedUpload:
    """Accept `data` only if its extension, magic bytes and structure agree (DOC-2).

    Raises UploadRejected: 413 too large, 415 type not allowed or not what it claims, 422 a
    file of the right type that is unsafe or broken.
    """
    if len(data) > max_bytes:
        raise _reject(413, "too_large", limit=max_bytes // (1024 * 1024))
    name = display_name(filename)
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in CONTENT_TYPES:
        raise _reject(415, "unsupported_type")
    if not data:
        raise _reject(422, "empty")
    if extension in _OOXML_MAIN:
        _check_ooxml(data, extension)
    else:
        _check_plain(data, extension)
    return CheckedUpload(
        display_name=name,
        extension=extension,
        content_type=CONTENT_TYPES[extension],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def display_name(filename: str) -> str:
    """The user's filename made safe to show and store as metadata, keeping Vietnamese (DOC-6).

    Never `secure_filename`: it strips diacritics and drops CJK names entirely.
    """
    # Controls go before NFC: removing one between a letter and its mark after normalising
    # would leave an unnormalised pair behind.
    text = "".join(ch for ch in filename or "" if not _is_invisible_control(ch))
    text = unicodedata.normalize("NFC", re.split(r"[/\\]", text)[-1]).strip()
    if text in ("", ".", ".."):
        return FALLBACK_NAME
    if len(text) <= MAX_DISPLAY_NAME:
        return text
    stem, dot, ext = text.rpartition(".")
    if not dot or not stem or len(ext) > 16:
        stem, ext = text, ""
    suffix = f".{ext}" if ext else ""
    cut = MAX_DISPLAY_NAME - len(suffix)
    # Do not separate a letter from a combining mark that NFC could not fold into it.
    while cut > 0 and unicodedata.combining(stem[cut]):
        cut -= 1
    return (stem[:cut].rstrip() or FALLBACK_NAME) + suffix


def _is_invisible_control(ch: str) -> bool:
    category = unicodedata.category(ch)
    # Cf holds the bidi overrides that make "\u202excod.exe" display as "exe.docx"; ZWNJ and
    # ZWJ stay because some scripts need them inside words.
    return category in ("Cc", "Cs", "Zl", "Zp") or (category == "Cf" and ch not in "\u200c\u200d")


def make_object_key(dossier_id: int, document_id: int, version: int, extension: str) -> str:
    """A server-made key: ids and version for humans, a random part so keys are never reused."""
    for label, value in (
        ("dossier_id", dossier_id),
        ("document_id", document_id),
        ("version", version),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{label} must be a positive integer")
    ext = extension.lower().removeprefix(".")
    if not re.fullmatch(r"[a-z0-9]{1,10}", ext):
        raise ValueError(f"invalid extension: {extension!r}")
    return (
        f"dossiers/{dossier_id:06d}/documents/{document_id:06d}/"
        f"v{version:04d}-{uuid.uuid4().hex}.{ext}"
    )


# -- PDF and images ------------------------------------------------------------------------------

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_HTML_MARKERS = (
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<iframe",
    b"<svg",
    b"<meta",
    b"<object",
    b"<embed",
    b"<style",
)


def _check_plain(data: bytes, extension: str) -> None:
    if extension == "pdf":
        if not data.startswith(b"%PDF-"):
            raise _reject(415, "type_mismatch")
        # Readers look for the trailer in the last kilobyte; no trailer is not a PDF.
        if b"%%EOF" not in data[-1024:]:
            raise _reject(422, "corrupt")
    elif extension == "png":
        if not data.startswith(_PNG_MAGIC) or data[12:16] != b"IHDR":
            raise _reject(415, "type_mismatch")
        if not data.endswith(_PNG_IEND):
            raise _reject(415, "polyglot")  # bytes after IEND: something is riding along
    elif not data.startswith(b"\xff\xd8\xff"):
        raise _reject(415, "type_mismatch")
    elif not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise _reject(415, "polyglot")
    head = data[:SNIFF_BYTES].lower()
    if any(marker in head for marker in _HTML_MARKERS):
        raise _reject(415, "polyglot")
    # A zip reader finds its directory from the end, so an appended zip makes a polyglot.
    if zipfile.is_zipfile(io.BytesIO(data)):
        raise _reject(415, "polyglot")


# -- OOXML (docx, xlsx) --------------------------------------------------------------------------

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory, 22 bytes
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # central directory header, 46 bytes
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header, 30 bytes
_ZIP64_LOCATOR = b"PK\x06\x07"


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    raw_name: bytes
    offset: int
    compressed: int
    size: int


def _check_ooxml(data: bytes, extension: str) -> None:
    if not data.startswith(b"PK\x03\x04"):
        raise _reject(415, "type_mismatch")
    entries = _preflight_zip(data)
    names = {entry.name.lower() for entry in entries}
    if any(name.endswith(("vbaproject.bin", "vbadata.xml")) or "activex" in name for name in names):
        raise _reject(415, "macro")
    main_part, main_type = _OOXML_MAIN[extension]
    if "[content_types].xml" not in names or main_part not in names or "_rels/.rels" not in names:
        raise _reject(415, "type_mismatch")
    root_rels = _check_parts(data, len(entries), main_part, main_type)
    root_targets = [
        attrs.get("Target", "").lstrip("/").lower()
        for attrs in _elements(root_rels, "Relationship")
        if attrs.get("Type", "").endswith("/officeDocument")
    ]
    # The main part that python-docx will open must be the one checked above.
    if root_targets != [main_part]:
        raise _reject(415, "type_mismatch")


def _preflight_zip(data: bytes) -> list[_Entry]:
    """DOC-3: read the central directory ourselves, with bounded loops, and refuse anything odd
    before `zipfile` (which builds an object per entry) or a decompressor sees the archive."""
    eocd_at = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if eocd_at < 0 or eocd_at + _EOCD.size > len(data):
        raise _reject(422, "corrupt")
    _sig, disk, cd_disk, disk_entries, count, cd_size, cd_offset, comment = _EOCD.unpack_from(
        data, eocd_at
    )
    # Nothing may follow the archive or precede it: either would make a polyglot.
    if eocd_at + _EOCD.size + comment != len(data) or cd_offset + cd_size != eocd_at:
        raise _reject(422, "corrupt")
    # ZIP64 and multi-disk archives are never needed under 20 MiB: refusing them keeps this
    # parser and zipfile's in agreement.
    zip64 = eocd_at >= 20 and data[eocd_at - 20 : eocd_at - 16] == _ZIP64_LOCATOR
    if disk or cd_disk or disk_entries != count or zip64:
        raise _reject(422, "corrupt")
    if count > MAX_ZIP_ENTRIES:
        raise _reject(422, "zip_too_many_entries")
    entries: list[_Entry] = []
    seen: set[str] = set()
    total = 0
    pos = cd_offset
    for _ in range(count):
        if pos + _CENTRAL.size > eocd_at:
            raise _reject(422, "corrupt")
        fields = _CENTRAL.unpack_from(data, pos)
        sig, flags, method, compressed, size = fields[0], fields[3], fields[4], fields[8], fields[9]
        name_len, extra_len, comment_len, offset = fields[10], fields[11], fields[12], fields[16]
        if sig != b"PK\x01\x02":
            raise _reject(422, "corrupt")
        raw_name = data[pos + _CENTRAL.size : pos + _CENTRAL.size + name_len]
        pos += _CENTRAL.size + name_len + extra_len + comment_len
        # Bit 0: encrypted; bit 6: strong encryption; method 99: AES.
        if flags & 0x41 or method == 99:
            raise _reject(422, "zip_encrypted")
        if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _reject(422, "corrupt")
        if 0xFFFFFFFF in (compressed, size, offset):
            raise _reject(422, "corrupt")
        name = _entry_name(raw_name, flags)
        if name.lower() in seen:  # two parsers could pick different copies
            raise _reject(422, "zip_bad_name")
        seen.add(name.lower())
        if size > MAX_ENTRY_BYTES:
            raise _reject(422, "zip_too_large")
        total += size
        if total > MAX_TOTAL_BYTES:
            raise _reject(422, "zip_too_large")
        if size > RATIO_FLOOR_BYTES and size > MAX_RATIO * compressed:
            raise _reject(422, "zip_ratio")
        if method == zipfile.ZIP_STORED and size != compressed:
            raise _reject(422, "corrupt")
        entries.append(_Entry(name, raw_name, offset, compressed, size))
    if pos != eocd_at:  # entries hidden beyond the declared count
        raise _reject(422, "corrupt")
    _check_local_headers(data, entries, cd_offset)
    return entries


def _entry_name(raw: bytes, flags: int) -> str:
    try:
        name = raw.decode("utf-8" if flags & 0x800 else "cp437")
    except UnicodeDecodeError as exc:
        raise _reject(422, "zip_bad_name") from exc
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or re.match(r"[A-Za-z]:", name)
        or ".." in parts
        or any(unicodedata.category(ch) == "Cc" for ch in name)
    ):
        raise _reject(422, "zip_bad_name")
    return name


def _check_local_headers(data: bytes, entries: list[_Entry], cd_offset: int) -> None:
    """Each entry's data must sit in its own slice before the central directory: overlapping
    entries are how a small archive expands to terabytes."""
    ordered = sorted(entries, key=lambda entry: entry.offset)
    if not ordered or ordered[0].offset != 0:
        raise _reject(422, "corrupt")
    for index, entry in enumerate(ordered):
        end_limit = ordered[index + 1].offset if index + 1 < len(ordered) else cd_offset
        if entry.offset + _LOCAL.size > end_limit:
            raise _reject(422, "corrupt")
        fields = _LOCAL.unpack_from(data, entry.offset)
        sig, flags, name_len, extra_len = fields[0], fields[2], fields[9], fields[10]
        if sig != b"PK\x03\x04" or flags & 0x41:
            raise _reject(422, "zip_encrypted" if sig == b"PK\x03\x04" else "corrupt")
        start = entry.offset + _LOCAL.size
        if data[start : start + name_len] != entry.raw_name:
            raise _reject(422, "corrupt")
        if start + name_len + extra_len + entry.compressed > end_limit:
            raise _reject(422, "corrupt")


def _check_parts(data: bytes, count: int, main_part: str, main_type: str) -> bytes:
    """Decompress every entry as a stream, checking real sizes and scanning XML, and check the
    package parts as they come; return the root relationships (_rels/.rels).

    Only one part is held at a time, so memory stays bounded by MAX_PACKAGE_XML_BYTES.
    """
    root_rels = b""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) != count:
                raise _reject(422, "corrupt")
            xml_parts: set[str] = set()
            xml_extensions: set[str] = set()
            # [Content_Types].xml first: it says which other parts are XML, and a macro
            # content type is refused before the rest is decompressed.
            for info in sorted(infos, key=lambda i: i.filename.lower() != "[content_types].xml"):
                lower = info.filename.lower()
                package = lower == "[content_types].xml" or lower.endswith(".rels")
                xml_like = (
                    package
                    or lower.endswith((".xml", ".vml", ".svg"))
                    or lower in xml_parts
                    or lower.rpartition(".")[2] in xml_extensions
                )
                body = _read_entry(archive, info, xml_like=xml_like, keep=package)
                if lower == "[content_types].xml":
                    _check_content_types(body, main_part, main_type)
                    xml_parts, xml_extensions = _xml_declarations(body)
                elif package:
                    _check_relationships(body)
                    if lower == "_rels/.rels":
                        root_rels = body
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        RuntimeError,
        ValueError,
    ) as exc:
        raise _reject(422, "corrupt") from exc
    return root_rels


def _read_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, xml_like: bool, keep: bool
) -> bytes:
    scanner = _XmlScanner(check_prolog=xml_like)
    kept: list[bytes] = []
    actual = 0
    with archive.open(info) as stream:
        while chunk := stream.read(64 * 1024):
            actual += len(chunk)
            # The header's size is a claim: count what really comes out.
            if actual > info.file_size or actual > MAX_ENTRY_BYTES:
                raise _reject(422, "zip_too_large")
            scanner.feed(chunk)
            if keep:
                if actual > MAX_PACKAGE_XML_BYTES:
                    raise _reject(422, "zip_too_large")
                kept.append(chunk)
    if actual != info.file_size:
        raise _reject(422, "corrupt")
    return b"".join(kept)


class _XmlScanner:
    """Finds DOCTYPE and ENTITY declarations (DOC-4, XXE) in a stream of chunks.

    A byte scan only works if the part is UTF-8 (or ASCII): UTF-16 or an exotic declared
    encoding would hide "<!DOCTYPE" from it, so such parts are refused outright.
    """

    _WINDOW = 16

    def __init__(self, *, check_prolog: bool) -> None:
        self._check_prolog = check_prolog
        self._started = False
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        if not self._started and self._check_prolog:
            self._check_encoding(chunk)
        self._started = True
        window = (self._tail + chunk).lower()
        if b"<!doctype" in window or b"<!entity" in window:
            raise _reject(422, "xml_doctype")
        self._tail = window[-self._WINDOW :]

    @staticmethod
    def _check_encoding(head: bytes) -> None:
        text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
        if text[:1] != b"<" or text[1:2] == b"\x00":
            raise _reject(422, "xml_encoding")
        if text.startswith(b"<?xml"):
            declaration = text[: text.find(b"?>") + 2 if b"?>" in text else 200]
            found = re.search(rb"encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", declaration)
            if found and found.group(1).lower() not in (b"utf-8", b"utf8"):
                raise _reject(422, "xml_encoding")


def _xml_declarations(content_types: bytes) -> tuple[set[str], set[str]]:
    """Parts and extensions that [Content_Types].xml declares as XML, whatever their names:
    a parser will read those parts, so they are scanned like any .xml part."""
    parts = {
        attrs.get("PartName", "").lstrip("/").lower()
        for attrs in _elements(content_types, "Override")
        if attrs.get("ContentType", "").lower().endswith("xml")
    }
    extensions = {
        attrs.get("Extension", "").lower()
        for attrs in _elements(content_types, "Default")
        if attrs.get("ContentType", "").lower().endswith("xml")
    }
    return parts, extensions


def _check_content_types(text: bytes, main_part: str, main_type: str) -> None:
    types = [attrs.get("ContentType", "") for attrs in _elements(text, "Override")]
    types += [attrs.get("ContentType", "") for attrs in _elements(text, "Default")]
    if any(marker in value.lower() for value in types for marker in _ACTIVE_CONTENT):
        raise _reject(415, "macro")
    declared = [
        attrs.get("ContentType", "")
        for attrs in _elements(text, "Override")
        if attrs.get("PartName", "").lstrip("/").lower() == main_part
    ]
    if declared != [main_type]:
        raise _reject(415, "type_mismatch")


def _check_relationships(text: bytes) -> None:
    """Refuse external relationships (a remote attachedTemplate, linked images, OLE links…),
    which Word fetches on open. External hyperlinks stay: Word only follows them on a click,
    and administrative documents often cite web pages."""
    relationships = _elements(text, "Relationship")
    if text.lower().count(b"targetmode") > sum("TargetMode" in a for a in relationships):
        raise _reject(422, "external_relationship")  # a TargetMode our parser did not see
    for attrs in relationships:
        mode = attrs.get("TargetMode", "Internal")
        if mode.lower() == "internal":
            continue
        if mode != "External" or attrs.get("Type", "").rpartition("/")[2] != "hyperlink":
            raise _reject(422, "external_relationship")


_ATTRIBUTE = re.compile(rb"""([A-Za-z_:][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _elements(text: bytes, tag: str) -> list[dict[str, str]]:
    """Attributes of each `tag` element, quote-aware (">" may appear inside a value) and with
    character references decoded, as an XML parser would see them."""
    # "<" cannot occur inside a tag, even in a value: stopping there keeps every match attempt
    # short, so a part full of unterminated tags cannot make this quadratic.
    pattern = re.compile(
        rb"<(?:[A-Za-z_][\w.-]*:)?" + tag.encode() + rb"""\b((?:[^<>"']|"[^<"]*"|'[^<']*')*)>"""
    )
    found: list[dict[str, str]] = []
    for match in pattern.finditer(text):
        attrs: dict[str, str] = {}
        for name, double, single in _ATTRIBUTE.findall(match.group(1)):
            key = name.decode("ascii", "replace").rpartition(":")[2]
            if key in attrs:  # not well-formed XML: parsers disagree on which value wins
                raise _reject(422, "corrupt")
            value = (double or single).decode("utf-8", "replace")
            attrs[key] = html.unescape(value).strip()
        found.append(attrs)
    return found
