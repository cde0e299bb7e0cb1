"""Notifications (thông báo): rows under the bell, and an e-mail per recipient with an address.

``notify`` adds the rows in the caller's transaction and one ``notify.email`` job per
recipient who has an e-mail address, so a notice and its e-mail exist exactly when the command
that raised them committed. The job sends a UTF-8 plain-text message with smtplib; without an
SMTP host configured it finishes without sending and says so in the log.
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Iterable, Sequence
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session

from service.audit.log import utcnow
from service.db.models import Job, Notification, RoleAssignment, User
from service.db.session import UnitOfWork
from service.domain.roles import Role
from service.jobs import queue
from service.usecases.errors import InvalidInput
from service.usecases.principal import Principal

log = logging.getLogger("tdkt.notifications")

EMAIL_JOB = "notify.email"
LIST_LIMIT = 50
MAX_IDS = 500
SMTP_TIMEOUT = 30


def notify(session: Session, user_ids: Iterable[int], kind: str, title: str, link: str | None,
           dossier_id: int | None = None, task_id: str | None = None) -> list[Notification]:
    """Notify active users (never a read-only auditor) in the caller's transaction."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return []
    # A user with some role other than auditor: auditors only read, they receive nothing.
    acting = exists().where(RoleAssignment.user_id == User.id, RoleAssignment.role != Role.AUDITOR)
    recipients = session.execute(
        select(User.id, User.email)
        .where(User.id.in_(wanted), User.is_active.is_(True), acting)
        .order_by(User.id)).all()
    now = utcnow()
    rows = [Notification(user_id=user_id, kind=kind, dossier_id=dossier_id, task_id=task_id,
                         title=title[:400], link=link, created_at=now)
            for user_id, _email in recipients]
    session.add_all(rows)
    session.flush()
    for row, (_user_id, email) in zip(rows, recipients, strict=True):
        if email:
            session.add(queue.new_job(kind=EMAIL_JOB, dedupe_key=f"email:{row.id}",
                                      payload={"notification_id": row.id},
                                      dossier_id=dossier_id, now=now))
    return rows


def unread_count(uow: UnitOfWork, principal: Principal) -> int:
    return uow.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == principal.user_id, Notification.read_at.is_(None))) or 0


def unread(uow: UnitOfWork, principal: Principal) -> list[Notification]:
    """The caller's unread notifications, newest first."""
    return list(uow.session.scalars(
        select(Notification)
        .where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
        .order_by(Notification.id.desc()).limit(LIST_LIMIT)))


def recent(uow: UnitOfWork, principal: Principal, *, limit: int = LIST_LIMIT
           ) -> list[Notification]:
    """The caller's latest notifications, read or not, newest first."""
    return list(uow.session.scalars(
        select(Notification).where(Notification.user_id == principal.user_id)
        .order_by(Notification.id.desc()).limit(limit)))


def mark_read(uow: UnitOfWork, principal: Principal, ids: Sequence[int] | str) -> int:
    """Mark the caller's own notifications read: a list of ids, or ``"all"``. Returns how
    many changed; other users' ids are ignored."""
    mine = and_(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
    if ids != "all":
        if (not isinstance(ids, list | tuple) or len(ids) > MAX_IDS
                or any(isinstance(i, bool) or not isinstance(i, int) for i in ids)):
            raise InvalidInput("“ids” phải là danh sách mã thông báo hoặc \"all\".",
                               code="invalid_ids")
        if not ids:
            return 0
        mine = and_(mine, Notification.id.in_(ids))
    return uow.session.execute(
        update(Notification).where(mine).values(read_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount


# --- the e-mail, after the commit --------------------------------------------------------------


def message(*, sender: str, to: str, name: str, title: str, url: str | None) -> EmailMessage:
    """The plain-text e-mail of a notification (UTF-8, Vietnamese)."""
    msg = EmailMessage()
    msg["Subject"] = f"[TĐKT Flow] {title}"
    msg["From"] = formataddr(("TĐKT Flow", sender))
    msg["To"] = formataddr((name, to))
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    lines = [f"Kính gửi {name},", "", title, ""]
    if url:
        lines += [f"Xem và xử lý tại: {url}", ""]
    lines += ["Trân trọng,", "TĐKT Flow (thư gửi tự động, vui lòng không trả lời thư này)."]
    msg.set_content("\n".join(lines), charset="utf-8")
    return msg


@queue.handler(EMAIL_JOB)
def send_email(runtime: queue.Runtime, job: Job) -> queue.Apply:
    """Send the notification's e-mail (outside any transaction); nothing to write after."""
    notification_id = json.loads(job.payload)["notification_id"]
    smtp = runtime.settings.get("smtp") or {}
    with UnitOfWork(runtime.engine, write=False) as uow:
        row = uow.session.execute(
            select(Notification.title, Notification.link, User.email, User.full_name)
            .join(User, User.id == Notification.user_id)
            .where(Notification.id == notification_id)).first()
    if row is None or not row.email:
        log.info("notification %s: no recipient address, nothing sent", notification_id)
    elif not smtp.get("host"):
        log.info("notification %s: no SMTP host configured (TDKT_SMTP_HOST), e-mail not sent",
                 notification_id)
    else:
        base = (smtp.get("public_url") or "").rstrip("/")
        url = f"{base}{row.link}" if row.link else None
        msg = message(sender=smtp.get("sender") or "tdkt-flow@localhost", to=row.email,
                      name=row.full_name, title=row.title, url=url)
        _send(smtp, msg)
        log.info("notification %s e-mailed", notification_id)

    def apply(_uow: UnitOfWork) -> None:
        return None

    return apply


def _send(smtp: dict, msg: EmailMessage) -> None:
    with smtplib.SMTP(smtp["host"], int(smtp.get("port") or 25), timeout=SMTP_TIMEOUT) as client:
        if smtp.get("starttls"):
            client.starttls()
        if smtp.get("user"):
            client.login(smtp["user"], smtp.get("password") or "")
        client.send_message(msg)
