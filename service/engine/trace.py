"""Where an instance has been: the sequence flows its saved task tree shows it took.

SpiffWorkflow keeps a completed task under the task it came from, so a parent and child that
are both BPMN elements name a flow between them. Internal specs without a BPMN id (the start
task, the wrappers around a task with boundary events, the end join) are skipped over.
"""

from __future__ import annotations

from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .factory import SafeBpmnWorkflow
from .registry import NS, find_process
from .xml import parse_xml

__all__ = ["flows_taken"]

_REACHED = TaskState.COMPLETED | TaskState.STARTED | TaskState.READY | TaskState.WAITING


def _bpmn_id(task: Task) -> str | None:
    return getattr(task.task_spec, "bpmn_id", None)


def _flow_index(xml: bytes) -> dict[tuple[str, str], list[str]]:
    process, _ = find_process(parse_xml(xml))
    index: dict[tuple[str, str], list[str]] = {}
    if process is None:
        return index
    for flow in process.iterfind("bpmn:sequenceFlow", NS):
        source, target, flow_id = flow.get("sourceRef"), flow.get("targetRef"), flow.get("id")
        if source and target and flow_id:
            index.setdefault((source, target), []).append(flow_id)
    return index


def flows_taken(xml: bytes, wf: SafeBpmnWorkflow) -> list[str]:
    """Ids of the sequence flows of ``xml`` that the instance took, in the tree's order.

    ``xml`` is the diagram of the version the instance runs on; a flow is listed once however
    often it was taken.
    """
    index = _flow_index(xml)
    taken: dict[str, None] = {}
    for task in wf.get_tasks(state=_REACHED):
        target = _bpmn_id(task)
        if target is None:
            continue
        parent = task.parent
        while parent is not None and _bpmn_id(parent) is None:
            parent = parent.parent
        if parent is None:
            continue
        for flow_id in index.get((_bpmn_id(parent), target), ()):
            taken.setdefault(flow_id, None)
    return list(taken)
