"""The auditor's view of the trail (nhật ký): search, one dossier's whole trail, its PDF report.

Auditors (kiểm toán viên) and administrators read every event, whatever dossier it belongs
to: the reach of the audit export, not the reviewers' dossier scope (service/usecases/
scoping.py), which would hide drafts from auditors and every dossier from administrators.
Anyone else is refused. Searching is not itself recorded; producing a report is.

Text search matches the folded text kept beside each event (``audit_search``, see
service/audit/log.py ``search_text``): the query is folded the same way, so "thi dua",
"thi đua" and "THI ĐUA" find the same events. Each word is a ``LIKE '%word%'`` on that
table, joined on its primary key and walked newest first from the keyset bound, so a page
stops reading as soon as it is full.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.shared import Mm, Pt
from sqlalchemy import ColumnElement, func, select

from service.audit.log import EventInput, RequestContext, append, to_record, utcnow
from service.db.models import (
    AuditEvent,
    AuditSearch,
    AwardType,
    Campaign,
    Dossier,
    Organisation,
    ProcessInstance,
    ProcessModelVersion,
    Proposal,
    User,
)
from service.db.session import UnitOfWork
from service.documents.nd30 import set_fonts
from service.documents.pdf import PdfConversionError, to_pdf
from service.domain.dates import format_datetime, vietnam_tz
from service.domain.dossiers import DECISION_LABELS, STATUS_LABELS
from service.domain.roles import ROLE_LABELS, OrgKind, Role
from service.domain.text import fold
from service.usecases import route
from service.usecases.actors import actor_any
from service.usecases.errors import Forbidden, InvalidInput, NotFound, UseCaseError
from service.usecases.principal import Principal

log = logging.getLogger("tdkt.audit")

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_TEXT = 200
MAX_WORDS = 10
REPORT_ACTION = "audit.trail_report"
_LIKE_ESCAPE = "\\"


class ReportUnavailable(UseCaseError):
    """The PDF could not be made (LibreOffice missing, stuck or failing)."""

    status = 503
    code = "report_unavailable"


@dataclass(frozen=True)
class AuditQuery:
    """What an auditor looks for; every field narrows. Dates are local (Asia/Ho_Chi_Minh)."""

    campaign_id: int | None = None
    unit_id: int | None = None
    cluster_id: int | None = None
    actor: str | None = None
    action: str | None = None
    award_code: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str | None = None
    before_id: int | None = None
    limit: int = DEFAULT_LIMIT


def _recorded(name: str) -> property:
    return property(lambda self: self.record[name], doc=f"The event's ``{name}``.")


@dataclass(frozen=True)
class Entry:
    """One event as the auditor reads it: its exported, hash-chained ``record``
    (service/audit/log.py ``to_record``) and what the pages and the report show of it."""

    record: dict
    at: datetime  # naive UTC, as stored
    actor_name: str | None
    step_name: str | None
    decision_label: str | None
    documents: list[dict]  # as the event names them: id, version, name, sha256, pdf_sha256
    dossier_title: str | None = None

    id = _recorded("id")
    hash = _recorded("hash")
    actor = _recorded("actor")
    role = _recorded("role")
    organisation = _recorded("organisation")
    action = _recorded("action")
    dossier_id = _recorded("dossier_id")
    step = _recorded("step")
    decision = _recorded("decision")
    comment = _recorded("comment")


@dataclass(frozen=True)
class AuditPage:
    items: list[Entry]
    next: int | None  # the ``before_id`` of the next page, None on the last


@dataclass(frozen=True)
class Facets:
    """The choices of the search form: (value, name) pairs, and the codes present."""

    campaigns: list[tuple[int, str]]
    units: list[tuple[int, str]]
    clusters: list[tuple[int, str]]
    awards: list[tuple[str, str]]
    actions: list[str]
    actors: list[str]  # usernames of the accounts, the suggestions of the actor field


@dataclass(frozen=True)
class ChainPoint:
    id: int
    hash: str


@dataclass(frozen=True)
class DossierFacts:
    id: int
    title: str
    status: str
    unit: str
    cluster: str | None
    campaign: str
    campaign_id: int
    unit_id: int
    cluster_id: int | None


@dataclass(frozen=True)
class DossierTrail:
    dossier: DossierFacts
    events: list[Entry]
    head: ChainPoint | None  # the last event of the whole chain when the trail was read

    @property
    def first(self) -> ChainPoint | None:
        return ChainPoint(self.events[0].id, self.events[0].hash) if self.events else None

    @property
    def last(self) -> ChainPoint | None:
        return ChainPoint(self.events[-1].id, self.events[-1].hash) if self.events else None


def require_auditor(principal: Principal) -> None:
    if not principal.has_role(Role.AUDITOR, Role.ADMIN):
        raise Forbidden("Chỉ kiểm toán viên và quản trị hệ thống được xem nhật ký.")


# --- the query -------------------------------------------------------------------------------


def parse_query(args: Mapping[str, str]) -> AuditQuery:
    """An AuditQuery from request arguments (the API's and the search form's names)."""

    def number(name: str) -> int | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        if not value.isdigit() or int(value) < 1:
            raise InvalidInput(f"“{name}” phải là số nguyên dương.")
        return int(value)

    def day(name: str) -> date | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        for parse in (date.fromisoformat,
                      lambda v: datetime.strptime(v, "%d/%m/%Y").date()):
            try:
                return parse(value)
            except ValueError:
                continue
        raise InvalidInput(f"“{name}” phải là một ngày (YYYY-MM-DD hoặc dd/mm/yyyy).")

    def word(name: str, max_length: int) -> str | None:
        value = (args.get(name) or "").strip()
        if len(value) > max_length:
            raise InvalidInput(f"“{name}” dài quá {max_length} ký tự.")
        return value or None

    date_from, date_to = day("from"), day("to")
    if date_from and date_to and date_from > date_to:
        raise InvalidInput("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.")
    return AuditQuery(
        campaign_id=number("campaign"), unit_id=number("unit"), cluster_id=number("cluster"),
        actor=word("actor", 64), action=word("action", 60), award_code=word("award", 40),
        date_from=date_from, date_to=date_to, text=word("q", MAX_TEXT),
        before_id=number("before"), limit=min(number("limit") or DEFAULT_LIMIT, MAX_LIMIT))


def search_words(text: str | None) -> list[str]:
    """The folded words of a text query (at most MAX_WORDS, duplicates dropped)."""
    words = list(dict.fromkeys(fold(text or "").split()))
    if len(words) > MAX_WORDS:
        raise InvalidInput(f"Tìm tối đa {MAX_WORDS} từ một lần.")
    return words


def utc_bounds(date_from: date | None, date_to: date | None
               ) -> tuple[datetime | None, datetime | None]:
    """Local days as naive UTC bounds: [start of ``date_from``, start of the day after
    ``date_to``)."""
    def start(day: date) -> datetime:
        local = datetime.combine(day, time.min, tzinfo=vietnam_tz())
        return local.astimezone(UTC).replace(tzinfo=None)

    return (start(date_from) if date_from else None,
            start(date_to + timedelta(days=1)) if date_to else None)


def _contains(word: str) -> str:
    for char in (_LIKE_ESCAPE, "%", "_"):
        word = word.replace(char, _LIKE_ESCAPE + char)
    return f"%{word}%"


def _conditions(query: AuditQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    dossiers = select(Dossier.id)
    through_dossier = False
    for column, value in ((Dossier.campaign_id, query.campaign_id),
                          (Dossier.unit_id, query.unit_id),
                          (Dossier.cluster_id, query.cluster_id)):
        if value is not None:
            dossiers = dossiers.where(column == value)
            through_dossier = True
    if query.award_code:
        dossiers = dossiers.where(Dossier.id.in_(
            select(Proposal.dossier_id).where(Proposal.award_code == query.award_code)))
        through_dossier = True
    if through_dossier:  # an event without a dossier is in no campaign, unit or cluster
        conditions.append(AuditEvent.dossier_id.in_(dossiers))
    if query.actor:
        conditions.append(AuditEvent.actor == query.actor)
    if query.action:
        conditions.append(AuditEvent.action == query.action)
    start, end = utc_bounds(query.date_from, query.date_to)
    if start is not None:
        conditions.append(AuditEvent.at >= start)
    if end is not None:
        conditions.append(AuditEvent.at < end)
    if query.before_id is not None:
        conditions.append(AuditEvent.id < query.before_id)
    return conditions


def search(uow: UnitOfWork, principal: Principal, query: AuditQuery) -> AuditPage:
    """Events matching every filter, newest first, one page from ``query.before_id``."""
    require_auditor(principal)
    stmt = select(AuditEvent).where(*_conditions(query))
    words = search_words(query.text)
    if words:
        stmt = stmt.join(AuditSearch, AuditSearch.event_id == AuditEvent.id).where(
            *(AuditSearch.text.like(_contains(w), escape=_LIKE_ESCAPE) for w in words))
    limit = max(1, min(query.limit, MAX_LIMIT))
    rows = list(uow.session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    dossier_ids = {r.dossier_id for r in rows if r.dossier_id is not None}
    return AuditPage(_entries(uow, rows, titles=_dossier_titles(uow, dossier_ids),
                              steps=_steps_by_dossier(uow, dossier_ids)),
                     rows[-1].id if more else None)


def facets(uow: UnitOfWork) -> Facets:
    session = uow.session

    def organisations(kind: str) -> list[tuple[int, str]]:
        return [tuple(r) for r in session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.kind == kind)
            .order_by(Organisation.code))]

    return Facets(
        campaigns=[tuple(r) for r in session.execute(
            select(Campaign.id, Campaign.name).order_by(Campaign.deadline.desc()))],
        units=organisations(OrgKind.UNIT), clusters=organisations(OrgKind.CLUSTER),
        awards=[tuple(r) for r in session.execute(
            select(AwardType.code, AwardType.name).order_by(AwardType.code))],
        actions=_actions_present(uow),
        # The accounts, not DISTINCT actor over the trail: that column has no index, and
        # reading it cost 70 ms a page at 200k events (SQLite); it would also offer every
        # name typed at a failed sign-in. Any name, "system" included, can still be typed.
        actors=list(session.scalars(select(User.username).order_by(User.username))),
    )


def _actions_present(uow: UnitOfWork) -> list[str]:
    """DISTINCT action as a walk over its index, one seek per action ("loose index scan"):
    PostgreSQL's plain DISTINCT reads every entry (40 ms at 200k events)."""
    action = AuditEvent.action
    walk = select(func.min(action).label("action")).cte("actions", recursive=True)
    walk = walk.union_all(
        select(select(func.min(action)).where(action > walk.c.action).scalar_subquery())
        .where(walk.c.action.is_not(None)))
    return list(uow.session.scalars(select(walk.c.action).where(walk.c.action.is_not(None))
                                    .order_by(walk.c.action)))


