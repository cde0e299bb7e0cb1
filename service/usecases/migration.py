"""Moving a running dossier's instance to a newer version of its process (admin only).

Running dossiers keep the version they started on (DESIGN decision 4). An administrator may
move one forward when every step it waits at exists in the target version; the move is one
command: load (firing due timers), migrate through the engine, re-project the open tasks,
save, audit ``instance.migrated`` with both versions and their SHA-256. A refused move is
audited too (``instance.migration_refused``) and answered 409 with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from service.audit.log import EventInput, RequestContext, append, utcnow
from service.db.models import Dossier, ProcessInstance, ProcessModelVersion, Task
from service.db.session import UnitOfWork
from service.domain.roles import Role
from service.engine import runner
from service.engine.migrate import MigrationRefused, migrate
from service.usecases import route
from service.usecases.actors import admin_actor
from service.usecases.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.usecases.principal import Principal


@dataclass(frozen=True)
class Migrated:
    dossier_id: int
    from_version: int
    to_version: int
    current_step: str | None


def _target_number(value: object) -> int:
    if isinstance(value, bool):
        raise InvalidInput("Phiên bản đích phải là một số nguyên.", code="invalid_version")
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput("Phiên bản đích phải là một số nguyên.",
                           code="invalid_version") from None


def migrate_instance(uow: UnitOfWork, principal: Principal, ctx: RequestContext,
                     dossier_id: int, target_version: object) -> Migrated:
    """Move the dossier's instance to ``target_version`` of its model, or refuse (409)."""
    if not principal.has_role(Role.ADMIN):
        raise Forbidden("Chỉ quản trị hệ thống được chuyển hồ sơ sang phiên bản quy trình khác.")
    number = _target_number(target_version)
    session = uow.session
    dossier = session.get(Dossier, dossier_id)
    instance = session.scalar(select(ProcessInstance).where(
        ProcessInstance.dossier_id == dossier_id)) if dossier is not None else None
    if instance is None:
        raise NotFound("Không tìm thấy hồ sơ.")
    current = instance.model_version
    target = session.scalar(select(ProcessModelVersion).where(
        ProcessModelVersion.model_id == current.model_id, ProcessModelVersion.version == number))
    if target is None:
        raise NotFound("Không tìm thấy phiên bản quy trình.")

    def refuse(code: str, message: str, steps: tuple[str, ...] = ()) -> Conflict:
        # The refusal is part of the trail: drop whatever the attempt changed, record the
        # refusal alone, commit it, then answer.
        event = EventInput(
            action="instance.migration_refused", target_type="process_instance",
            target_id=str(instance.id), dossier_id=dossier_id,
            details={"key": current.model.key, "from_version": current.version,
                     "to_version": target.version, "code": code, "steps": list(steps),
                     "reason": message},
        )
        session.rollback()
        append(session, admin_actor(principal), ctx, event)
        uow.commit()
        return Conflict(message, code=code, details={"steps": list(steps)} if steps else None)

    if target.version <= current.version:
        raise refuse("not_newer", f"Phiên bản {target.version} không mới hơn phiên bản "
                                  f"{current.version} mà hồ sơ đang theo.")
    if instance.status != "running":
        raise refuse("finished", "Hồ sơ đã kết thúc quy trình; không chuyển phiên bản được.")
    waiting = list(session.scalars(select(Task.step).where(
        Task.instance_id == instance.id, Task.state == "open")))
    target_steps = route.steps_of(target)
    missing = tuple(dict.fromkeys(step for step in waiting if step not in target_steps))
    if missing:
        names = ", ".join(f"“{route.steps_of(current)[s].name}” ({s})"
                          if s in route.steps_of(current) else s for s in missing)
        raise refuse("step_missing", f"Hồ sơ đang chờ ở bước {names}, bước này không có "
                                     f"trong phiên bản {target.version}.", missing)

    wf = runner.restore(current.spec_json, current.sha256, instance.state_json)
    try:
        runner.fire_due_timers(wf)
        moved = migrate(wf, target.spec_json, target.sha256)
    except MigrationRefused as exc:
        raise refuse(exc.code, exc.message, exc.element_ids) from None
    except runner.EngineError as exc:
        raise InvalidInput(exc.message, code="engine_error") from None

    now = utcnow()
    instance.model_version = target
    instance.state_json = moved.state_json
    instance.updated_at = now
    dossier.updated_at = now
    route.reproject_open_tasks(session, instance, target, dossier, moved.workflow, now)
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("Hồ sơ vừa được cập nhật bởi người khác; vui lòng tải lại.") from None
    append(session, admin_actor(principal), ctx, EventInput(
        action="instance.migrated", target_type="process_instance", target_id=str(instance.id),
        dossier_id=dossier.id, step=dossier.current_step,
        details={"key": current.model.key,
                 "from_version": current.version, "from_sha256": current.sha256,
                 "to_version": target.version, "to_sha256": target.sha256,
                 "current_steps": [t.step for t in runner.open_tasks(moved.workflow)]},
    ))
    return Migrated(dossier.id, current.version, target.version, dossier.current_step)


@dataclass(frozen=True)
class RunningInstance:
    """A running dossier of a model, with what a move to the latest version would meet."""

    dossier_id: int
    title: str
    unit: str
    version: int
    waiting: tuple[tuple[str, str], ...]  # (step id, step name)
    movable: bool
    blocked_by: tuple[str, ...]  # waiting step ids the latest version does not have


def running_instances(uow: UnitOfWork, principal: Principal, key: str
                      ) -> tuple[ProcessModelVersion | None, list[RunningInstance]]:
    """Running dossiers of model ``key`` on versions older than its latest (admin only)."""
    if not principal.has_role(Role.ADMIN):
        raise Forbidden("Chỉ quản trị hệ thống được xem hồ sơ theo phiên bản quy trình.")
    session = uow.session
    latest = session.scalar(
        select(ProcessModelVersion).join(ProcessModelVersion.model)
        .where(ProcessModelVersion.model.has(key=key))
        .order_by(ProcessModelVersion.version.desc()).limit(1))
    if latest is None:
        raise NotFound(f"Không có quy trình “{key}”.")
    latest_steps = route.steps_of(latest)
    rows = session.execute(
        select(ProcessInstance, Dossier)
        .join(Dossier, Dossier.id == ProcessInstance.dossier_id)
        .join(ProcessModelVersion, ProcessModelVersion.id == ProcessInstance.model_version_id)
        .where(ProcessModelVersion.model_id == latest.model_id,
               ProcessModelVersion.version < latest.version,
               ProcessInstance.status == "running")
        .order_by(Dossier.id)).all()
    open_steps: dict[int, list[Task]] = {}
    if rows:
        for task in session.scalars(select(Task).where(
                Task.instance_id.in_([i.id for i, _ in rows]), Task.state == "open")):
            open_steps.setdefault(task.instance_id, []).append(task)
    result = []
    for instance, dossier in rows:
        waiting = tuple((t.step, t.name) for t in open_steps.get(instance.id, []))
        blocked = tuple(step for step, _ in waiting if step not in latest_steps)
        result.append(RunningInstance(dossier.id, dossier.title, dossier.unit.name,
                                      instance.model_version.version, waiting,
                                      not blocked, blocked))
    return latest, result
