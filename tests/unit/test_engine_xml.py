"""XML-1: the hardened loader refuses DTD tricks before parsing and parses with safe options."""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree

from service.engine import xml as hardened
from service.engine.xml import XmlRejected, parse_xml

FIXTURES = Path(__file__).parent / "bpmn"
SECRET = "tdkt-canary-3f9a"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local TCP port that records whether anything connected to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    yield server
    server.close()


def _connected(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
    except TimeoutError:
        return False
    conn.close()
    return True


def _xxe_file(path: Path) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY s SYSTEM "file://{path}">]>\n<r>&s;</r>'
    ).encode()


def _xxe_network(port: int) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "http://127.0.0.1:{port}/evil.dtd" '
        f'[<!ENTITY % remote SYSTEM "http://127.0.0.1:{port}/x.dtd"> %remote;]>\n<r>&e;</r>'
    ).encode()


def _quadratic_blowup() -> bytes:
    entity = "A" * 50_000
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "{entity}">]>\n<r>'
        + "&a;" * 20_000
        + "</r>"
    ).encode()


def _nested(depth: int) -> bytes:
    return b"<a>" * depth + b"</a>" * depth


def test_plain_document_parses() -> None:
    root = parse_xml("<hồ_sơ><tên>Bằng khen</tên></hồ_sơ>".encode())
    assert root.tag == "hồ_sơ"
    assert root[0].text == "Bằng khen"


def test_shipped_diagram_parses() -> None:
    path = Path(__file__).parents[2] / "workflows" / "bpmn" / "commendation.bpmn"
    root = parse_xml(path.read_bytes())
    assert etree.QName(root).localname == "definitions"


@pytest.mark.parametrize("name", ["xxe_file.bpmn", "billion_laughs.xml"])
def test_hostile_fixtures_refused(name: str) -> None:
    with pytest.raises(XmlRejected) as info:
        parse_xml((FIXTURES / name).read_bytes())
    assert info.value.code == "doctype"
    assert info.value.message == "Tệp XML chứa khai báo DOCTYPE, không được phép."