def _dossier_titles(uow: UnitOfWork, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(uow.session.execute(
        select(Dossier.id, Dossier.title).where(Dossier.id.in_(ids))).all())


def _steps_by_dossier(uow: UnitOfWork, ids: set[int]
                      ) -> dict[int, Mapping[str, route.StepMeta]]:
    """The steps of each dossier's process model version, to name the steps of its events
    (an event of a step stores the step's id; a completion also stores its name)."""
    if not ids:
        return {}
    rows = uow.session.execute(
        select(ProcessInstance.dossier_id, ProcessModelVersion)
        .join(ProcessModelVersion, ProcessModelVersion.id == ProcessInstance.model_version_id)
        .where(ProcessInstance.dossier_id.in_(ids))).all()
    by_version: dict[int, Mapping[str, route.StepMeta]] = {}
    for _, version in rows:
        if version.id not in by_version:
            by_version[version.id] = route.steps_of(version)
    return {dossier_id: by_version[version.id] for dossier_id, version in rows}


def _entries(uow: UnitOfWork, rows: list[AuditEvent], *,
             titles: Mapping[int, str] | None = None,
             steps: Mapping[int, Mapping[str, route.StepMeta]] | None = None) -> list[Entry]:
    """``titles`` and ``steps`` by dossier id."""
    titles, steps = titles or {}, steps or {}
    actor_ids = {r.actor_id for r in rows if r.actor_id is not None}
    names = dict(uow.session.execute(
        select(User.id, User.full_name).where(User.id.in_(actor_ids))).all()) if actor_ids else {}
    entries = []
    for row in rows:
        details = json.loads(row.details)
        details = details if isinstance(details, dict) else {}
        step = steps.get(row.dossier_id, {}).get(row.step) if row.step else None
        entries.append(Entry(
            record=to_record(row), at=row.at, actor_name=names.get(row.actor_id),
            step_name=details.get("step_name") or (step.name if step else row.step),
            decision_label=details.get("decision_label") or (
                step.decision_label(row.decision) if step and row.decision else None),
            documents=[d for d in json.loads(row.documents) if isinstance(d, dict)],
            dossier_title=titles.get(row.dossier_id) if row.dossier_id else None))
    return entries


# --- one dossier -----------------------------------------------------------------------------


def _head(uow: UnitOfWork) -> ChainPoint | None:
    row = uow.session.execute(select(AuditEvent.id, AuditEvent.hash)
                              .order_by(AuditEvent.id.desc()).limit(1)).first()
    return ChainPoint(row.id, row.hash) if row else None


def dossier_trail(uow: UnitOfWork, principal: Principal, dossier_id: int) -> DossierTrail:
    """The dossier and every event of it, in chain order, with the documents each names."""
    require_auditor(principal)
    session = uow.session
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound("Không tìm thấy hồ sơ.")
    cluster = session.get(Organisation, dossier.cluster_id) if dossier.cluster_id else None
    facts = DossierFacts(
        id=dossier.id, title=dossier.title, status=dossier.status, unit=dossier.unit.name,
        cluster=cluster.name if cluster else None, campaign=dossier.campaign.name,
        campaign_id=dossier.campaign_id, unit_id=dossier.unit_id,
        cluster_id=dossier.cluster_id)
    rows = list(session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == dossier_id)
                                .order_by(AuditEvent.id)))
    steps = _steps_by_dossier(uow, {dossier_id})
    return DossierTrail(facts, _entries(uow, rows, steps=steps), _head(uow))


