"""Freezes (tạm dừng xét khen thưởng): who may not be proposed while under review.

The board (its head or specialists) and administrators record a freeze on a person or a
collective of a unit, with its kind and reason, and lift it by giving it an end date; both are
audited. A frozen candidate cannot be put on a dossier, and a dossier already carrying one
cannot be approved at a step until the approver leaves that line out: in both cases the
message names the candidate and the freeze's reason.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.audit.log import EventInput, RequestContext, append, utcnow
from service.db.models import Dossier, Freeze, Organisation
from service.db.session import UnitOfWork
from service.domain.dossiers import Outcome, SubjectType
from service.domain.i18n import N_
from service.domain.roles import Role
from service.domain.text import fold
from service.usecases.actors import actor_any
from service.usecases.errors import Forbidden, InvalidInput, NotFound
from service.usecases.principal import Principal
from service.usecases.route import today_local

KINDS = {
    "discipline": N_("Đang xem xét kỷ luật"),
    "investigation": N_("Đang bị điều tra"),
    "inspection": N_("Đang thanh tra, kiểm tra"),
    "complaint": N_("Đang giải quyết khiếu nại, tố cáo"),
    "press": N_("Báo chí phản ánh đang xác minh"),
}
MANAGERS = (Role.ADMIN, Role.BOARD_HEAD, Role.BOARD_SPECIALIST)


def _require_manager(principal: Principal) -> None:
    if not principal.has_role(*MANAGERS):
        raise Forbidden("Chỉ Ban TĐKT hoặc quản trị hệ thống được ghi nhận tạm dừng xét "
                        "khen thưởng.")


@dataclass(frozen=True)
class NewFreeze:
    unit_id: object
    subject_type: object
    name: object
    kind: object
    reason: object
    since: object = None
    until: object = None


def create(uow: UnitOfWork, principal: Principal, ctx: RequestContext, new: NewFreeze) -> Freeze:
    _require_manager(principal)
    session = uow.session
    unit_id = new.unit_id if isinstance(new.unit_id, int) and not isinstance(
        new.unit_id, bool) else None
    if unit_id is None or session.get(Organisation, unit_id) is None:
        raise InvalidInput("Đơn vị không tồn tại.", code="invalid_unit")
    try:
        subject = SubjectType(str(new.subject_type))
    except ValueError:
        raise InvalidInput("Đối tượng phải là tập thể, cá nhân hoặc hộ gia đình.",
                           code="invalid_subject") from None
    name = unicodedata.normalize("NFC", str(new.name or "")).strip()
    reason = unicodedata.normalize("NFC", str(new.reason or "")).strip()
    if not name or len(name) > 300:
        raise InvalidInput("Phải ghi tên người hoặc tập thể (tối đa 300 ký tự).",
                           code="invalid_name")
    if new.kind not in KINDS:
        raise InvalidInput("Loại tạm dừng không hợp lệ.", code="invalid_kind")
    if not reason or len(reason) > 2000:
        raise InvalidInput("Phải ghi lý do tạm dừng (tối đa 2000 ký tự).", code="invalid_reason")
    since = parse_day(new.since, "since") or today_local()
    until = parse_day(new.until, "until")
    if until is not None and until < since:
        raise InvalidInput("Ngày kết thúc không được trước ngày bắt đầu.", code="invalid_dates")
    freeze = Freeze(unit_id=unit_id, subject_type=subject.value, name=name,
                    folded_name=fold(name)[:300], kind=str(new.kind), reason=reason,
                    since=since, until=until, created_by_id=principal.user_id,
                    created_at=utcnow())
    session.add(freeze)
    session.flush()
    append(session, actor_any(principal), ctx, EventInput(
        action="freeze.created", target_type="freeze", target_id=str(freeze.id),
        details={"after": _ref(freeze)}))
    return freeze


def lift(uow: UnitOfWork, principal: Principal, ctx: RequestContext, freeze_id: int,
         on: date) -> Freeze:
    """End a freeze on ``on`` (the day before it no longer applies is ``on``)."""
    _require_manager(principal)
    freeze = uow.session.get(Freeze, freeze_id)
    if freeze is None:
        raise NotFound("Không tìm thấy bản ghi tạm dừng.")
    if on < freeze.since:
        raise InvalidInput("Ngày kết thúc không được trước ngày bắt đầu.", code="invalid_dates")
    before = _ref(freeze)
    freeze.until = on
    uow.session.flush()
    append(uow.session, actor_any(principal), ctx, EventInput(
        action="freeze.lifted", target_type="freeze", target_id=str(freeze.id),
        details={"before": before, "after": _ref(freeze)}))
    return freeze


def list_active(uow: UnitOfWork, principal: Principal, on: date) -> list[Freeze]:
    _require_manager(principal)
    return list(uow.session.scalars(select(Freeze).where(*_active(on))
                                    .order_by(Freeze.unit_id, Freeze.name)))


def frozen(session: Session, unit_id: int, names: list[str], on: date) -> dict[str, Freeze]:
    """The freezes in force on ``on`` for these candidate names of the unit, by folded name."""
    folded = {fold(n) for n in names if n}
    if not folded:
        return {}
    rows = session.scalars(select(Freeze).where(
        Freeze.unit_id == unit_id, Freeze.folded_name.in_(folded), *_active(on)))
    return {row.folded_name: row for row in rows}


def refuse_frozen(session: Session, unit_id: int, names: list[str], on: date) -> None:
    """Refuse proposing any frozen candidate, naming them and the reason."""
    found = frozen(session, unit_id, names, on)
    if found:
        hits = _named(names, found)
        raise InvalidInput(_message(hits), code="candidate_frozen",
                           details={"names": [name for name, _f in hits]})


def refuse_frozen_lines(session: Session, dossier: Dossier, on: date) -> None:
    """At an approval: lines still going forward must not be frozen; leave them out first."""
    going = [line.name for line in dossier.proposals if line.outcome != Outcome.NOT_APPROVED]
    found = frozen(session, dossier.unit_id, going, on)
    if found:
        hits = _named(going, found)
        raise InvalidInput(_message(hits) + " Hãy đánh dấu không chuyển tiếp các dòng này.",
                           code="candidate_frozen",
                           details={"names": [name for name, _f in hits]})


def _named(names: list[str], found: dict[str, Freeze]) -> list[tuple[str, Freeze]]:
    """Each frozen candidate as the dossier writes it, with its freeze."""
    return [(name, found[fold(name)]) for name in dict.fromkeys(names) if fold(name) in found]


def _message(hits: list[tuple[str, Freeze]]) -> str:
    parts = [f"“{name}” ({KINDS[f.kind].lower()}: {f.reason})" for name, f in hits]
    return "Đang tạm dừng xét khen thưởng: " + "; ".join(parts) + "."


def _active(on: date):
    return (Freeze.since <= on, or_(Freeze.until.is_(None), Freeze.until >= on))


def parse_day(value: object, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"“{name}” phải là ngày dạng YYYY-MM-DD.",
                           code="invalid_dates") from None


def _ref(freeze: Freeze) -> dict:
    return {"unit_id": freeze.unit_id, "subject_type": freeze.subject_type, "name": freeze.name,
            "kind": freeze.kind, "reason": freeze.reason, "since": freeze.since.isoformat(),
            "until": freeze.until.isoformat() if freeze.until else None}
