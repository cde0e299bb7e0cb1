"""Task use cases: the inbox, claim and unclaim, and completing a step (REL-1, REL-2, REL-3)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.base import ExecutableOption

from service.audit.log import Actor, EventInput, RequestContext, append, utcnow
from service.db.models import (
    Dossier,
    IdempotencyRecord,
    Organisation,
    ProcessInstance,
    Task,
    User,
)
from service.db.session import UnitOfWork
from service.domain.dossiers import Decision, DossierRuleError, clean_text
from service.domain.roles import Role, Scope
from service.engine import runner
from service.usecases import freezes, papers, route
from service.usecases import principal as principal_uc
from service.usecases.actors import actor_for_org
from service.usecases.documents import (
    DOCUMENT_KINDS,
    current_versions,
    store_version,
    version_ref,
)
from service.usecases.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.usecases.principal import Principal
from service.usecases.scoping import is_candidate, task_filter
from storage.base import ObjectStore


@dataclass(frozen=True)
class InboxQuery:
    state: str = "open"
    campaign_id: int | None = None
    step: str | None = None
    limit: int = 100


# What the inbox page shows besides each task: the people and the dossier with its unit. The
# page renders after its unit of work has closed, so these must come with the tasks.
INBOX_LOAD = (joinedload(Task.claimed_by), joinedload(Task.completed_by),
              joinedload(Task.dossier).joinedload(Dossier.unit))

# What completing a step reads with the task, in one statement: the dossier with its campaign
# (due dates of new tasks) and its unit (the answer shows the dossier), and the process
# instance with its model version (joined by the model). Its proposal lines and documents load
# lazily, one statement each: for a single dossier that is cheaper than selectinload (task,
# dossier and both collections measured 0.79 ms against 1.05 ms).
_COMPLETE_LOAD = (
    joinedload(Task.dossier).joinedload(Dossier.campaign),
    joinedload(Task.dossier).joinedload(Dossier.unit),
    joinedload(Task.instance),
)


def inbox(uow: UnitOfWork, principal: Principal, query: InboxQuery, *,
          load: Sequence[ExecutableOption] = INBOX_LOAD) -> list[Task]:
    """The caller's tasks from the projection: no workflow is deserialized.

    ``load``: loader options for the relationships the caller shows (see INBOX_LOAD).
    """
    stmt: Select = select(Task).where(task_filter(principal)).options(*load)
    if query.state == "open":
        stmt = stmt.where(Task.state == "open")
    elif query.state == "completed":
        stmt = stmt.where(Task.state == "completed", Task.completed_by_id == principal.user_id)
    else:
        raise InvalidInput("Trạng thái công việc phải là open hoặc completed.")
    if query.campaign_id is not None:
        stmt = stmt.join(Dossier, Dossier.id == Task.dossier_id).where(
            Dossier.campaign_id == query.campaign_id)
    if query.step:
        stmt = stmt.where(Task.step == query.step)
    order = (Task.due_on.is_(None), Task.due_on, Task.received_at)
    return list(uow.session.scalars(stmt.order_by(*order).limit(max(1, min(query.limit, 500)))))


def get_task(uow: UnitOfWork, principal: Principal, task_id: str, *,
             load: Sequence[ExecutableOption] = ()) -> Task:
    """A task is visible to its candidates only; others get not found (WEB-6)."""
    task = uow.session.get(Task, str(task_id)[:36], options=load)
    if task is None or not is_candidate(principal, task):
        raise NotFound("Không tìm thấy công việc.")
    return task


def _grant_for(principal: Principal, task: Task):
    return next(g for g in principal.grants if g.role == task.role
                and task.organisation_id in g.reach)


def claim(uow: UnitOfWork, principal: Principal, ctx: RequestContext, task_id: str) -> Task:
    task = get_task(uow, principal, task_id)
    _require_open(uow, task)
    if task.claimed_by_id not in (None, principal.user_id):
        raise Conflict(f"Công việc đang do {task.claimed_by.full_name} nhận xử lý.",
                       details={"claimed_by": task.claimed_by.username})
    free_or_mine = Task.claimed_by_id.is_(None) | (Task.claimed_by_id == principal.user_id)
    changed = uow.session.execute(
        update(Task).where(Task.id == task.id, Task.state == "open", free_or_mine)
        .values(claimed_by_id=principal.user_id, claimed_at=utcnow())
    ).rowcount
    if changed != 1:
        raise Conflict("Công việc vừa được người khác nhận.")
    uow.session.refresh(task)
    append(uow.session, actor_for_org(principal, _grant_for(principal, task)), ctx, EventInput(
        action="task.claimed", target_type="task", target_id=task.id,
        dossier_id=task.dossier_id, step=task.step,
    ))
    return task


def unclaim(uow: UnitOfWork, principal: Principal, ctx: RequestContext, task_id: str) -> Task:
    task = get_task(uow, principal, task_id)
    _require_open(uow, task)
    if task.claimed_by_id is None:
        return task
    if task.claimed_by_id != principal.user_id:
        raise Conflict(f"Công việc đang do {task.claimed_by.full_name} nhận xử lý; "
                       "chỉ người đó được trả lại.")
    task.claimed_by = None
    task.claimed_at = None
    uow.session.flush()
    append(uow.session, actor_for_org(principal, _grant_for(principal, task)), ctx, EventInput(
        action="task.unclaimed", target_type="task", target_id=task.id,
        dossier_id=task.dossier_id, step=task.step,
    ))
    return task


def reassign(uow: UnitOfWork, principal: Principal, ctx: RequestContext, task_id: str,
             username: str) -> Task:
    """Hand a task to another candidate: its claimant may, and so may an administrator (who
    is not a candidate, so sees the task by its id here only). The new holder must be an
    active account that could take the task itself."""
    is_admin = principal.has_role(Role.ADMIN)
    task = uow.session.get(Task, str(task_id)[:36]) if is_admin else None
    if task is None:
        task = get_task(uow, principal, task_id)
    _require_open(uow, task)
    if not is_admin and task.claimed_by_id != principal.user_id:
        raise Forbidden("Chỉ người đang nhận xử lý hoặc quản trị hệ thống được giao lại "
                        "công việc.", code="not_claimant")
    target = uow.session.scalar(select(User).where(
        User.username == (username or "").strip().lower(), User.is_active.is_(True)))
    target_principal = principal_uc.principal_for_user(uow.session, target.id) if target else None
    if target_principal is None or not is_candidate(target_principal, task):
        raise InvalidInput("Người được giao phải là tài khoản đang hoạt động có vai trò xử lý "
                           "bước này.", code="not_a_candidate")
    before = task.claimed_by.username if task.claimed_by else None
    same_holder = (Task.claimed_by_id.is_(None) if task.claimed_by_id is None
                   else Task.claimed_by_id == task.claimed_by_id)
    changed = uow.session.execute(
        update(Task).where(Task.id == task.id, Task.state == "open", same_holder)
        .values(claimed_by_id=target.id, claimed_at=utcnow())
    ).rowcount
    if changed != 1:
        raise Conflict("Công việc vừa thay đổi; vui lòng tải lại.")
    uow.session.refresh(task)
    grant = (_grant_for(principal, task) if is_candidate(principal, task)
             else principal.primary_grant())
    append(uow.session, actor_for_org(principal, grant), ctx, EventInput(
        action="task.reassigned", target_type="task", target_id=task.id,
        dossier_id=task.dossier_id, step=task.step,
        details={"before": {"claimed_by": before}, "after": {"claimed_by": target.username}},
    ))
    return task


def _require_open(uow: UnitOfWork, task: Task) -> None:
    if task.state != "open":
        who = uow.session.get(User, task.completed_by_id) if task.completed_by_id else None
        name = who.full_name if who else "người khác"
        raise Conflict(f"Công việc đã được {name} xử lý.",
                       code="already_completed",
                       details={"completed_by": who.username if who else None})


@dataclass
class Completion:
    decision: str
    comment: str = ""
    fields: dict = field(default_factory=dict)
    attachment: tuple[str, bytes] | None = None  # (filename, bytes)
    attachment_kind: str = "attachment"
    # Lines the approver does not carry forward, [{"proposal_id", "reason"}]; and the cluster's
    # meeting record for its Biên bản (service/usecases/papers.py).
    excluded_lines: object = None
    moved_lines: object = None  # [{"proposal_id", "award_code", "reason"}]: another award
    meeting: object = None


def _preparers(uow: UnitOfWork, dossier: Dossier) -> set[int]:
    """Whoever created the dossier or acted on it at a unit step (WEB-7)."""
    ids = {dossier.created_by_id}
    ids.update(uow.session.scalars(
        select(Task.completed_by_id).where(
            Task.dossier_id == dossier.id, Task.scope == Scope.UNIT,
            Task.completed_by_id.is_not(None))
    ))
    return ids


def complete(uow: UnitOfWork, store: ObjectStore, principal: Principal, ctx: RequestContext,
             task_id: str, completion: Completion, *, max_bytes: int) -> Task:
    """Decide a step: compare-and-set the task, advance the workflow, project, audit."""
    task = get_task(uow, principal, task_id, load=_COMPLETE_LOAD)
    _require_open(uow, task)
    if task.claimed_by_id not in (None, principal.user_id):
        raise Conflict(f"Công việc đang do {task.claimed_by.full_name} nhận xử lý.",
                       details={"claimed_by": task.claimed_by.username})
    dossier = task.dossier
    if task.scope != Scope.UNIT and principal.user_id in _preparers(uow, dossier):
        raise Forbidden("Người đã chuẩn bị hồ sơ không được duyệt hồ sơ đó ở bước sau.",
                        code="separation_of_duties")
    instance = task.instance
    steps = route.steps_of(instance.model_version)
    step = steps[task.step]
    decision = str(completion.decision)
    if step.decision_label(decision) is None:
        raise InvalidInput("Quyết định không hợp lệ cho bước này.", code="invalid_decision")
    try:
        comment = clean_text(completion.comment, field="Ý kiến", max_length=4000,
                             required=decision in (Decision.RETURN, Decision.REJECT))
    except DossierRuleError:
        raise InvalidInput("Trả lại hoặc từ chối phải ghi rõ lý do.",
                           code="reason_required") from None
    if not isinstance(completion.fields, dict):
        raise InvalidInput("Trường dữ liệu phải là một đối tượng.")
    if decision == Decision.APPROVE and step.requires:
        _require_documents(dossier, step, completion)

    now = utcnow()
    excluded: list[dict] = []
    moved: list[dict] = []
    meeting = None
    if decision == Decision.RETURN:
        papers.reopen_lines(dossier)
    elif decision == Decision.APPROVE and task.scope != Scope.UNIT:
        excluded = papers.exclude_lines(dossier, completion.excluded_lines)
        moved = papers.move_lines(uow.session, dossier, completion.moved_lines, excluded)
    if decision == Decision.APPROVE:
        freezes.refuse_frozen_lines(uow.session, dossier, route.local_date(now))
        if "cluster_minutes" in step.generates and dossier.cluster_id is not None:
            meeting = papers.read_meeting(
                completion.meeting,
                members=papers.members_of(uow.session, dossier.cluster_id,
                                          dossier.campaign.year),
                lines=dossier.proposals, today=route.local_date(now),
                default_place=uow.session.get(Organisation, dossier.cluster_id).name)
    # Compare-and-set first: the loser of a race stops here, before any engine work.
    won = uow.session.execute(
        update(Task).where(Task.id == task.id, Task.state == "open").values(
            state="completed", completed_by_id=principal.user_id, completed_at=now,
            decision=decision, comment=comment or None,
        )
    ).rowcount
    if won != 1:
        uow.rollback()
        fresh = uow.session.get(Task, task.id)
        _require_open(uow, fresh)
        raise Conflict("Công việc vừa được xử lý.")
    # No refresh: the ORM UPDATE above has already set the new column values on ``task``
    # (synchronize_session="auto" evaluates them in Python). Only the user relationship follows
    # the new completed_by_id; expiring it lets whoever reads it load the right user.
    uow.session.expire(task, ["completed_by"])

    attached = []
    if completion.attachment is not None:
        filename, data = completion.attachment
        version = store_version(uow, store, principal, dossier, kind=completion.attachment_kind,
                                filename=filename, data=data, max_bytes=max_bytes)
        attached.append(version_ref(version))
        uow.session.refresh(dossier, ["documents"])

    wf = runner.restore(instance.model_version.spec_json, instance.model_version.sha256,
                        instance.state_json)
    timers_fired = _fire_timers(wf)
    if timers_fired and task.id not in {t.task_id for t in runner.open_tasks(wf)}:
        # A deadline passed before this decision arrived: the route has moved on without it.
        task_id, instance_id = task.id, instance.id
        uow.rollback()  # the compare-and-set above, and anything else of this attempt
        record_timers(uow, ctx, instance_id)
        uow.commit()
        raise Conflict("Bước này đã hết thời hạn và quy trình đã tự chuyển sang bước tiếp theo; "
                       "vui lòng tải lại.", code="timer_fired", details={"task_id": task_id})
    try:
        runner.complete(wf, task.id, decision=decision, fields=completion.fields,
                        service_data={"decided_by_role": task.role})
    except runner.EngineError as exc:
        raise InvalidInput(str(exc), code="engine_error") from None
    if decision == Decision.RETURN:
        route.mark_returned(dossier)
    route.sync_tasks(uow.session, instance, instance.model_version, dossier, wf, now)
    instance.state_json = runner.dump_state(wf)
    instance.updated_at = now
    dossier.updated_at = now
    if decision == Decision.APPROVE and step.generates:
        papers.pin_templates(uow.session, dossier)
    try:
        # One flush writes the new tasks, the instance (checked against its lock_version)
        # and the dossier, each once.
        uow.session.flush()
    except StaleDataError:
        raise Conflict("Hồ sơ vừa được cập nhật bởi người khác; vui lòng tải lại.") from None
    actor = actor_for_org(principal, _grant_for(principal, task))
    generated = None
    if decision == Decision.APPROVE and step.generates:
        generated = papers.plan(uow, papers.Approval(
            dossier=dossier, task_id=task.id, step=task.step, actor=actor, request=ctx,
            signer_name=principal.full_name, at=now, comment=comment,
            fields=completion.fields, meeting=meeting), step.generates)
    details = {"step_name": task.name, "decision_label": step.decision_label(decision),
               "status_after": dossier.status, "next_step": dossier.current_step,
               "attachments": attached}
    if timers_fired:
        details["timers_fired"] = True
    if excluded:
        details["excluded_lines"] = excluded
    if moved:
        details["moved_lines"] = moved
    if meeting is not None:
        details["meeting"] = papers.meeting_summary(meeting)
    if generated:
        details["papers"] = generated
    append(uow.session, actor, ctx, EventInput(
        action="task.completed", target_type="task", target_id=task.id,
        dossier_id=dossier.id, step=task.step, decision=decision, comment=comment or None,
        details=details, documents=current_versions(dossier),
    ))
    return task


def _require_documents(dossier: Dossier, step: route.StepMeta, completion: Completion) -> None:
    """A step that ``requires`` kinds of document approves only once the dossier has them."""
    present = {d.kind for d in dossier.documents if d.latest_version > 0}
    if completion.attachment is not None:
        present.add(completion.attachment_kind)
    missing = [kind for kind in step.requires if kind not in present]
    if missing:
        names = ", ".join(f"“{DOCUMENT_KINDS.get(kind, kind)}”" for kind in missing)
        raise InvalidInput(f"Hồ sơ chưa có {names}; cần bổ sung trước khi đồng ý ở bước này.",
                           code="document_required", details={"kinds": missing})


def _fire_timers(wf) -> bool:
    try:
        return runner.fire_due_timers(wf)
    except runner.EngineError as exc:
        raise InvalidInput(str(exc), code="engine_error") from None


def record_timers(uow: UnitOfWork, ctx: RequestContext, instance_id: int) -> bool:
    """Load an instance, let due timers fire, and save what they did (audited as the system).

    Used when a command finds that a timer has moved the instance under it; a background
    worker that fires timers on its own will call the same. True when anything moved.
    """
    instance = uow.session.get(ProcessInstance, instance_id)
    if instance is None or instance.status != "running":
        return False
    version = instance.model_version
    wf = runner.restore(version.spec_json, version.sha256, instance.state_json)
    if not _fire_timers(wf):
        return False
    now = utcnow()
    dossier = uow.session.get(Dossier, instance.dossier_id)
    before = dossier.current_step
    route.sync_tasks(uow.session, instance, version, dossier, wf, now)
    instance.state_json = runner.dump_state(wf)
    instance.updated_at = now
    dossier.updated_at = now
    try:
        uow.session.flush()
    except StaleDataError:
        raise Conflict("Hồ sơ vừa được cập nhật bởi người khác; vui lòng tải lại.") from None
    append(uow.session, Actor(None, "system"), ctx, EventInput(
        action="instance.timers_fired", target_type="process_instance",
        target_id=str(instance.id), dossier_id=dossier.id, step=dossier.current_step,
        details={"step_before": before, "status_after": dossier.status,
                 "next_step": dossier.current_step},
    ))
    return True


def request_fingerprint(task_id: str, payload: dict) -> str:
    body = json.dumps({"task": task_id, **payload}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def find_idempotent(uow: UnitOfWork, user_id: int, key: str) -> IdempotencyRecord | None:
    return uow.session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key))


def remember_idempotent(uow: UnitOfWork, user_id: int, key: str, fingerprint: str,
                        status: int, body: dict) -> None:
    uow.session.add(IdempotencyRecord(
        user_id=user_id, key=key, request_hash=fingerprint, status_code=status,
        body=json.dumps(body, ensure_ascii=False, default=str), created_at=utcnow()))


@dataclass(frozen=True)
class TaskView:
    """What the action form offers: the step's decisions and the fields it accepts.

    ``requires``: kinds of document the dossier must hold before an approval; ``produces``:
    kinds the step makes, the first of which is the kind of a file attached to the decision
    (``attachment_kind``).
    """

    decisions: tuple[tuple[str, str], ...]
    fields: tuple[str, ...]
    model_key: str
    model_version: int
    requires: tuple[str, ...] = ()
    produces: tuple[str, ...] = ()
    generates: tuple[str, ...] = ()
    # Whether the approver may leave lines out (any step after the unit's), and the member
    # units of the cluster whose meeting an approval records (a step generating the Biên bản).
    can_exclude: bool = False
    meeting_members: tuple[tuple[int, str], ...] = ()

    @property
    def attachment_kind(self) -> str:
        return self.produces[0] if self.produces else "attachment"

    def attachment_kind_for(self, requested: str | None) -> str:
        """The kind a file attached to the decision is stored as: one the step produces."""
        return requested if requested and requested in self.produces else self.attachment_kind


def task_view(uow: UnitOfWork, task: Task) -> TaskView:
    instance = uow.session.get(ProcessInstance, task.instance_id)
    step = route.steps_of(instance.model_version)[task.step]
    dossier = task.dossier
    members: tuple[tuple[int, str], ...] = ()
    if "cluster_minutes" in step.generates and dossier.cluster_id is not None:
        members = tuple((m.id, m.name) for m in papers.members_of(
            uow.session, dossier.cluster_id, dossier.campaign.year))
    return TaskView(step.decisions, step.fields, instance.model_version.model.key,
                    instance.model_version.version, step.requires, step.produces,
                    step.generates, can_exclude=task.scope != Scope.UNIT,
                    meeting_members=members)
