"""A cluster's scoring table, its member units' scores and its leading-unit ballot.

For each campaign the cluster leader (Trưởng Cụm/Khối, or an administrator) sets the scoring
table: criteria scored up to a maximum, bonus lines (điểm thưởng, added) and penalty lines
(điểm trừ, subtracted). The table can be replaced only while nobody has scored on it. Each
member unit (ClusterMembership for the campaign's year) enters its own points (tự chấm); the
leader records the cross-checked points (chấm chéo). The ranking orders the member units by
their checked totals; a unit with no checked point is listed last as "chưa chấm".

The ballot (bỏ phiếu suy tôn) elects ``seats`` leading units: among the member units with
more than half of the valid ballots, those with the most votes; a tie at the last seat elects
none of the tied units and says a re-vote is needed. Closing sets
``ClusterMembership.is_leading_unit`` for that year (and clears it for the others). Each
command is audited.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from service.audit.log import EventInput, RequestContext, append, utcnow
from service.db.models import (
    BallotCount,
    Campaign,
    ClusterBallot,
    ClusterMembership,
    Organisation,
    ScoringCriterion,
    UnitScore,
)
from service.db.session import UnitOfWork
from service.domain.roles import OrgKind, Role
from service.usecases.actors import actor_for_org
from service.usecases.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.usecases.principal import Principal

KINDS = ("criterion", "bonus", "penalty")
UNIT_ROLES = (Role.UNIT_OFFICER, Role.UNIT_HEAD)
BOARD_READERS = (Role.ADMIN, Role.AUDITOR, Role.BOARD_HEAD, Role.BOARD_SPECIALIST)
MAX_POINTS = Decimal("1000")
MAX_TITLE = 500
MAX_NOTE = 2000
NOT_SCORED = "chưa chấm"


# --- who and what ------------------------------------------------------------------------

def _cluster(uow: UnitOfWork, cluster_id: int) -> Organisation:
    org = uow.session.get(Organisation, cluster_id)
    if org is None or org.kind != OrgKind.CLUSTER:
        raise NotFound("Không tìm thấy Cụm/Khối thi đua.")
    return org


def _campaign(uow: UnitOfWork, campaign_id: int) -> Campaign:
    campaign = uow.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("Không tìm thấy đợt thi đua.")
    return campaign


def _leader_grant(principal: Principal, cluster_id: int):
    for grant in principal.grants_for(Role.CLUSTER_LEADER):
        if grant.organisation_id == cluster_id:
            return grant
    return None


def _require_leader(principal: Principal, cluster_id: int):
    """The actor of the leader of this cluster, or of an administrator."""
    grant = _leader_grant(principal, cluster_id)
    if grant is not None:
        return actor_for_org(principal, grant)
    admins = principal.grants_for(Role.ADMIN)
    if admins:
        return actor_for_org(principal, admins[0])
    raise Forbidden("Chỉ Trưởng Cụm/Khối thi đua này hoặc quản trị hệ thống được thực hiện "
                    "thao tác này.")


def members(uow: UnitOfWork, cluster_id: int, year: int) -> list[tuple[ClusterMembership,
                                                                       Organisation]]:
    rows = uow.session.execute(
        select(ClusterMembership, Organisation)
        .join(Organisation, Organisation.id == ClusterMembership.unit_id)
        .where(ClusterMembership.cluster_id == cluster_id, ClusterMembership.year == year)
        .order_by(Organisation.code))
    return [(m, o) for m, o in rows]


def _member_ids(uow: UnitOfWork, cluster_id: int, year: int) -> dict[int, Organisation]:
    return {o.id: o for _, o in members(uow, cluster_id, year)}


def _criteria(uow: UnitOfWork, cluster_id: int, campaign_id: int) -> list[ScoringCriterion]:
    return list(uow.session.scalars(
        select(ScoringCriterion)
        .where(ScoringCriterion.cluster_id == cluster_id,
               ScoringCriterion.campaign_id == campaign_id)
        .order_by(ScoringCriterion.position)))


def _points(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(f"“{name}” phải là một số.", code="invalid_points")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(f"“{name}” phải là một số.", code="invalid_points") from None
    if not number.is_finite():
        raise InvalidInput(f"“{name}” phải là một số.", code="invalid_points")
    if number != number.quantize(Decimal("0.01")):
        raise InvalidInput(f"“{name}” chỉ được có tối đa 2 chữ số thập phân.",
                           code="invalid_points")
    return number.quantize(Decimal("0.01"))


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"“{name}” phải là số nguyên không âm.", code="invalid_ballot")
    return value


def _text(value: object, limit: int) -> str | None:
    text = unicodedata.normalize("NFC", str(value or "")).strip() or None
    if text is not None and len(text) > limit:
        raise InvalidInput(f"Nội dung dài quá {limit} ký tự.", code="invalid_text")
    return text


def fmt(value: Decimal | None) -> str | None:
    """Points as a plain string: 18.50 → "18.5", 20.00 → "20"."""
    if value is None:
        return None
    return f"{value.normalize():f}"


# --- the scoring table ---------------------------------------------------------------------

def set_table(uow: UnitOfWork, principal: Principal, ctx: RequestContext, cluster_id: int,
              campaign_id: int, criteria: object) -> list[ScoringCriterion]:
    actor = _require_leader(principal, cluster_id)
    _cluster(uow, cluster_id)
    _campaign(uow, campaign_id)
    if not isinstance(criteria, list) or not criteria:
        raise InvalidInput("Phải gửi danh sách tiêu chí: [{title, max_points, kind}].",
                           code="invalid_table")
    session = uow.session
    old = _criteria(uow, cluster_id, campaign_id)
    if old and session.scalar(select(func.count(UnitScore.id)).where(
            UnitScore.criterion_id.in_([c.id for c in old]))):
        raise Conflict("Đã có đơn vị chấm điểm theo bảng này; không thay bảng chấm điểm được.",
                       code="scores_exist")
    lines = []
    for position, item in enumerate(criteria, start=1):
        if not isinstance(item, dict):
            raise InvalidInput("Mỗi dòng phải có title và max_points.", code="invalid_table")
        title = _text(item.get("title"), MAX_TITLE)
        if title is None:
            raise InvalidInput(f"Dòng {position}: thiếu tên tiêu chí.", code="invalid_table")
        kind = item.get("kind", "criterion")
        if kind not in KINDS:
            raise InvalidInput(f"Dòng {position}: loại phải là criterion, bonus hoặc penalty.",
                               code="invalid_table")
        top = _points(item.get("max_points"), "max_points")
        if not (0 < top <= MAX_POINTS):
            raise InvalidInput(f"Dòng {position} (“{title}”): điểm tối đa phải lớn hơn 0 và "
                               f"không quá {fmt(MAX_POINTS)}.", code="invalid_table")
        lines.append(ScoringCriterion(cluster_id=cluster_id, campaign_id=campaign_id,
                                      position=position, title=title, max_points=top,
                                      kind=kind))
    for row in old:
        session.delete(row)
    session.flush()
    session.add_all(lines)
    session.flush()
    append(session, actor, ctx, EventInput(
        action="cluster.table_set", target_type="cluster", target_id=str(cluster_id),
        details={"campaign_id": campaign_id, "before": [_line(c) for c in old],
                 "after": [_line(c) for c in lines]}))
    return lines


def get_table(uow: UnitOfWork, principal: Principal, cluster_id: int,
              campaign_id: int) -> list[ScoringCriterion]:
    _require_reader(uow, principal, cluster_id, campaign_id)
    return _criteria(uow, cluster_id, campaign_id)


def _line(c: ScoringCriterion) -> dict:
    return {"position": c.position, "title": c.title, "max_points": fmt(c.max_points),
            "kind": c.kind}


# --- scores --------------------------------------------------------------------------------

def _scored_lines(uow: UnitOfWork, cluster_id: int, campaign_id: int, scores: object
                  ) -> list[tuple[ScoringCriterion, Decimal, dict]]:
    table = {c.id: c for c in _criteria(uow, cluster_id, campaign_id)}
    if not table:
        raise InvalidInput("Cụm/Khối chưa có bảng chấm điểm cho đợt thi đua này.",
                           code="no_table")
    if not isinstance(scores, list) or not scores:
        raise InvalidInput("Phải gửi danh sách điểm: [{criterion_id, points}].",
                           code="invalid_points")
    seen, lines = set(), []
    for item in scores:
        if not isinstance(item, dict):
            raise InvalidInput("Mỗi dòng điểm phải có criterion_id và points.",
                               code="invalid_points")
        criterion = table.get(item.get("criterion_id"))
        if criterion is None:
            raise InvalidInput(f"Tiêu chí {item.get('criterion_id')!r} không thuộc bảng chấm "
                               "điểm của Cụm/Khối.", code="invalid_points")
        if criterion.id in seen:
            raise InvalidInput(f"Tiêu chí “{criterion.title}” được gửi hai lần.",
                               code="invalid_points")
        seen.add(criterion.id)
        points = _points(item.get("points"), "points")
        if not (0 <= points <= criterion.max_points):
            raise InvalidInput(
                f"Điểm của “{criterion.title}” phải từ 0 đến {fmt(criterion.max_points)}; "
                f"nhận được {fmt(points)}.", code="points_out_of_range")
        lines.append((criterion, points, item))
    return lines


def _upsert(uow: UnitOfWork, criterion: ScoringCriterion, unit_id: int) -> UnitScore:
    row = uow.session.scalar(select(UnitScore).where(UnitScore.criterion_id == criterion.id,
                                                     UnitScore.unit_id == unit_id))
    if row is None:
        row = UnitScore(criterion_id=criterion.id, unit_id=unit_id)
        uow.session.add(row)
    return row


def self_score(uow: UnitOfWork, principal: Principal, ctx: RequestContext, cluster_id: int,
               campaign_id: int, scores: object, unit_id: object = None) -> int:
    """A member unit's own points; returns the unit's id."""
    _cluster(uow, cluster_id)
    campaign = _campaign(uow, campaign_id)
    member = _member_ids(uow, cluster_id, campaign.year)
    grants = [g for g in principal.grants_for(*UNIT_ROLES) if g.organisation_id in member]
    if unit_id is not None:
        grants = [g for g in grants if g.organisation_id == unit_id]
    if not grants:
        raise Forbidden("Chỉ cán bộ TĐKT hoặc thủ trưởng của đơn vị thành viên Cụm/Khối được "
                        "tự chấm điểm.")
    grant = grants[0]
    unit = grant.organisation_id
    recorded = []
    for criterion, points, _item in _scored_lines(uow, cluster_id, campaign_id, scores):
        row = _upsert(uow, criterion, unit)
        recorded.append({"criterion_id": criterion.id, "title": criterion.title,
                         "before": fmt(row.self_points), "points": fmt(points)})
        row.self_points = points
    uow.session.flush()
    append(uow.session, actor_for_org(principal, grant), ctx, EventInput(
        action="cluster.self_scored", target_type="cluster", target_id=str(cluster_id),
        details={"campaign_id": campaign_id, "unit_id": unit, "scores": recorded}))
    return unit


def check_scores(uow: UnitOfWork, principal: Principal, ctx: RequestContext, cluster_id: int,
                 campaign_id: int, unit_id: object, scores: object) -> int:
    actor = _require_leader(principal, cluster_id)
    _cluster(uow, cluster_id)
    campaign = _campaign(uow, campaign_id)
    member = _member_ids(uow, cluster_id, campaign.year)
    if isinstance(unit_id, bool) or unit_id not in member:
        raise InvalidInput(f"Đơn vị {unit_id!r} không là thành viên Cụm/Khối năm "
                           f"{campaign.year}.", code="not_a_member")
    recorded = []
    for criterion, points, item in _scored_lines(uow, cluster_id, campaign_id, scores):
        row = _upsert(uow, criterion, unit_id)
        note = _text(item.get("note"), MAX_NOTE)
        recorded.append({"criterion_id": criterion.id, "title": criterion.title,
                         "self_points": fmt(row.self_points),
                         "before": fmt(row.checked_points), "points": fmt(points),
                         "note": note})
        row.checked_points = points
        if note is not None:
            row.note = note
    uow.session.flush()
    append(uow.session, actor, ctx, EventInput(
        action="cluster.scores_checked", target_type="cluster", target_id=str(cluster_id),
        details={"campaign_id": campaign_id, "unit_id": unit_id, "scores": recorded}))
    return unit_id


# --- ranking -------------------------------------------------------------------------------

def _require_reader(uow: UnitOfWork, principal: Principal, cluster_id: int,
                    campaign_id: int) -> Campaign:
    _cluster(uow, cluster_id)
    campaign = _campaign(uow, campaign_id)
    if principal.has_role(*BOARD_READERS):
        return campaign
    if any(g.organisation_id == cluster_id
           for g in principal.grants_for(Role.CLUSTER_LEADER, Role.CLUSTER_SECRETARY)):
        return campaign
    member = _member_ids(uow, cluster_id, campaign.year)
    if any(g.organisation_id in member for g in principal.grants_for(*UNIT_ROLES)):
        return campaign
    raise Forbidden("Không có quyền xem bảng điểm của Cụm/Khối thi đua này.")


def _signed(criterion: ScoringCriterion, points: Decimal) -> Decimal:
    return -points if criterion.kind == "penalty" else points


def ranking(uow: UnitOfWork, principal: Principal, cluster_id: int, campaign_id: int) -> dict:
    campaign = _require_reader(uow, principal, cluster_id, campaign_id)
    table = _criteria(uow, cluster_id, campaign_id)
    by_id = {c.id: c for c in table}
    scores: dict[int, list[UnitScore]] = {}
    if table:
        for row in uow.session.scalars(select(UnitScore).where(
                UnitScore.criterion_id.in_(list(by_id)))):
            scores.setdefault(row.unit_id, []).append(row)
    units = []
    for membership, org in members(uow, cluster_id, campaign.year):
        rows = scores.get(org.id, [])
        own = [r for r in rows if r.self_points is not None]
        checked = [r for r in rows if r.checked_points is not None]
        self_total = sum((_signed(by_id[r.criterion_id], r.self_points) for r in own),
                         Decimal(0)) if own else None
        checked_total = sum((_signed(by_id[r.criterion_id], r.checked_points)
                             for r in checked), Decimal(0)) if checked else None
        units.append({
            "unit_id": org.id, "code": org.code, "name": org.name,
            "is_leading_unit": membership.is_leading_unit,
            "self_total": self_total, "checked_total": checked_total,
            "status": "đã chấm" if checked else NOT_SCORED,
            "lines": [{"criterion_id": r.criterion_id, "self_points": fmt(r.self_points),
                       "checked_points": fmt(r.checked_points), "note": r.note}
                      for r in sorted(rows, key=lambda r: by_id[r.criterion_id].position)]})
    scored = sorted((u for u in units if u["checked_total"] is not None),
                    key=lambda u: (-u["checked_total"], u["code"]))
    rank, previous = 0, None
    for index, unit in enumerate(scored, start=1):
        if unit["checked_total"] != previous:
            rank, previous = index, unit["checked_total"]
        unit["rank"] = rank
    unscored = [u for u in units if u["checked_total"] is None]
    for unit in unscored:
        unit["rank"] = None
    ordered = scored + unscored
    for unit in ordered:
        unit["self_total"] = fmt(unit["self_total"])
        unit["checked_total"] = fmt(unit["checked_total"])
    base = sum((c.max_points for c in table if c.kind == "criterion"), Decimal(0))
    return {"cluster_id": cluster_id, "campaign_id": campaign_id, "year": campaign.year,
            "max_total": fmt(base), "criteria": table, "units": ordered}


# --- the ballot ----------------------------------------------------------------------------

def _open_ballot(uow: UnitOfWork, cluster_id: int, campaign_id: int) -> ClusterBallot | None:
    return uow.session.scalar(select(ClusterBallot).where(
        ClusterBallot.cluster_id == cluster_id, ClusterBallot.campaign_id == campaign_id,
        ClusterBallot.state == "open"))


def latest_ballot(uow: UnitOfWork, principal: Principal, cluster_id: int,
                  campaign_id: int) -> ClusterBallot:
    _require_reader(uow, principal, cluster_id, campaign_id)
    row = uow.session.scalar(select(ClusterBallot).where(
        ClusterBallot.cluster_id == cluster_id, ClusterBallot.campaign_id == campaign_id)
        .order_by(ClusterBallot.id.desc()).limit(1))
    if row is None:
        raise NotFound("Cụm/Khối chưa bỏ phiếu suy tôn trong đợt thi đua này.")
    return row


def open_ballot(uow: UnitOfWork, principal: Principal, ctx: RequestContext, cluster_id: int,
                campaign_id: int, seats: object, ballots_issued: object) -> ClusterBallot:
    actor = _require_leader(principal, cluster_id)
    _cluster(uow, cluster_id)
    campaign = _campaign(uow, campaign_id)
    member = _member_ids(uow, cluster_id, campaign.year)
    seats = _count(seats, "seats")
    issued = _count(ballots_issued, "ballots_issued")
    if not (1 <= seats <= len(member)):
        raise InvalidInput(f"Số đơn vị suy tôn phải từ 1 đến số đơn vị thành viên "
                           f"({len(member)}).", code="invalid_ballot")
    if issued < 1:
        raise InvalidInput("Số phiếu phát ra phải lớn hơn 0.", code="invalid_ballot")
    if _open_ballot(uow, cluster_id, campaign_id) is not None:
        raise Conflict("Cụm/Khối đang có một cuộc bỏ phiếu chưa kết thúc.", code="ballot_open")
    row = ClusterBallot(cluster_id=cluster_id, campaign_id=campaign_id, ballots_issued=issued,
                        seats=seats, state="open", created_by_id=principal.user_id,
                        created_at=utcnow())
    uow.session.add(row)
    uow.session.flush()
    append(uow.session, actor, ctx, EventInput(
        action="cluster.ballot_opened", target_type="cluster_ballot", target_id=str(row.id),
        details={"after": _ref(row)}))
    return row


def _current(uow: UnitOfWork, cluster_id: int, campaign_id: int) -> ClusterBallot:
    row = _open_ballot(uow, cluster_id, campaign_id)
    if row is None:
        raise Conflict("Cụm/Khối không có cuộc bỏ phiếu nào đang mở.", code="no_open_ballot")
    return row


def record_ballot(uow: UnitOfWork, principal: Principal, ctx: RequestContext, cluster_id: int,
                  campaign_id: int, ballots_returned: object, ballots_valid: object,
                  counts: object) -> ClusterBallot:
    """Record the whole tally (it replaces a previous one): ``[{unit_id, votes_for}]``."""
    actor = _require_leader(principal, cluster_id)
    _cluster(uow, cluster_id)
    campaign = _campaign(uow, campaign_id)
    row = _current(uow, cluster_id, campaign_id)
    member = _member_ids(uow, cluster_id, campaign.year)
    returned = _count(ballots_returned, "ballots_returned")
    valid = _count(ballots_valid, "ballots_valid")
    if returned > row.ballots_issued:
        raise InvalidInput(f"Số phiếu thu về ({returned}) vượt số phiếu phát ra "
                           f"({row.ballots_issued}).", code="invalid_ballot")
    if valid > returned:
        raise InvalidInput(f"Số phiếu hợp lệ ({valid}) vượt số phiếu thu về ({returned}).",
                           code="invalid_ballot")
    if not isinstance(counts, list) or not counts:
        raise InvalidInput("Phải gửi số phiếu của từng đơn vị: [{unit_id, votes_for}].",
                           code="invalid_ballot")
    tally: dict[int, int] = {}
    for item in counts:
        unit_id = item.get("unit_id") if isinstance(item, dict) else None
        if isinstance(unit_id, bool) or unit_id not in member:
            raise InvalidInput(f"Đơn vị {unit_id!r} không là thành viên Cụm/Khối năm "
                               f"{campaign.year}.", code="not_a_member")
        if unit_id in tally:
            raise InvalidInput(f"Đơn vị “{member[unit_id].name}” được gửi hai lần.",
                               code="invalid_ballot")
        votes = _count(item.get("votes_for"), "votes_for")
        if votes > valid:
            raise InvalidInput(f"Số phiếu của “{member[unit_id].name}” ({votes}) vượt số phiếu "
                               f"hợp lệ ({valid}).", code="invalid_ballot")
        tally[unit_id] = votes
    before = _ref(row)
    existing = {c.unit_id: c for c in row.counts}
    for unit_id, count in list(existing.items()):
        if unit_id not in tally:
            row.counts.remove(count)
    for unit_id, votes in tally.items():
        if unit_id in existing:
            existing[unit_id].votes_for = votes
        else:
            row.counts.append(BallotCount(unit_id=unit_id, votes_for=votes))
    row.ballots_returned, row.ballots_valid = returned, valid
    uow.session.flush()
    append(uow.session, actor, ctx, EventInput(
        action="cluster.ballot_recorded", target_type="cluster_ballot", target_id=str(row.id),
        details={"before": before, "after": _ref(row)}))
    return row


def close_ballot(uow: UnitOfWork, principal: Principal, ctx: RequestContext, cluster_id: int,
                 campaign_id: int) -> ClusterBallot:
    actor = _require_leader(principal, cluster_id)
    _cluster(uow, cluster_id)
    campaign = _campaign(uow, campaign_id)
    row = _current(uow, cluster_id, campaign_id)
    if row.ballots_valid is None or not row.counts:
        raise InvalidInput("Chưa ghi nhận kết quả kiểm phiếu.", code="no_votes")
    valid = row.ballots_valid
    qualified = sorted((c for c in row.counts if c.votes_for * 2 > valid),
                       key=lambda c: -c.votes_for)
    notes = []
    if len(qualified) > row.seats:
        cutoff = qualified[row.seats - 1].votes_for
        if qualified[row.seats].votes_for == cutoff:
            tied = [c for c in qualified if c.votes_for == cutoff]
            qualified = [c for c in qualified if c.votes_for > cutoff]
            names = ", ".join(f"“{c.unit.name}”" for c in tied)
            notes.append(f"Các đơn vị {names} cùng đạt {cutoff}/{valid} phiếu hợp lệ ở vị trí "
                         f"suy tôn cuối cùng; chưa suy tôn đơn vị nào trong số này, cần bỏ "
                         f"phiếu lại.")
        else:
            qualified = qualified[:row.seats]
    if len(qualified) < row.seats and not notes:
        notes.append(f"Chỉ {len(qualified)}/{row.seats} đơn vị đạt trên 50% số phiếu hợp lệ "
                     f"({valid}).")
    elected = {c.unit_id for c in qualified}
    for count in row.counts:
        count.elected = count.unit_id in elected
    leading_before = []
    for membership, org in members(uow, cluster_id, campaign.year):
        if membership.is_leading_unit:
            leading_before.append(org.id)
        membership.is_leading_unit = org.id in elected
    row.result_note = " ".join(notes) or None
    row.state = "closed"
    row.closed_at = utcnow()
    uow.session.flush()
    append(uow.session, actor, ctx, EventInput(
        action="cluster.ballot_closed", target_type="cluster_ballot", target_id=str(row.id),
        details={"ballot": _ref(row), "year": campaign.year,
                 "leading_before": leading_before,
                 "elected": [{"unit_id": c.unit_id, "name": c.unit.name,
                              "votes_for": c.votes_for} for c in qualified],
                 "note": row.result_note}))
    return row


def _ref(row: ClusterBallot) -> dict:
    return {"cluster_id": row.cluster_id, "campaign_id": row.campaign_id,
            "seats": row.seats, "ballots_issued": row.ballots_issued,
            "ballots_returned": row.ballots_returned, "ballots_valid": row.ballots_valid,
            "state": row.state,
            "counts": [{"unit_id": c.unit_id, "votes_for": c.votes_for} for c in row.counts]}

