"""Exports of the audit trail that an inspector verifies offline (WEB-8, WEB-9).

Three formats, each written in constant memory and ending with the same signed trailer:

- ``jsonl``: one JSON object per event, the record of ``log.to_record`` (all FIELDS), then the
  trailer as the last line;
- ``csv``: UTF-8 with a byte-order mark (without it Excel shows Vietnamese as mojibake), a
  header row of FIELDS, one row per event, then the row ``#trailer``, <trailer JSON>;
- ``xlsx``: the same rows on the sheet "NhatKy", integers as numbers. A workbook is a zip whose
  directory comes last, so openpyxl's write-only workbook is built in a temporary file first,
  then streamed from disk; what Excel cannot hold (below) is an error before the first byte.

Cell encoding (CSV and XLSX). A cell must give back exactly the value that was hashed, and no
spreadsheet may run it as a formula (WEB-9). In this order:

1. None is written ``\\N``; a string that starts with ``\\`` gets one more ``\\`` in front; an
   integer is its decimal text (a number cell in XLSX);
2. then a cell that starts with ``=``, ``+``, ``-``, ``@``, TAB, CR or ``'`` gets a ``'`` in
   front, which spreadsheets show as text.

The verifier (service/audit/verify_file.py) reverses it: it strips one leading ``'``, reads
``\\N`` as None, strips one leading ``\\`` and knows the integer columns by name; an empty XLSX
cell is "". Excel cannot hold a string over 32,767 characters (openpyxl would cut it silently),
control characters other than TAB, LF and CR, nor more than 1,048,576 rows: such an XLSX
export fails, naming the event, and JSONL or CSV carry it.

The trailer, the same JSON object in every format::

    {"type": "tdkt-audit-export", "format_version": 1, "events": n, "first_id", "last_id",
     "digest": SHA-256 hex of the UTF-8 of "<id>:<hash>\\n" for each exported event in order,
     "chain_head": {"id", "hash"}, "filter": {"from", "to", "campaign"},
     "exported_at": ISO UTC, "checkpoint": the checkpoint signed for this export,
     "public_key": hex, "signature": the audit key's signature of all the other fields}

An export covers the chain up to its head when the export begins. That head is signed as a
checkpoint, kept in the database and the object store, before anything is written: the export,
the database and the store then name the same head. A filtered export (dates, campaign) is not
a contiguous chain; each event still carries its own hash, consecutive ids still link, and the
signed digest shows any line added, removed, reordered or changed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Engine, Row, func, select

from service.audit import checkpoints
from service.audit.chain import CHAINED_FIELDS
from service.audit.checkpoints import Checkpoint
from service.audit.log import EventInput, RequestContext, append, to_record, utcnow
from service.audit.signing import AuditSigner
from service.db.models import AuditEvent, Dossier
from service.db.session import UnitOfWork
from service.usecases.actors import actor_any, admin_actor
from service.usecases.errors import InvalidInput
from service.usecases.principal import Principal

FIELDS = (*CHAINED_FIELDS, "hash")
MEDIA_TYPES = {
    "jsonl": "application/x-ndjson; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(MEDIA_TYPES)
FORMAT_VERSION = 1
TRAILER_MARK = "#trailer"
SHEET = "NhatKy"
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "'")
_XLSX_MAX_CELL = 32_767
_XLSX_MAX_EVENTS = 1_048_576 - 2  # Excel's rows, less the header and the trailer
_BATCH = 1000
_CHUNK = 256 * 1024
_audit = AuditEvent.__table__


@dataclass(frozen=True)
class ExportFilter:
    start: datetime | None = None
    end: datetime | None = None
    campaign_id: int | None = None

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> ExportFilter:
        def day(name: str) -> date | None:
            value = args.get(name)
            if not value:
                return None
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise InvalidInput(f"“{name}” phải là ngày dạng YYYY-MM-DD.") from None

        start, end = day("from"), day("to")
        campaign = args.get("campaign")
        try:
            campaign_id = int(campaign) if campaign else None
        except ValueError:
            raise InvalidInput("“campaign” phải là số nguyên.") from None
        # The dates are days in Viet Nam, as the pages show them; events are stored in UTC.
        return cls(
            start=_utc_midnight(start) if start else None,
            end=_utc_midnight(end + timedelta(days=1)) if end else None,
            campaign_id=campaign_id,
        )

    def as_dict(self) -> dict:
        return {"from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None,
                "campaign": self.campaign_id}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExportFilter:
        """The filter back from ``as_dict`` (a background export keeps it in its row)."""
        def moment(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(moment(data["from"]), moment(data["to"]), data["campaign"])


LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _utc_midnight(day: date) -> datetime:
    """The start of ``day`` in Viet Nam, as naive UTC (how events are stored)."""
    local = datetime.combine(day, time.min, tzinfo=LOCAL_TZ)
    return local.astimezone(UTC).replace(tzinfo=None)


def record_export(uow: UnitOfWork, principal: Principal | None, ctx: RequestContext, fmt: str,
                  params: ExportFilter) -> None:
    """The export in the trail itself; without a principal (the CLI) the system exports."""
    actor = actor_any(principal) if principal else admin_actor(None)
    append(uow.session, actor, ctx, EventInput(
        action="audit.exported", target_type="audit", details={"format": fmt,
                                                               "filter": params.as_dict()}))


def filename(fmt: str) -> str:
    """The download's name: ``nhat-ky-<UTC time>.<ext>``."""
    return f"nhat-ky-{utcnow():%Y%m%dT%H%M%SZ}.{fmt}"


