"""Process models: validate, draft, publish immutable versions, compare versions.

Editing a model in the browser (the modeler) works on one draft per model, saved as often as
the administrator likes: a draft must be safe XML (XML-1) but may still break our rules, which
are reported with each save. Publishing takes the XML the modeler posts, compiles it, and adds
a new version unless the same bytes are already one (versions are content-addressed).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from service.audit.log import EventInput, RequestContext, append, utcnow
from service.db.models import ProcessModel, ProcessModelDraft, ProcessModelVersion, User
from service.db.session import UnitOfWork
from service.domain.documents import DOCUMENT_KINDS, GENERATED_KINDS
from service.domain.roles import KNOWN_ROLES, Role
from service.engine import diff as model_diff
from service.engine import registry
from service.engine.xml import XmlRejected, parse_xml
from service.usecases.actors import admin_actor
from service.usecases.errors import Forbidden, InvalidInput, NotFound, PayloadTooLarge
from service.usecases.principal import Principal

MAX_BPMN_BYTES = 2 * 1024 * 1024
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")
_TOO_LARGE = "Tệp BPMN vượt quá 2 MiB."


def _issue(code: str, message: str) -> dict:
    return {"element_id": None, "element_name": None, "code": code, "message": message}


def validate(xml: bytes) -> list[dict]:
    """A per-element report for an uploaded diagram; empty when it can be published."""
    if len(xml) > MAX_BPMN_BYTES:
        return [_issue("too_large", _TOO_LARGE)]
    issues = registry.validate_bpmn(xml, set(KNOWN_ROLES), document_kinds=DOCUMENT_KINDS,
                                     generated_kinds=GENERATED_KINDS)
    return [asdict(issue) for issue in issues]


def _require_admin(principal: Principal | None, message: str) -> None:
    if principal is not None and not principal.has_role(Role.ADMIN):
        raise Forbidden(message)


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.match(key):
        raise InvalidInput("Mã quy trình chỉ gồm chữ cái, chữ số, “_”, “.”, “-” "
                           "(tối đa 100 ký tự).", code="invalid_key")
    return key


def publish(uow: UnitOfWork, principal: Principal | None, ctx: RequestContext, xml: bytes,
            *, key: str | None = None) -> ProcessModelVersion:
    """Publish a diagram as a new version (SE-7); the same content returns the existing one."""
    return publish_version(uow, principal, ctx, xml, key=key)[0]


def publish_version(uow: UnitOfWork, principal: Principal | None, ctx: RequestContext,
                    xml: bytes, *, key: str | None = None) -> tuple[ProcessModelVersion, bool]:
    """Publish and say whether a version was created (False: these bytes already were one).

    Either way a draft of the model with exactly these bytes is removed: it has been published.
    """
    _require_admin(principal, "Chỉ quản trị hệ thống được công bố quy trình.")
    if len(xml) > MAX_BPMN_BYTES:
        raise InvalidInput(_TOO_LARGE, code="invalid_bpmn",
                           details={"issues": [_issue("too_large", _TOO_LARGE)]})
    if key is not None:
        _check_key(key)
    try:
        compiled = registry.compile_bpmn(xml, set(KNOWN_ROLES), document_kinds=DOCUMENT_KINDS,
                                         generated_kinds=GENERATED_KINDS)
    except registry.ModelInvalid as exc:
        raise InvalidInput(
            "Quy trình không hợp lệ.", code="invalid_bpmn",
            details={"issues": [asdict(i) for i in exc.issues]},
        ) from None
    model_key = key or compiled.process_id
    session = uow.session
    model = session.scalar(select(ProcessModel).where(ProcessModel.key == model_key))
    if model is None:
        model = ProcessModel(key=model_key, name=compiled.name or model_key, created_at=utcnow())
        session.add(model)
        session.flush()
    _drop_published_draft(uow, model, compiled.sha256)
    existing = session.scalar(
        select(ProcessModelVersion).where(
            ProcessModelVersion.model_id == model.id,
            ProcessModelVersion.sha256 == compiled.sha256,
        )
    )
    if existing is not None:
        return existing, False
    number = (session.scalar(
        select(func.max(ProcessModelVersion.version)).where(
            ProcessModelVersion.model_id == model.id)
    ) or 0) + 1
    version = ProcessModelVersion(
        model_id=model.id,
        version=number,
        xml=compiled.xml,
        sha256=compiled.sha256,
        spec_json=compiled.spec_json,
        steps_json=json.dumps(
            {k: asdict(v) for k, v in compiled.steps.items()}, ensure_ascii=False
        ),
        published_at=utcnow(),
        published_by_id=principal.user_id if principal else None,
    )
    model.name = compiled.name or model.name
    session.add(version)
    session.flush()
    append(session, admin_actor(principal), ctx, EventInput(
        action="process_model.published",
        target_type="process_model_version",
        target_id=str(version.id),
        details={"key": model_key, "version": number, "sha256": compiled.sha256},
    ))
    return version, True


def _drop_published_draft(uow: UnitOfWork, model: ProcessModel, sha256: str) -> None:
    draft = uow.session.scalar(select(ProcessModelDraft).where(
        ProcessModelDraft.model_id == model.id, ProcessModelDraft.sha256 == sha256))
    if draft is not None:
        uow.session.delete(draft)
        uow.session.flush()


def latest_version(uow: UnitOfWork, key: str) -> ProcessModelVersion:
    version = uow.session.scalar(
        select(ProcessModelVersion)
        .join(ProcessModel)
        .where(ProcessModel.key == key)
        .order_by(ProcessModelVersion.version.desc())
        .limit(1)
    )
    if version is None:
        raise NotFound(f"Chưa có phiên bản nào của quy trình “{key}”.")
    return version


def list_models(uow: UnitOfWork) -> list[ProcessModel]:
    return list(uow.session.scalars(select(ProcessModel).order_by(ProcessModel.key)))


def get_model(uow: UnitOfWork, key: str) -> ProcessModel:
    model = uow.session.scalar(select(ProcessModel).where(ProcessModel.key == key))
    if model is None:
        raise NotFound(f"Không tìm thấy quy trình “{key}”.")
    return model


def get_version(uow: UnitOfWork, key: str, number: int) -> ProcessModelVersion:
    version = uow.session.scalar(
        select(ProcessModelVersion)
        .join(ProcessModel)
        .where(ProcessModel.key == key, ProcessModelVersion.version == number)
    )
    if version is None:
        raise NotFound("Không tìm thấy phiên bản quy trình.")
    return version


def xml_sha256(xml: bytes) -> str:
    return hashlib.sha256(xml).hexdigest()


# -- the modeler: drafts and sources ----------------------------------------------------------


@dataclass(frozen=True)
class DraftInfo:
    """The model's draft as the modeler shows it (without its XML)."""

    sha256: str
    updated_at: datetime
    base_version: int | None
    updated_by: str
    updated_by_name: str


