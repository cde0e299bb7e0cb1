"""tdkt-verify: checks an exported audit trail offline, with no database and no service.

    tdkt-verify FILE [--public-key HEX]

The format (jsonl, csv, xlsx) comes from the file's extension, or else from its first bytes.
The file is read a line (a row) at a time, in constant memory, and checked:

1. every event against its own hash, after undoing the cell encoding of CSV and XLSX
   (service/audit/export.py);
2. ids strictly increasing, and each event's link to the one before wherever their ids are
   consecutive (event #1 links to the genesis): a filtered export is not a contiguous chain;
3. a trailer as the last line, its signature and that of the checkpoint it carries, with the
   pinned public key, or else the key written in the file. A forger would write his own key
   there, so the verifier then says so and prints the key's fingerprint, for the inspector to
   compare with the one the installation publishes (``flask audit public-key``);
4. the count, the first and last ids and the digest of the (id, hash) pairs against the signed
   trailer: what the links cannot see (a line taken out of a filtered export, a forged event
   whose hash and every later link were recomputed) changes the digest. An export without a
   filter must moreover hold the whole chain, #1 to the head;
5. the checkpoint's event is at or before the chain head, and an exported event with its id,
   or the head's, has the hash that was signed.

It imports only the standard library, the hash chain, the signature check and openpyxl, so that
an inspector can run it anywhere (tests/integration/test_audit_export.py holds it to that).
Exit status: 0 valid; 1 invalid, naming the first problem with its line (for CSV and XLSX the
row, the header being row 1) and its event; 2 a file that cannot be read, or wrong usage.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook

from service.audit.chain import CHAINED_FIELDS, GENESIS, event_hash
from service.audit.signing import key_fingerprint, verify_signature

FIELDS = (*CHAINED_FIELDS, "hash")
INTEGER_FIELDS = frozenset({"id", "actor_id", "organisation_id", "dossier_id"})
TRAILER_MARK = "#trailer"
SHEET = "NhatKy"
TRAILER = "dòng kết thúc"
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".xlsx": "xlsx"}
_NO_FILTER = {"from": None, "to": None, "campaign": None}
_NONE = type(None)
_TRAILER_FIELDS = {
    "type": str, "format_version": int, "events": int, "first_id": (int, _NONE),
    "last_id": (int, _NONE), "digest": str, "chain_head": dict, "filter": dict,
    "exported_at": str, "checkpoint": dict, "public_key": str, "signature": str,
}
_HEAD_FIELDS = {"id": int, "hash": str}
_CHECKPOINT_FIELDS = {"type": str, "event_id": int, "hash": str, "at": str, "id": int,
                      "reason": str, "public_key": str, "signature": str}
_PUBLIC_KEY = re.compile(r"[0-9a-fA-F]{64}")

Item = tuple[int, dict, bool]  # line, the event or the trailer, whether it is the trailer


class Invalid(Exception):
    """The export does not verify: the first problem, where it is."""

    def __init__(self, line: int, reason: str, subject: str | None = None) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason
        self.subject = subject

    def __str__(self) -> str:
        where = f" ({self.subject})" if self.subject else ""
        return f"Không hợp lệ tại dòng {self.line}{where}: {self.reason}"


class Unreadable(Exception):
    """The file cannot be read at all."""


@dataclass(frozen=True)
class Report:
    events: int
    first_id: int | None
    last_id: int | None
    head_id: int
    head_hash: str
    fingerprint: str
    pinned: bool

    def summary(self) -> str:
        span = f" (#{self.first_id}–#{self.last_id})" if self.events else ""
        return (f"Hợp lệ: {_number(self.events)} sự kiện{span}, đầu chuỗi #{self.head_id} "
                f"({self.head_hash[:16]}…), chữ ký của khóa {self.fingerprint}.")


def verify(path: Path, public_key: str | None = None) -> Report:
    """Check the export at ``path``: Invalid at the first problem, Unreadable if it cannot be
    read."""
    try:
        return _verify(path, public_key)
    except OSError as exc:
        raise Unreadable(exc.strerror or str(exc)) from None


def sniff(path: Path) -> str:
    """The export's format: from the extension, or else from the first bytes."""
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt:
        return fmt
    with path.open("rb") as fh:
        start = fh.read(8).removeprefix(b"\xef\xbb\xbf")
    if start.startswith(b"PK\x03\x04"):
        return "xlsx"
    if start.startswith(b"{"):
        return "jsonl"
    if start.startswith(b"id,"):
        return "csv"
    raise Unreadable("không nhận ra định dạng (cần một bản xuất JSONL, CSV hoặc XLSX)")