def count(engine: Engine, params: ExportFilter) -> int:
    """How many events match (for a progress bar: the export adds those appended meanwhile)."""
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(_audit)
                           .where(*_conditions(params))) or 0


def stream(engine: Engine, fmt: str, params: ExportFilter, signer: AuditSigner,
           store) -> Iterator[bytes]:
    """The export as chunks of bytes, for an HTTP response. The checkpoint is written and
    committed here, before the first chunk; an XLSX is built here too."""
    return _WRITERS[fmt](_begin(engine, params, signer, store))


def write_to(engine: Engine, fmt: str, params: ExportFilter, signer: AuditSigner, store,
             out: BinaryIO, progress: Callable[[int], None] | None = None,
             total: int | None = None) -> int:
    """Write the export to ``out``; the number of events it holds.

    ``progress`` is told after each batch how many events have been read so far, never more
    than ``total`` when given: the count (``count``) the caller sized a progress bar with
    before the export began, which events appended since then would overrun.
    """
    export = _begin(engine, params, signer, store, progress, total)
    for chunk in _WRITERS[fmt](export):
        out.write(chunk)
    return export.events


@dataclass
class _Export:
    """One export under way: its signed starting point and the running digest of its events."""

    engine: Engine
    params: ExportFilter
    signer: AuditSigner
    checkpoint: Checkpoint
    progress: Callable[[int], None] | None = None
    total: int | None = None
    events: int = 0
    first_id: int | None = None
    last_id: int | None = None
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)

    def records(self) -> Iterator[list[dict]]:
        """The exported records a batch at a time, counted into the digest as they are read."""
        for rows in _batches(self.engine, self.params, self.checkpoint.event_id):
            records = [to_record(row) for row in rows]
            self.digest.update("".join(f"{r['id']}:{r['hash']}\n" for r in records).encode())
            if self.first_id is None:
                self.first_id = records[0]["id"]
            self.last_id = records[-1]["id"]
            self.events += len(records)
            if self.progress:
                self.progress(self.events if self.total is None
                              else min(self.events, self.total))
            yield records

    def finish(self) -> dict:
        """The signed trailer; called once every record has been read."""
        checkpoint = self.checkpoint.as_dict()
        body = {
            "type": "tdkt-audit-export", "format_version": FORMAT_VERSION,
            "events": self.events, "first_id": self.first_id, "last_id": self.last_id,
            "digest": self.digest.hexdigest(),
            "chain_head": {"id": checkpoint["event_id"], "hash": checkpoint["hash"]},
            "filter": self.params.as_dict(), "exported_at": checkpoint["at"],
            "checkpoint": checkpoint, "public_key": self.signer.public_key,
        }
        return {**body, "signature": self.signer.sign(body)}


def _begin(engine: Engine, params: ExportFilter, signer: AuditSigner, store,
           progress: Callable[[int], None] | None = None, total: int | None = None) -> _Export:
    """Sign the chain head as the export's checkpoint, in a short transaction of its own."""
    with UnitOfWork(engine) as uow:
        checkpoint = checkpoints.write(uow.session, signer, store, reason="export")
        uow.commit()
    if checkpoint is None:
        raise InvalidInput("Nhật ký chưa có sự kiện nào để xuất.")
    return _Export(engine, params, signer, checkpoint, progress, total)


