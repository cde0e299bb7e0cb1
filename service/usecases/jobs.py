"""Background jobs as an administrator sees them: what waits, what failed, and a retry."""

from __future__ import annotations

from sqlalchemy import select

from service.audit.log import EventInput, RequestContext, append, utcnow
from service.db.models import Job
from service.db.session import UnitOfWork
from service.domain.roles import Role
from service.jobs import queue
from service.usecases.actors import admin_actor
from service.usecases.errors import Conflict, Forbidden, NotFound
from service.usecases.principal import Principal

OPEN_STATES = (queue.PENDING, queue.RUNNING, queue.FAILED)


def _require_admin(principal: Principal) -> None:
    if not principal.has_role(Role.ADMIN):
        raise Forbidden("Chỉ quản trị hệ thống được xem việc nền.")


def unfinished(uow: UnitOfWork, principal: Principal, *, limit: int = 200) -> list[Job]:
    """Jobs not done, failed ones first, then the oldest. Reminders scheduled for later and
    not yet tried are not listed: they are plans, not work waiting."""
    _require_admin(principal)
    scheduled = (Job.state == queue.PENDING) & (Job.attempts == 0) & (Job.run_after > utcnow())
    rows = uow.session.scalars(select(Job).where(Job.state.in_(OPEN_STATES), ~scheduled)
                               .order_by(Job.state != queue.FAILED, Job.id).limit(limit))
    return list(rows)


def retry(uow: UnitOfWork, principal: Principal, ctx: RequestContext, job_id: int) -> Job:
    """Put a failed job back in the queue, audited."""
    _require_admin(principal)
    job = uow.session.get(Job, job_id)
    if job is None:
        raise NotFound("Không tìm thấy việc nền.")
    if queue.retry(uow, job_id) is None:
        raise Conflict("Chỉ chạy lại được việc nền đã thất bại.", code="job_not_failed")
    append(uow.session, admin_actor(principal), ctx, EventInput(
        action="job.retried", target_type="job", target_id=str(job.id),
        dossier_id=job.dossier_id, details={"kind": job.kind}))
    return job
