"""Process models: upload with a validation report, publish immutable versions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from sqlalchemy import func, select

from service.audit.log import Actor, EventInput, RequestContext, append, utcnow
from service.db.models import ProcessModel, ProcessModelVersion
from service.db.session import UnitOfWork
from service.domain.roles import KNOWN_ROLES, Role
from service.engine import registry
from service.usecases.errors import Forbidden, InvalidInput, NotFound
from service.usecases.principal import Principal

MAX_BPMN_BYTES = 2 * 1024 * 1024


def validate(xml: bytes) -> list[dict]:
    """A per-element report for an uploaded diagram; empty when it can be published."""
    if len(xml) > MAX_BPMN_BYTES:
        return [{"element_id": None, "element_name": None, "code": "too_large",
                 "message": "Tệp BPMN vượt quá 2 MiB."}]
    return [asdict(issue) for issue in registry.validate_bpmn(xml, set(KNOWN_ROLES))]


def publish(uow: UnitOfWork, principal: Principal | None, ctx: RequestContext, xml: bytes,
            *, key: str | None = None) -> ProcessModelVersion:
    """Publish a diagram as a new version (SE-7); the same content returns the existing one."""
    if principal is not None and not principal.has_role(Role.ADMIN):
        raise Forbidden("Chỉ quản trị hệ thống được công bố quy trình.")
    if len(xml) > MAX_BPMN_BYTES:
        raise InvalidInput("Tệp BPMN vượt quá 2 MiB.")
    try:
        compiled = registry.compile_bpmn(xml, set(KNOWN_ROLES))
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
    existing = session.scalar(
        select(ProcessModelVersion).where(
            ProcessModelVersion.model_id == model.id,
            ProcessModelVersion.sha256 == compiled.sha256,
        )
    )
    if existing is not None:
        return existing
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
    actor = _actor(principal)
    append(session, actor, ctx, EventInput(
        action="process_model.published",
        target_type="process_model_version",
        target_id=str(version.id),
        details={"key": model_key, "version": number, "sha256": compiled.sha256},
    ))
    return version


def _actor(principal: Principal | None) -> Actor:
    if principal is None:
        return Actor(None, "system", None, None, None)
    grant = principal.grants_for(Role.ADMIN)
    g = grant[0] if grant else principal.primary_grant()
    return Actor(principal.user_id, principal.username, g.role if g else None,
                 g.organisation_id if g else None, g.organisation_name if g else None)


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
