"""Load → act → save: the only way the service drives a workflow instance.

State is saved *without* its spec (DESIGN decision 4): an instance row holds :func:`dump_state`
output, the published version holds the spec JSON, and :func:`restore` joins them. Deserialized
spec objects are cached per ``spec_key`` (the version's content hash) in a small LRU; the spec
JSON is parsed afresh on a miss because SpiffWorkflow's deserializer mutates the dicts it reads.

Every call that moves the engine is bounded (SE-4): a looping diagram ends in :class:`EngineError`
instead of a hung worker. After an :class:`EngineError` the workflow object is in an undefined
state and must be discarded, not saved: the caller's unit of work rolls back.

Timers fire when an instance is loaded for a command (:func:`fire_due_timers`); until a worker
fires them on its own, a timer takes effect at the next action on its dossier.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.specs.ExclusiveChoice import ExclusiveChoice
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .evaluator import ExpressionError
from .factory import (
    SERIALIZER_VERSION,
    SafeBpmnWorkflow,
    load_spec,
    new_serializer,
    new_workflow,
)
from .registry import EXTENSION_KEY

__all__ = [
    "MAX_ENGINE_STEPS",
    "EngineError",
    "OpenTask",
    "StateRejected",
    "Workflow",
    "advance",
    "clear_spec_cache",
    "complete",
    "dump_state",
    "fire_due_timers",
    "is_finished",
    "open_tasks",
    "outcome",
    "restore",
    "spec_objects",
    "start",
]

Workflow = SafeBpmnWorkflow

MAX_ENGINE_STEPS = 1000
MAX_ENGINE_SECONDS = 5.0
# do_engine_steps ends by refreshing timers; one that fires there leaves engine tasks READY
# that it does not run itself, so the runner calls it again, a bounded number of times.
MAX_ENGINE_ROUNDS = 10
# SpiffWorkflow's task iterators stop descending at depth 1000, after which tasks silently
# disappear from get_tasks() and is_completed(); every loop-back grows the tree, so stop well
# before that.
MAX_TREE_DEPTH = 800
SPEC_CACHE_SIZE = 64

MAX_FIELD_TEXT = 10_000
MAX_FIELD_ITEMS = 1000
MAX_FIELD_NESTING = 5
MAX_FIELD_INT = 10**15

_STATE_TYPENAME = SafeBpmnWorkflow.__name__


class EngineError(Exception):
    """The engine refused or failed; ``message`` is Vietnamese and safe to show a reviewer."""

    def __init__(self, message: str, *, element_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.element_id = element_id


class StateRejected(EngineError):
    """Saved state that we will not deserialize (SE-6)."""


@dataclass(frozen=True)
class OpenTask:
    """A user task waiting for a decision; ``task_id`` is SpiffWorkflow's task uuid."""

    task_id: str
    step: str
    name: str
    lane: str | None
    role: str | None = None
    scope: str | None = None


# -- serializer and spec cache ------------------------------------------------------------------

_local = threading.local()


def _serializer() -> BpmnWorkflowSerializer:
    # One per thread: SpiffWorkflow's registry toggles a flag while serializing.
    serializer = getattr(_local, "serializer", None)
    if serializer is None:
        serializer = _local.serializer = new_serializer()
    return serializer


@dataclass(frozen=True)
class _CachedSpec:
    spec_json: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]


_cache: OrderedDict[str, _CachedSpec] = OrderedDict()
_cache_lock = threading.Lock()


def clear_spec_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _specs(spec_json: str, spec_key: str) -> _CachedSpec:
    with _cache_lock:
        entry = _cache.get(spec_key)
        if entry is not None:
            _cache.move_to_end(spec_key)
    if entry is not None:
        # A key names one content; identical objects make this check free on the hot path.
        if entry.spec_json is not spec_json and entry.spec_json != spec_json:
            raise EngineError("Đặc tả quy trình không khớp với khóa phiên bản đã lưu.")
        return entry
    try:
        spec, subprocess_specs = load_spec(spec_json, serializer=_serializer())
    except Exception:
        raise EngineError("Không đọc được đặc tả của phiên bản quy trình.") from None
    entry = _CachedSpec(spec_json, spec, subprocess_specs)
    with _cache_lock:
        _cache[spec_key] = entry
        _cache.move_to_end(spec_key)
        while len(_cache) > SPEC_CACHE_SIZE:
            _cache.popitem(last=False)
    return entry


# -- running the engine (bounded) ---------------------------------------------------------------


class _Runaway(Exception):
    """Raised from the step callback; never escapes this module."""


def _failure(exc: Exception, current: Task | None) -> EngineError:
    """Translate an engine exception; its own text (English, internals) is never shown."""
    if isinstance(exc, EngineError):
        return exc
    task_spec = getattr(exc, "task_spec", None) or (current.task_spec if current else None)
    element_id = getattr(task_spec, "bpmn_id", None)
    if isinstance(exc, ExpressionError):
        return EngineError(
            f"Lỗi biểu thức trong quy trình: {exc.message}", element_id=element_id
        )
    if isinstance(exc, WorkflowException) and isinstance(task_spec, ExclusiveChoice):
        return EngineError(
            "Không có nhánh nào của cổng rẽ nhánh phù hợp với dữ liệu hồ sơ.",
            element_id=element_id,
        )
    return EngineError("Quy trình gặp lỗi và không chạy tiếp được.", element_id=element_id)


