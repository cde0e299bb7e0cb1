"""The bridge between a dossier and its workflow: start, project tasks, follow the outcome."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Campaign, Dossier, ProcessInstance, ProcessModelVersion, Task
from service.domain.calendar import WorkingCalendar, vietnam_calendar
from service.domain.dossiers import DossierStatus, Outcome, status_after_step
from service.domain.reminders import escalate_at, remind_at
from service.domain.roles import Scope
from service.engine import runner
from service.jobs import queue
from service.usecases.errors import Conflict

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class StepMeta:
    id: str
    name: str
    lane: str | None
    role: str
    scope: str
    decisions: tuple[tuple[str, str], ...]
    fields: tuple[str, ...]
    due_working_days: int | None
    requires: tuple[str, ...] = ()
    produces: tuple[str, ...] = ()
    generates: tuple[str, ...] = ()

    def decision_label(self, value: str) -> str | None:
        return next((label for v, label in self.decisions if v == value), None)


@lru_cache(maxsize=64)
def _steps_from_json(steps_json: str) -> dict[str, StepMeta]:
    raw = json.loads(steps_json)
    return {
        key: StepMeta(
            id=s["id"], name=s["name"], lane=s.get("lane"), role=s["role"], scope=s["scope"],
            decisions=tuple((d["value"], d["label"]) for d in s["decisions"]),
            fields=tuple(s.get("fields") or ()), due_working_days=s.get("due_working_days"),
            requires=tuple(s.get("requires") or ()), produces=tuple(s.get("produces") or ()),
            generates=tuple(s.get("generates") or ()),
        )
        for key, s in raw.items()
    }


def steps_of(version: ProcessModelVersion) -> dict[str, StepMeta]:
    return _steps_from_json(version.steps_json)


@lru_cache(maxsize=8)
def _calendar(year: int) -> WorkingCalendar:
    return vietnam_calendar(range(year - 1, year + 3))


def local_date(at: datetime) -> date:
    return at.replace(tzinfo=ZoneInfo("UTC")).astimezone(LOCAL_TZ).date()


def due_date(step: StepMeta, received_at: datetime, campaign: Campaign,
             used_working_days: int = 0) -> date | None:
    """Working-day deadline of a step, else the campaign deadline for unit and cluster work.

    ``used_working_days``: days this step already spent on the dossier before it returned it
    (the clock pauses while a dossier is back with the unit and resumes where it stopped).
    """
    if step.due_working_days is not None:
        start = local_date(received_at)
        remaining = max(0, step.due_working_days - used_working_days)
        return _calendar(start.year).add_working_days(start, remaining)
    if step.scope in (Scope.UNIT, Scope.CLUSTER):
        return campaign.deadline
    return None


def days_used_before_returns(session: Session, dossier_id: int, step_id: str) -> int:
    """Working days a step spent on a dossier in its earlier rounds that ended in a return:
    from the day it received the dossier to the day it sent it back."""
    rounds = session.execute(select(Task.received_at, Task.completed_at).where(
        Task.dossier_id == dossier_id, Task.step == step_id, Task.decision == "return",
        Task.completed_at.is_not(None))).all()
    used = 0
    for received_at, completed_at in rounds:
        start, end = local_date(received_at), local_date(completed_at)
        used += max(0, _calendar(start.year).working_days_between(start, end))
    return used


def scope_organisation(step: StepMeta, dossier: Dossier, campaign: Campaign) -> int:
    if step.scope == Scope.UNIT:
        return dossier.unit_id
    if step.scope == Scope.CLUSTER:
        if dossier.cluster_id is None:
            raise Conflict("Đơn vị chưa thuộc Cụm/Khối thi đua nào trong năm của đợt thi đua.")
        return dossier.cluster_id
    return campaign.organisation_id


def start_instance(session: Session, dossier: Dossier, version: ProcessModelVersion,
                   now: datetime) -> tuple[ProcessInstance, list[Task]]:
    wf = runner.start(version.spec_json, version.sha256, {"dossier_id": dossier.id})
    instance = ProcessInstance(
        model_version_id=version.id, dossier_id=dossier.id, state_json=runner.dump_state(wf),
        status="running", outcome=None, created_at=now, updated_at=now,
    )
    session.add(instance)
    session.flush()
    new_tasks = sync_tasks(session, instance, version, dossier, wf, now, new_instance=True)
    return instance, new_tasks


def sync_tasks(session: Session, instance: ProcessInstance, version: ProcessModelVersion,
               dossier: Dossier, wf, now: datetime, *, new_instance: bool = False) -> list[Task]:
    """Write the inbox projection for the workflow's open user tasks.

    The changes (new tasks, cancelled ones, the dossier's status) are left to the caller's
    next flush, so that a step writes each row once.
    """
    # Without autoflush: nothing pending (the dossier, the instance) is needed to find the open
    # tasks or the proposal lines, and flushing it on the way would write those rows twice.
    with session.no_autoflush:
        return _sync_tasks(session, instance, version, dossier, wf, now, new_instance)


def _sync_tasks(session: Session, instance: ProcessInstance, version: ProcessModelVersion,
                dossier: Dossier, wf, now: datetime, new_instance: bool) -> list[Task]:
    steps = steps_of(version)
    existing: dict[str, Task] = {}
    if not new_instance:
        existing = {
            t.id: t for t in session.scalars(
                select(Task).where(Task.instance_id == instance.id, Task.state == "open")
            )
        }
    created: list[Task] = []
    open_ids = set()
    for open_task in runner.open_tasks(wf):
        open_ids.add(open_task.task_id)
        if open_task.task_id in existing:
            continue
        step = steps[open_task.step]
        used = (days_used_before_returns(session, dossier.id, step.id)
                if step.due_working_days is not None and not new_instance else 0)
        task = Task(
            id=open_task.task_id, instance_id=instance.id, dossier_id=dossier.id,
            step=step.id, name=step.name, lane=step.lane, role=step.role, scope=step.scope,
            organisation_id=scope_organisation(step, dossier, dossier.campaign),
            state="open", received_at=now,
            due_on=due_date(step, now, dossier.campaign, used),
        )
        session.add(task)
        created.append(task)
        _schedule_deadline(session, task, now)
    for task_id, task in existing.items():
        if task_id not in open_ids:
            task.state = "cancelled"
    _follow(dossier, instance, steps, created or [t for t in existing.values() if
                                                  t.id in open_ids], wf)
    return created


REMIND_JOB = "deadline.remind"
ESCALATE_JOB = "deadline.escalate"


def _schedule_deadline(session: Session, task: Task, now: datetime) -> None:
    """Queue the reminder and the escalation of a task with a due date (service/domain/
    reminders.py). Added, not flushed: they are written with the task by the caller's flush."""
    if task.due_on is None:
        return
    calendar = _calendar(task.due_on.year)
    escalate = escalate_at(calendar, task.due_on)
    if escalate <= now:
        # Opened already overdue (a campaign deadline long past): the inbox shows it so from
        # the first moment; announcing it at once would only repeat that to the same people.
        return
    payload = {"task_id": task.id}
    remind = remind_at(calendar, task.due_on, now)
    if remind is not None:
        session.add(queue.new_job(kind=REMIND_JOB, dedupe_key=f"remind:{task.id}",
                                  payload=payload, dossier_id=task.dossier_id, now=now,
                                  run_after=remind))
    session.add(queue.new_job(kind=ESCALATE_JOB, dedupe_key=f"escalate:{task.id}",
                              payload=payload, dossier_id=task.dossier_id, now=now,
                              run_after=escalate))


def _follow(dossier: Dossier, instance: ProcessInstance, steps: dict[str, StepMeta],
            open_tasks: list[Task], wf) -> None:
    """Update the dossier's status and current step from where the route now waits."""
    outcome = runner.outcome(wf)
    if runner.is_finished(wf):
        instance.status = "completed"
        instance.outcome = outcome
        dossier.current_step = None
        dossier.current_step_name = None
        for line in dossier.proposals:
            if line.outcome == Outcome.PENDING:
                line.outcome = Outcome.APPROVED if outcome == "approved" else Outcome.NOT_APPROVED
        approved = sum(1 for line in dossier.proposals if line.outcome == Outcome.APPROVED)
        dossier.status = status_after_step(
            scope=None, was_returned=False, outcome=outcome,
            approved_lines=approved, total_lines=len(dossier.proposals),
        )
        return
    current = open_tasks[0] if open_tasks else None
    scope = current.scope if current else None
    if scope and scope != Scope.UNIT:
        dossier.submitted = True
    dossier.current_step = current.step if current else None
    dossier.current_step_name = current.name if current else None
    dossier.status = status_after_step(
        scope=scope, was_returned=dossier.status == DossierStatus.RETURNED,
        outcome=None, approved_lines=0, total_lines=len(dossier.proposals),
    )


def reproject_open_tasks(session: Session, instance: ProcessInstance,
                         version: ProcessModelVersion, dossier: Dossier, wf,
                         now: datetime) -> list[Task]:
    """After the instance moved to ``version``: open rows take the new step's metadata.

    A row keeps its id and received time; its name, lane, role, scope, organisation and due
    date follow the new version, and a claim is dropped when the role or organisation changed
    (the claimant may no longer be a candidate). Then the usual projection runs for tasks that
    opened or closed.
    """
    steps = steps_of(version)
    open_ids = {t.task_id for t in runner.open_tasks(wf)}
    with session.no_autoflush:
        rows = list(session.scalars(
            select(Task).where(Task.instance_id == instance.id, Task.state == "open")))
    for row in rows:
        step = steps.get(row.step)
        if row.id not in open_ids or step is None:
            continue
        organisation_id = scope_organisation(step, dossier, dossier.campaign)
        if (row.role, row.organisation_id) != (step.role, organisation_id):
            row.claimed_by_id = None
            row.claimed_at = None
        row.name, row.lane, row.role, row.scope = step.name, step.lane, step.role, step.scope
        row.organisation_id = organisation_id
        row.due_on = due_date(step, row.received_at, dossier.campaign)
    return sync_tasks(session, instance, version, dossier, wf, now)


def mark_returned(dossier: Dossier) -> None:
    """A return sends the dossier back; the status shows it until it is resubmitted."""
    dossier.status = DossierStatus.RETURNED


def working_days_since(day: date, today: date) -> int:
    """Working days used from ``day`` (a task received) up to today."""
    return _calendar(today.year).working_days_between(day, today)


def working_days_left(due_on: date | None, today: date) -> int | None:
    """Working days from today to the due date; negative once overdue."""
    if due_on is None:
        return None
    return _calendar(today.year).working_days_between(today, due_on)


def today_local() -> date:
    return datetime.now(LOCAL_TZ).date()
