"""Campaigns (phong trào / đợt thi đua): list and register."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from service.audit.log import EventInput, RequestContext, append, utcnow
from service.db.models import Campaign, Organisation, ProcessModel
from service.db.session import UnitOfWork
from service.domain.dossiers import DossierRuleError, clean_text
from service.domain.roles import OrgKind, Role
from service.usecases.actors import actor_for_org
from service.usecases.errors import Forbidden, InvalidInput
from service.usecases.principal import Principal


def list_campaigns(uow: UnitOfWork) -> list[Campaign]:
    return list(uow.session.scalars(select(Campaign).order_by(Campaign.deadline.desc())))


def _date(value: object, field: str, *, required: bool) -> date | None:
    if value in (None, "") and not required:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"“{field}” phải là ngày dạng YYYY-MM-DD.") from None


def create_campaign(uow: UnitOfWork, principal: Principal, ctx: RequestContext,
                    data: dict) -> Campaign:
    """The board or an administrator registers a campaign with its deadline."""
    grants = principal.grants_for(Role.BOARD_SPECIALIST, Role.BOARD_HEAD, Role.ADMIN)
    if not grants:
        raise Forbidden("Chỉ Ban TĐKT hoặc quản trị được tạo đợt thi đua.")
    session = uow.session
    try:
        code = clean_text(data.get("code"), field="Mã đợt", max_length=64)
        name = clean_text(data.get("name"), field="Tên đợt thi đua", max_length=300)
        plan = clean_text(data.get("plan_reference"), field="Kế hoạch", max_length=200,
                          required=False)
    except DossierRuleError as exc:
        raise InvalidInput(str(exc)) from None
    deadline = _date(data.get("deadline"), "Hạn nộp", required=True)
    start = _date(data.get("start_date"), "Ngày bắt đầu", required=False)
    if start and deadline and start > deadline:
        raise InvalidInput("Ngày bắt đầu phải trước hạn nộp.")
    model_key = str(data.get("process_model_key") or "commendation")
    if session.scalar(select(ProcessModel).where(ProcessModel.key == model_key)) is None:
        raise InvalidInput(f"Không có quy trình “{model_key}”.")
    if session.scalar(select(Campaign).where(Campaign.code == code)) is not None:
        raise InvalidInput(f"Mã đợt “{code}” đã tồn tại.", code="duplicate")
    province = session.scalar(
        select(Organisation).where(Organisation.kind == OrgKind.PROVINCE).order_by(Organisation.id)
    )
    if province is None:
        raise InvalidInput("Chưa cấu hình tỉnh.")
    campaign = Campaign(
        code=code, name=name, year=int(data.get("year") or deadline.year),
        plan_reference=plan or None, start_date=start, deadline=deadline,
        organisation_id=province.id, process_model_key=model_key, created_at=utcnow(),
    )
    session.add(campaign)
    session.flush()
    append(session, actor_for_org(principal, grants[0]), ctx, EventInput(
        action="campaign.created", target_type="campaign", target_id=str(campaign.id),
        details={"after": {"code": code, "name": name, "deadline": deadline.isoformat()}},
    ))
    return campaign