def _run_engine(wf: SafeBpmnWorkflow) -> None:
    steps = 0
    deadline = time.monotonic() + MAX_ENGINE_SECONDS
    current: Task | None = None

    def track(task: Task) -> None:
        nonlocal current
        current = task

    def count(_task: Task) -> None:
        nonlocal steps
        steps += 1
        if steps > MAX_ENGINE_STEPS or time.monotonic() > deadline:
            raise _Runaway

    active: list[Task] = []
    try:
        for _round in range(MAX_ENGINE_ROUNDS):
            wf.do_engine_steps(will_complete_task=track, did_complete_task=count)
            active = wf.get_tasks(state=TaskState.READY | TaskState.WAITING)
            if not any(t.has_state(TaskState.READY) and not t.task_spec.manual for t in active):
                break
    except _Runaway:
        raise EngineError(
            "Quy trình vượt quá số bước tự động cho phép trong một lần xử lý "
            "(sơ đồ có thể có vòng lặp không dừng)."
        ) from None
    except Exception as exc:
        raise _failure(exc, current) from None
    for task in active:
        if task.depth > MAX_TREE_DEPTH:
            raise EngineError("Hồ sơ đã bị trả lại quá nhiều lần; quy trình không thể tiếp tục.")


# -- public API -----------------------------------------------------------------------------------


def start(model_spec_json: str, spec_key: str, data: Mapping[str, Any]) -> SafeBpmnWorkflow:
    """A new instance with ``data`` (set by the service) run until it waits on user tasks."""
    entry = _specs(model_spec_json, spec_key)
    initial = _clean_mapping(data)
    wf = new_workflow(entry.spec, entry.subprocess_specs)
    wf.task_tree.data.update(initial)
    _run_engine(wf)
    return wf


def spec_objects(
    model_spec_json: str, spec_key: str
) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    """The deserialized spec of a version (shared, read-only), for the engine's own modules."""
    entry = _specs(model_spec_json, spec_key)
    return entry.spec, entry.subprocess_specs


def advance(wf: SafeBpmnWorkflow) -> None:
    """Run the engine until the instance waits on people or timers, or ends (bounded)."""
    _run_engine(wf)


def _position(wf: SafeBpmnWorkflow) -> tuple[frozenset, bool]:
    waiting = wf.get_tasks(state=TaskState.READY | TaskState.WAITING)
    return frozenset((t.id, t.state) for t in waiting), wf.is_completed()


def fire_due_timers(wf: SafeBpmnWorkflow) -> bool:
    """Let every timer whose time has come fire, then run the engine; True if anything moved.

    Called whenever an instance is loaded for a command, so a timer takes effect at the latest
    when someone next acts on the dossier. Cheap without timers: only waiting catch events are
    looked at.
    """
    if not wf.event_manager.tasks:
        return False
    before = _position(wf)
    try:
        wf.refresh_timers()
    except Exception as exc:
        raise _failure(exc, None) from None
    _run_engine(wf)
    return _position(wf) != before


def _decode_state(state_json: str | bytes) -> dict[str, Any]:
    try:
        dct = json.loads(state_json)
    except (TypeError, ValueError):
        raise StateRejected("Trạng thái quy trình đã lưu không đọc được.") from None
    if not isinstance(dct, dict):
        raise StateRejected("Trạng thái quy trình đã lưu không đọc được.")
    if dct.get(BpmnWorkflowSerializer.VERSION_KEY) != SERIALIZER_VERSION:
        raise StateRejected(
            "Trạng thái quy trình được lưu bởi phiên bản phần mềm khác, không được đọc."
        )
    if dct.get("typename") != _STATE_TYPENAME or "spec" in dct or "subprocess_specs" in dct:
        raise StateRejected("Trạng thái quy trình đã lưu không đúng định dạng.")
    del dct[BpmnWorkflowSerializer.VERSION_KEY]
    return dct


def restore(model_spec_json: str, spec_key: str, state_json: str) -> SafeBpmnWorkflow:
    """Rebuild an instance from its saved state and its version's spec.

    The version check happens before any SpiffWorkflow code sees the state (SE-6).
    """
    dct = _decode_state(state_json)
    entry = _specs(model_spec_json, spec_key)
    try:
        wf = _serializer().from_dict(
            dct, spec=entry.spec, subprocess_specs=entry.subprocess_specs
        )
    except Exception:
        raise StateRejected("Trạng thái quy trình đã lưu không khớp với đặc tả.") from None
    if not isinstance(wf, SafeBpmnWorkflow) or wf.task_tree is None:
        raise StateRejected("Trạng thái quy trình đã lưu không đúng định dạng.")
    if any(task.task_spec is None for task in wf.tasks.values()):
        raise StateRejected("Trạng thái quy trình đã lưu không khớp với đặc tả.")
    return wf