@dataclass(frozen=True)
class EditorState:
    model: ProcessModel
    versions: list[ProcessModelVersion]  # newest first
    draft: DraftInfo | None


@dataclass(frozen=True)
class Source:
    key: str
    name: str
    latest_version: int | None
    draft: DraftInfo | None
    origin: str  # "draft" or "version"
    xml: bytes


def _draft_row(uow: UnitOfWork, model: ProcessModel, *, with_xml: bool = False):
    stmt = select(ProcessModelDraft, User).join(
        User, User.id == ProcessModelDraft.updated_by_id).where(
        ProcessModelDraft.model_id == model.id)
    if with_xml:
        stmt = stmt.options(undefer(ProcessModelDraft.xml))
    row = uow.session.execute(stmt).first()
    if row is None:
        return None, None
    draft, user = row
    return draft, DraftInfo(draft.sha256, draft.updated_at, draft.base_version, user.username,
                            user.full_name)


def _versions_newest_first(uow: UnitOfWork, model: ProcessModel) -> list[ProcessModelVersion]:
    return list(uow.session.scalars(
        select(ProcessModelVersion).where(ProcessModelVersion.model_id == model.id)
        .order_by(ProcessModelVersion.version.desc())))


def editor_state(uow: UnitOfWork, principal: Principal, key: str) -> EditorState:
    """What the modeler page shows around the diagram."""
    _require_admin(principal, "Chỉ quản trị hệ thống được sửa quy trình.")
    model = get_model(uow, key)
    _, info = _draft_row(uow, model)
    return EditorState(model, _versions_newest_first(uow, model), info)


