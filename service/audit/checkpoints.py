"""Signed checkpoints of the audit chain, and the full verification that uses them.

A checkpoint says "event N has hash H" at a time, signed with the installation's audit key
(service/audit/signing.py), and is written in the database and, as a small JSON object, to the
object store: two places that one person rarely controls both of. Verification walks the chain
(edits, deletions inside the chain, reordering) and then checks every checkpoint against it:

- a checkpoint whose event is missing: the chain was cut after it (truncation);
- a checkpoint whose hash differs from the event's: the chain was rewritten and rehashed, which
  the hash links alone cannot show (recomputation without the key);
- a checkpoint whose signature does not verify: the checkpoint itself was forged or altered.

The store's copies are checked the same way as the rows, so deleting checkpoints from the
database hides nothing: their copies still name the events they signed. (A copy may also be
left by a checkpoint whose transaction rolled back; it is a true signed statement about the
chain, and checks like any other.)
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from service.audit.chain import ChainReport
from service.audit.log import CHAIN_LOCK, iter_events, to_record, utcnow, verify_events
from service.audit.signing import AuditSigner, verify_signature
from service.db.models import AuditCheckpoint, AuditEvent

STORE_PREFIX = "audit/checkpoints/"
_CHECKPOINTS = AuditCheckpoint.__table__


def payload(event_id: int, event_hash: str, at: datetime) -> dict:
    """What a checkpoint's signature covers."""
    return {"type": "tdkt-audit-checkpoint", "event_id": event_id, "hash": event_hash,
            "at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}


@dataclass(frozen=True)
class Checkpoint:
    id: int
    event_id: int
    event_hash: str
    at: datetime
    reason: str
    public_key: str
    signature: str

    def as_dict(self) -> dict:
        return {**payload(self.event_id, self.event_hash, self.at), "id": self.id,
                "reason": self.reason, "public_key": self.public_key,
                "signature": self.signature}


def write(session: Session, signer: AuditSigner, store, *, reason: str) -> Checkpoint | None:
    """Sign the chain's head in the caller's transaction and mirror it to the store; None when
    the chain is empty. The store copy is written first: a checkpoint row never exists
    without it (a copy without its row is only a checkpoint whose commit failed)."""
    if session.get_bind().dialect.name == "postgresql":
        # One writer of checkpoints (and of the chain) at a time: the next id is read below.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
    head = session.execute(select(AuditEvent.id, AuditEvent.hash)
                           .order_by(AuditEvent.id.desc()).limit(1)).first()
    if head is None:
        return None
    at = utcnow()
    signature = signer.sign(payload(head.id, head.hash, at))
    last = session.scalar(select(AuditCheckpoint.id).order_by(AuditCheckpoint.id.desc())
                          .limit(1))
    checkpoint = Checkpoint((last or 0) + 1, head.id, head.hash, at, reason, signer.public_key,
                            signature)
    data = json.dumps(checkpoint.as_dict(), ensure_ascii=False, sort_keys=True).encode()
    # The signature in the key: a copy left by a rolled-back attempt never blocks the next.
    key = f"{STORE_PREFIX}{checkpoint.id:08d}-{signature[:16]}.json"
    store.put(key, io.BytesIO(data), size=len(data),
              sha256=hashlib.sha256(data).hexdigest(), content_type="application/json")
    session.execute(insert(_CHECKPOINTS).values(
        id=checkpoint.id, event_id=checkpoint.event_id, event_hash=checkpoint.event_hash,
        at=checkpoint.at, reason=reason, public_key=checkpoint.public_key,
        signature=signature))
    return checkpoint


def latest(session: Session) -> Checkpoint | None:
    row = session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))
    return _from_row(row) if row else None


def due(session: Session) -> bool:
    """Whether events were added since the last checkpoint (the worker then writes one)."""
    head = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    last = latest(session)
    return head is not None and (last is None or last.event_id < head)


@dataclass(frozen=True)
class TrailReport:
    ok: bool
    events: int
    checkpoints: int
    first_bad_id: int | None = None
    reason: str | None = None
    head: str | None = None


def verify(session: Session, public_key: str, store=None) -> TrailReport:
    """The chain, then every checkpoint (database and store copies) against it."""
    chain: ChainReport = verify_events(to_record(row) for row in iter_events(session))
    if not chain.ok:
        return TrailReport(False, chain.checked, 0, chain.first_bad_id, chain.reason, chain.head)
    hashes = dict(session.execute(select(AuditEvent.id, AuditEvent.hash)).all())
    rows = [_from_row(r) for r in session.scalars(select(AuditCheckpoint)
                                                  .order_by(AuditCheckpoint.id))]
    signatures = {c.signature for c in rows}
    copies = [c for c in (_stored(store) if store is not None else [])
              if c.signature not in signatures]
    for checkpoint, where in [*((c, "") for c in rows), *((c, " (bản trong kho lưu trữ)")
                                                          for c in copies)]:
        problem = _check(checkpoint, hashes, public_key)
        if problem:
            return TrailReport(False, chain.checked, len(rows), checkpoint.event_id,
                               problem + where, chain.head)
    return TrailReport(True, chain.checked, len(rows), None, None, chain.head)


def _check(checkpoint: Checkpoint, hashes: dict[int, str], public_key: str) -> str | None:
    if not verify_signature(public_key, payload(checkpoint.event_id, checkpoint.event_hash,
                                                checkpoint.at), checkpoint.signature):
        return f"chữ ký của điểm kiểm #{checkpoint.id} không hợp lệ với khóa công khai"
    actual = hashes.get(checkpoint.event_id)
    if actual is None:
        return (f"sự kiện #{checkpoint.event_id} đã được ký ở điểm kiểm #{checkpoint.id} "
                "nhưng không còn: nhật ký đã bị cắt bớt")
    if actual != checkpoint.event_hash:
        return (f"sự kiện #{checkpoint.event_id} khác mã băm đã ký ở điểm kiểm "
                f"#{checkpoint.id}: chuỗi đã bị tính lại")
    return None


def _stored(store) -> list[Checkpoint]:
    copies = []
    for obj in store.list(prefix=STORE_PREFIX):
        data = json.loads(store.open(obj.key))
        at = datetime.strptime(data["at"], "%Y-%m-%dT%H:%M:%S.%fZ")
        copies.append(Checkpoint(int(data["id"]), int(data["event_id"]), data["hash"], at,
                                 data["reason"], data["public_key"], data["signature"]))
    return copies


def _from_row(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(row.id, row.event_id, row.event_hash, row.at, row.reason, row.public_key,
                      row.signature)