def dump_state(wf: SafeBpmnWorkflow) -> str:
    """JSON of the instance state, without spec, stamped with :data:`SERIALIZER_VERSION`."""
    try:
        return _serializer().serialize_json(wf)
    except Exception:
        raise EngineError("Không lưu được trạng thái quy trình.") from None


def _meta(task: Task) -> dict[str, Any] | None:
    extensions = getattr(task.task_spec, "extensions", None) or {}
    meta = extensions.get(EXTENSION_KEY)
    return meta if isinstance(meta, dict) else None


def open_tasks(wf: SafeBpmnWorkflow) -> list[OpenTask]:
    """User tasks waiting for a decision, in the engine's order."""
    result = []
    for task in wf.get_tasks(state=TaskState.READY, manual=True):
        spec = task.task_spec
        meta = _meta(task) or {}
        result.append(
            OpenTask(
                task_id=str(task.id),
                step=spec.bpmn_id,
                name=spec.bpmn_name or spec.bpmn_id,
                lane=meta.get("lane", spec.lane),
                role=meta.get("role"),
                scope=meta.get("scope"),
            )
        )
    return result


def _clean(value: Any, field: str, depth: int = 0) -> Any:
    """A client value as we are willing to store it: JSON-shaped and bounded."""

    def refuse() -> EngineError:
        return EngineError(f"Giá trị của trường '{field}' không hợp lệ.")

    if depth > MAX_FIELD_NESTING:
        raise refuse()
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_FIELD_INT:
            raise refuse()
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise refuse()
        return value
    if isinstance(value, str):
        if len(value) > MAX_FIELD_TEXT:
            raise refuse()
        return value
    if isinstance(value, list | tuple):
        if len(value) > MAX_FIELD_ITEMS:
            raise refuse()
        return [_clean(item, field, depth + 1) for item in value]
    if isinstance(value, dict):
        # "typename" is how SpiffWorkflow's deserializer recognises its own objects: a client
        # dict carrying it would be turned into one (or break the instance) on the next load.
        if len(value) > MAX_FIELD_ITEMS or "typename" in value:
            raise refuse()
        if not all(isinstance(key, str) and len(key) <= 200 for key in value):
            raise refuse()
        return {key: _clean(item, field, depth + 1) for key, item in value.items()}
    raise refuse()


def _clean_mapping(values: Mapping[str, Any]) -> dict[str, Any]:
    """Copy service-supplied data under the same rules as client values.

    Even trusted data must be JSON-shaped and free of "typename" dicts, or the instance could
    not be saved and restored.
    """
    if not all(isinstance(key, str) for key in values):
        raise EngineError("Dữ liệu quy trình phải có khóa là chuỗi.")
    return {key: _clean(value, key) for key, value in values.items()}


def _ready_task(wf: SafeBpmnWorkflow, task_id: str) -> Task:
    not_found = EngineError("Không tìm thấy công việc đang chờ xử lý này.")
    try:
        uuid = UUID(str(task_id))
    except ValueError:
        raise not_found from None
    task = wf.tasks.get(uuid)
    if task is None or not task.has_state(TaskState.READY) or not task.task_spec.manual:
        raise not_found
    return task


def complete(
    wf: SafeBpmnWorkflow,
    task_id: str,
    *,
    decision: str,
    fields: Mapping[str, Any],
    service_data: Mapping[str, Any],
) -> None:
    """Complete a user task with a decision, then run the engine until it waits or ends.

    Only the step's declared fields are kept (SE-5); ``decision`` and ``service_data`` are
    written after them, so a client cannot set routing variables.
    """
    task = _ready_task(wf, task_id)
    meta = _meta(task)
    if meta is None or meta.get("kind") != "step":
        raise EngineError("Công việc này không phải một bước xử lý hồ sơ.")
    allowed_decisions = [value for value, _label in meta.get("decisions", [])]
    if decision not in allowed_decisions:
        raise EngineError(
            "Quyết định không có trong các lựa chọn của bước này.",
            element_id=task.task_spec.bpmn_id,
        )
    allowed_fields = set(meta.get("fields", []))
    accepted = {
        name: _clean(value, name) for name, value in fields.items() if name in allowed_fields
    }
    trusted = _clean_mapping(service_data)
    task.data.update(accepted)
    task.data["decision"] = decision
    task.data.update(trusted)
    try:
        task.run()
    except Exception as exc:
        raise _failure(exc, task) from None
    _run_engine(wf)


def is_finished(wf: SafeBpmnWorkflow) -> bool:
    return wf.is_completed()


def outcome(wf: SafeBpmnWorkflow) -> str | None:
    """"approved" or "rejected" from the end event reached; None while the instance runs."""
    if not wf.is_completed():
        return None
    reached = set()
    for task in wf.get_tasks(state=TaskState.COMPLETED):
        meta = _meta(task)
        if meta is not None and meta.get("kind") == "end":
            reached.add(meta.get("outcome"))
    # Parallel branches could reach both: a single rejection decides.
    if "rejected" in reached:
        return "rejected"
    if "approved" in reached:
        return "approved"
    return None
