"""Council sessions (phiên họp Hội đồng TĐKT tỉnh): quorum, ballots, results on the lines.

The council secretary (or an administrator) opens a session of a campaign with the Council's
total membership, those present and those absent who sent a written opinion; records the
votes for each line whose award goes to a Council ballot (Cờ thi đua, CSTĐ tỉnh); and closes
the session. On closing, each line's share is its votes for over the TOTAL membership (not
those present), against the award's threshold as the catalogue has it then (NĐ 98/2023 Điều
30 k7); a line that falls short ends as not approved, with the numbers as its reason, and a
line that passes stays pending and goes on along its dossier's route. Each command is audited.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from service.audit.log import EventInput, RequestContext, append, utcnow
from service.db.models import AwardType, Campaign, CouncilSession, CouncilVote, Proposal
from service.db.session import UnitOfWork
from service.domain.dossiers import DossierStatus, Outcome
from service.domain.roles import Role
from service.usecases.actors import actor_any, actor_for_org
from service.usecases.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.usecases.freezes import parse_day
from service.usecases.principal import Principal

SECRETARIES = (Role.COUNCIL_SECRETARY, Role.ADMIN)
READERS = (*SECRETARIES, Role.BOARD_HEAD, Role.BOARD_SPECIALIST, Role.CHAIRMAN, Role.AUDITOR)
FINISHED = {DossierStatus.APPROVED, DossierStatus.PARTLY_APPROVED, DossierStatus.REJECTED}
MAX_NOTE = 4000


def _require_secretary(principal: Principal) -> None:
    if not principal.has_role(*SECRETARIES):
        raise Forbidden("Chỉ Thư ký Hội đồng TĐKT hoặc quản trị hệ thống được ghi nhận phiên "
                        "họp Hội đồng.")


def _actor(principal: Principal):
    grants = principal.grants_for(Role.COUNCIL_SECRETARY) or principal.grants_for(Role.ADMIN)
    return actor_for_org(principal, grants[0]) if grants else actor_any(principal)


def _int(value: object, name: str, code: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"“{name}” phải là số nguyên không âm.", code=code)
    return value


def percent(value: Decimal, places: int = 2) -> str:
    """75,00% (Vietnamese decimal comma); a threshold 0.80 reads 80%."""
    share = value * 100
    if places:
        share = share.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return f"{share:f}".replace(".", ",") + "%"
    text = f"{share.normalize():f}"
    return text.replace(".", ",") + "%"


@dataclass(frozen=True)
class NewSession:
    campaign_id: object
    held_on: object
    members_total: object
    present: object
    absent_with_opinion: object = 0
    minutes_note: object = None


def open_session(uow: UnitOfWork, principal: Principal, ctx: RequestContext,
                 new: NewSession) -> CouncilSession:
    _require_secretary(principal)
    session = uow.session
    campaign_id = new.campaign_id
    if isinstance(campaign_id, bool) or not isinstance(campaign_id, int) or session.get(
            Campaign, campaign_id) is None:
        raise InvalidInput("Đợt thi đua không tồn tại.", code="invalid_campaign")
    held_on = parse_day(new.held_on, "held_on")
    if held_on is None:
        raise InvalidInput("Phải ghi ngày họp (held_on, dạng YYYY-MM-DD).", code="invalid_dates")
    total = _int(new.members_total, "members_total", "invalid_quorum")
    present = _int(new.present, "present", "invalid_quorum")
    absent = _int(new.absent_with_opinion if new.absent_with_opinion is not None else 0,
                  "absent_with_opinion", "invalid_quorum")
    if total < 1:
        raise InvalidInput("Tổng số thành viên Hội đồng phải lớn hơn 0.", code="invalid_quorum")
    if present + absent > total:
        raise InvalidInput(
            f"Số thành viên có mặt ({present}) cộng số vắng mặt có ý kiến bằng văn bản "
            f"({absent}) vượt tổng số thành viên Hội đồng ({total}).", code="invalid_quorum")
    if present * 3 < total * 2:
        need = -(-total * 2 // 3)
        raise InvalidInput(
            f"Phiên họp không đủ số lượng: có mặt {present}/{total} thành viên, cần ít nhất "
            f"2/3 tổng số thành viên ({need}).", code="no_quorum")
    if present * 5 < total * 4:
        need = -(-total * 4 // 5)
        raise InvalidInput(
            f"Phiên họp xét khen thưởng cần ít nhất 80% tổng số thành viên có mặt ({need}/"
            f"{total}); mới có {present}/{total}.", code="no_quorum")
    note = unicodedata.normalize("NFC", str(new.minutes_note or "")).strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput("Ghi chú biên bản dài quá 4000 ký tự.", code="invalid_note")
    row = CouncilSession(campaign_id=campaign_id, held_on=held_on, members_total=total,
                         present=present, absent_with_opinion=absent, state="open",
                         minutes_note=note, created_by_id=principal.user_id,
                         created_at=utcnow())
    session.add(row)
    session.flush()
    append(session, _actor(principal), ctx, EventInput(
        action="council.session_opened", target_type="council_session",
        target_id=str(row.id), details={"after": _ref(row)}))
    return row


def _open(uow: UnitOfWork, session_id: int) -> CouncilSession:
    row = uow.session.get(CouncilSession, session_id)
    if row is None:
        raise NotFound("Không tìm thấy phiên họp Hội đồng.")
    if row.state != "open":
        raise Conflict("Phiên họp Hội đồng đã kết thúc; không ghi nhận thêm được.",
                       code="session_closed")
    return row


def record_votes(uow: UnitOfWork, principal: Principal, ctx: RequestContext, session_id: int,
                 votes: object) -> CouncilSession:
    """Record (or correct) the votes for lines: ``[{"proposal_id", "votes_for"}]``."""
    _require_secretary(principal)
    row = _open(uow, session_id)
    if not isinstance(votes, list) or not votes:
        raise InvalidInput("Phải gửi danh sách phiếu: [{proposal_id, votes_for}].",
                           code="invalid_votes")
    session = uow.session
    existing = {v.proposal_id: v for v in row.votes}
    recorded = []
    for item in votes:
        if not isinstance(item, dict):
            raise InvalidInput("Mỗi dòng phiếu phải có proposal_id và votes_for.",
                               code="invalid_votes")
        line_id = item.get("proposal_id")
        line = session.get(Proposal, line_id) if isinstance(line_id, int) and not isinstance(
            line_id, bool) else None
        if line is None or line.dossier.campaign_id != row.campaign_id:
            raise InvalidInput(f"Dòng đề nghị {line_id!r} không thuộc đợt thi đua của phiên "
                               "họp.", code="invalid_votes")
        if line.dossier.status in FINISHED:
            raise InvalidInput(f"Hồ sơ của “{line.name}” đã kết thúc quy trình.",
                               code="dossier_finished")
        if line.outcome != Outcome.PENDING:
            raise InvalidInput(f"“{line.name}” đã không được chuyển tiếp; không bỏ phiếu.",
                               code="line_not_pending")
        award = session.get(AwardType, line.award_code)
        if award is None or award.ballot_threshold is None:
            raise InvalidInput(f"Hình thức đề nghị cho “{line.name}” không cần Hội đồng bỏ "
                               "phiếu.", code="no_ballot")
        count = item.get("votes_for")
        if isinstance(count, bool) or not isinstance(count, int) or not (
                0 <= count <= row.present):
            raise InvalidInput(f"Số phiếu đồng ý cho “{line.name}” phải từ 0 đến số thành viên "
                               f"có mặt ({row.present}); nhận được {count!r}.",
                               code="invalid_votes")
        vote = existing.get(line.id)
        before = vote.votes_for if vote else None
        if vote is None:
            vote = CouncilVote(session_id=row.id, proposal_id=line.id, votes_for=count)
            row.votes.append(vote)
            existing[line.id] = vote
        vote.votes_for = count
        recorded.append({"proposal_id": line.id, "dossier_id": line.dossier_id,
                         "name": line.name, "award_code": line.award_code,
                         "before": before, "votes_for": count})
    session.flush()
    append(session, _actor(principal), ctx, EventInput(
        action="council.votes_recorded", target_type="council_session",
        target_id=str(row.id), details={"votes": recorded}))
    return row


def close_session(uow: UnitOfWork, principal: Principal, ctx: RequestContext,
                  session_id: int) -> CouncilSession:
    _require_secretary(principal)
    row = _open(uow, session_id)
    if not row.votes:
        raise InvalidInput("Phiên họp chưa ghi nhận phiếu cho dòng đề nghị nào.",
                           code="no_votes")
    session = uow.session
    total = Decimal(row.members_total)
    results = []
    for vote in row.votes:
        line = vote.proposal
        award = session.get(AwardType, line.award_code)
        threshold = award.ballot_threshold if award is not None else None
        vote.threshold = threshold
        share = Decimal(vote.votes_for) / total
        vote.passed = threshold is None or share >= threshold
        before = {"outcome": line.outcome, "outcome_reason": line.outcome_reason}
        if (not vote.passed and line.outcome == Outcome.PENDING
                and line.dossier.status not in FINISHED):
            line.outcome = Outcome.NOT_APPROVED
            line.outcome_reason = (
                f"Không đạt tỷ lệ phiếu của Hội đồng: {vote.votes_for}/{row.members_total} = "
                f"{percent(share)} < {percent(threshold, 0)}")
        results.append({
            "proposal_id": line.id, "dossier_id": line.dossier_id, "name": line.name,
            "award_code": line.award_code, "votes_for": vote.votes_for,
            "members_total": row.members_total, "share": str(share.quantize(Decimal("0.0001"))),
            "threshold": str(threshold) if threshold is not None else None,
            "passed": vote.passed, "before": before,
            "after": {"outcome": line.outcome, "outcome_reason": line.outcome_reason}})
    row.state = "closed"
    row.closed_at = utcnow()
    session.flush()
    append(session, _actor(principal), ctx, EventInput(
        action="council.session_closed", target_type="council_session",
        target_id=str(row.id), details={"session": _ref(row), "results": results}))
    return row


def get_session(uow: UnitOfWork, principal: Principal, session_id: int) -> CouncilSession:
    if not principal.has_role(*READERS):
        raise Forbidden("Không có quyền xem phiên họp Hội đồng TĐKT.")
    row = uow.session.get(CouncilSession, session_id)
    if row is None:
        raise NotFound("Không tìm thấy phiên họp Hội đồng.")
    return row


def share_of(row: CouncilSession, vote: CouncilVote) -> Decimal:
    return Decimal(vote.votes_for) / Decimal(row.members_total)


def _ref(row: CouncilSession) -> dict:
    return {"campaign_id": row.campaign_id, "held_on": row.held_on.isoformat(),
            "members_total": row.members_total, "present": row.present,
            "absent_with_opinion": row.absent_with_opinion, "state": row.state}