def _conditions(params: ExportFilter) -> list:
    conditions = []
    if params.start:
        conditions.append(_audit.c.at >= params.start)
    if params.end:
        conditions.append(_audit.c.at < params.end)
    if params.campaign_id is not None:
        conditions.append(_audit.c.dossier_id.in_(
            select(Dossier.id).where(Dossier.campaign_id == params.campaign_id)))
    return conditions


def _batches(engine: Engine, params: ExportFilter, head_id: int) -> Iterator[Sequence[Row]]:
    """The matching events up to the head, in chain order, a batch at a time.

    Core rows, so no identity map grows, and each batch on a short connection of its own, so a
    slow download holds neither a connection nor a transaction. The batches still make one
    consistent export: the table is append-only and nothing at or before the head changes.
    """
    conditions = [*_conditions(params), _audit.c.id <= head_id]
    last_id = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(select(_audit).where(_audit.c.id > last_id, *conditions)
                                .order_by(_audit.c.id).limit(_BATCH)).all()
        if rows:
            yield rows
        if len(rows) < _BATCH:
            return
        last_id = rows[-1].id


def neutralise(text: str) -> str:
    """Spreadsheet formula injection guard (WEB-9), reversible: readers strip one ``'``."""
    return "'" + text if text.startswith(_DANGEROUS) else text


def cell_text(value: str | int | None) -> str:
    """A record's value as the text of a cell (the encoding in the module docstring)."""
    if value is None:
        text = "\\N"
    elif isinstance(value, int):
        text = str(value)
    elif value.startswith("\\"):
        text = "\\" + value
    else:
        text = value
    return neutralise(text)


def _jsonl(export: _Export) -> Iterator[bytes]:
    for records in export.records():
        yield "".join(_json_line(record) for record in records).encode()
    yield _json_line(export.finish()).encode()


def _json_line(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False) + "\n"


def _csv(export: _Export) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(FIELDS)
    yield ("\ufeff" + _drain(buf)).encode()
    for records in export.records():
        writer.writerows([cell_text(record[name]) for name in FIELDS] for record in records)
        yield _drain(buf).encode()
    writer.writerow([TRAILER_MARK, json.dumps(export.finish(), ensure_ascii=False)])
    yield _drain(buf).encode()


def _drain(buf: io.StringIO) -> str:
    text = buf.getvalue()
    buf.seek(0)
    buf.truncate()
    return text


def _xlsx(export: _Export) -> Iterator[bytes]:
    """Build the whole workbook now (so that a failure is not a cut download), then stream it."""
    file = tempfile.TemporaryFile()
    try:
        _build_xlsx(export, file)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return _chunks(file)


def _build_xlsx(export: _Export, file: BinaryIO) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    try:
        sheet.append(FIELDS)
        for records in export.records():
            if export.events > _XLSX_MAX_EVENTS:
                raise InvalidInput("Một bản xuất XLSX chứa tối đa 1.048.574 sự kiện (số dòng "
                                   "tối đa của Excel). Hãy lọc theo ngày hoặc đợt thi đua, "
                                   "hoặc xuất dạng JSONL hoặc CSV.")
            for record in records:
                sheet.append([_xlsx_cell(record, name) for name in FIELDS])
        sheet.append([TRAILER_MARK, json.dumps(export.finish(), ensure_ascii=False)])
    finally:
        # Even when a cell is refused: saving is what closes and removes openpyxl's own
        # temporary file of the sheet.
        book.save(file)


def _xlsx_cell(record: dict, name: str) -> str | int:
    value = record[name]
    if isinstance(value, int):
        return value
    text = cell_text(value)
    if len(text) > _XLSX_MAX_CELL or ILLEGAL_CHARACTERS_RE.search(text):
        raise InvalidInput(f"Sự kiện #{record['id']}, trường “{name}”: giá trị dài quá 32.767 "
                           "ký tự hoặc có ký tự điều khiển, không ghi được vào ô Excel. Hãy "
                           "xuất dạng JSONL hoặc CSV.")
    return text


def _chunks(file: BinaryIO) -> Iterator[bytes]:
    with file:
        while chunk := file.read(_CHUNK):
            yield chunk


_WRITERS: dict[str, Callable[[_Export], Iterator[bytes]]] = {
    "jsonl": _jsonl, "csv": _csv, "xlsx": _xlsx,
}
