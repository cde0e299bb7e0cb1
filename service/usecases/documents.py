"""Documents: upload versions (object first, then rows), list, download verified."""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import select

from service.audit.log import EventInput, RequestContext, append, utcnow
from service.db.models import Document, DocumentVersion, Dossier
from service.db.session import UnitOfWork
from service.documents.uploads import UploadRejected, check_upload, make_object_key
from service.domain.documents import DOCUMENT_KINDS
from service.domain.roles import UNIT_ROLES
from service.usecases.actors import actor_for_org
from service.usecases.dossiers import editable_dossier, get_dossier
from service.usecases.errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    StoredObjectCorrupt,
    UnsupportedMedia,
)
from service.usecases.principal import Grant, Principal
from storage.base import ObjectStore
from storage.errors import IntegrityError, ObjectNotFound

__all__ = ["DOCUMENT_KINDS", "Download", "current_versions", "download", "store_version",
           "upload", "version_ref"]


def version_ref(version: DocumentVersion) -> dict:
    """How an audit event names the exact bytes a step saw (and the PDF beside a paper)."""
    ref = {"id": version.document_id, "version": version.version, "sha256": version.sha256,
           "name": version.display_name}
    if version.pdf_sha256:
        ref["pdf_sha256"] = version.pdf_sha256
    return ref


def current_versions(dossier: Dossier) -> list[dict]:
    refs = []
    for document in dossier.documents:
        latest = next((v for v in document.versions if v.version == document.latest_version), None)
        if latest is not None:
            refs.append(version_ref(latest))
    return refs


def store_version(uow: UnitOfWork, store: ObjectStore, principal: Principal, dossier: Dossier,
                  *, kind: str, filename: str, data: bytes, document_id: int | None = None,
                  max_bytes: int) -> DocumentVersion:
    """Check the bytes, write the object, then add the rows (committed by the caller)."""
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput("Loại tài liệu không hợp lệ.")
    try:
        checked = check_upload(filename, data, max_bytes=max_bytes)
    except UploadRejected as exc:
        error = {413: PayloadTooLarge, 415: UnsupportedMedia}.get(exc.http_status, InvalidInput)
        raise error(exc.message, code=exc.code) from None
    session = uow.session
    now = utcnow()
    if document_id is None:
        document = Document(dossier_id=dossier.id, kind=kind, display_name=checked.display_name,
                            generated=False, latest_version=0,
                            created_by_id=principal.user_id, created_at=now)
        session.add(document)
        session.flush()
    else:
        document = session.get(Document, document_id)
        if document is None or document.dossier_id != dossier.id:
            raise NotFound("Không tìm thấy tài liệu.")
        if document.generated:
            raise InvalidInput("Văn bản do hệ thống lập không được thay bằng tệp tải lên; "
                               "hãy tải lên như một tài liệu mới.", code="document_generated")
    number = document.latest_version + 1
    key = make_object_key(dossier.id, document.id, number, checked.extension)
    store.put(key, io.BytesIO(data), size=checked.size, sha256=checked.sha256,
              content_type=checked.content_type,
              metadata={"dossier": str(dossier.id), "document": str(document.id),
                        "version": str(number)})
    version = DocumentVersion(
        document_id=document.id, version=number, object_key=key, sha256=checked.sha256,
        size=checked.size, content_type=checked.content_type,
        display_name=checked.display_name, uploaded_by_id=principal.user_id, uploaded_at=now,
    )
    session.add(version)
    document.latest_version = number
    document.display_name = checked.display_name
    session.flush()
    session.refresh(document, ["versions"])
    return version


def upload(uow: UnitOfWork, store: ObjectStore, principal: Principal, ctx: RequestContext,
           dossier_id: int, *, kind: str, filename: str, data: bytes,
           document_id: int | None = None, max_bytes: int) -> DocumentVersion:
    """The unit adds a document, or a new version of one, while preparing or supplementing."""
    dossier = editable_dossier(uow, principal, dossier_id)
    version = store_version(uow, store, principal, dossier, kind=kind, filename=filename,
                            data=data, document_id=document_id, max_bytes=max_bytes)
    grant = _unit_grant(principal, dossier)
    append(uow.session, actor_for_org(principal, grant), ctx, EventInput(
        action="document.uploaded", target_type="document", target_id=str(version.document_id),
        dossier_id=dossier.id, step=dossier.current_step,
        details={"kind": kind, "version": version.version, "size": version.size,
                 "content_type": version.content_type},
        documents=[version_ref(version)],
    ))
    return version


def _unit_grant(principal: Principal, dossier: Dossier) -> Grant | None:
    return next((g for g in principal.grants_for(*UNIT_ROLES)
                 if g.organisation_id == dossier.unit_id), None)


@dataclass(frozen=True)
class Download:
    data: bytes
    display_name: str
    content_type: str
    sha256: str
    version: int


def download(uow: UnitOfWork, store: ObjectStore, principal: Principal, ctx: RequestContext,
             dossier_id: int, document_id: int, version: int | None = None,
             rendition: str | None = None) -> Download:
    """Authorized, verified against the stored SHA-256, and recorded. ``rendition="pdf"``:
    the PDF kept beside a generated paper."""
    if rendition not in (None, "pdf"):
        raise InvalidInput("Định dạng tải xuống không hợp lệ (chỉ có: pdf).",
                           code="invalid_format")
    dossier = get_dossier(uow, principal, dossier_id)
    document = uow.session.get(Document, document_id)
    if document is None or document.dossier_id != dossier.id:
        raise NotFound("Không tìm thấy tài liệu.")
    number = version or document.latest_version
    row = uow.session.scalar(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id, DocumentVersion.version == number))
    if row is None:
        raise NotFound("Không tìm thấy phiên bản tài liệu.")
    key, sha256, size = row.object_key, row.sha256, row.size
    name, content_type = row.display_name, row.content_type
    if rendition == "pdf":
        if row.pdf_object_key is None:
            raise NotFound("Phiên bản này không có bản PDF.")
        key, sha256, size = row.pdf_object_key, row.pdf_sha256, row.pdf_size
        name, content_type = f"{name.rsplit('.', 1)[0]}.pdf", "application/pdf"
    try:
        data = store.open(key, expected_sha256=sha256, expected_size=size)
    except IntegrityError:
        raise StoredObjectCorrupt("Tài liệu trong kho lưu trữ không khớp mã băm đã ghi; "
                                  "đã chặn tải xuống.") from None
    except ObjectNotFound:
        raise NotFound("Nội dung tài liệu không còn trong kho lưu trữ.") from None
    append(uow.session, actor_for_org(principal, principal.primary_grant()), ctx, EventInput(
        action="document.downloaded", target_type="document", target_id=str(document.id),
        dossier_id=dossier.id, documents=[version_ref(row)],
        details={"format": rendition} if rendition else {},
    ))
    return Download(data, name, content_type, sha256, row.version)