def dossier_trail_pdf(uow: UnitOfWork, principal: Principal, dossier_id: int, *,
                      ctx: RequestContext | None = None,
                      action_labels: Mapping[str, str] | None = None) -> bytes:
    """The trail as a PDF report, recorded as an "audit.trail_report" event.

    ``action_labels``: Vietnamese names of actions (the pages' HISTORY_LABELS); an action
    without one is printed as its code. The event goes in the caller's transaction.
    """
    trail = dossier_trail(uow, principal, dossier_id)
    made_at = utcnow()
    docx = report_docx(trail, principal, made_at, action_labels or {})
    # LibreOffice takes a second or more. The trail and the head were read in one snapshot;
    # end that transaction now so that a writing unit of work (BEGIN IMMEDIATE on SQLite)
    # holds no lock meanwhile. The event below starts the caller's next transaction.
    uow.rollback()
    try:
        pdf = to_pdf(docx)
    except PdfConversionError as exc:
        log.error("trail report failed", extra={"dossier_id": dossier_id, "error": str(exc)})
        raise ReportUnavailable("Chưa lập được báo cáo PDF; vui lòng thử lại sau.") from None
    append(uow.session, actor_any(principal), ctx or RequestContext(), EventInput(
        action=REPORT_ACTION, target_type="dossier", target_id=str(dossier_id),
        dossier_id=dossier_id,
        details={"events": len(trail.events), "first": _point(trail.first),
                 "last": _point(trail.last), "head": _point(trail.head),
                 "pdf_sha256": hashlib.sha256(pdf).hexdigest(), "pdf_size": len(pdf)}))
    return pdf


