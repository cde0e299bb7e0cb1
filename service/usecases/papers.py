"""The paper trail of the route: the official papers a step generates when it approves.

Inside the approving command's transaction (``plan``): the lines the approver leaves out get
their outcome and reason; each numbered paper takes the next number of its issuing body's
register; every paper's input is snapshotted from the dossier as it stands; and one job is
added to the outbox naming the objects it will write. The step's audit event names those
papers (number, template version, object keys).

After the commit the job runs (``generate``): it renders each .docx from the pinned template
version, converts it to PDF with LibreOffice, stores both objects, and only then, in one
transaction, adds the document versions and a ``document.generated`` audit event carrying
their SHA-256. Object keys are made from the task and the attempt, so a retried job never
meets an object of an earlier attempt (REL-5); what a failed attempt left is swept as an orphan.
"""

from __future__ import annotations

import hashlib
import io
import json
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.log import Actor, EventInput, RequestContext, append, utcnow
from service.db.models import (
    AwardType,
    Campaign,
    ClusterMembership,
    Document,
    DocumentVersion,
    Dossier,
    Job,
    Organisation,
    Proposal,
    RoleAssignment,
    User,
    reward_multiplier,
)
from service.db.session import UnitOfWork
from service.documents import registers, template_store
from service.documents.catalogue import PAPERS, render
from service.documents.decision import DecisionInput, ProposalLine
from service.documents.inputs import (
    AchievementReportInput,
    AppraisalInput,
    AwardNoticeInput,
    BoardSubmissionInput,
    ClusterMinutesInput,
    ClusterSubmissionInput,
    Line,
    Meeting,
    Paper,
    PastAward,
    Signer,
    dump,
    load,
)
from service.documents.pdf import to_pdf
from service.documents.uploads import display_name
from service.domain.dossiers import Outcome, award_applies
from service.domain.money import base_salary_on
from service.domain.roles import OrgKind, Role
from service.jobs import queue
from service.usecases.dossiers import get_dossier
from service.usecases.errors import InvalidInput, NotFound
from service.usecases.route import local_date
from storage.base import sweep_orphans

JOB_KIND = "papers.generate"
DOSSIER_OBJECTS = "dossiers/"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"

# Which body issues each paper (and so whose register numbers it).
ISSUER = {
    "cluster_minutes": OrgKind.CLUSTER,
    "cluster_submission": OrgKind.CLUSTER,
    "appraisal": OrgKind.BOARD,
    "board_submission": OrgKind.BOARD,
    "draft_decision": OrgKind.PROVINCE,
    "decision": OrgKind.PROVINCE,
    "award_notice": OrgKind.BOARD,
}
# A draft decision carries no number: the Chairman's signature gives it one.
UNNUMBERED = frozenset({"draft_decision"})
# The ký hiệu of each kind of issuing body, as register codes (ASCII; registers.display_code
# gives the Vietnamese form: "CTD" → "CTĐ").
BODY_CODES = {
    OrgKind.PROVINCE: "UBND",
    OrgKind.BOARD: "BTDKT",
    OrgKind.COUNCIL: "HDTDKT",
    OrgKind.CLUSTER: "CTD",
}
MAX_REASON = 1000


# --- what the approver sends besides the decision ----------------------------------------------


def exclude_lines(dossier: Dossier, raw: object) -> list[dict]:
    """Lines the approver does not carry forward (``[{"proposal_id", "reason"}]``): they end
    as not approved with the reason. At least one line must go on; otherwise reject."""
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        raise InvalidInput("Danh sách đề nghị không chuyển tiếp phải là một mảng.",
                           code="invalid_excluded_lines")
    by_id = {line.id: line for line in dossier.proposals}
    chosen: dict[int, str] = {}
    for item in raw:
        if not isinstance(item, dict):
            raise InvalidInput("Mỗi dòng không chuyển tiếp phải có proposal_id và reason.",
                               code="invalid_excluded_lines")
        line_id = item.get("proposal_id")
        if isinstance(line_id, bool) or not isinstance(line_id, int) or line_id not in by_id:
            raise InvalidInput(f"Dòng đề nghị {line_id!r} không thuộc hồ sơ này.",
                               code="invalid_excluded_lines")
        reason = _clean(item.get("reason"))
        if not reason:
            raise InvalidInput(f"Phải ghi lý do không chuyển tiếp “{by_id[line_id].name}”.",
                               code="reason_required")
        if len(reason) > MAX_REASON:
            raise InvalidInput("Lý do dài quá 1000 ký tự.", code="invalid_excluded_lines")
        chosen[line_id] = reason
    remaining = [line for line in dossier.proposals
                 if line.outcome != Outcome.NOT_APPROVED and line.id not in chosen]
    if not remaining:
        raise InvalidInput("Không còn dòng đề nghị nào được chuyển tiếp; nếu không đề nghị "
                           "khen thưởng, hãy chọn quyết định từ chối.",
                           code="no_line_left")
    for line_id, reason in chosen.items():
        by_id[line_id].outcome = Outcome.NOT_APPROVED
        by_id[line_id].outcome_reason = reason
    return [{"proposal_id": i, "name": by_id[i].name, "reason": r} for i, r in chosen.items()]


