"""Dossier use cases: open, read, list, edit proposal lines, history."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.base import ExecutableOption

from service.audit.log import EventInput, RequestContext, append, dossier_events, utcnow
from service.db.models import (
    AwardType,
    Campaign,
    ClusterMembership,
    Dossier,
    Organisation,
    ProcessInstance,
    Proposal,
    Task,
    User,
)
from service.db.session import UnitOfWork
from service.domain.dossiers import (
    DossierRuleError,
    DossierStatus,
    clean_text,
    parse_proposal,
)
from service.domain.roles import UNIT_ROLES
from service.usecases import freezes, process_models, route
from service.usecases.actors import actor_for_org
from service.usecases.errors import Forbidden, InvalidInput, NotFound
from service.usecases.principal import Principal
from service.usecases.scoping import can_edit_dossier, can_see_dossier, dossier_filter

MAX_PROPOSALS = 500
EDITABLE = {DossierStatus.DRAFT, DossierStatus.RETURNED}
# What the dossier list page shows besides each dossier: its unit and its campaign.
LIST_LOAD = (joinedload(Dossier.unit), joinedload(Dossier.campaign))


def award_subjects(uow: UnitOfWork) -> dict[str, str]:
    return dict(uow.session.execute(select(AwardType.code, AwardType.subject)).all())


def create_dossier(uow: UnitOfWork, principal: Principal, ctx: RequestContext, *,
                   campaign_id: object, title: object, proposals: object,
                   unit_id: int | None = None) -> Dossier:
    """A unit opens a dossier for a campaign; the route starts at the unit's preparation."""
    grants = principal.grants_for(*UNIT_ROLES)
    if unit_id is not None:
        grants = [g for g in grants if g.organisation_id == unit_id]
    if not grants:
        raise Forbidden("Chỉ cán bộ TĐKT hoặc thủ trưởng đơn vị được lập hồ sơ.")
    grant = grants[0]
    session = uow.session
    campaign = _campaign(uow, campaign_id)
    try:
        title_text = clean_text(title, field="Tiêu đề hồ sơ", max_length=300)
        if proposals is None:
            proposals = []
        if not isinstance(proposals, list) or len(proposals) > MAX_PROPOSALS:
            raise DossierRuleError(f"Danh sách đề nghị phải là một danh sách tối đa "
                                   f"{MAX_PROPOSALS} dòng.")
        catalogue = award_subjects(uow)
        lines = [parse_proposal(raw, catalogue) for raw in proposals]
    except DossierRuleError as exc:
        raise InvalidInput(str(exc)) from None
    freezes.refuse_frozen(session, grant.organisation_id, [line.name for line in lines],
                          route.today_local())
    membership = session.scalar(
        select(ClusterMembership).where(
            ClusterMembership.unit_id == grant.organisation_id,
            ClusterMembership.year == campaign.year,
        )
    )
    version = process_models.latest_version(uow, campaign.process_model_key)
    now = utcnow()
    dossier = Dossier(
        campaign_id=campaign.id, unit_id=grant.organisation_id,
        cluster_id=membership.cluster_id if membership else None,
        title=title_text, status=DossierStatus.DRAFT, submitted=False,
        created_by_id=principal.user_id, created_at=now, updated_at=now,
        documents=[],  # a new dossier has none: known without asking the database
    )
    dossier.campaign = campaign
    for position, line in enumerate(lines, start=1):
        dossier.proposals.append(Proposal(
            position=position, subject_type=line.subject_type.value, name=line.name,
            award_code=line.award_code, summary=line.summary, outcome="pending",
        ))
    session.add(dossier)
    session.flush()
    instance, _ = route.start_instance(session, dossier, version, now)
    append(session, actor_for_org(principal, grant), ctx, EventInput(
        action="dossier.created", target_type="dossier", target_id=str(dossier.id),
        dossier_id=dossier.id, step=dossier.current_step,
        details={"after": {"title": dossier.title, "campaign_id": campaign.id,
                           "model_version": version.version, "model_sha256": version.sha256,
                           "proposals": [_line_dict(p) for p in dossier.proposals]}},
    ))
    return dossier