def _point(point: ChainPoint | None) -> dict | None:
    return {"id": point.id, "hash": point.hash} if point else None


# --- the report document ---------------------------------------------------------------------

FONT = "Times New Roman"
COLUMNS = (("Thời gian", 2.1), ("Người thực hiện", 2.6), ("Vai trò", 2.4), ("Đơn vị", 2.8),
           ("Hành động", 2.3), ("Bước", 2.5), ("Quyết định", 2.3), ("Ý kiến", 3.4),
           ("Tài liệu", 4.2))
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Mm(297), Mm(210), Mm(15)


def _local(at: datetime) -> str:
    return format_datetime(at.replace(tzinfo=UTC))


def report_rows(trail: DossierTrail, action_labels: Mapping[str, str]) -> list[list[str]]:
    """The table of the report, one row of plain text per event."""
    rows = []
    for e in trail.events:
        actor = f"{e.actor_name} ({e.actor})" if e.actor_name else (e.actor or "")
        decision = e.decision_label or (DECISION_LABELS.get(e.decision, e.decision)
                                        if e.decision else "")
        documents = "\n".join(
            f"{d.get('name') or '#' + str(d.get('id'))} v{d.get('version')} · "
            f"{str(d.get('sha256', ''))[:12]}"
            + (f" · PDF {d['pdf_sha256'][:12]}" if d.get("pdf_sha256") else "")
            for d in e.documents)
        rows.append([_local(e.at), actor, ROLE_LABELS.get(e.role, e.role) if e.role else "",
                     e.organisation or "", action_labels.get(e.action, e.action),
                     e.step_name or "", decision, e.comment or "", documents])
    return rows