def move_lines(session: Session, dossier: Dossier, raw: object, excluded: list[dict]
               ) -> list[dict]:
    """Lines the approver carries forward under another award (``[{"proposal_id",
    "award_code", "reason"}]``), e.g. a Cờ thi đua proposal the board finds fit for a Bằng
    khen. The line keeps going; its award changes, and the step's event says from what."""
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        raise InvalidInput("Danh sách dòng chuyển hình thức phải là một mảng.",
                           code="invalid_moved_lines")
    by_id = {line.id: line for line in dossier.proposals}
    left_out = {item["proposal_id"] for item in excluded}
    awards = {a.code: a for a in session.scalars(select(AwardType))}
    moved = []
    for item in raw:
        if not isinstance(item, dict):
            raise InvalidInput("Mỗi dòng chuyển hình thức phải có proposal_id, award_code và "
                               "reason.", code="invalid_moved_lines")
        line = by_id.get(item.get("proposal_id")) if isinstance(
            item.get("proposal_id"), int) else None
        if line is None or line.outcome == Outcome.NOT_APPROVED:
            raise InvalidInput(f"Dòng đề nghị {item.get('proposal_id')!r} không thuộc hồ sơ "
                               "này hoặc đã không được chuyển tiếp.", code="invalid_moved_lines")
        if line.id in left_out:
            raise InvalidInput(f"“{line.name}” vừa được chọn không chuyển tiếp, không thể "
                               "đồng thời chuyển hình thức.", code="invalid_moved_lines")
        award = awards.get(str(item.get("award_code") or ""))
        if award is None or award.code == line.award_code:
            raise InvalidInput(f"Hình thức mới của “{line.name}” không hợp lệ.",
                               code="invalid_moved_lines")
        if not award_applies(award.subject, line.subject_type):
            raise InvalidInput(f"Hình thức “{award.name}” không áp dụng cho “{line.name}”.",
                               code="invalid_moved_lines")
        reason = _clean(item.get("reason"))
        if not reason or len(reason) > MAX_REASON:
            raise InvalidInput(f"Phải ghi lý do chuyển hình thức của “{line.name}”.",
                               code="reason_required")
        moved.append({"proposal_id": line.id, "name": line.name, "from": line.award_code,
                      "to": award.code, "reason": reason})
        line.award_code = award.code
    return moved


def reopen_lines(dossier: Dossier) -> None:
    """A return sends the dossier back for another review: lines left out come back."""
    for line in dossier.proposals:
        if line.outcome == Outcome.NOT_APPROVED:
            line.outcome = Outcome.PENDING
            line.outcome_reason = None


@dataclass(frozen=True)
class MeetingRecord:
    """The cluster's bình xét meeting as the approver records it, checked."""

    held_on: date
    place: str
    secretary: str | None
    present: tuple[int, ...]
    ballots_issued: int
    ballots_valid: int
    votes: dict[int, int]
    scores: dict[int, Decimal]


