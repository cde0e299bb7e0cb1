"""SQLAlchemy 2 typed models: the whole persistent state of TĐKT Flow."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, WriteOnlyMapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Organisation(Base):
    """An organisation: the province, the board, a cluster/block, a unit (cơ quan, đơn vị)."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    place_name: Mapped[str | None] = mapped_column(String(100))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))

    parent: Mapped[Organisation | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id]
    )


class ClusterMembership(Base):
    """A unit's membership of an emulation cluster/block (Cụm/Khối thi đua) for one year."""

    __tablename__ = "cluster_membership"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    year: Mapped[int] = mapped_column(Integer)
    is_leading_unit: Mapped[bool] = mapped_column(Boolean, default=False)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Where deadline notices are e-mailed too (optional; nothing is sent without it).
    email: Mapped[str | None] = mapped_column(String(254))

    # Lazy by default, as are the relationships below: a query that needs them says so with
    # joinedload/selectinload (service/web/serializers.py), so that loading a user or a task
    # never drags in rows nobody reads. The principal is read with Core
    # (service/usecases/principal.py), not through this collection.
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class RoleAssignment(Base):
    """A role held by a user in an organisation, for a period."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "role", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(40), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    user: Mapped[User] = relationship(back_populates="roles")
    organisation: Mapped[Organisation] = relationship()


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class LoginAttempt(Base):
    """Recent failed sign-ins, per account and per address (WEB-5)."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class AwardType(Base):
    """An award of the provincial catalogue, as dated data with its legal basis."""

    __tablename__ = "award_type"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(20))
    ballot_threshold: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    multiplier: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    # {"individual": "1.0", "household": "1.5"}: where a subject is rewarded differently.
    subject_multipliers: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(String(300))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


def reward_multiplier(award: AwardType, subject_type: str) -> Decimal:
    """× mức lương cơ sở for one subject (tập thể, cá nhân, hộ gia đình) of this award."""
    if award.subject_multipliers:
        value = json.loads(award.subject_multipliers).get(subject_type)
        if value is not None:
            return Decimal(value)
    return Decimal(award.multiplier)


class Campaign(Base):
    """An emulation campaign (phong trào / đợt thi đua) with its deadline."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    year: Mapped[int] = mapped_column(Integer)
    plan_reference: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    process_model_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Dossier(Base):
    """Hồ sơ đề nghị khen thưởng: a unit's proposals for one campaign."""

    __tablename__ = "dossier"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), index=True)
    current_step: Mapped[str | None] = mapped_column(String(100))
    current_step_name: Mapped[str | None] = mapped_column(String(200))
    submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # {"decision": 2, ...}: the template versions this dossier's papers are made from, pinned
    # when its route starts, as the route itself stays on its model version.
    template_versions: Mapped[str | None] = mapped_column(Text)

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Organisation] = relationship(foreign_keys=[unit_id])
    proposals: Mapped[list[Proposal]] = relationship(
        back_populates="dossier", order_by="Proposal.position", cascade="all, delete-orphan"
    )
    documents: Mapped[list[Document]] = relationship(
        back_populates="dossier", order_by="Document.id"
    )
    audit_events: WriteOnlyMapped[AuditEvent] = relationship(
        primaryjoin="Dossier.id == foreign(AuditEvent.dossier_id)", viewonly=True
    )


class Proposal(Base):
    """One proposal line: a candidate and the award proposed, with its own outcome."""

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    subject_type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    award_code: Mapped[str] = mapped_column(ForeignKey("award_type.code"))
    summary: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(20), default="pending")
    outcome_reason: Mapped[str | None] = mapped_column(Text)

    dossier: Mapped[Dossier] = relationship(back_populates="proposals")