def report_docx(trail: DossierTrail, principal: Principal, made_at: datetime,
                action_labels: Mapping[str, str]) -> bytes:
    """A plain landscape A4 report: title, the dossier's facts, the events, the hashes."""
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(11)
    set_fonts(normal.element.get_or_add_rPr())
    normal.paragraph_format.space_after = Pt(2)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    for side in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
        setattr(section, side, MARGIN)
    d = trail.dossier
    title = document.paragraphs[0] if document.paragraphs else document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(f"NHẬT KÝ XỬ LÝ HỒ SƠ #{d.id}")
    run.bold, run.font.size = True, Pt(15)
    for label, value in (
            ("Tiêu đề", d.title), ("Đơn vị", d.unit), ("Cụm/Khối thi đua", d.cluster or "—"),
            ("Đợt thi đua", d.campaign),
            ("Trạng thái", STATUS_LABELS.get(d.status, d.status)),
            ("Số sự kiện", str(len(trail.events))),
            ("Lập báo cáo", f"{_local(made_at)} · {principal.full_name} ({principal.username})")):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(value)
    _events_table(document, report_rows(trail, action_labels))
    closing = [("Sự kiện đầu", trail.first), ("Sự kiện cuối", trail.last),
               ("Đầu chuỗi nhật ký lúc lập báo cáo", trail.head)]
    document.add_paragraph()
    for label, point in closing:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(f"#{point.id} · SHA-256 {point.hash}" if point else "—")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _events_table(document, rows: list[list[str]]) -> None:
    table = document.add_table(rows=1 + len(rows), cols=len(COLUMNS))
    table.style = "Table Grid"
    table.autofit = False
    width = PAGE_WIDTH - 2 * MARGIN
    total = sum(w for _, w in COLUMNS)
    for column, (_, weight) in zip(table.columns, COLUMNS, strict=True):
        column.width = int(width * weight / total)  # the grid, which LibreOffice follows
        for cell in column.cells:
            cell.width = column.width
    header = table.rows[0]
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeat on each page
    for cell, (heading, _) in zip(header.cells, COLUMNS, strict=True):
        run = cell.paragraphs[0].add_run(heading)
        run.bold, run.font.size = True, Pt(10)
    for row, values in zip(table.rows[1:], rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            lines = value.split("\n") if value else [""]
            for number, line in enumerate(lines):
                paragraph = cell.paragraphs[0] if number == 0 else cell.add_paragraph()
                paragraph.add_run(line).font.size = Pt(10)