def read_meeting(raw: object, *, members: list[Organisation], lines: list[Proposal],
                 today: date, default_place: str) -> MeetingRecord:
    """Check the meeting sent with a cluster's approval; errors name the field in Vietnamese."""
    if not isinstance(raw, dict):
        raise InvalidInput("Cần ghi nhận cuộc họp bình xét (thành phần có mặt, số phiếu) để "
                           "lập biên bản.", code="meeting_required")
    held_on = today
    if raw.get("held_on"):
        try:
            held_on = date.fromisoformat(str(raw["held_on"]))
        except ValueError:
            raise InvalidInput("Ngày họp không hợp lệ (dạng YYYY-MM-DD).",
                               code="invalid_meeting") from None
        if held_on > today:
            raise InvalidInput("Ngày họp không được sau hôm nay.", code="invalid_meeting")
    member_ids = {m.id for m in members}
    present = raw.get("present")
    if (not isinstance(present, list) or not present
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in present)):
        raise InvalidInput("Cần chọn ít nhất một đơn vị có mặt.", code="invalid_meeting")
    if not set(present) <= member_ids:
        raise InvalidInput("Đơn vị có mặt phải là thành viên của Cụm/Khối trong năm.",
                           code="invalid_meeting")
    issued = _count(raw.get("ballots_issued"), len(set(present)), "Số phiếu phát ra")
    valid = _count(raw.get("ballots_valid"), issued, "Số phiếu hợp lệ")
    if valid > issued:
        raise InvalidInput("Số phiếu hợp lệ không được lớn hơn số phiếu phát ra.",
                           code="invalid_meeting")
    line_ids = {line.id for line in lines}
    votes = {}
    for key, value in _mapping(raw.get("votes"), "Số phiếu đồng ý").items():
        line_id = _line_key(key, line_ids)
        votes[line_id] = _count(value, None, "Số phiếu đồng ý")
        if votes[line_id] > valid:
            raise InvalidInput("Số phiếu đồng ý không được lớn hơn số phiếu hợp lệ.",
                               code="invalid_meeting")
    scores = {}
    for key, value in _mapping(raw.get("scores"), "Điểm").items():
        try:
            score = Decimal(str(value))
        except InvalidOperation:
            raise InvalidInput("Điểm phải là một số.", code="invalid_meeting") from None
        if not score.is_finite() or not 0 <= score <= 1000:
            raise InvalidInput("Điểm phải từ 0 đến 1000.", code="invalid_meeting")
        scores[_line_key(key, line_ids)] = score
    return MeetingRecord(
        held_on=held_on,
        place=_clean(raw.get("place"))[:300] or default_place,
        secretary=_clean(raw.get("secretary"))[:200] or None,
        present=tuple(sorted(set(present))),
        ballots_issued=issued, ballots_valid=valid, votes=votes, scores=scores,
    )


def meeting_summary(meeting: MeetingRecord) -> dict:
    """The meeting as the step's audit event records it."""
    return {"held_on": meeting.held_on.isoformat(), "place": meeting.place,
            "secretary": meeting.secretary, "present": list(meeting.present),
            "ballots_issued": meeting.ballots_issued, "ballots_valid": meeting.ballots_valid,
            "votes": {str(k): v for k, v in meeting.votes.items()},
            "scores": {str(k): str(v) for k, v in meeting.scores.items()}}


def _count(value: object, default: int | None, label: str) -> int:
    if value in (None, ""):
        if default is None:
            raise InvalidInput(f"{label}: cần một số.", code="invalid_meeting")
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000:
        raise InvalidInput(f"{label} phải là số nguyên không âm.", code="invalid_meeting")
    return value


def _mapping(value: object, label: str) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{label}: cần một đối tượng theo dòng đề nghị.",
                           code="invalid_meeting")
    return value


def _line_key(key: object, line_ids: set[int]) -> int:
    try:
        line_id = int(str(key))
    except ValueError:
        line_id = None
    if line_id not in line_ids:
        raise InvalidInput(f"Dòng đề nghị {key!r} không thuộc hồ sơ này.", code="invalid_meeting")
    return line_id