def _campaign(uow: UnitOfWork, campaign_id: object) -> Campaign:
    try:
        cid = int(campaign_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput("Mã đợt thi đua không hợp lệ.") from None
    campaign = uow.session.get(Campaign, cid)
    if campaign is None:
        raise InvalidInput("Không tìm thấy đợt thi đua.")
    return campaign


def _line_dict(p: Proposal) -> dict:
    return {"id": p.id, "subject_type": p.subject_type, "name": p.name,
            "award_code": p.award_code, "summary": p.summary, "outcome": p.outcome}


def get_dossier(uow: UnitOfWork, principal: Principal, dossier_id: int, *,
                load: Sequence[ExecutableOption] = ()) -> Dossier:
    dossier = uow.session.get(Dossier, dossier_id, options=load)
    if dossier is None or not can_see_dossier(principal, dossier):
        raise NotFound("Không tìm thấy hồ sơ.")
    return dossier


def editable_dossier(uow: UnitOfWork, principal: Principal, dossier_id: int) -> Dossier:
    """A dossier its unit may still change: while it is being prepared or supplemented."""
    dossier = get_dossier(uow, principal, dossier_id)
    if not can_edit_dossier(principal, dossier):
        raise Forbidden("Chỉ đơn vị lập hồ sơ được sửa hồ sơ.")
    if dossier.status not in EDITABLE:
        raise InvalidInput("Hồ sơ đã trình, không thể sửa. Chờ cấp trên trả lại để bổ sung.",
                           code="not_editable")
    return dossier


def add_proposal(uow: UnitOfWork, principal: Principal, ctx: RequestContext,
                 dossier_id: int, raw: dict) -> Proposal:
    dossier = editable_dossier(uow, principal, dossier_id)
    if len(dossier.proposals) >= MAX_PROPOSALS:
        raise InvalidInput(f"Hồ sơ đã có tối đa {MAX_PROPOSALS} dòng đề nghị.")
    try:
        line = parse_proposal(raw, award_subjects(uow))
    except DossierRuleError as exc:
        raise InvalidInput(str(exc)) from None
    freezes.refuse_frozen(uow.session, dossier.unit_id, [line.name], route.today_local())
    proposal = Proposal(
        position=max((p.position for p in dossier.proposals), default=0) + 1,
        subject_type=line.subject_type.value, name=line.name, award_code=line.award_code,
        summary=line.summary, outcome="pending",
    )
    dossier.proposals.append(proposal)
    dossier.updated_at = utcnow()
    uow.session.flush()
    append(uow.session, _unit_actor(principal, dossier), ctx, EventInput(
        action="proposal.added", target_type="proposal", target_id=str(proposal.id),
        dossier_id=dossier.id, step=dossier.current_step,
        details={"after": _line_dict(proposal)},
    ))
    return proposal


def remove_proposal(uow: UnitOfWork, principal: Principal, ctx: RequestContext,
                    dossier_id: int, proposal_id: int) -> None:
    dossier = editable_dossier(uow, principal, dossier_id)
    proposal = next((p for p in dossier.proposals if p.id == proposal_id), None)
    if proposal is None:
        raise NotFound("Không tìm thấy dòng đề nghị.")
    before = _line_dict(proposal)
    dossier.proposals.remove(proposal)
    dossier.updated_at = utcnow()
    uow.session.flush()
    append(uow.session, _unit_actor(principal, dossier), ctx, EventInput(
        action="proposal.removed", target_type="proposal", target_id=str(proposal_id),
        dossier_id=dossier.id, step=dossier.current_step, details={"before": before},
    ))


def _unit_actor(principal: Principal, dossier: Dossier):
    grant = next(g for g in principal.grants_for(*UNIT_ROLES)
                 if g.organisation_id == dossier.unit_id)
    return actor_for_org(principal, grant)


@dataclass(frozen=True)
class DossierQuery:
    campaign_id: int | None = None
    status: str | None = None
    unit_id: int | None = None
    text: str | None = None
    cursor: str | None = None
    limit: int = 50


def list_dossiers(uow: UnitOfWork, principal: Principal, query: DossierQuery, *,
                  load: Sequence[ExecutableOption] = LIST_LOAD,
                  ) -> tuple[list[Dossier], str | None]:
    """Dossiers in scope, newest first, with an opaque cursor for the next page.

    ``load``: loader options for the relationships the caller shows (see LIST_LOAD).
    """
    stmt: Select = select(Dossier).where(dossier_filter(principal)).options(*load)
    if query.campaign_id is not None:
        stmt = stmt.where(Dossier.campaign_id == query.campaign_id)
    if query.status:
        stmt = stmt.where(Dossier.status == query.status)
    if query.unit_id is not None:
        stmt = stmt.where(Dossier.unit_id == query.unit_id)
    if query.text:
        like = f"%{query.text.strip()}%"
        stmt = stmt.join(Organisation, Organisation.id == Dossier.unit_id).where(
            or_(Dossier.title.ilike(like), Organisation.name.ilike(like))
        )
    if query.cursor:
        last_id = decode_cursor(query.cursor)
        stmt = stmt.where(Dossier.id < last_id)
    limit = max(1, min(query.limit, 200))
    rows = list(uow.session.scalars(stmt.order_by(Dossier.id.desc()).limit(limit + 1)).unique())
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": last_id}).encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["id"])
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("Con trỏ phân trang không hợp lệ.") from None


def history(uow: UnitOfWork, principal: Principal, dossier_id: int) -> list[dict]:
    """Every step of a dossier from the audit trail: who, when, decision, documents seen."""
    get_dossier(uow, principal, dossier_id)
    events = dossier_events(uow.session, dossier_id)
    instance = uow.session.scalar(
        select(ProcessInstance).where(ProcessInstance.dossier_id == dossier_id))
    steps = route.steps_of(instance.model_version) if instance else {}
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    names = dict(uow.session.execute(
        select(User.id, User.full_name).where(User.id.in_(actor_ids))).all()) if actor_ids else {}
    entries = []
    for e in events:
        details = json.loads(e.details)
        step = steps.get(e.step) if e.step else None
        entries.append({
            "id": e.id, "at": e.at, "actor": e.actor, "actor_name": names.get(e.actor_id),
            "role": e.role, "organisation": e.organisation, "action": e.action,
            "step": e.step,
            "step_name": details.get("step_name") or (step.name if step else e.step),
            "decision": e.decision,
            "decision_label": details.get("decision_label") or (
                step.decision_label(e.decision) if step and e.decision else None),
            "comment": e.comment, "documents": json.loads(e.documents), "details": details,
        })
    return entries


def open_task_of(uow: UnitOfWork, dossier_id: int) -> list[Task]:
    return list(uow.session.scalars(
        select(Task).where(and_(Task.dossier_id == dossier_id, Task.state == "open"))
        .options(joinedload(Task.claimed_by))  # the detail page shows who claimed each
    ))



def award_catalogue(uow: UnitOfWork) -> list[AwardType]:
    return list(uow.session.scalars(select(AwardType).order_by(AwardType.code)))
