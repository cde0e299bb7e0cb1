"""Deadline reminders and escalations (nhắc hạn, báo quá hạn), run from the job table.

``route.sync_tasks`` queues a ``deadline.remind`` and a ``deadline.escalate`` job for every task
it opens with a due date (service/domain/reminders.py says when). When one runs, a task that
is no longer open is left alone; otherwise its candidates are notified (for an escalation,
also the Trưởng Ban for steps at the province) and an audit event is written by the system,
all in the job's finishing transaction, so that a job run once has its effect once (REL-4).
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.log import Actor, EventInput, RequestContext, append
from service.db.models import Dossier, Job, Organisation, RoleAssignment, Task, User
from service.db.session import UnitOfWork
from service.domain.roles import Role, Scope
from service.jobs import queue
from service.usecases import notifications
from service.usecases.route import ESCALATE_JOB, REMIND_JOB


def candidates(session: Session, role: str, organisation_id: int) -> list[int]:
    """Active users who may take a task of ``role`` at ``organisation_id``: those holding the
    role there or in an organisation below it (a grant reaches its organisation and its
    ancestors: service/usecases/principal.py)."""
    down = (select(Organisation.id).where(Organisation.id == organisation_id)
            .cte("org_down", recursive=True))
    down = down.union(select(Organisation.id).join(down, Organisation.parent_id == down.c.id))
    return list(session.scalars(
        select(RoleAssignment.user_id).distinct()
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role == role,
               RoleAssignment.organisation_id.in_(select(down.c.id)),
               User.is_active.is_(True))
        .order_by(RoleAssignment.user_id)))


def supervisors(session: Session, task: Task) -> list[int]:
    """Who an overdue step is escalated to besides its candidates: the Trưởng Ban for steps at
    the province; a unit's or a cluster's step goes to its own candidates again."""
    if task.scope == Scope.PROVINCE:
        return candidates(session, Role.BOARD_HEAD, task.organisation_id)
    return []


def _announce(uow: UnitOfWork, job: Job, *, escalate: bool) -> None:
    session = uow.session
    task = session.get(Task, json.loads(job.payload)["task_id"])
    if task is None or task.state != "open" or task.due_on is None:
        return
    dossier = session.get(Dossier, task.dossier_id)
    recipients = candidates(session, task.role, task.organisation_id)
    if escalate:
        recipients += [u for u in supervisors(session, task) if u not in recipients]
    due = f"{task.due_on:%d/%m/%Y}"
    if escalate:
        kind, action = "deadline.escalated", "deadline.escalated"
        title = f"Quá hạn xử lý: bước “{task.name}” của hồ sơ “{dossier.title}” (hạn {due})."
    else:
        kind, action = "deadline.reminder", "deadline.reminded"
        title = f"Sắp đến hạn: bước “{task.name}” của hồ sơ “{dossier.title}” (hạn {due})."
    sent = notifications.notify(session, recipients, kind, title, f"/tasks/{task.id}",
                                dossier_id=task.dossier_id, task_id=task.id)
    append(session, Actor(None, "system"), RequestContext(request_id=f"job-{job.id}"),
           EventInput(action=action, target_type="task", target_id=task.id,
                      dossier_id=task.dossier_id, step=task.step,
                      details={"job": job.id, "due_on": task.due_on.isoformat(),
                               "step_name": task.name,
                               "notified": sorted({n.user_id for n in sent})}))


@queue.handler(REMIND_JOB)
def remind(runtime: queue.Runtime, job: Job) -> queue.Apply:
    return lambda uow: _announce(uow, job, escalate=False)


@queue.handler(ESCALATE_JOB)
def escalate(runtime: queue.Runtime, job: Job) -> queue.Apply:
    return lambda uow: _announce(uow, job, escalate=True)