def decode_cell(value: object, name: str) -> str | int | None:
    """A CSV or XLSX cell back to the value that was hashed (export.py's encoding, reversed);
    ValueError for a cell that encoding cannot produce."""
    if value is None:
        return ""  # an empty XLSX cell
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # an XLSX number
    if not isinstance(value, str):
        raise ValueError(f"{name}: {value!r}")
    text = value.removeprefix("'")
    if text == "\\N":
        return None
    if text.startswith("\\"):
        return text[1:]
    if name in INTEGER_FIELDS:
        number = int(text)
        if str(number) != text:
            raise ValueError(f"{name}: {value!r}")
        return number
    return text


def _verify(path: Path, public_key: str | None) -> Report:
    fmt = sniff(path)
    walk = _Walk()
    trailer: dict | None = None
    line = trailer_line = 0
    for line, value, is_trailer in _READERS[fmt](path):
        if trailer is not None:
            raise Invalid(line, "có dữ liệu sau dòng kết thúc")
        if is_trailer:
            trailer, trailer_line = value, line
        else:
            walk.add(line, value)
    if trailer is None:
        reason = "thiếu dòng kết thúc: tệp đã bị cắt sau dòng này" if line else "tệp trống"
        raise Invalid(max(line, 1), reason, walk.subject)
    return _check_trailer(path, fmt, trailer_line, trailer, walk, public_key)


@dataclass
class _Walk:
    """What the verifier keeps while it reads: the last event, the running digest and the
    first gap in the ids."""

    events: int = 0
    first_id: int | None = None
    prev_id: int = 0
    prev_hash: str = GENESIS
    prev_line: int = 0
    gap: tuple[int, int, int] | None = None  # line, event id, first missing id
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)

    @property
    def last_id(self) -> int | None:
        return self.prev_id or None

    @property
    def subject(self) -> str | None:
        return f"sự kiện #{self.prev_id}" if self.prev_id else None

    def add(self, line: int, event: dict) -> None:
        event_id = _event_id(line, event)
        subject = f"sự kiện #{event_id}"
        if event_hash(event) != event["hash"]:
            raise Invalid(line, "nội dung sự kiện đã bị thay đổi (mã băm không khớp)", subject)
        if event_id <= self.prev_id:
            raise Invalid(line, f"sự kiện đứng sau sự kiện #{self.prev_id}: các dòng đã bị "
                                "đổi chỗ hoặc lặp lại", subject)
        if event_id == self.prev_id + 1:
            if event["prev_hash"] != self.prev_hash:
                before = f"sự kiện #{self.prev_id}" if self.prev_id else "điểm đầu của chuỗi"
                raise Invalid(line, f"liên kết với {before} không khớp", subject)
        elif self.gap is None:
            self.gap = (line, event_id, self.prev_id + 1)
        self.digest.update(f"{event_id}:{event['hash']}\n".encode())
        self.events += 1
        if self.first_id is None:
            self.first_id = event_id
        self.prev_id, self.prev_hash, self.prev_line = event_id, event["hash"], line


def _event_id(line: int, event: dict) -> int:
    if set(event) != set(FIELDS):
        odd = sorted(set(event) ^ set(FIELDS))
        raise Invalid(line, f"thiếu hoặc thừa trường: {', '.join(odd)}")
    event_id = event["id"]
    if not isinstance(event_id, int) or isinstance(event_id, bool) or event_id < 1:
        raise Invalid(line, f"mã sự kiện không hợp lệ: {event_id!r}")
    return event_id


def _check_trailer(path: Path, fmt: str, line: int, trailer: dict, walk: _Walk,
                   public_key: str | None) -> Report:
    _check_shape(line, trailer)
    key = public_key or trailer["public_key"]
    body = {name: value for name, value in trailer.items() if name != "signature"}
    if not verify_signature(key, body, trailer["signature"]):
        whose = "đã ghim" if public_key else "ghi trong tệp"
        raise Invalid(line, f"chữ ký không khớp với khóa công khai {whose}", TRAILER)
    checkpoint = trailer["checkpoint"]
    signed = {name: checkpoint[name] for name in ("type", "event_id", "hash", "at")}
    if not verify_signature(key, signed, checkpoint["signature"]):
        raise Invalid(line, f"chữ ký của điểm kiểm #{checkpoint['id']} không hợp lệ", TRAILER)
    head = trailer["chain_head"]
    if trailer["filter"] == _NO_FILTER:
        _check_whole_chain(line, walk, head["id"])
    _check_events(line, walk, trailer)
    _check_head(path, fmt, line, walk, head, checkpoint)
    return Report(walk.events, walk.first_id, walk.last_id, head["id"], head["hash"],
                  key_fingerprint(key), pinned=public_key is not None)


