"""Exports of the audit trail made in the background for the auditor's page.

Asking for an export records it in the trail (``audit.exported``) and queues a job; the worker
writes the file (service/audit/export.py ``write_to``, constant memory, signed trailer) to a
temporary file, reporting how many events are done every couple of seconds, stores it in the
object store, and marks the export ready. The page shows the progress and then offers the
file, which is checked against its SHA-256 when downloaded.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from service.audit import export as audit_export
from service.audit.log import utcnow
from service.audit.signing import AuditSigner
from service.db.models import AuditExport, Job
from service.db.session import UnitOfWork
from service.domain.roles import Role
from service.jobs import queue
from service.usecases.errors import Forbidden, InvalidInput, NotFound, StoredObjectCorrupt
from service.usecases.principal import Principal
from storage.errors import IntegrityError

JOB_KIND = "audit.export"
OBJECT_PREFIX = "audit/exports/"
PROGRESS_EVERY_SECONDS = 2.0
CONTENT_TYPES = audit_export.MEDIA_TYPES


def _require_auditor(principal: Principal) -> None:
    if not principal.has_role(Role.AUDITOR, Role.ADMIN):
        raise Forbidden("Chỉ kiểm toán viên hoặc quản trị được xuất nhật ký.")


def request_export(uow: UnitOfWork, principal: Principal, ctx, fmt: str,
                   params: audit_export.ExportFilter) -> AuditExport:
    """Record the export and queue it (recording it is not a change of data, so an auditor
    may ask: this is the one command a read-only account runs)."""
    _require_auditor(principal)
    if fmt not in CONTENT_TYPES:
        raise InvalidInput("Định dạng xuất phải là jsonl, csv hoặc xlsx.", code="invalid_format")
    now = utcnow()
    row = AuditExport(format=fmt, filter=json.dumps(params.as_dict(), sort_keys=True),
                      requested_by_id=principal.user_id, requested_at=now, state="pending",
                      events_done=0)
    uow.session.add(row)
    uow.session.flush()
    job = queue.enqueue(uow, kind=JOB_KIND, dedupe_key=f"audit-export:{row.id}",
                        payload={"export_id": row.id}, now=now)
    row.job_id = job.id
    audit_export.record_export(uow, principal, ctx, fmt, params)
    return row


@dataclass(frozen=True)
class ExportView:
    """An export as its page shows it; ``state`` is "failed" once its job gave up."""

    id: int
    format: str
    requested_at: datetime
    state: str
    events_done: int
    events_total: int | None
    sha256: str | None
    size: int | None
    error: str | None


def exports_of(uow: UnitOfWork, principal: Principal, limit: int = 20) -> list[ExportView]:
    _require_auditor(principal)
    rows = uow.session.execute(
        select(AuditExport, Job.state, Job.last_error)
        .outerjoin(Job, Job.id == AuditExport.job_id)
        .where(AuditExport.requested_by_id == principal.user_id)
        .order_by(AuditExport.id.desc()).limit(limit)).all()
    return [_view(*row) for row in rows]


def get_export(uow: UnitOfWork, principal: Principal, export_id: int) -> ExportView:
    _require_auditor(principal)
    row = uow.session.execute(
        select(AuditExport, Job.state, Job.last_error)
        .outerjoin(Job, Job.id == AuditExport.job_id)
        .where(AuditExport.id == export_id)).first()
    if row is None or row[0].requested_by_id != principal.user_id:
        raise NotFound("Không tìm thấy bản xuất nhật ký.")
    return _view(*row)


def _view(row: AuditExport, job_state: str | None, job_error: str | None) -> ExportView:
    state = "failed" if job_state == queue.FAILED and row.state != "ready" else row.state
    return ExportView(row.id, row.format, row.requested_at, state, row.events_done,
                      row.events_total, row.sha256, row.size,
                      job_error if state == "failed" else None)


def download(uow: UnitOfWork, store, principal: Principal, export_id: int
             ) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of a ready export, checked against its SHA-256."""
    view = get_export(uow, principal, export_id)
    if view.state != "ready":
        raise NotFound("Bản xuất chưa sẵn sàng.")
    row = uow.session.get(AuditExport, export_id)
    try:
        data = store.open(row.object_key, expected_sha256=row.sha256, expected_size=row.size)
    except IntegrityError:
        raise StoredObjectCorrupt("Tệp xuất trong kho lưu trữ không khớp mã băm.") from None
    stamp = row.requested_at.strftime("%Y%m%dT%H%M%SZ")  # as audit_export.filename names it
    return f"nhat-ky-{stamp}.{row.format}", CONTENT_TYPES[row.format], data


@queue.handler(JOB_KIND)
def make_export(runtime: queue.Runtime, job: Job) -> queue.Apply:
    """Write the export file, store it, and return the step that marks it ready."""
    export_id = json.loads(job.payload)["export_id"]
    with UnitOfWork(runtime.engine, write=False) as uow:
        row = uow.session.get(AuditExport, export_id)
        fmt, params = row.format, audit_export.ExportFilter.from_dict(json.loads(row.filter))
    _set(runtime.engine, export_id, state="running", events_done=0,
         events_total=audit_export.count(runtime.engine, params))
    signer = AuditSigner(runtime.settings["audit_key"])
    last = [time.monotonic()]

    def progress(done: int) -> None:
        if time.monotonic() - last[0] >= PROGRESS_EVERY_SECONDS:
            _set(runtime.engine, export_id, events_done=done)
            last[0] = time.monotonic()

    with tempfile.TemporaryFile() as out:
        total = audit_export.write_to(runtime.engine, fmt, params, signer, runtime.store, out,
                                      progress=progress)
        _set(runtime.engine, export_id, events_done=total)
        size = out.tell()
        out.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: out.read(1 << 20), b""):
            digest.update(chunk)
        out.seek(0)
        key = f"{OBJECT_PREFIX}{export_id:08d}-a{job.attempts}.{fmt}"
        runtime.store.put(key, out, size=size, sha256=digest.hexdigest(),
                          content_type=CONTENT_TYPES[fmt])

    def apply(uow: UnitOfWork) -> None:
        uow.session.execute(update(AuditExport).where(AuditExport.id == export_id).values(
            state="ready", object_key=key, sha256=digest.hexdigest(), size=size,
            events_done=total, events_total=total, finished_at=utcnow()))

    return apply


def _set(engine, export_id: int, **values) -> None:
    with UnitOfWork(engine) as uow:
        uow.session.execute(update(AuditExport).where(AuditExport.id == export_id)
                            .values(**values))
        uow.commit()