class Document(Base):
    """A document of a dossier; its content lives in versions, never overwritten."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    display_name: Mapped[str] = mapped_column(String(200))
    generated: Mapped[bool] = mapped_column(Boolean, default=False)
    # For a generated paper: its official number ("05/QĐ-UBND") and the template it came from.
    number: Mapped[str | None] = mapped_column(String(60))
    template: Mapped[str | None] = mapped_column(String(80))  # "decision@2"
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    dossier: Mapped[Dossier] = relationship(back_populates="documents")
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.version", lazy="selectin"
    )


class DocumentVersion(Base):
    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    object_key: Mapped[str] = mapped_column(String(300), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(120))
    display_name: Mapped[str] = mapped_column(String(200))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)
    # The PDF made from a generated .docx, kept beside it with its own hash.
    pdf_object_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_size: Mapped[int | None] = mapped_column(BigInteger)

    document: Mapped[Document] = relationship(back_populates="versions")


class ProcessModel(Base):
    __tablename__ = "process_model"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    versions: Mapped[list[ProcessModelVersion]] = relationship(
        back_populates="model", order_by="ProcessModelVersion.version"
    )


class ProcessModelVersion(Base):
    """A published, immutable version of a process model, keyed by its content hash."""

    __tablename__ = "process_model_version"
    __table_args__ = (
        UniqueConstraint("model_id", "version"),
        UniqueConstraint("model_id", "sha256", name="model_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_model.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # Deferred: only the download and the API's version endpoint read the BPMN source; every
    # start and every completion loads the version for its spec.
    xml: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    spec_json: Mapped[str] = mapped_column(Text)
    steps_json: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    model: Mapped[ProcessModel] = relationship(back_populates="versions", lazy="joined")


class ProcessModelDraft(Base):
    """The one unpublished draft of a model, overwritten by each save from the modeler."""

    __tablename__ = "process_model_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_model.id"), unique=True)
    # Deferred like a version's XML: listing a model's state needs the hash, not the source.
    xml: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    # The published version the draft started from (None for a model without versions).
    base_version: Mapped[int | None] = mapped_column(Integer)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    model: Mapped[ProcessModel] = relationship()
    updated_by: Mapped[User] = relationship()


class ProcessInstance(Base):
    """A running route: workflow state without its spec, pinned to a model version."""

    __tablename__ = "process_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("process_model_version.id"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)
    state_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20))
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    model_version: Mapped[ProcessModelVersion] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": lock_version}


class Task(Base):
    """The inbox projection of a user task, written with the workflow state."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_open_scope", "state", "role", "organisation_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    step: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    state: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    due_on: Mapped[date | None] = mapped_column(Date)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)

    dossier: Mapped[Dossier] = relationship()
    instance: Mapped[ProcessInstance] = relationship()
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])