def _check_shape(line: int, trailer: dict) -> None:
    """Every field present with its type, before anything is read from it."""
    parts = ((trailer, _TRAILER_FIELDS, ""),
             (trailer.get("chain_head"), _HEAD_FIELDS, "chain_head."),
             (trailer.get("checkpoint"), _CHECKPOINT_FIELDS, "checkpoint."))
    for obj, fields, prefix in parts:
        for name, kind in fields.items():
            if not isinstance(obj, dict) or name not in obj or not isinstance(obj[name], kind):
                raise Invalid(line, f"thiếu hoặc sai trường “{prefix}{name}”", TRAILER)
    if (trailer["type"], trailer["format_version"]) != ("tdkt-audit-export", 1) \
            or trailer["checkpoint"]["type"] != "tdkt-audit-checkpoint":
        raise Invalid(line, "không phải bản xuất nhật ký TĐKT (phiên bản 1)", TRAILER)


def _check_whole_chain(line: int, walk: _Walk, head_id: int) -> None:
    """An export without a filter is the chain itself, from #1 to the head."""
    if walk.gap:
        gap_line, event_id, missing = walk.gap
        raise Invalid(gap_line, f"thiếu {_ids(missing, event_id - 1)} trước sự kiện này "
                                "(bản xuất không lọc phải có đủ cả chuỗi)", f"sự kiện #{event_id}")
    if walk.prev_id < head_id:
        raise Invalid(line, f"thiếu {_ids(walk.prev_id + 1, head_id)} ở cuối chuỗi", TRAILER)


def _check_events(line: int, walk: _Walk, trailer: dict) -> None:
    signed = _span(trailer["events"], trailer["first_id"], trailer["last_id"])
    found = _span(walk.events, walk.first_id, walk.last_id)
    if signed != found:
        raise Invalid(line, f"dòng kết thúc ghi {signed}, tệp có {found}", TRAILER)
    if trailer["digest"] != walk.digest.hexdigest():
        raise Invalid(line, "các sự kiện khác với bản đã ký (mã tóm tắt không khớp): có dòng "
                            "bị thêm, xóa, đổi chỗ hoặc sửa", TRAILER)


def _check_head(path: Path, fmt: str, line: int, walk: _Walk, head: dict,
                checkpoint: dict) -> None:
    if walk.prev_id > head["id"]:
        raise Invalid(line, f"có sự kiện #{walk.prev_id} sau đầu chuỗi #{head['id']}", TRAILER)
    if checkpoint["event_id"] > head["id"]:
        raise Invalid(line, f"điểm kiểm #{checkpoint['id']} ký sự kiện "
                            f"#{checkpoint['event_id']}, sau đầu chuỗi #{head['id']}", TRAILER)
    signed = (("đầu chuỗi", head["id"], head["hash"]),
              (f"điểm kiểm #{checkpoint['id']}", checkpoint["event_id"], checkpoint["hash"]))
    for label, event_id, event_hash_signed in signed:
        found = _find(path, fmt, walk, event_id)
        if found and found[1] != event_hash_signed:
            raise Invalid(found[0], f"mã băm khác mã đã ký ở {label}", f"sự kiện #{event_id}")


def _find(path: Path, fmt: str, walk: _Walk, event_id: int) -> tuple[int, str] | None:
    """The line and hash of the exported event with this id, if there is one."""
    if event_id == walk.prev_id:
        return walk.prev_line, walk.prev_hash
    if walk.first_id is None or not walk.first_id <= event_id < walk.prev_id:
        return None
    # Signed before the export's last event: not what export.py writes, but valid; the file is
    # read once more rather than holding every hash.
    return next(((line, value["hash"]) for line, value, is_trailer in _READERS[fmt](path)
                 if not is_trailer and value["id"] == event_id), None)


