"""Streamed exports of the audit trail (JSON Lines, CSV) carrying the chain head."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from service.audit.chain import CHAINED_FIELDS
from service.audit.log import EventInput, RequestContext, append, to_record
from service.db.models import AuditEvent, Dossier
from service.db.session import UnitOfWork
from service.usecases.actors import actor_any
from service.usecases.errors import InvalidInput
from service.usecases.principal import Principal

FIELDS = (*CHAINED_FIELDS, "hash")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


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
        return cls(
            start=datetime.combine(start, time.min) if start else None,
            end=datetime.combine(end, time.min) + timedelta(days=1) if end else None,
            campaign_id=campaign_id,
        )

    def as_dict(self) -> dict:
        return {"from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None,
                "campaign": self.campaign_id}


def record_export(uow: UnitOfWork, principal: Principal, ctx: RequestContext, fmt: str,
                  params: ExportFilter) -> None:
    append(uow.session, actor_any(principal), ctx, EventInput(
        action="audit.exported", target_type="audit", details={"format": fmt,
                                                               "filter": params.as_dict()}))


def _rows(session: Session, params: ExportFilter, batch: int = 1000) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        stmt = select(AuditEvent).where(AuditEvent.id > last_id)
        if params.start:
            stmt = stmt.where(AuditEvent.at >= params.start)
        if params.end:
            stmt = stmt.where(AuditEvent.at < params.end)
        if params.campaign_id is not None:
            stmt = stmt.where(AuditEvent.dossier_id.in_(
                select(Dossier.id).where(Dossier.campaign_id == params.campaign_id)))
        rows = session.scalars(stmt.order_by(AuditEvent.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()


def neutralise(value: object) -> object:
    """Spreadsheet formula injection guard (WEB-9)."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def stream(engine: Engine, fmt: str, params: ExportFilter) -> Iterator[str]:
    """Yield the export piece by piece; the last line carries the chain head."""
    with Session(engine) as session:
        head = None
        count = 0
        if fmt == "csv":
            buf = io.StringIO()
            writer = csv.writer(buf)
            writer.writerow(FIELDS)
            yield buf.getvalue()
        for row in _rows(session, params):
            record = to_record(row)
            head = record["hash"]
            count += 1
            if fmt == "jsonl":
                yield json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
            else:
                buf = io.StringIO()
                csv.writer(buf).writerow([neutralise(record[f]) for f in FIELDS])
                yield buf.getvalue()
        trailer = {"type": "chain_head", "head": head, "events": count,
                   "filter": params.as_dict()}
        if fmt == "jsonl":
            yield json.dumps(trailer, ensure_ascii=False, sort_keys=True) + "\n"
        else:
            buf = io.StringIO()
            csv.writer(buf).writerow(["#chain_head", head or "", count])
            yield buf.getvalue()