def _clean(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return unicodedata.normalize("NFC", value).strip()


# --- planning, inside the approving command ----------------------------------------------------


@dataclass(frozen=True)
class Approval:
    """Who approves which step of which dossier, and what they sent with it."""

    dossier: Dossier
    task_id: str
    step: str
    actor: Actor
    request: RequestContext  # the approving request, which the generated papers' event names
    signer_name: str
    at: datetime
    comment: str
    fields: dict
    meeting: MeetingRecord | None


class _Orgs:
    """The organisations a dossier's papers name: province, board, cluster, unit."""

    def __init__(self, session: Session, dossier: Dossier) -> None:
        self.session = session
        self.unit = dossier.unit
        self.province = session.get(Organisation, dossier.campaign.organisation_id)
        self.cluster = session.get(Organisation, dossier.cluster_id) if dossier.cluster_id else None
        self.board = session.scalar(select(Organisation).where(
            Organisation.parent_id == self.province.id, Organisation.kind == OrgKind.BOARD))

    def issuer(self, paper: str) -> Organisation:
        kind = ISSUER[paper]
        org = {OrgKind.CLUSTER: self.cluster, OrgKind.BOARD: self.board,
               OrgKind.PROVINCE: self.province}[kind]
        if org is None:
            raise InvalidInput(f"Chưa có cơ quan ban hành “{PAPERS[paper].title}” "
                               "(Cụm/Khối hoặc Ban TĐKT) trong danh mục tổ chức.",
                               code="issuer_missing")
        return org

    def place(self, org: Organisation) -> str:
        return org.place_name or self.province.place_name or self.province.name

    def parent_body(self, org: Organisation) -> str | None:
        """The cơ quan chủ quản above the issuer, shortened as letterheads write it:
        "Ủy ban nhân dân tỉnh Bình Thuận" → "UBND tỉnh Bình Thuận"."""
        if org.kind == OrgKind.PROVINCE:
            return None
        name = self.province.name
        long_form = "Ủy ban nhân dân "
        return "UBND " + name[len(long_form):] if name.startswith(long_form) else name

    def letterhead(self, org: Organisation) -> str:
        """The issuer's name under its parent body, without the province the parent body
        already names: "Ban Thi đua - Khen thưởng tỉnh Bình Thuận" → "Ban Thi đua - Khen
        thưởng"."""
        place = self.province.place_name
        if org.kind == OrgKind.PROVINCE or not place:
            return org.name
        for suffix in (f" tỉnh {place}", f" thành phố {place}"):
            if org.name.endswith(suffix):
                return org.name[:-len(suffix)]
        return org.name


def members_of(session: Session, cluster_id: int, year: int) -> list[Organisation]:
    return list(session.scalars(
        select(Organisation).join(ClusterMembership, ClusterMembership.unit_id == Organisation.id)
        .where(ClusterMembership.cluster_id == cluster_id, ClusterMembership.year == year)
        .order_by(Organisation.name)))


def pin_templates(session: Session, dossier: Dossier) -> None:
    """Pin the dossier's template versions before the step's flush, so that the dossier row
    is written once (nothing pending is flushed by the lookups)."""
    with session.no_autoflush:
        template_store.pinned_versions(session, dossier)


def plan(uow: UnitOfWork, approval: Approval, papers: tuple[str, ...]) -> dict | None:
    """Number the papers, snapshot their inputs and queue their generation; returns what the
    step's audit event says of them (None when the step generates nothing)."""
    session = uow.session
    dossier = approval.dossier
    lines = _lines(session, dossier, approval.meeting)
    names = [p for p in papers if p != "award_notice"
             or any(line.outcome == Outcome.NOT_APPROVED for line in lines)]
    if not names:
        return None
    orgs = _Orgs(session, dossier)
    today = local_date(approval.at)
    pins = template_store.pinned_versions(session, dossier)
    numbers: dict[str, tuple[int, str, str]] = {}  # paper → (sequence, "05/QĐ-UBND", body)
    for name in names:
        if name in UNNUMBERED:
            continue
        issuer = orgs.issuer(name)
        code = f"{_ascii(PAPERS[name].type_code)}-{BODY_CODES[OrgKind(issuer.kind)]}"
        issued = registers.allocate(
            session, organisation_id=issuer.id, year=today.year, code=code,
            reference=f"{PAPERS[name].title}, hồ sơ #{dossier.id}", now=approval.at)
        numbers[name] = (issued.number, registers.format_number(issued.number, code),
                         _body_code(issuer))
    context = _Context(session, orgs, dossier, approval, today, lines, numbers)
    items = []
    for name in names:
        data = context.input_for(name)
        kind = PAPERS[name]
        number = numbers.get(name, (None, None, None))[1]
        items.append({
            "paper": name,
            "template": kind.template,
            "template_version": pins[kind.template],
            "number": number,
            "display_name": _file_name(kind.title, number),
            "input": dump(data),
        })
    job = queue.enqueue(uow, kind=JOB_KIND, dedupe_key=f"papers:{approval.task_id}",
                        dossier_id=dossier.id, now=approval.at, payload={
                            "dossier_id": dossier.id, "task_id": approval.task_id,
                            "step": approval.step, "actor": _actor_json(approval.actor),
                            "request": {"id": approval.request.request_id,
                                        "address": approval.request.address},
                            "items": items})
    return {"job": job.id, "papers": [
        {"paper": i["paper"], "number": i["number"],
         "template": f"{i['template']}@{i['template_version']}",
         "objects": object_prefix(dossier.id, approval.task_id)} for i in items]}


class _Context:
    """Builds each paper's input from the dossier at the moment of approval."""

    def __init__(self, session: Session, orgs: _Orgs, dossier: Dossier, approval: Approval,
                 today: date, lines: tuple[Line, ...], numbers: dict) -> None:
        self.session, self.orgs, self.dossier = session, orgs, dossier
        self.approval, self.today, self.lines, self.numbers = approval, today, lines, numbers
        self.campaign = dossier.campaign
        self.pins = json.loads(dossier.template_versions)
        self._templates: dict[str, dict] = {}
        self._holders: dict[tuple[str, int], str | None] = {}

    def paper(self, name: str, signer: Signer) -> Paper:
        issuer = self.orgs.issuer(name)
        sequence, _number, body = self.numbers.get(name, (None, None, None))
        return Paper(
            province=self.orgs.place(issuer),
            issuer=self.orgs.letterhead(issuer),
            parent_body=self.orgs.parent_body(issuer),
            body_code=body or _body_code(issuer),
            sequence=sequence,
            date=self.today,
            signer=signer,
            campaign=self.campaign.name,
            year=self.campaign.year,
            unit=self.dossier.unit.name,
            cluster=self.orgs.cluster.name if self.orgs.cluster else None,
            lines=self.lines,
        )

    def signer(self, name: str, role: str, person: str | None) -> Signer:
        template = self.template(name)
        return Signer(person or "", _authority(template, role))

    def template(self, name: str) -> dict:
        stem = PAPERS[name].template
        if stem not in self._templates:
            self._templates[stem] = template_store.get(self.session, stem, self.pins[stem])
        return self._templates[stem]

    def input_for(self, name: str) -> Any:
        approver = self.approval.signer_name
        if name == "cluster_minutes":
            meeting = self.approval.meeting
            if meeting is None:
                raise InvalidInput("Cần ghi nhận cuộc họp bình xét để lập biên bản.",
                                   code="meeting_required")
            members = members_of(self.session, self.orgs.cluster.id, self.campaign.year)
            present = set(meeting.present)
            return ClusterMinutesInput(
                paper=self.paper(name, self.signer(name, "cluster_leader", approver)),
                meeting=Meeting(
                    held_on=meeting.held_on, place=meeting.place, chair=approver,
                    secretary=meeting.secretary,
                    members=tuple(m.name for m in members),
                    present=tuple(m.name for m in members if m.id in present),
                    absent=tuple(m.name for m in members if m.id not in present),
                    ballots_issued=meeting.ballots_issued, ballots_valid=meeting.ballots_valid))
        if name == "cluster_submission":
            held_on = self.approval.meeting.held_on if self.approval.meeting else self.today
            return ClusterSubmissionInput(
                paper=self.paper(name, self.signer(name, "cluster_leader", approver)),
                meeting_date=held_on)
        if ISSUER[name] == OrgKind.BOARD:
            board = self.orgs.issuer(name)
            board_head = self._holder(Role.BOARD_HEAD, board.id) or approver
        if name == "appraisal":
            received = self._latest("cluster_submission")
            return AppraisalInput(
                paper=self.paper(name, self.signer(name, "board_head", board_head)),
                received_number=received[0] if received else None,
                received_date=received[1] if received else None,
                findings=_clean(self.approval.fields.get("appraisal_summary"))
                or self.approval.comment)
        if name == "board_submission":
            appraisal = self.numbers.get("appraisal")
            appraisal_number = appraisal[1] if appraisal else (self._latest("appraisal")
                                                              or ("", None))[0]
            return BoardSubmissionInput(
                paper=self.paper(name, self.signer(name, "board_head", board_head)),
                appraisal_number=appraisal_number, base_salary=base_salary_on(self.today),
                achievement=_achievement(self.campaign.name))
        if name == "award_notice":
            decision = self.numbers.get("decision")
            latest = None if decision else self._latest("decision")
            return AwardNoticeInput(
                paper=self.paper(name, self.signer(name, "board_head", board_head)),
                decision_number=decision[1] if decision else (latest[0] if latest else ""),
                decision_date=self.today if decision else (latest[1] if latest else self.today))
        if name in ("decision", "draft_decision"):
            return self._decision(name, approver)
        raise LookupError(f"no input for paper {name!r}")

    def _decision(self, name: str, approver: str) -> DecisionInput:
        draft = name == "draft_decision"
        if draft:
            submission = self.numbers.get("board_submission")
            basis = (submission[1], self.today) if submission else self._latest("board_submission")
            chairman = self._holder(Role.CHAIRMAN, self.orgs.province.id) or ""
        else:
            basis = self._latest("board_submission")
            chairman = approver
        if basis is None:
            raise InvalidInput("Chưa có Tờ trình của Ban TĐKT để làm căn cứ Quyết định.",
                               code="paper_basis_missing")
        approved = [line for line in self.lines if line.outcome != Outcome.NOT_APPROVED]
        sequence = None if draft else self.numbers[name][0]
        return DecisionInput(
            province=self.orgs.place(self.orgs.province),
            sequence=sequence,
            date=None if draft else self.today,
            signer_name=chairman,
            signer_role="chairman",
            lines=tuple(ProposalLine(line.subject_type, line.name, line.unit, line.award,
                                     line.multiplier, True) for line in approved),
            submission_number=basis[0],
            submission_date=basis[1],
            base_salary=base_salary_on(self.today),
            achievement=_achievement(self.campaign.name),
            regime_date=self.today,
            draft=draft,
            year=self.today.year,
        )

    def _latest(self, paper: str) -> tuple[str, date] | None:
        """Number and date of the dossier's latest numbered ``paper``, from the planned jobs:
        the number is the dossier's from the moment its step approved, rendered or not."""
        for created_at, payload in self.session.execute(
                select(Job.created_at, Job.payload)
                .where(Job.dossier_id == self.dossier.id, Job.kind == JOB_KIND)
                .order_by(Job.id.desc())):
            for item in json.loads(payload)["items"]:
                if item["paper"] == paper and item["number"]:
                    return item["number"], local_date(created_at)
        return None

    def _holder(self, role: str, organisation_id: int) -> str | None:
        """The name of whoever holds ``role`` in the organisation (the first, if several)."""
        key = (role, organisation_id)
        if key not in self._holders:
            self._holders[key] = self._holder_query(role, organisation_id)
        return self._holders[key]

    def _holder_query(self, role: str, organisation_id: int) -> str | None:
        return self.session.scalar(
            select(User.full_name).join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == role, RoleAssignment.organisation_id == organisation_id,
                   User.is_active.is_(True)).order_by(User.id).limit(1))


