"""The one hardened XML loader (XML-1).

Every XML document the service reads (BPMN uploads, OOXML parts) goes through :func:`parse_xml`.
It refuses, before any parsing, input that is too large, not UTF-8/ASCII, or that carries a
DOCTYPE or any other markup declaration; then it parses with an lxml parser whose every security
option is set explicitly (older lxml releases resolve external entities by default, so defaults
are never trusted) and whose resolver refuses every external resource, and finally checks the
tree for depth and for anything DTD-shaped that slipped through.
"""

from __future__ import annotations

import re

from lxml import etree

__all__ = ["XmlRejected", "parse_xml"]

DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_MAX_DEPTH = 200

# Any "<!" that does not open a comment or a CDATA section is a markup declaration
# (<!DOCTYPE, <!ENTITY, <!ELEMENT, <!ATTLIST, <!NOTATION): none has a place in our documents.
_DECLARATION = re.compile(rb"<!(?!--|\[CDATA\[)")
_DOCTYPE = re.compile(rb"<!\s*doctype", re.IGNORECASE)
_XML_DECL = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_ALLOWED_ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii"}
_UTF8_BOM = b"\xef\xbb\xbf"


class XmlRejected(Exception):
    """The document was refused; ``message`` is Vietnamese and safe to show to the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _ExternalResource(Exception):
    """Raised by :class:`_DenyResolver`; lxml carries it out of the parse call."""


class _DenyResolver(etree.Resolver):
    """Refuse every external resource.

    ``load_dtd=False`` and ``no_network=True`` do not cover every path: with some parser options
    (``collect_ids=False`` on lxml 6.1 / libxml2 2.14) ``file://`` external subsets and parameter
    entities are still opened. A resolver that raises stops any such load before a file is
    opened, whatever the options or library version.
    """

    def resolve(self, system_url: str, public_id: str, context: object) -> None:
        raise _ExternalResource


def _make_parser() -> etree.XMLParser:
    """An lxml parser with every option that matters set explicitly.

    A new parser per document: lxml parsers keep state (error log, resolvers) and are not
    meant to be shared between threads.
    """
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        strip_cdata=False,
        recover=False,
        # Not collect_ids=False: with it, libxml2 opens file:// parameter entities even though
        # load_dtd is off (lxml 6.1 / libxml2 2.14).
    )
    parser.resolvers.add(_DenyResolver())
    return parser


def _check_encoding(data: bytes) -> None:
    # UTF-16/32 (with or without BOM) would hide "<!DOCTYPE" from a byte scan, and exotic
    # encodings such as UTF-7 can spell it differently; BPMN and OOXML are UTF-8 in practice.
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        raise XmlRejected("encoding", "Tệp XML phải được mã hóa UTF-8.")
    if b"\x00" in data[:4]:
        raise XmlRejected("encoding", "Tệp XML phải được mã hóa UTF-8.")
    match = _XML_DECL.match(data.removeprefix(_UTF8_BOM).lstrip())
    if match and match.group(1).decode("ascii").lower() not in _ALLOWED_ENCODINGS:
        raise XmlRejected("encoding", "Tệp XML phải được mã hóa UTF-8.")


def _check_declarations(data: bytes) -> None:
    if _DOCTYPE.search(data):
        raise XmlRejected("doctype", "Tệp XML chứa khai báo DOCTYPE, không được phép.")
    if _DECLARATION.search(data):
        raise XmlRejected(
            "declaration", "Tệp XML chứa khai báo thực thể hoặc DTD, không được phép."
        )


def _too_deep_message(max_depth: int) -> str:
    return f"Tệp XML lồng nhau quá sâu (tối đa {max_depth} cấp)."


def _check_depth(root: etree._Element, max_depth: int) -> None:
    # Iterative walk: the tree may be deep enough that recursion would be the problem.
    stack: list[tuple[etree._Element, int]] = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > max_depth:
            raise XmlRejected("too_deep", _too_deep_message(max_depth))
        stack.extend((child, depth + 1) for child in element)


def _check_tree(root: etree._Element) -> None:
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRejected("doctype", "Tệp XML chứa khai báo DOCTYPE, không được phép.")
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise XmlRejected(
                "declaration", "Tệp XML chứa khai báo thực thể hoặc DTD, không được phép."
            )


def parse_xml(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> etree._Element:
    """Parse untrusted XML bytes and return the root element, or raise :class:`XmlRejected`."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise XmlRejected("not_bytes", "Dữ liệu XML phải ở dạng byte.")
    if len(data) > max_bytes:
        # Vietnamese groups thousands with dots: 5.000.000.
        limit = f"{max_bytes:,}".replace(",", ".")
        raise XmlRejected("too_large", f"Tệp XML quá lớn (tối đa {limit} byte).")
    if not data.strip():
        raise XmlRejected("empty", "Tệp XML rỗng.")
    _check_encoding(data)
    _check_declarations(data)
    try:
        root = etree.fromstring(data, parser=_make_parser())
    except _ExternalResource:
        raise XmlRejected(
            "external", "Tệp XML tham chiếu tài nguyên bên ngoài, không được phép."
        ) from None
    except etree.XMLSyntaxError as exc:
        if exc.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            # libxml2's own guards: 256 levels without huge_tree, entity amplification.
            if "depth" in str(exc.msg).lower():
                raise XmlRejected("too_deep", _too_deep_message(max_depth)) from None
            raise XmlRejected("limit", "Tệp XML vượt giới hạn xử lý an toàn.") from None
        line = exc.lineno if isinstance(exc.lineno, int) else None
        if line:
            raise XmlRejected(
                "malformed", f"Tệp XML không đúng cú pháp (dòng {line})."
            ) from None
        raise XmlRejected("malformed", "Tệp XML không đúng cú pháp.") from None
    except (ValueError, etree.LxmlError):
        raise XmlRejected("malformed", "Tệp XML không đúng cú pháp.") from None
    if root is None:
        raise XmlRejected("empty", "Tệp XML rỗng.")
    _check_tree(root)
    _check_depth(root, max_depth)
    return root
