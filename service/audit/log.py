"""Appending to and reading the audit trail, inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from service.audit.chain import GENESIS, ChainReport, event_hash, verify_events
from service.db.models import AuditEvent, AuditSearch
from service.domain.text import fold

# Arbitrary constant naming the PostgreSQL advisory lock that serialises chain appends.
CHAIN_LOCK = 7_202_311
# Core statements, built once: an append runs in every command, and going through the ORM's
# unit of work for one INSERT cost about 0.2 ms more (bench/route.py).
_audit = AuditEvent.__table__
_CHAIN_HEAD = select(_audit.c.id, _audit.c.hash).order_by(_audit.c.id.desc()).limit(1)
_INSERT_EVENT = insert(_audit)
_INSERT_SEARCH = insert(AuditSearch.__table__)


@dataclass(frozen=True)
class Actor:
    """Who acts: the user, the role they act in and the organisation of that role."""

    user_id: int | None
    username: str | None
    role: str | None = None
    organisation_id: int | None = None
    organisation: str | None = None


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None = None
    address: str | None = None


@dataclass
class EventInput:
    action: str
    target_type: str | None = None
    target_id: str | None = None
    dossier_id: int | None = None
    step: str | None = None
    decision: str | None = None
    comment: str | None = None
    details: dict = field(default_factory=dict)
    documents: Sequence[dict] = ()


def utcnow() -> datetime:
    """Naive UTC, as stored (both SQLite and PostgreSQL keep it exactly)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_record(row: AuditEvent) -> dict:
    """The exported, hashed form of a stored event."""
    return {
        "id": row.id,
        "at": _iso(row.at),
        "actor_id": row.actor_id,
        "actor": row.actor,
        "role": row.role,
        "organisation_id": row.organisation_id,
        "organisation": row.organisation,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "dossier_id": row.dossier_id,
        "step": row.step,
        "decision": row.decision,
        "comment": row.comment,
        "details": row.details,
        "documents": row.documents,
        "request_id": row.request_id,
        "address": row.address,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def append(session: Session, actor: Actor, ctx: RequestContext, event: EventInput) -> AuditEvent:
    """Append one event to the chain in the current transaction.

    The row is written at once with a Core INSERT, after whatever the session has pending;
    the returned object carries its values but is not attached to the session.
    """
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
    last = session.execute(_CHAIN_HEAD).first()
    row = AuditEvent(
        id=(last.id + 1) if last else 1,
        at=utcnow(),
        actor_id=actor.user_id,
        actor=actor.username,
        role=actor.role,
        organisation_id=actor.organisation_id,
        organisation=actor.organisation,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        dossier_id=event.dossier_id,
        step=event.step,
        decision=event.decision,
        comment=event.comment,
        details=json.dumps(event.details, ensure_ascii=False, sort_keys=True, default=str),
        documents=json.dumps(list(event.documents), ensure_ascii=False, sort_keys=True),
        request_id=ctx.request_id,
        address=ctx.address,
        prev_hash=last.hash if last else GENESIS,
        hash="",
    )
    record = to_record(row)
    row.hash = record["hash"] = event_hash(record)
    session.execute(_INSERT_EVENT, {**record, "at": row.at})
    session.execute(_INSERT_SEARCH, {"event_id": row.id, "text": search_text(record)})
    return row


def search_text(record: dict) -> str:
    """What an auditor's text search matches in an event, folded (service/domain/text.py)."""
    parts = [str(record[name]) for name in ("actor", "organisation", "action", "target_id",
                                            "step", "decision", "comment") if record[name]]
    for blob in (record["details"], record["documents"]):
        parts.extend(_strings(json.loads(blob)))
    return fold(" ".join(parts))


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [] if value is None else [str(value)]


def iter_events(session: Session, batch: int = 1000) -> Iterator[AuditEvent]:
    """All events in chain order, read in batches (constant memory)."""
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()


def verify(session: Session) -> ChainReport:
    return verify_events(to_record(row) for row in iter_events(session))


def count(session: Session) -> int:
    return session.scalar(select(func.count(AuditEvent.id))) or 0


def dossier_events(session: Session, dossier_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.dossier_id == dossier_id).order_by(AuditEvent.id)
        )
    )