def _read_jsonl(path: Path) -> Iterator[Item]:
    with path.open("rb") as fh:
        for line, raw in enumerate(fh, 1):
            try:
                value = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
            except ValueError:
                value = None
            if not isinstance(value, dict):
                raise Invalid(line, "dòng không đọc được: không phải một đối tượng JSON (UTF-8)")
            yield line, value, "type" in value


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """A key given twice would show one value to a reader and hash the other."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate key")
    return obj


def _read_csv(path: Path) -> Iterator[Item]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        yield from _table(csv.reader(fh))


def _read_xlsx(path: Path) -> Iterator[Item]:
    with path.open("rb") as fh:
        try:
            book = load_workbook(fh, read_only=True)
        except Exception as exc:  # openpyxl reports a damaged package in many ways
            raise Unreadable(f"không mở được bảng tính ({exc})") from None
        try:
            if SHEET not in book.sheetnames:
                raise Invalid(1, f"không có trang “{SHEET}”")
            yield from _table(book[SHEET].iter_rows(values_only=True))
        finally:
            book.close()


def _table(rows: Iterable[Sequence]) -> Iterator[Item]:
    """The rows of a CSV or XLSX export: the header, the events, the trailer."""
    line = 0
    try:
        for line, row in enumerate(rows, 1):
            cells = _trimmed(row)
            if line == 1:
                if cells != FIELDS:
                    raise Invalid(1, "dòng tiêu đề không phải các trường của bản xuất")
            elif cells[:1] == (TRAILER_MARK,):
                yield line, _trailer_row(line, cells), True
            else:
                yield line, _event_row(line, cells), False
    except (UnicodeDecodeError, csv.Error):
        raise Invalid(line + 1, "dòng không đọc được (không phải CSV UTF-8)") from None


def _trimmed(row: Sequence) -> tuple:
    """The row without the empty cells a spreadsheet pads it with."""
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return tuple(row[:end])


def _trailer_row(line: int, cells: tuple) -> dict:
    try:
        value = json.loads(cells[1], object_pairs_hook=_unique_keys) if len(cells) == 2 else None
    except (TypeError, ValueError):
        value = None
    if not isinstance(value, dict):
        raise Invalid(line, "dòng kết thúc không đọc được", TRAILER)
    return value


def _event_row(line: int, cells: tuple) -> dict:
    if len(cells) != len(FIELDS):
        raise Invalid(line, f"dòng có {len(cells)} ô, cần {len(FIELDS)}")
    try:
        return {name: decode_cell(value, name) for name, value in zip(FIELDS, cells,
                                                                       strict=True)}
    except ValueError as exc:
        raise Invalid(line, f"ô không hợp lệ ({exc})") from None


_READERS = {"jsonl": _read_jsonl, "csv": _read_csv, "xlsx": _read_xlsx}


def _ids(first: int, last: int) -> str:
    return f"sự kiện #{first}" if first == last else f"các sự kiện #{first}–#{last}"


def _span(events: int, first_id: int | None, last_id: int | None) -> str:
    return f"{_number(events)} sự kiện" + (f" (#{first_id}–#{last_id})" if events else "")


def _number(n: int) -> str:
    """Vietnamese digit grouping: 1.234.567."""
    return f"{n:,}".replace(",", ".")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tdkt-verify",
        description="Kiểm tra ngoại tuyến một bản xuất nhật ký kiểm toán (JSONL, CSV, XLSX).")
    parser.add_argument("file", type=Path, help="tệp xuất")
    parser.add_argument("--public-key", metavar="HEX",
                        help="khóa công khai đã ghim (64 chữ số hex, từ “flask audit public-key”)")
    args = parser.parse_args(argv)
    if args.public_key is not None and not _PUBLIC_KEY.fullmatch(args.public_key):
        parser.error("--public-key phải là 64 chữ số thập lục phân")
    try:
        report = verify(args.file, args.public_key)
    except Unreadable as exc:
        print(f"Không đọc được {args.file}: {exc}", file=sys.stderr)
        return 2
    except Invalid as exc:
        print(exc)
        return 1
    if not report.pinned:
        print(f"Lưu ý: chưa ghim khóa công khai (--public-key), đã dùng khóa ghi trong tệp. "
              f"Hãy so dấu vân tay {report.fingerprint} với dấu vân tay do đơn vị quản lý hệ "
              "thống công bố.")
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
