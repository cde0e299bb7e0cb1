"""Compile and validate an uploaded BPMN diagram (the process-model registry's gatekeeper).

A diagram is checked here before it can be published: hardened XML loading (XML-1), exactly one
executable BPMN 2.0 process, only the elements the runner understands, every user task bound to a
known role and declaring its decisions and fields, every gateway condition accepted by the safe
evaluator (SE-2), no scripts except calls of registered functions (SE-3). Nothing in the diagram
is executed while it is checked.

Our metadata lives in the ``tdkt`` extension namespace and is read here with lxml, not through
SpiffWorkflow::

    <bpmn:lane id="Lane_unit" name="Đơn vị">
      <bpmn:extensionElements><tdkt:lane role="unit_head" scope="unit"/></bpmn:extensionElements>
    <bpmn:userTask id="unit_prepare" name="Chuẩn bị hồ sơ">
      <bpmn:extensionElements>
        <tdkt:step role="unit_officer" dueWorkingDays="5">
          <tdkt:decision value="approve" label="Chuyển thủ trưởng ký trình"/>
          <tdkt:field name="note"/>
          <tdkt:document kind="report" use="requires"/>
    <bpmn:endEvent id="end_approved"> ... <tdkt:end outcome="approved"/>

Diagrams saved by other modelers (bpmn.io, Camunda Modeler) are accepted as they come: a
collaboration with pools, diagram interchange (``bpmndi``), ``isExecutable="false"``, and
``camunda:``/``zeebe:`` attributes and extension elements, which are ignored (SpiffWorkflow
never reads them, so nothing in them runs). Timers are accepted on a boundary event of a user
task or as an intermediate catch event, when their value is a literal ISO 8601 duration or date
(:mod:`service.engine.timers`).

The compiled spec carries that metadata in each task spec's ``extensions["tdkt"]`` so the runner,
which sees only the stored spec JSON, knows each step's decisions, fields and lane.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .evaluator import ExpressionError, check_expression
from .factory import check_script, dump_spec, load_spec, new_serializer
from .timers import DATE, DURATION, TimerInvalid, parse_timer
from .xml import XmlRejected, parse_xml

__all__ = [
    "DECISIONS",
    "DOCUMENT_USES",
    "EXTENSION_KEY",
    "OUTCOMES",
    "RESERVED_FIELDS",
    "SCOPES",
    "TDKT_NS",
    "CompiledModel",
    "Decision",
    "ModelInvalid",
    "StepInfo",
    "ValidationIssue",
    "compile_bpmn",
    "find_process",
    "validate_bpmn",
]

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
TDKT_NS = "http://tdkt.gov.vn/schema/bpmn/tdkt"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "tdkt": TDKT_NS, "spiff": SPIFF_NS}

EXTENSION_KEY = "tdkt"
DECISIONS = ("approve", "return", "reject")
SCOPES = ("unit", "cluster", "province")
# How a step relates to a kind of document: it must see one before approving, it makes one
# (an attachment to its decision), or the service generates that paper when the step approves.
DOCUMENT_USES = ("requires", "produces", "generates")
OUTCOMES = ("approved", "rejected")
# Set by the service on every completion (SE-5); a step may not declare them as form fields.
RESERVED_FIELDS = frozenset({"decision", "data_objects"})
MAX_DUE_WORKING_DAYS = 365

_DEFAULT_LABELS = {"approve": "Đồng ý", "return": "Trả lại", "reject": "Từ chối"}
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")

# Flow elements the runner understands. Anything else (service, business-rule, send/receive
# tasks, sub-processes, call activities, message/signal events, loops) is refused rather than
# half-supported; boundary and intermediate catch events only as timers. A plain bpmn:task is
# refused too: SpiffWorkflow 3.2 treats it as manual, so an instance would wait on it forever
# with no one able to act.
_SUPPORTED = {
    "startEvent",
    "endEvent",
    "intermediateThrowEvent",
    "intermediateCatchEvent",
    "boundaryEvent",
    "userTask",
    "scriptTask",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "sequenceFlow",
}
# Process children that are not flow elements and have no runtime effect.
_INERT = {
    "documentation",
    "extensionElements",
    "laneSet",
    "textAnnotation",
    "association",
    "group",
    "dataObject",
    "dataObjectReference",
    "property",
    "ioSpecification",
}
_CONDITIONAL_GATEWAYS = {"exclusiveGateway", "inclusiveGateway"}
_TIMER_EVENTS = {"boundaryEvent", "intermediateCatchEvent"}
_TIME_TAGS = (DATE, DURATION, "timeCycle")


@dataclass(frozen=True)
class ValidationIssue:
    """One problem in a diagram; ``message`` is Vietnamese and names what to fix."""

    element_id: str | None
    element_name: str | None
    code: str
    message: str


@dataclass(frozen=True)
class Decision:
    value: str
    label: str


@dataclass(frozen=True)
class StepInfo:
    """A user task as the service sees it: who acts (role in a scope) and what they may send.

    ``lane`` is the lane's name (its id when unnamed), as SpiffWorkflow reports ``task_spec.lane``.
    """

    id: str
    name: str
    lane: str | None
    role: str
    scope: str
    decisions: tuple[Decision, ...]
    fields: tuple[str, ...]
    due_working_days: int | None
    requires: tuple[str, ...] = ()
    produces: tuple[str, ...] = ()
    generates: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompiledModel:
    process_id: str
    name: str
    xml: bytes
    sha256: str
    spec_json: str
    steps: dict[str, StepInfo]


class ModelInvalid(Exception):
    """The diagram cannot be published; ``issues`` says why."""

    def __init__(self, issues: list[ValidationIssue]) -> None:
        super().__init__("Sơ đồ quy trình không hợp lệ.")
        self.issues = issues


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _is_bpmn(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and etree.QName(element).namespace == BPMN_NS


def _has_flow_elements(process: etree._Element) -> bool:
    return any(_is_bpmn(el) and _local(el) not in _INERT for el in process)


def find_process(root: etree._Element) -> tuple[etree._Element | None, str | None]:
    """The process a diagram runs, or (None, the issue code saying why there is none).

    One process is the one. With several (a collaboration of pools), the one marked
    executable; failing that, the only one that has flow elements: bpmn.io marks every
    process non-executable, and an empty pool stands for an outside party.
    """
    if not (_is_bpmn(root) and _local(root) == "definitions"):
        return None, "not_bpmn"
    processes = root.findall("bpmn:process", NS)
    if len(processes) == 1:
        return processes[0], None
    if not processes:
        return None, "process_missing"
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    if len(executable) == 1:
        return executable[0], None
    if not executable:
        populated = [p for p in processes if _has_flow_elements(p)]
        if len(populated) == 1:
            return populated[0], None
    return None, "process_ambiguous"


class _Checker:
    """Collects issues for one diagram; each check looks at the lxml tree only."""

    def __init__(self, known_roles: set[str], document_kinds: Collection[str] | None = None,
                 generated_kinds: Collection[str] | None = None) -> None:
        self.known_roles = set(known_roles)
        # None: the engine alone, without the service's catalogue; kinds are not checked.
        self.document_kinds = None if document_kinds is None else frozenset(document_kinds)
        self.generated_kinds = None if generated_kinds is None else frozenset(generated_kinds)
        self.issues: list[ValidationIssue] = []
        self.steps: dict[str, StepInfo] = {}
        self.outcomes: dict[str, str] = {}

    def add(self, element: etree._Element | None, code: str, message: str) -> None:
        element_id = element.get("id") if element is not None else None
        element_name = element.get("name") if element is not None else None
        self.issues.append(ValidationIssue(element_id, element_name, code, message))

    def flagged(self, element_id: str | None) -> bool:
        return any(issue.element_id == element_id for issue in self.issues)

    # -- the process ---------------------------------------------------------------------------

    def select_process(self, root: etree._Element) -> etree._Element | None:
        process, problem = find_process(root)
        if problem == "not_bpmn":
            self.add(
                None,
                "not_bpmn",
                "Tệp không phải sơ đồ BPMN 2.0 (thiếu phần tử definitions theo chuẩn OMG).",
            )
        elif problem == "process_missing":
            self.add(None, "process_missing", "Sơ đồ không có quy trình (bpmn:process) nào.")
        elif problem == "process_ambiguous":
            self.add(
                None,
                "process_ambiguous",
                "Sơ đồ phải có đúng một quy trình được đánh dấu thực thi (isExecutable).",
            )
        return process

    def check_elements(self, process: etree._Element) -> None:
        for element in process:
            if not isinstance(element.tag, str):
                continue
            kind = _local(element)
            if not _is_bpmn(element) or kind in _INERT:
                continue
            if kind not in _SUPPORTED:
                self.add(
                    element,
                    "unsupported_element",
                    f"Phần tử loại '{kind}' chưa được hỗ trợ trong quy trình.",
                )
                continue
            self._check_event_definitions(element, kind)
            loops = element.findall("bpmn:standardLoopCharacteristics", NS) + element.findall(
                "bpmn:multiInstanceLoopCharacteristics", NS
            )
            if loops:
                self.add(
                    element,
                    "unsupported_loop",
                    "Lặp và đa thể hiện (multi-instance) chưa được hỗ trợ trong quy trình.",
                )

    def _check_event_definitions(self, element: etree._Element, kind: str) -> None:
        # SpiffWorkflow looks for event definitions at any depth ('.//bpmn:...'): so do we.
        definitions = [
            node for node in element.iterdescendants()
            if _is_bpmn(node) and _local(node).endswith("EventDefinition")
        ]
        timers = [node for node in definitions if _local(node) == "timerEventDefinition"]
        others = [node for node in definitions if _local(node) != "timerEventDefinition"]
        if kind == "endEvent":
            others = [node for node in others if _local(node) != "terminateEventDefinition"]
        if kind in _TIMER_EVENTS:
            if others or len(timers) != 1:
                self.add(
                    element,
                    "unsupported_event",
                    "Sự kiện biên và sự kiện chờ chỉ được là một sự kiện hẹn giờ (timer).",
                )
                return
            self._check_timer(element, timers[0])
            if kind == "boundaryEvent":
                self._check_attachment(element)
            return
        if others or timers:
            self.add(
                element,
                "unsupported_event",
                "Sự kiện chỉ được là sự kiện thường (hoặc kết thúc dừng toàn bộ quy trình); "
                "hẹn giờ chỉ đặt trên sự kiện biên của một bước hoặc sự kiện chờ.",
            )

    def _check_timer(self, element: etree._Element, timer: etree._Element) -> None:
        if timer.getparent() is not element:
            self.add(element, "timer_invalid", "Định nghĩa hẹn giờ phải nằm trực tiếp "
                     "trong sự kiện.")
            return
        found = [(tag, node) for tag in _TIME_TAGS for node in timer.iterfind(f".//bpmn:{tag}", NS)]
        if len(found) != 1:
            self.add(element, "timer_invalid", "Sự kiện hẹn giờ phải có đúng một giá trị thời "
                     "gian: timeDuration (khoảng thời gian) hoặc timeDate (thời điểm).")
            return
        tag, node = found[0]
        try:
            parse_timer(tag, node.text)
        except TimerInvalid as exc:
            self.add(element, "timer_invalid", exc.message)

    def _check_attachment(self, event: etree._Element) -> None:
        ref = event.get("attachedToRef")
        tasks = event.getparent().findall("bpmn:userTask", NS)
        if not ref or not any(task.get("id") == ref for task in tasks):
            self.add(event, "timer_not_attached", "Sự kiện hẹn giờ trên biên phải gắn vào "
                     "một bước xử lý (userTask) của quy trình.")

    # -- structure ------------------------------------------------------------------------------

    def check_structure(self, process: etree._Element) -> None:
        """One start, at least one end, every element named by an id and connected.

        SpiffWorkflow accepts a task without outgoing flows as an implicit end and ignores
        elements nothing leads to; for a dossier either would be a silent dead end.
        """
        nodes: dict[str, etree._Element] = {}
        flows: list[etree._Element] = []
        for element in process:
            kind = _local(element)
            if not _is_bpmn(element) or kind in _INERT:
                continue
            if not element.get("id"):
                self.add(element, "id_missing", f"Một phần tử loại '{kind}' không có mã (id).")
            elif kind == "sequenceFlow":
                flows.append(element)
            else:
                nodes[element.get("id", "")] = element
        starts = [n for n in nodes.values() if _local(n) == "startEvent"]
        if not starts:
            self.add(None, "start_missing", "Quy trình phải có một sự kiện bắt đầu.")
        for extra in starts[1:]:
            self.add(extra, "start_multiple", "Quy trình chỉ được có một sự kiện bắt đầu.")
        if not any(_local(n) == "endEvent" for n in nodes.values()):
            self.add(None, "end_missing", "Quy trình phải có ít nhất một sự kiện kết thúc.")
        sources = {f.get("sourceRef") for f in flows}
        targets = {f.get("targetRef") for f in flows}
        for node_id, node in nodes.items():
            kind = _local(node)
            if kind not in ("startEvent", "boundaryEvent") and node_id not in targets:
                self.add(node, "unreachable", "Không có luồng nào đi vào phần tử này.")
            if kind != "endEvent" and node_id not in sources:
                self.add(node, "dead_end", "Không có luồng nào đi ra từ phần tử này; "
                         "hồ sơ sẽ dừng ở đây mà không có kết quả.")

    # -- scripts (SE-3) --------------------------------------------------------------------------

    def check_scripts(self, process: etree._Element) -> None:
        for task in process.iterfind(".//bpmn:scriptTask", NS):
            # SpiffWorkflow reads the script with './/bpmn:script': check every such node.
            scripts = task.findall(".//bpmn:script", NS) or [None]
            for script in scripts:
                self._check_script(task, "" if script is None else script.text or "")
        for tag in ("spiff:preScript", "spiff:postScript"):
            for node in process.iterfind(f".//bpmn:extensionElements/{tag}", NS):
                owner = node.getparent().getparent()
                self._check_script(owner, node.text or "")

    def _check_script(self, element: etree._Element, script: str) -> None:
        try:
            check_script(script)
        except ExpressionError as exc:
            self.add(
                element,
                "script_refused",
                f"Kịch bản tại phần tử này bị từ chối: {exc.message}",
            )

    # -- lanes, steps and end events -------------------------------------------------------------

    def lanes_by_node(self, process: etree._Element) -> dict[str, etree._Element]:
        """Flow node id -> innermost lane; document order puts child lanes after parents."""
        lanes: dict[str, etree._Element] = {}
        for lane in process.iterfind(".//bpmn:lane", NS):
            for ref in lane.findall("bpmn:flowNodeRef", NS):
                if ref.text:
                    lanes[ref.text.strip()] = lane
            meta = lane.find("bpmn:extensionElements/tdkt:lane", NS)
            if meta is not None:
                self._check_lane_meta(lane, meta)
        return lanes

    def _check_lane_meta(self, lane: etree._Element, meta: etree._Element) -> None:
        role = meta.get("role")
        if not role:
            self.add(lane, "role_missing", "Làn này khai báo tdkt:lane nhưng thiếu vai trò (role).")
        elif role not in self.known_roles:
            self.add(lane, "role_unknown", f"Vai trò '{role}' của làn này không tồn tại.")
        scope = meta.get("scope")
        if scope is not None and scope not in SCOPES:
            self.add(
                lane,
                "scope_invalid",
                f"Phạm vi '{scope}' không hợp lệ (chỉ dùng: unit, cluster, province).",
            )

    @staticmethod
    def _lane_meta(lane: etree._Element | None) -> etree._Element | None:
        # A nested lane without its own metadata inherits its parent lane's.
        while lane is not None:
            meta = lane.find("bpmn:extensionElements/tdkt:lane", NS)
            if meta is not None:
                return meta
            parent_set = lane.getparent()
            parent = parent_set.getparent() if parent_set is not None else None
            lane = parent if parent is not None and _local(parent) == "lane" else None
        return None

    def check_steps(self, process: etree._Element, lanes: dict[str, etree._Element]) -> None:
        for task in process.findall("bpmn:userTask", NS):
            step_id = task.get("id")
            if not step_id:
                continue  # SpiffWorkflow reports the missing id
            lane = lanes.get(step_id)
            step = self._step(task, lane)
            if step is not None:
                self.steps[step_id] = step

    def _step(self, task: etree._Element, lane: etree._Element | None) -> StepInfo | None:
        metas = task.findall("bpmn:extensionElements/tdkt:step", NS)
        meta = metas[0] if metas else None
        if len(metas) > 1:
            self.add(task, "step_duplicate", "Mỗi bước chỉ được khai báo một tdkt:step.")
        lane_meta = self._lane_meta(lane)
        role = (meta.get("role") if meta is not None else None) or (
            lane_meta.get("role") if lane_meta is not None else None
        )
        scope = (meta.get("scope") if meta is not None else None) or (
            lane_meta.get("scope") if lane_meta is not None else None
        )
        ok = True
        if not role:
            self.add(task, "role_missing", "Bước này không thuộc làn nào có vai trò, "
                     "và cũng không tự khai báo vai trò.")
            ok = False
        elif role not in self.known_roles:
            self.add(task, "role_unknown", f"Vai trò '{role}' của bước này không tồn tại.")
            ok = False
        if scope not in SCOPES:
            self.add(task, "scope_missing", "Bước này thiếu phạm vi hợp lệ "
                     "(unit, cluster hoặc province) từ làn hoặc từ tdkt:step.")
            ok = False
        decisions = self._decisions(task, meta)
        fields = self._fields(task, meta)
        due_ok, due = self._due(task, meta)
        documents = self._documents(task, meta)
        if not ok or decisions is None or fields is None or not due_ok or documents is None:
            return None
        lane_label = (lane.get("name") or lane.get("id")) if lane is not None else None
        return StepInfo(
            id=task.get("id", ""),
            name=task.get("name") or task.get("id", ""),
            lane=lane_label,
            role=role,
            scope=scope,
            decisions=decisions,
            fields=fields,
            due_working_days=due,
            requires=documents["requires"],
            produces=documents["produces"],
            generates=documents["generates"],
        )

    def _documents(
        self, task: etree._Element, meta: etree._Element | None
    ) -> dict[str, tuple[str, ...]] | None:
        """Kinds of document the step requires before approval, produces and generates."""
        uses: dict[str, list[str]] = {use: [] for use in DOCUMENT_USES}
        ok = True
        for node in meta.findall("tdkt:document", NS) if meta is not None else []:
            kind, use = node.get("kind", ""), node.get("use", "")
            if use not in DOCUMENT_USES:
                self.add(task, "document_use_invalid", f"Cách dùng tài liệu '{use}' không hợp "
                         "lệ (chỉ dùng: requires, produces, generates).")
                ok = False
            elif self.document_kinds is not None and kind not in self.document_kinds:
                self.add(task, "document_kind_unknown",
                         f"Loại tài liệu '{kind}' của bước này không tồn tại.")
                ok = False
            elif (use == "generates" and self.generated_kinds is not None
                  and kind not in self.generated_kinds):
                self.add(task, "document_not_generated",
                         f"Hệ thống không tự tạo được loại tài liệu '{kind}'; chỉ tạo: "
                         f"{', '.join(sorted(self.generated_kinds)) or '(không có)'}.")
                ok = False
            elif kind not in uses[use]:
                uses[use].append(kind)
        return {use: tuple(kinds) for use, kinds in uses.items()} if ok else None

    def _decisions(
        self, task: etree._Element, meta: etree._Element | None
    ) -> tuple[Decision, ...] | None:
        nodes = meta.findall("tdkt:decision", NS) if meta is not None else []
        if not nodes:
            self.add(task, "decisions_missing", "Bước này phải khai báo ít nhất một quyết định.")
            return None
        decisions: list[Decision] = []
        for node in nodes:
            value = node.get("value", "")
            if value not in DECISIONS:
                self.add(
                    task,
                    "decision_invalid",
                    f"Quyết định '{value}' không hợp lệ (chỉ dùng: approve, return, reject).",
                )
                return None
            if any(d.value == value for d in decisions):
                self.add(task, "decision_duplicate", f"Quyết định '{value}' bị khai báo hai lần.")
                return None
            label = (node.get("label") or "").strip() or _DEFAULT_LABELS[value]
            decisions.append(Decision(value, label))
        return tuple(decisions)

    def _fields(self, task: etree._Element, meta: etree._Element | None) -> tuple[str, ...] | None:
        names: list[str] = []
        for node in meta.findall("tdkt:field", NS) if meta is not None else []:
            name = node.get("name", "")
            if not _FIELD_NAME.match(name) or name in RESERVED_FIELDS:
                self.add(task, "field_invalid", f"Tên trường '{name}' không hợp lệ hoặc bị "
                         "dành riêng cho hệ thống.")
                return None
            if name in names:
                self.add(task, "field_duplicate", f"Trường '{name}' bị khai báo hai lần.")
                return None
            names.append(name)
        return tuple(names)

    def _due(self, task: etree._Element, meta: etree._Element | None) -> tuple[bool, int | None]:
        """(valid, working days); a step without dueWorkingDays has no deadline."""
        raw = meta.get("dueWorkingDays") if meta is not None else None
        if raw is None:
            return True, None
        text = raw.strip()
        if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_DUE_WORKING_DAYS:
            return True, int(text)
        self.add(
            task,
            "due_invalid",
            f"Thời hạn xử lý phải là số ngày làm việc từ 1 đến {MAX_DUE_WORKING_DAYS}.",
        )
        return False, None

    def check_end_events(self, process: etree._Element) -> None:
        for end in process.findall("bpmn:endEvent", NS):
            meta = end.find("bpmn:extensionElements/tdkt:end", NS)
            outcome = meta.get("outcome") if meta is not None else None
            if outcome not in OUTCOMES:
                self.add(
                    end,
                    "outcome_missing",
                    "Sự kiện kết thúc phải khai báo kết quả tdkt:end outcome "
                    "là approved hoặc rejected.",
                )
            elif end.get("id"):
                self.outcomes[end.get("id", "")] = outcome

    # -- gateways and conditions (SE-2) ----------------------------------------------------------

    def check_conditions(self, process: etree._Element) -> None:
        nodes = {el.get("id"): el for el in process if isinstance(el.tag, str) and el.get("id")}
        outgoing: dict[str, list[etree._Element]] = {}
        for flow in process.findall("bpmn:sequenceFlow", NS):
            outgoing.setdefault(flow.get("sourceRef", ""), []).append(flow)
            # SpiffWorkflow takes the first './/bpmn:conditionExpression', nested or not:
            # every candidate must pass, so no hidden one can slip past this check.
            conditions = flow.findall(".//bpmn:conditionExpression", NS)
            if not conditions:
                continue
            source = nodes.get(flow.get("sourceRef"))
            if source is None or _local(source) not in _CONDITIONAL_GATEWAYS:
                self.add(
                    flow,
                    "condition_not_on_gateway",
                    "Chỉ luồng đi ra từ cổng rẽ nhánh (exclusive/inclusive) mới được có điều kiện.",
                )
                continue
            for condition in conditions:
                try:
                    check_expression(condition.text or "")
                except ExpressionError as exc:
                    self.add(
                        flow, "condition_invalid", f"Điều kiện của luồng bị từ chối: {exc.message}"
                    )
                    break
        for gateway_id, gateway in nodes.items():
            flows = outgoing.get(gateway_id, [])
            if _local(gateway) not in _CONDITIONAL_GATEWAYS or len(flows) < 2:
                continue
            default = gateway.get("default")
            for flow in flows:
                conditioned = flow.find(".//bpmn:conditionExpression", NS) is not None
                if flow.get("id") != default and not conditioned:
                    self.add(
                        flow,
                        "condition_missing",
                        "Luồng ra từ cổng rẽ nhánh phải có điều kiện, trừ luồng mặc định.",
                    )


def _spiff_parse(root: etree._Element, process: etree._Element) -> tuple[Any, dict[str, Any]]:
    """Build the SpiffWorkflow spec from a private copy of the tree (we may adjust it)."""
    tree = copy.deepcopy(root)
    process_id = process.get("id")
    for candidate in tree.findall("bpmn:process", NS):
        # bpmn-js writes isExecutable="false" by default; the process we selected is the one run.
        candidate.set("isExecutable", "true" if candidate.get("id") == process_id else "false")
        # Timer values were checked; the engine evaluates them, so each becomes a literal.
        for tag in (DATE, DURATION):
            for node in candidate.iterfind(f".//bpmn:timerEventDefinition//bpmn:{tag}", NS):
                try:
                    node.text = parse_timer(tag, node.text).expression
                except TimerInvalid:
                    pass  # already reported by the checker
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(tree, filename=None)
    spec = parser.get_spec(process_id)
    return spec, parser.get_subprocess_specs(process_id)


def _attach_metadata(spec: Any, steps: dict[str, StepInfo], outcomes: dict[str, str]) -> None:
    for name, task_spec in spec.task_specs.items():
        extensions = dict(getattr(task_spec, "extensions", None) or {})
        if name in steps:
            step = steps[name]
            extensions[EXTENSION_KEY] = {
                "kind": "step",
                "role": step.role,
                "scope": step.scope,
                "lane": step.lane,
                "decisions": [[d.value, d.label] for d in step.decisions],
                "fields": list(step.fields),
                "due_working_days": step.due_working_days,
                "requires": list(step.requires),
                "produces": list(step.produces),
                "generates": list(step.generates),
            }
        elif name in outcomes:
            extensions[EXTENSION_KEY] = {"kind": "end", "outcome": outcomes[name]}
        else:
            continue
        task_spec.extensions = extensions


def _analyse(
    xml: bytes, known_roles: set[str], document_kinds: Collection[str] | None,
    generated_kinds: Collection[str] | None = None,
) -> tuple[list[ValidationIssue], CompiledModel | None]:
    checker = _Checker(known_roles, document_kinds, generated_kinds)
    try:
        root = parse_xml(xml)
    except XmlRejected as exc:
        checker.issues.append(ValidationIssue(None, None, f"xml_{exc.code}", exc.message))
        return checker.issues, None
    process = checker.select_process(root)
    if process is None:
        return checker.issues, None

    checker.check_elements(process)
    checker.check_structure(process)
    checker.check_scripts(process)
    lanes = checker.lanes_by_node(process)
    checker.check_steps(process, lanes)
    checker.check_end_events(process)
    checker.check_conditions(process)

    spec = subprocess_specs = None
    try:
        spec, subprocess_specs = _spiff_parse(root, process)
    except ValidationException as exc:
        # SpiffWorkflow's messages are English and may quote internals: report the element only.
        element_id = getattr(exc, "id", None) or None
        if not checker.flagged(element_id):
            checker.issues.append(
                ValidationIssue(
                    element_id,
                    getattr(exc, "name", None) or None,
                    "bpmn_invalid",
                    "Không dựng được quy trình từ sơ đồ tại phần tử này; "
                    "kiểm tra loại phần tử, các luồng vào/ra và liên kết của nó.",
                )
            )
    except Exception:  # SpiffWorkflow 3.2 leaks KeyError/AttributeError/RecursionError here
        if not checker.issues:
            checker.issues.append(
                ValidationIssue(
                    None,
                    None,
                    "bpmn_invalid",
                    "Không dựng được quy trình từ sơ đồ; kiểm tra các phần tử và luồng.",
                )
            )
    if checker.issues or spec is None:
        return checker.issues, None

    _attach_metadata(spec, checker.steps, checker.outcomes)
    try:
        serializer = new_serializer()
        spec_json = dump_spec(spec, subprocess_specs or {}, serializer=serializer)
        load_spec(spec_json, serializer=serializer)  # what the runner will do, once, now
    except Exception:
        checker.issues.append(
            ValidationIssue(
                None, None, "spec_unserializable", "Không lưu được đặc tả quy trình từ sơ đồ này."
            )
        )
        return checker.issues, None

    process_id = process.get("id", "")
    model = CompiledModel(
        process_id=process_id,
        name=process.get("name") or process_id,
        xml=bytes(xml),
        sha256=hashlib.sha256(xml).hexdigest(),
        spec_json=spec_json,
        steps=dict(checker.steps),
    )
    return [], model


def validate_bpmn(
    xml: bytes, known_roles: set[str], *, document_kinds: Collection[str] | None = None,
    generated_kinds: Collection[str] | None = None,
) -> list[ValidationIssue]:
    """Every problem found in the diagram; an empty list means it can be published.

    ``document_kinds``: the kinds a ``tdkt:document`` may name; any other kind is an issue.
    ``generated_kinds``: those of them the service can generate (``use="generates"``).
    Either left as None is not checked (the engine used without the service's catalogue).
    """
    issues, _ = _analyse(xml, known_roles, document_kinds, generated_kinds)
    return issues


def compile_bpmn(
    xml: bytes, known_roles: set[str], *, document_kinds: Collection[str] | None = None,
    generated_kinds: Collection[str] | None = None,
) -> CompiledModel:
    """Compile a diagram for publishing, or raise :class:`ModelInvalid` with every issue."""
    issues, model = _analyse(xml, known_roles, document_kinds, generated_kinds)
    if issues or model is None:
        raise ModelInvalid(issues)
    return model