def _lines(session: Session, dossier: Dossier, meeting: MeetingRecord | None) -> tuple[Line, ...]:
    awards = {a.code: a for a in session.scalars(select(AwardType).where(
        AwardType.code.in_({p.award_code for p in dossier.proposals})))}
    out = []
    for position, line in enumerate(dossier.proposals, start=1):
        award = awards[line.award_code]
        left_out = line.outcome == Outcome.NOT_APPROVED
        out.append(Line(
            position=position, subject_type=line.subject_type, name=line.name,
            unit=dossier.unit.name, award=award.name,
            multiplier=reward_multiplier(award, line.subject_type),
            summary=line.summary or "",
            outcome=Outcome.NOT_APPROVED if left_out else "approved",
            reason=line.outcome_reason if left_out else None,
            votes_for=meeting.votes.get(line.id) if meeting else None,
            score=meeting.scores.get(line.id) if meeting else None,
        ))
    return tuple(out)


def _body_code(org: Organisation) -> str:
    """"BTĐKT": the issuer's ký hiệu as printed."""
    code = BODY_CODES[OrgKind(org.kind)]
    return registers.DISPLAY_TOKENS.get(code, code)


def _authority(template: dict, role: str) -> tuple[str, ...]:
    """Signer titles from the template: a list, or a mapping of role to list."""
    titles = template.get("signer_authority") or ()
    if isinstance(titles, dict):
        titles = titles.get(role) or next(iter(titles.values()), ())
    return tuple(titles)


