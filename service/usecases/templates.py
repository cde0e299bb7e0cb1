"""Administering the paper templates: read versions, publish a new one after a trial render.

A template is JSON (wording, "Căn cứ" lines, signer titles, recipients). A new version is
accepted only if every paper made from it renders for a complete sample dossier, so a
missing key or an unknown ``{placeholder}`` is refused with its name, before any dossier
meets it. Published versions never change; dossiers keep the versions they pinned.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from service.audit.log import EventInput, RequestContext, append, utcnow
from service.db.models import DocumentTemplate
from service.db.session import UnitOfWork
from service.documents import template_store
from service.documents.catalogue import PAPERS, render
from service.documents.uploads import display_name
from service.domain.roles import Role
from service.usecases.actors import admin_actor
from service.usecases.errors import Forbidden, InvalidInput, NotFound
from service.usecases.principal import Principal

MAX_TEMPLATE_BYTES = 256 * 1024


@dataclass(frozen=True)
class TemplateSummary:
    name: str
    titles: tuple[str, ...]  # the papers made from it
    version: int
    sha256: str
    published_at: datetime
    note: str | None


def _require_admin(principal: Principal) -> None:
    if not principal.has_role(Role.ADMIN):
        raise Forbidden("Chỉ quản trị hệ thống được quản lý mẫu văn bản.")


def _papers_of(name: str) -> list[str]:
    return [key for key, kind in PAPERS.items() if kind.template == name]


def list_templates(uow: UnitOfWork, principal: Principal) -> list[TemplateSummary]:
    _require_admin(principal)
    latest = template_store.latest_versions(uow.session)
    rows = {(r.name, r.version): r for r in uow.session.scalars(select(DocumentTemplate))}
    out = []
    for name in sorted(latest):
        row = rows[(name, latest[name])]
        out.append(TemplateSummary(name, tuple(PAPERS[p].title for p in _papers_of(name)),
                                   row.version, row.sha256, row.published_at, row.note))
    return out


def versions(uow: UnitOfWork, principal: Principal, name: str) -> list[DocumentTemplate]:
    _require_admin(principal)
    _known(name)
    template_store.ensure_bundled(uow.session)
    return list(uow.session.scalars(select(DocumentTemplate).where(
        DocumentTemplate.name == name).order_by(DocumentTemplate.version.desc())))


def version(uow: UnitOfWork, principal: Principal, name: str, number: int | None
            ) -> DocumentTemplate:
    rows = versions(uow, principal, name)
    row = rows[0] if number is None else next((r for r in rows if r.version == number), None)
    if row is None:
        raise NotFound("Không tìm thấy phiên bản mẫu văn bản.")
    return row


def preview(uow: UnitOfWork, principal: Principal, name: str, number: int | None,
            paper: str | None = None) -> tuple[str, bytes]:
    """A sample paper rendered with this version: (file name, .docx bytes)."""
    row = version(uow, principal, name, number)
    papers = _papers_of(name)
    chosen = paper if paper in papers else papers[0]
    body = json.loads(row.body)
    title = PAPERS[chosen].title.replace("/", "-")
    return (display_name(f"{title} (mẫu v{row.version}).docx"),
            render(chosen, PAPERS[chosen].specimen(), body))


def publish(uow: UnitOfWork, principal: Principal, ctx: RequestContext, name: str,
            text: str, note: str = "") -> DocumentTemplate:
    """Check ``text`` and publish it as the next version of template ``name``."""
    _require_admin(principal)
    _known(name)
    if len(text.encode("utf-8")) > MAX_TEMPLATE_BYTES:
        raise InvalidInput("Mẫu văn bản quá lớn (tối đa 256 KiB).", code="template_too_large")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"Nội dung không phải JSON hợp lệ: dòng {exc.lineno}, cột "
                           f"{exc.colno}.", code="template_invalid") from None
    if not isinstance(body, dict):
        raise InvalidInput("Mẫu văn bản phải là một đối tượng JSON.", code="template_invalid")
    body = _nfc(body)
    if body.get("template") != name:
        raise InvalidInput(f"Khóa \"template\" phải là \"{name}\".", code="template_invalid")
    for paper in _papers_of(name):
        _trial(paper, body)
    session = uow.session
    latest = version(uow, principal, name, None)
    canonical = template_store.canonical(body)
    digest = template_store.sha256_of(canonical)
    if digest == latest.sha256:
        raise InvalidInput("Nội dung giống phiên bản hiện hành; không có gì để công bố.",
                           code="template_unchanged")
    row = DocumentTemplate(name=name, version=latest.version + 1, body=canonical, sha256=digest,
                           note=unicodedata.normalize("NFC", note or "").strip()[:300] or None,
                           published_at=utcnow(), published_by_id=principal.user_id)
    session.add(row)
    session.flush()
    append(session, admin_actor(principal), ctx, EventInput(
        action="template.published", target_type="document_template",
        target_id=f"{name}@{row.version}",
        details={"name": name, "version": row.version, "sha256": digest,
                 "previous_sha256": latest.sha256, "note": row.note}))
    return row


def _trial(paper: str, body: dict) -> None:
    kind = PAPERS[paper]
    try:
        render(paper, kind.specimen(), body)
    except KeyError as exc:
        raise InvalidInput(f"Mẫu “{kind.title}” thiếu hoặc dùng sai trường {exc.args[0]!r}.",
                           code="template_invalid") from None
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        raise InvalidInput(f"Không lập được “{kind.title}” từ mẫu này: {exc}.",
                           code="template_invalid") from None


def _known(name: str) -> None:
    if name not in template_store.template_names():
        raise NotFound("Không có mẫu văn bản này.")


def _nfc(value):
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {unicodedata.normalize("NFC", k): _nfc(v) for k, v in value.items()}
    return value
