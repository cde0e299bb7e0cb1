"""What changed between two versions of a diagram: elements added, removed and changed, by id.

Pure: both documents go through the hardened loader (XML-1) and are only read. Elements are
matched by their BPMN id; for each, the fields that matter to the route are compared (the lane
and role that act, the decisions and fields a step accepts, its deadline and documents, a flow's
ends and condition, a gateway's default, a timer). Layout (``bpmndi``) and other modelers'
extensions are not part of the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from .registry import NS, find_process
from .timers import DATE, DURATION, TimerInvalid, parse_timer
from .xml import parse_xml

__all__ = ["FIELDS", "Change", "ElementChange", "ElementRef", "ModelDiff", "diff_models"]

# The compared fields, in the order changes are listed.
FIELDS = ("type", "name", "lane", "role", "scope", "decisions", "fields", "due_working_days",
          "documents", "condition", "source", "target", "default", "timer", "outcome",
          "documentation")

_SKIPPED = {"laneSet", "extensionElements", "documentation", "incoming", "outgoing"}


@dataclass(frozen=True)
class ElementRef:
    id: str
    type: str
    name: str | None


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ElementChange:
    id: str
    type: str
    name: str | None
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class ModelDiff:
    added: tuple[ElementRef, ...]
    removed: tuple[ElementRef, ...]
    changed: tuple[ElementChange, ...]


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _text(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    return " ".join("".join(node.itertext()).split()) or None


def _lane_meta(lane: etree._Element | None) -> etree._Element | None:
    while lane is not None:
        meta = lane.find("bpmn:extensionElements/tdkt:lane", NS)
        if meta is not None:
            return meta
        parent_set = lane.getparent()
        parent = parent_set.getparent() if parent_set is not None else None
        lane = parent if parent is not None and _local(parent) == "lane" else None
    return None


def _timer(event: etree._Element) -> str | None:
    for tag in (DATE, DURATION, "timeCycle"):
        node = event.find(f"bpmn:timerEventDefinition/bpmn:{tag}", NS)
        if node is not None:
            try:
                return f"{tag}: {parse_timer(tag, node.text).value}"
            except TimerInvalid:
                return f"{tag}: {(node.text or '').strip()}"
    return None


def _step_fields(task: etree._Element, lane: etree._Element | None) -> dict[str, Any]:
    meta = task.find("bpmn:extensionElements/tdkt:step", NS)
    lane_meta = _lane_meta(lane)

    def inherited(name: str) -> str | None:
        own = meta.get(name) if meta is not None else None
        return own or (lane_meta.get(name) if lane_meta is not None else None)

    due = meta.get("dueWorkingDays") if meta is not None else None

    def nodes(tag: str) -> list[etree._Element]:
        return meta.findall(f"tdkt:{tag}", NS) if meta is not None else []

    return {
        "role": inherited("role"),
        "scope": inherited("scope"),
        "decisions": [[n.get("value"), n.get("label")] for n in nodes("decision")],
        "fields": [n.get("name") for n in nodes("field")],
        "due_working_days": int(due) if due and due.strip().isdigit() else due,
        "documents": [f"{n.get('use')}:{n.get('kind')}" for n in nodes("document")],
    }


def _describe(process: etree._Element) -> dict[str, tuple[str, dict[str, Any]]]:
    """id -> (type, fields) for the process, its lanes and its flow elements."""
    lanes: dict[str, etree._Element] = {}
    for lane in process.iterfind(".//bpmn:lane", NS):
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            if ref.text:
                lanes[ref.text.strip()] = lane
    elements: dict[str, tuple[str, dict[str, Any]]] = {}

    def add(node: etree._Element, kind: str, fields: dict[str, Any]) -> None:
        node_id = node.get("id")
        if node_id and node_id not in elements:
            base = {"type": kind, "name": node.get("name"),
                    "documentation": _text(node.find("bpmn:documentation", NS))}
            elements[node_id] = (kind, {**base, **fields})

    add(process, "process", {})
    for lane in process.iterfind(".//bpmn:lane", NS):
        meta = lane.find("bpmn:extensionElements/tdkt:lane", NS)
        add(lane, "lane", {"role": meta.get("role") if meta is not None else None,
                           "scope": meta.get("scope") if meta is not None else None})
    for node in process:
        kind = _local(node)
        if not kind or kind in _SKIPPED or etree.QName(node).namespace != NS["bpmn"]:
            continue
        lane = lanes.get(node.get("id", ""))
        fields: dict[str, Any] = {}
        if lane is not None:
            fields["lane"] = lane.get("name") or lane.get("id")
        if kind == "userTask":
            fields.update(_step_fields(node, lane))
        elif kind == "sequenceFlow":
            fields.update(source=node.get("sourceRef"), target=node.get("targetRef"),
                          condition=_text(node.find(".//bpmn:conditionExpression", NS)))
        elif kind.endswith("Gateway"):
            fields["default"] = node.get("default")
        elif kind.endswith("Event"):
            fields["timer"] = _timer(node)
            if kind == "boundaryEvent":
                fields["target"] = node.get("attachedToRef")
            end = node.find("bpmn:extensionElements/tdkt:end", NS)
            if end is not None:
                fields["outcome"] = end.get("outcome")
        add(node, kind, fields)
    return elements


def _elements(xml: bytes) -> dict[str, tuple[str, dict[str, Any]]]:
    process, _ = find_process(parse_xml(xml))
    return _describe(process) if process is not None else {}


def diff_models(before: bytes, after: bytes) -> ModelDiff:
    """Compare two diagrams; raises :class:`~service.engine.xml.XmlRejected` for unsafe XML."""
    old, new = _elements(before), _elements(after)
    added = tuple(ElementRef(i, new[i][0], new[i][1]["name"]) for i in new if i not in old)
    removed = tuple(ElementRef(i, old[i][0], old[i][1]["name"]) for i in old if i not in new)
    changed = []
    for element_id, (kind, fields) in new.items():
        if element_id not in old:
            continue
        previous = old[element_id][1]
        changes = tuple(
            Change(name, previous.get(name), fields.get(name))
            for name in FIELDS if previous.get(name) != fields.get(name)
        )
        if changes:
            changed.append(ElementChange(element_id, kind, fields["name"], changes))
    return ModelDiff(added, removed, tuple(changed))