def test_xxe_file_refused_before_any_parsing(
    secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_parser() -> None:
        raise AssertionError("the parser must not be reached")

    monkeypatch.setattr(hardened, "_make_parser", no_parser)
    with pytest.raises(XmlRejected) as info:
        parse_xml(_xxe_file(secret_file))
    assert info.value.code == "doctype"
    assert SECRET not in info.value.message


def test_xxe_network_refused_and_nothing_connects(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    with pytest.raises(XmlRejected):
        parse_xml(_xxe_network(port))
    assert not _connected(listener)


@pytest.mark.parametrize(
    "payload",
    [pytest.param(_quadratic_blowup(), id="quadratic"),
     pytest.param((FIXTURES / "billion_laughs.xml").read_bytes(), id="billion-laughs")],
)
def test_entity_expansion_refused_quickly(payload: bytes) -> None:
    with pytest.raises(XmlRejected) as info:
        parse_xml(payload)
    assert info.value.code == "doctype"


def _opens_file(fifo: Path, parse: Callable[[bytes], object], payload: bytes) -> bool:
    """Whether ``parse(payload)`` opens ``fifo`` for reading.

    A FIFO makes a read observable: opening its write end without blocking succeeds only while
    a reader has it open. We then write and close so a reader never hangs.
    """
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = parse(payload)
        except Exception as exc:  # any refusal is fine here; we only watch the file
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    opened = False
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
            if not worker.is_alive():
                break
            time.sleep(0.01)
            continue
        opened = True
        os.write(fd, b'<!ENTITY e "x">')
        os.close(fd)
        break
    worker.join(2)
    return opened


def _file_payloads(fifo: Path) -> list[bytes]:
    return [
        f'<!DOCTYPE r [<!ENTITY % p SYSTEM "file://{fifo}"> %p;]><r/>'.encode(),
        f'<!DOCTYPE r SYSTEM "file://{fifo}"><r/>'.encode(),
        f'<!DOCTYPE r [<!ENTITY s SYSTEM "file://{fifo}">]><r>&s;</r>'.encode(),
    ]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "external.dtd"
    os.mkfifo(path)
    return path


def test_probe_sees_a_file_read(fifo: Path) -> None:
    """The probe works, and pins the quirk the deny-resolver guards against: on lxml 6.1 /
    libxml2 2.14, collect_ids=False makes libxml2 open file:// parameter entities although
    load_dtd is off."""
    quirky = etree.XMLParser(
        load_dtd=False, no_network=True, resolve_entities=False, collect_ids=False
    )
    payload = _file_payloads(fifo)[0]
    assert _opens_file(fifo, lambda data: etree.fromstring(data, quirky), payload)


def test_hardened_parser_opens_no_file(fifo: Path) -> None:
    """Defence in depth: even without the byte scan, the parser itself reads no file."""
    for payload in _file_payloads(fifo):
        parse = lambda data: etree.fromstring(data, hardened._make_parser())  # noqa: E731
        assert not _opens_file(fifo, parse, payload)


def test_parse_xml_opens_no_file_even_without_byte_scan(
    fifo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hardened, "_check_declarations", lambda data: None)
    for payload in _file_payloads(fifo):
        assert not _opens_file(fifo, parse_xml, payload)
        with pytest.raises(XmlRejected):
            parse_xml(payload.replace(str(fifo).encode(), b"/nonexistent.dtd"))


def test_hardened_parser_makes_no_connection(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    try:
        root = etree.fromstring(_xxe_network(port), hardened._make_parser())
    except (etree.XMLSyntaxError, hardened._ExternalResource):
        pass  # refusing is as good as not fetching
    else:
        assert root.text is None  # the entity stayed unexpanded
    assert not _connected(listener)


def test_tree_checks_catch_doctype_if_byte_scan_is_bypassed(
    secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hardened, "_check_declarations", lambda data: None)
    for payload in (_xxe_file(secret_file), _quadratic_blowup()):
        with pytest.raises(XmlRejected) as info:
            parse_xml(payload)
        assert info.value.code in {"doctype", "declaration", "external", "limit"}
        assert SECRET not in info.value.message


@pytest.mark.parametrize(
    "payload",
    [
        b'<r><!ENTITY x "y"></r>',
        b"<!doctype r><r/>",
        b'<?xml version="1.0"?>\n  <!DOCTYPE r PUBLIC "-//X//Y" "http://example.invalid/r.dtd"><r/>',
        b'<r><!ELEMENT r ANY></r>',
    ],
)
def test_any_markup_declaration_refused(payload: bytes) -> None:
    with pytest.raises(XmlRejected) as info:
        parse_xml(payload)
    assert info.value.code in {"doctype", "declaration"}


def test_comments_and_cdata_are_fine() -> None:
    root = parse_xml(b"<r><!-- ghi ch\xc3\xba --><![CDATA[a < b]]></r>")
    assert root.text == "a < b"


@pytest.mark.parametrize("depth", [201, 300, 5000])
def test_deep_nesting_refused(depth: int) -> None:
    with pytest.raises(XmlRejected) as info:
        parse_xml(_nested(depth))
    assert info.value.code == "too_deep"


def test_depth_at_limit_accepted_and_limit_configurable() -> None:
    assert parse_xml(_nested(200)).tag == "a"
    with pytest.raises(XmlRejected) as info:
        parse_xml(_nested(11), max_depth=10)
    assert info.value.code == "too_deep"


def test_oversized_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardened, "_make_parser", lambda: pytest.fail("parser reached"))
    big = b"<r>" + b"x" * 5_000_000 + b"</r>"
    with pytest.raises(XmlRejected) as info:
        parse_xml(big)
    assert info.value.code == "too_large"
    assert "5.000.000" in info.value.message
    with pytest.raises(XmlRejected):
        parse_xml(b"<r>" + b"x" * 100 + b"</r>", max_bytes=100)


@pytest.mark.parametrize(
    "payload",
    [
        "<r/>".encode("utf-16"),
        "<r/>".encode("utf-16-be"),
        b'<?xml version="1.0" encoding="UTF-7"?><r/>',
        b'<?xml version="1.0" encoding="ISO-2022-JP"?><r/>',
    ],
)
def test_non_utf8_encodings_refused(payload: bytes) -> None:
    with pytest.raises(XmlRejected) as info:
        parse_xml(payload)
    assert info.value.code == "encoding"


def test_utf8_bom_and_declaration_accepted() -> None:
    root = parse_xml(b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><r>\xc4\x91</r>')
    assert root.text == "đ"


@pytest.mark.parametrize("payload", [b"<r>", b"not xml", b"<r></s>", b"<r a='1' a='2'/>"])
def test_malformed_gives_short_vietnamese_message(payload: bytes) -> None:
    with pytest.raises(XmlRejected) as info:
        parse_xml(payload)
    assert info.value.code == "malformed"
    assert info.value.message.startswith("Tệp XML không đúng cú pháp")


@pytest.mark.parametrize("payload", [b"", b"   \n", "<r/>"])
def test_empty_or_wrong_type_refused(payload: object) -> None:
    with pytest.raises(XmlRejected) as info:
        parse_xml(payload)  # type: ignore[arg-type]
    assert info.value.code in {"empty", "not_bytes"}


def test_messages_are_nfc() -> None:
    messages = []
    for payload in (b"<!DOCTYPE r><r/>", _nested(300), b"<r>", b""):
        with pytest.raises(XmlRejected) as info:
            parse_xml(payload)
        messages.append(info.value.message)
    assert all(unicodedata.is_normalized("NFC", m) for m in messages)