def _achievement(campaign_name: str) -> str:
    """"Phong trào thi đua …" as it reads inside a sentence."""
    return campaign_name[:1].lower() + campaign_name[1:]


def _ascii(code: str) -> str:
    decomposed = unicodedata.normalize("NFD", code.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _file_name(title: str, number: str | None) -> str:
    """"Quyết định khen thưởng số 01-QĐ-UBND.docx": no "/" survives into a file name
    ("Cụm/Khối", "01/QĐ-UBND")."""
    title = title.replace("/", "-")
    if number is None:
        return display_name(f"{title}.docx")
    return display_name(f"{title} số {number.replace('/', '-')}.docx")


def _actor_json(actor: Actor) -> dict:
    return {"user_id": actor.user_id, "username": actor.username, "role": actor.role,
            "organisation_id": actor.organisation_id, "organisation": actor.organisation}


def object_prefix(dossier_id: int, task_id: str) -> str:
    return f"dossiers/{dossier_id:06d}/papers/{task_id}/"


# --- generation, after the commit --------------------------------------------------------------


@queue.handler(JOB_KIND)
def generate(runtime: queue.Runtime, job: Job) -> queue.Apply:
    """Render, convert and store every paper of the job; return the step that adds the rows."""
    payload = json.loads(job.payload)
    with UnitOfWork(runtime.engine, write=False) as uow:
        templates = {(i["template"], i["template_version"]): template_store.get(
            uow.session, i["template"], i["template_version"]) for i in payload["items"]}
    prefix = object_prefix(payload["dossier_id"], payload["task_id"])
    stored = []
    for position, item in enumerate(payload["items"], start=1):
        kind = PAPERS[item["paper"]]
        docx = render(item["paper"], load(kind.input_type, item["input"]),
                      templates[(item["template"], item["template_version"])])
        pdf = to_pdf(docx, timeout=runtime.settings.get("pdf_timeout", 120))
        base = f"{prefix}a{job.attempts}-{position:02d}-{item['paper']}"
        docx_obj = _put(runtime.store, f"{base}.docx", docx, DOCX_TYPE, payload, item)
        pdf_obj = _put(runtime.store, f"{base}.pdf", pdf, PDF_TYPE, payload, item)
        stored.append((item, docx_obj, pdf_obj))

    def apply(uow: UnitOfWork) -> None:
        _add_versions(uow, payload, stored, job.id)

    return apply


def _put(store, key: str, data: bytes, content_type: str, payload: dict, item: dict) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    store.put(key, io.BytesIO(data), size=len(data), sha256=digest, content_type=content_type,
              metadata={"dossier": str(payload["dossier_id"]), "paper": item["paper"],
                        "task": payload["task_id"]})
    return {"key": key, "sha256": digest, "size": len(data)}


def _add_versions(uow: UnitOfWork, payload: dict, stored: list, job_id: int) -> None:
    session = uow.session
    now = utcnow()
    actor = Actor(**payload["actor"])
    refs = []
    for item, docx, pdf in stored:
        kind = PAPERS[item["paper"]]
        document = session.scalar(select(Document).where(
            Document.dossier_id == payload["dossier_id"], Document.kind == kind.document_kind,
            Document.generated.is_(True)))
        if document is None:
            document = Document(dossier_id=payload["dossier_id"], kind=kind.document_kind,
                                display_name=item["display_name"], generated=True,
                                latest_version=0, created_by_id=actor.user_id, created_at=now)
            session.add(document)
            session.flush()
        version = DocumentVersion(
            document_id=document.id, version=document.latest_version + 1,
            object_key=docx["key"], sha256=docx["sha256"], size=docx["size"],
            content_type=DOCX_TYPE, display_name=item["display_name"],
            uploaded_by_id=actor.user_id, uploaded_at=now,
            pdf_object_key=pdf["key"], pdf_sha256=pdf["sha256"], pdf_size=pdf["size"])
        session.add(version)
        document.latest_version = version.version
        document.display_name = item["display_name"]
        document.number = item["number"]
        document.template = f"{item['template']}@{item['template_version']}"
        session.flush()
        refs.append({"id": document.id, "version": version.version, "sha256": docx["sha256"],
                     "name": item["display_name"], "pdf_sha256": pdf["sha256"],
                     "number": item["number"], "template": document.template})
    request = payload.get("request") or {}
    append(session, actor, RequestContext(request_id=request.get("id") or f"job-{job_id}",
                                          address=request.get("address")), EventInput(
        action="document.generated", target_type="task", target_id=payload["task_id"],
        dossier_id=payload["dossier_id"], step=payload["step"],
        details={"job": job_id, "papers": [i["paper"] for i, _d, _p in stored]},
        documents=refs))
    dossier = session.get(Dossier, payload["dossier_id"])
    dossier.updated_at = now


def sweep(session: Session, store, older_than: datetime) -> list[str]:
    """Delete stored objects that no document version refers to and that no unfinished paper
    job may still claim, written before ``older_than`` (REL-5, REL-7)."""
    keys = set(session.scalars(select(DocumentVersion.object_key)))
    keys.update(session.scalars(select(DocumentVersion.pdf_object_key).where(
        DocumentVersion.pdf_object_key.is_not(None))))
    in_flight = tuple(pending_prefixes(session))
    # Only dossiers' files are swept: audit checkpoints and exports have no rows to point at.
    return sweep_orphans(store, lambda key: not key.startswith(DOSSIER_OBJECTS) or key in keys
                         or key.startswith(in_flight), older_than)


def pending_prefixes(session: Session) -> list[str]:
    """Object key prefixes of paper jobs not finished yet: the sweep must leave them (REL-7)."""
    prefixes = []
    for payload in session.scalars(select(Job.payload).where(
            Job.kind == JOB_KIND, Job.state.in_((queue.PENDING, queue.RUNNING)))):
        data = json.loads(payload)
        prefixes.append(object_prefix(data["dossier_id"], data["task_id"]))
    return prefixes


def job_states(session: Session, dossier_id: int) -> list[Job]:
    """The paper jobs of a dossier, newest first (the dossier page shows those not done)."""
    return list(session.scalars(select(Job).where(Job.dossier_id == dossier_id,
                                                  Job.kind == JOB_KIND).order_by(Job.id.desc())))


# --- the unit's Báo cáo thành tích, offered prefilled ------------------------------------------


def achievement_report(uow: UnitOfWork, principal, dossier_id: int, proposal_id: int
                       ) -> tuple[str, bytes]:
    """A proposal line's Báo cáo thành tích as a .docx to complete and upload back: the
    candidate, the award, the campaign, and the awards this system has already given them."""
    session = uow.session
    dossier = get_dossier(uow, principal, dossier_id)
    line = next((p for p in dossier.proposals if p.id == proposal_id), None)
    if line is None:
        raise NotFound("Không tìm thấy dòng đề nghị.")
    # A household reports as a collective does (sections I–III, head of household signs).
    subject = "individual" if line.subject_type == "individual" else "collective"
    name = f"achievement_report_{subject}"
    kind = PAPERS[name]
    pinned = json.loads(dossier.template_versions) if dossier.template_versions else {}
    version = pinned.get(kind.template) or template_store.latest_versions(session)[kind.template]
    award = session.get(AwardType, line.award_code)
    province = session.get(Organisation, dossier.campaign.organisation_id)
    collective = subject == "collective"
    data = AchievementReportInput(
        subject_type=subject, name=line.name, position=None,
        unit=line.name if collective else dossier.unit.name,
        parent_body=dossier.unit.name if collective else None,
        award=award.name, campaign=dossier.campaign.name, year=dossier.campaign.year,
        province=province.place_name or province.name,
        past_awards=past_awards(session, line.name, dossier.unit_id, dossier.id),
        place_date=None)
    docx = render(name, data, template_store.get(session, kind.template, version))
    return display_name(f"Báo cáo thành tích - {line.name}.docx"), docx


def past_awards(session: Session, name: str, unit_id: int, dossier_id: int
                ) -> tuple[PastAward, ...]:
    """Awards this system has given the same candidate of the same unit, by a numbered
    Quyết định (oldest first)."""
    wanted = unicodedata.normalize("NFC", name).casefold()
    found = []
    rows = session.execute(
        select(Proposal.name, AwardType.name, Campaign.year, Document.number,
               DocumentVersion.uploaded_at)
        .join(Dossier, Dossier.id == Proposal.dossier_id)
        .join(Campaign, Campaign.id == Dossier.campaign_id)
        .join(AwardType, AwardType.code == Proposal.award_code)
        .join(Document, (Document.dossier_id == Dossier.id) & (Document.kind == "decision")
              & Document.generated.is_(True))
        .join(DocumentVersion, (DocumentVersion.document_id == Document.id)
              & (DocumentVersion.version == Document.latest_version))
        .where(Dossier.unit_id == unit_id, Dossier.id != dossier_id,
               Proposal.outcome == Outcome.APPROVED)
        .order_by(Campaign.year, DocumentVersion.uploaded_at))
    for line_name, award, year, number, signed_at in rows:
        if unicodedata.normalize("NFC", line_name).casefold() != wanted:
            continue
        found.append(PastAward(year, award, f"Quyết định số {number} ngày "
                                            f"{local_date(signed_at):%d/%m/%Y} của Chủ tịch "
                                            "UBND tỉnh"))
    return tuple(found)