def source(uow: UnitOfWork, principal: Principal, key: str,
           version: int | None = None) -> Source:
    """The XML the modeler opens: the draft if there is one, else the latest version.

    With ``version``, that version's XML.
    """
    _require_admin(principal, "Chỉ quản trị hệ thống được sửa quy trình.")
    model = get_model(uow, key)
    latest = uow.session.scalar(select(func.max(ProcessModelVersion.version)).where(
        ProcessModelVersion.model_id == model.id))
    draft, info = _draft_row(uow, model, with_xml=version is None)
    if version is None and draft is not None:
        return Source(model.key, model.name, latest, info, "draft", draft.xml)
    number = version if version is not None else latest
    if number is None:
        raise NotFound(f"Chưa có phiên bản nào của quy trình “{key}”.")
    chosen = get_version(uow, key, number)
    return Source(model.key, model.name, latest, info, "version", chosen.xml)


def check_safe_xml(xml: bytes) -> None:
    """Refuse what no draft may hold: too large (413), not UTF-8, not well formed, DOCTYPE."""
    if len(xml) > MAX_BPMN_BYTES:
        raise PayloadTooLarge(_TOO_LARGE, details={"issues": [_issue("too_large", _TOO_LARGE)]})
    try:
        parse_xml(xml, max_bytes=MAX_BPMN_BYTES)
    except XmlRejected as exc:
        raise InvalidInput(exc.message, code="unsafe_xml",
                           details={"issues": [_issue(f"xml_{exc.code}", exc.message)]}) from None


def save_draft(uow: UnitOfWork, principal: Principal, ctx: RequestContext, key: str,
               xml: bytes) -> tuple[ProcessModelDraft, list[dict]]:
    """Save (or overwrite) the model's one draft; its issues are reported, not blocking.

    Audited as ``process_model.draft_saved`` with the SHA-256 of the XML.
    """
    _require_admin(principal, "Chỉ quản trị hệ thống được sửa quy trình.")
    model = get_model(uow, key)
    check_safe_xml(xml)
    issues = validate(xml)
    sha256 = xml_sha256(xml)
    now = utcnow()
    session = uow.session
    draft = session.scalar(select(ProcessModelDraft).where(
        ProcessModelDraft.model_id == model.id))
    if draft is None:
        base = session.scalar(select(func.max(ProcessModelVersion.version)).where(
            ProcessModelVersion.model_id == model.id))
        draft = ProcessModelDraft(model_id=model.id, base_version=base)
        session.add(draft)
    # An overwrite keeps the version the draft started from.
    draft.xml, draft.sha256 = xml, sha256
    draft.updated_by_id, draft.updated_at = principal.user_id, now
    session.flush()
    append(session, admin_actor(principal), ctx, EventInput(
        action="process_model.draft_saved", target_type="process_model",
        target_id=str(model.id),
        details={"key": model.key, "sha256": sha256, "size": len(xml),
                 "base_version": draft.base_version, "issues": len(issues)},
    ))
    return draft, issues


def check(principal: Principal, xml: bytes) -> list[dict]:
    """Validate XML posted from the modeler (nothing is stored)."""
    _require_admin(principal, "Chỉ quản trị hệ thống được sửa quy trình.")
    return validate(xml)


# -- comparing versions -------------------------------------------------------------------------


def diff_versions(uow: UnitOfWork, key: str, before: int | None,
                  after: int | None) -> tuple[int, int, model_diff.ModelDiff]:
    """Elements added, removed and changed from version ``before`` to ``after``.

    Missing numbers default to the latest version and the one before it.
    """
    latest = latest_version(uow, key).version
    after = latest if after is None else after
    before = max(after - 1, 1) if before is None else before
    old, new = get_version(uow, key, before), get_version(uow, key, after)
    try:
        result = model_diff.diff_models(old.xml, new.xml)
    except XmlRejected as exc:  # published versions passed the loader: only if limits changed
        raise InvalidInput(exc.message, code="unsafe_xml") from None
    return before, after, result
