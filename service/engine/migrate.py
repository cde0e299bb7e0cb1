"""Move a running instance onto a newer published version of its process (instance migration).

SpiffWorkflow's own tools do the work (``SpiffWorkflow.bpmn.util.diff``): ``diff_workflow``
aligns the instance's task specs with the target's by BPMN id (then by structure), and
``migrate_workflow`` re-points every aligned task and re-predicts the branches that wait. This
module adds what the service needs around them: the checks that make a move safe, and the
proof that the moved state saves and restores against the target spec alone.

A move is refused, with the element named, when
- a step the instance waits at does not exist in the target (``step_missing``): the person
  holding it would lose their task;
- a task the instance already completed has no counterpart in the target
  (``history_missing``): the saved state could no longer be read with the target's spec.

On refusal the workflow object may already be changed: the caller discards it.
"""

from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow

from .factory import SafeBpmnWorkflow, new_serializer
from .runner import EngineError, advance, dump_state, open_tasks, restore, spec_objects

__all__ = ["MigrationRefused", "Moved", "migrate"]


class MigrationRefused(EngineError):
    """The instance cannot move; ``code`` says why and ``element_ids`` which elements."""

    def __init__(self, code: str, message: str, element_ids: tuple[str, ...]) -> None:
        super().__init__(message, element_id=element_ids[0] if element_ids else None)
        self.code = code
        self.element_ids = element_ids


@dataclass(frozen=True)
class Moved:
    """The moved instance (restored from its new state, as the next command will see it)."""

    workflow: SafeBpmnWorkflow
    state_json: str


def _label(task_spec) -> str:  # noqa: ANN001 - SpiffWorkflow's untyped spec
    return getattr(task_spec, "bpmn_id", None) or task_spec.name


def migrate(wf: SafeBpmnWorkflow, target_spec_json: str, target_key: str) -> Moved:
    """Move ``wf`` onto the target version's spec, or raise :class:`MigrationRefused`."""
    spec, subprocess_specs = spec_objects(target_spec_json, target_key)
    waiting = [task.step for task in open_tasks(wf)]
    missing = tuple(dict.fromkeys(
        step for step in waiting
        if step not in spec.task_specs or not spec.task_specs[step].manual
    ))
    if missing:
        raise MigrationRefused(
            "step_missing",
            "Bước hồ sơ đang chờ không có trong phiên bản đích: " + ", ".join(missing) + ".",
            missing,
        )
    if wf.subprocesses:
        raise MigrationRefused(
            "unsupported", "Không chuyển được hồ sơ có quy trình con đang chạy.", ()
        )
    try:
        top_diff, _ = diff_workflow(new_serializer().registry, wf, spec, subprocess_specs)
        migrate_workflow(top_diff, wf, spec)
        wf.subprocess_specs = dict(subprocess_specs)
    except Exception:
        raise EngineError("Không so khớp được trạng thái hồ sơ với phiên bản đích.") from None
    # Aligned tasks now point at the target's specs; a task still on one of the old ones is
    # history the target cannot describe (predicted branches were re-made from the target).
    targets = {id(task_spec) for task_spec in spec.task_specs.values()}
    orphans = tuple(dict.fromkeys(
        _label(task.task_spec) for task in wf.tasks.values() if id(task.task_spec) not in targets
    ))
    if orphans:
        raise MigrationRefused(
            "history_missing",
            "Hồ sơ đã đi qua các phần tử không còn trong phiên bản đích: "
            + ", ".join(orphans) + ".",
            orphans,
        )
    advance(wf)
    state_json = dump_state(wf)
    # What the next command will do: restore the saved state with the target spec only.
    moved = restore(target_spec_json, target_key, state_json)
    return Moved(moved, state_json)