class IdempotencyRecord(Base):
    """The first answer to a completion sent with an Idempotency-Key (REL-3)."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AuditEvent(Base):
    """One event of the append-only, hash-chained audit trail."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(40))
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    organisation: Mapped[str | None] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    dossier_id: Mapped[int | None] = mapped_column(Integer, index=True)
    step: Mapped[str | None] = mapped_column(String(100))
    decision: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text)
    documents: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class NumberRegister(Base):
    """A register of official numbers (sổ đăng ký văn bản): one per issuing body, calendar year
    and document code ("QD-UBND"); ``last_number`` is the last number given out."""

    __tablename__ = "number_register"
    __table_args__ = (UniqueConstraint("organisation_id", "year", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    display_code: Mapped[str] = mapped_column(String(60))
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class IssuedNumber(Base):
    """One number given out by a register, with the document it was given to."""

    __tablename__ = "issued_number"
    __table_args__ = (UniqueConstraint("register_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("number_register.id"))
    number: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(300))
    issued_at: Mapped[datetime] = mapped_column(DateTime)

    register: Mapped[NumberRegister] = relationship()


class DocumentTemplate(Base):
    """One published version of an official document's template (templates/<name>.json):
    wording, "Căn cứ" lines, signer titles. Versions are immutable; a dossier keeps the
    versions it started with (``Dossier.template_versions``)."""

    __tablename__ = "document_template"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(300))
    published_at: Mapped[datetime] = mapped_column(DateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    published_by: Mapped[User | None] = relationship()


class Job(Base):
    """A unit of background work (the outbox): generated documents now, timers and
    notifications later. Taken under a lease; a job whose worker died is taken again once
    its lease has run out, and its effects are keyed so that running twice changes nothing."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_ready", "state", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[str] = mapped_column(Text)
    dossier_id: Mapped[int | None] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(20))  # pending | running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(DateTime)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditCheckpoint(Base):
    """A signed statement "the chain's event N has hash H", written periodically and at every
    export. Signed with the audit key kept outside the database (Ed25519), and mirrored to the
    object store, so that rewriting or cutting the chain in the database shows."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    event_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(String(20))  # periodic | export
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class AuditSearch(Base):
    """The searchable text of an event, folded (lower case, no diacritics, đ → d), so that
    "thi dua" finds "thi đua". Derived data beside the chain, not part of what is hashed."""

    __tablename__ = "audit_search"

    # No foreign key: the search rows are derived and must not stand in the way of reading
    # (or of a test deleting) events; the chain is what proves them.
    event_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class AuditExport(Base):
    """An export of the audit trail asked for from the auditor's page and made in the
    background: its progress while it runs, then the stored file (checked on download)."""

    __tablename__ = "audit_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(10))
    filter: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(20))  # pending | running | ready | failed
    events_done: Mapped[int] = mapped_column(Integer, default=0)
    events_total: Mapped[int | None] = mapped_column(Integer)
    object_key: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class Notification(Base):
    """A notice to one user (thông báo): a deadline coming or passed, shown under the bell
    and, when the user has an address, e-mailed by a ``notify.email`` job."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(40))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    title: Mapped[str] = mapped_column(String(400))
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)


class Freeze(Base):
    """A person or collective of a unit that may not be proposed for now (NĐ 98/152, Điều 4):
    under disciplinary review, investigation, inspection, a complaint, or press reports being
    verified. Matched by name within the unit; lifted by giving it an end date."""

    __tablename__ = "freeze"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    folded_name: Mapped[str] = mapped_column(String(300), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class CouncilSession(Base):
    """A session of the provincial Council (Hội đồng TĐKT tỉnh) voting on a campaign's lines:
    its quorum as recorded, and whether the ballot is still open."""

    __tablename__ = "council_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    members_total: Mapped[int] = mapped_column(Integer)
    present: Mapped[int] = mapped_column(Integer)
    absent_with_opinion: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(10))  # open | closed
    minutes_note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    votes: Mapped[list[CouncilVote]] = relationship(
        back_populates="session", order_by="CouncilVote.id", cascade="all, delete-orphan")


class CouncilVote(Base):
    """The ballot on one proposal line: votes for, against the Council's TOTAL membership;
    the award's threshold is copied when the session closes."""

    __tablename__ = "council_vote"
    __table_args__ = (UniqueConstraint("session_id", "proposal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("council_session.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    votes_for: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    passed: Mapped[bool | None] = mapped_column(Boolean)

    session: Mapped[CouncilSession] = relationship(back_populates="votes")
    proposal: Mapped[Proposal] = relationship()


class ScoringCriterion(Base):
    """A line of a cluster's scoring table (bảng chấm điểm thi đua) for one campaign: a
    criterion scored up to its maximum, a bonus line (điểm thưởng) or a penalty line (điểm
    trừ, subtracted from the total)."""

    __tablename__ = "scoring_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    max_points: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    kind: Mapped[str] = mapped_column(String(10))  # criterion | bonus | penalty


class UnitScore(Base):
    """A member unit's points on one line: its own (tự chấm) and the cluster's cross-check."""

    __tablename__ = "unit_score"
    __table_args__ = (UniqueConstraint("criterion_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("scoring_criterion.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    self_points: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    checked_points: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    note: Mapped[str | None] = mapped_column(Text)

    criterion: Mapped[ScoringCriterion] = relationship()


class ClusterBallot(Base):
    """The cluster's ballot electing (suy tôn) its leading unit(s) for a campaign."""

    __tablename__ = "cluster_ballot"

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    ballots_issued: Mapped[int] = mapped_column(Integer)
    ballots_returned: Mapped[int | None] = mapped_column(Integer)
    ballots_valid: Mapped[int | None] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10))  # open | closed
    result_note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    counts: Mapped[list[BallotCount]] = relationship(
        back_populates="ballot", order_by="BallotCount.id", cascade="all, delete-orphan")


class BallotCount(Base):
    """The votes for one member unit on a cluster ballot; ``elected`` is set on closing."""

    __tablename__ = "ballot_count"
    __table_args__ = (UniqueConstraint("ballot_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("cluster_ballot.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    votes_for: Mapped[int] = mapped_column(Integer)
    elected: Mapped[bool | None] = mapped_column(Boolean)

    ballot: Mapped[ClusterBallot] = relationship(back_populates="counts")
    unit: Mapped[Organisation] = relationship()
