"""Load → act → save on the commendation route, and the runner's guards (SE-1, SE-4..SE-6)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from service.engine import factory, runner
from service.engine.registry import CompiledModel, compile_bpmn
from service.engine.runner import EngineError, StateRejected

ROOT = Path(__file__).parents[2]
FIXTURES = Path(__file__).parent / "bpmn"
ROLES = {"unit_officer", "unit_head", "cluster_leader", "board_specialist", "chairman"}


@pytest.fixture(scope="module")
def model() -> CompiledModel:
    return compile_bpmn((ROOT / "workflows" / "bpmn" / "commendation.bpmn").read_bytes(), ROLES)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    runner.clear_spec_cache()
    yield
    runner.clear_spec_cache()


def task_data(workflow: runner.Workflow, task: runner.OpenTask) -> dict[str, Any]:
    return workflow.get_task_from_id(UUID(task.task_id)).data


class Instance:
    """Drives one dossier the way the service does: every action is restore → act → dump."""

    def __init__(self, model: CompiledModel, data: Mapping[str, Any] | None = None) -> None:
        self.model = model
        workflow = runner.start(model.spec_json, model.sha256, data or {"dossier_id": 1})
        self.state = runner.dump_state(workflow)

    def load(self) -> runner.Workflow:
        return runner.restore(self.model.spec_json, self.model.sha256, self.state)

    def open_steps(self) -> list[str]:
        return [task.step for task in runner.open_tasks(self.load())]

    def act(
        self,
        step: str,
        decision: str,
        fields: Mapping[str, Any] | None = None,
        service_data: Mapping[str, Any] | None = None,
    ) -> runner.Workflow:
        workflow = self.load()
        [task] = [t for t in runner.open_tasks(workflow) if t.step == step]
        runner.complete(
            workflow,
            task.task_id,
            decision=decision,
            fields=fields or {},
            service_data=service_data or {"actor_role": self.model.steps[step].role},
        )
        self.state = runner.dump_state(workflow)
        return workflow


# -- the route ------------------------------------------------------------------------------------


def test_full_route_with_a_cluster_return(model: CompiledModel) -> None:
    dossier = Instance(model)
    assert dossier.open_steps() == ["unit_prepare"]
    trail = [
        ("unit_prepare", "approve", ["unit_submit"]),
        ("unit_submit", "approve", ["cluster_review"]),
        ("cluster_review", "return", ["unit_prepare"]),
        ("unit_prepare", "approve", ["unit_submit"]),
        ("unit_submit", "approve", ["cluster_review"]),
        ("cluster_review", "approve", ["board_appraisal"]),
        ("board_appraisal", "approve", ["chairman_decision"]),
    ]
    for step, decision, expected in trail:
        workflow = dossier.act(step, decision, {"note": f"{step}: {decision}"})
        assert dossier.open_steps() == expected
        assert not runner.is_finished(workflow)
        assert runner.outcome(workflow) is None
    workflow = dossier.act("chairman_decision", "approve", {"decision_number": "123/QĐ-UBND"})
    assert runner.is_finished(workflow)
    assert runner.outcome(workflow) == "approved"
    assert runner.open_tasks(workflow) == []
    assert runner.outcome(dossier.load()) == "approved"


def test_unit_head_return_goes_back_to_preparation(model: CompiledModel) -> None:
    dossier = Instance(model)
    dossier.act("unit_prepare", "approve")
    dossier.act("unit_submit", "return")
    assert dossier.open_steps() == ["unit_prepare"]


def test_board_return_goes_back_to_the_unit(model: CompiledModel) -> None:
    dossier = Instance(model)
    for step in ("unit_prepare", "unit_submit", "cluster_review"):
        dossier.act(step, "approve")
    dossier.act("board_appraisal", "return")
    assert dossier.open_steps() == ["unit_prepare"]


def test_chairman_return_goes_back_to_the_board(model: CompiledModel) -> None:
    dossier = Instance(model)
    for step in ("unit_prepare", "unit_submit", "cluster_review", "board_appraisal"):
        dossier.act(step, "approve")
    dossier.act("chairman_decision", "return")
    assert dossier.open_steps() == ["board_appraisal"]
    dossier.act("board_appraisal", "approve")
    workflow = dossier.act("chairman_decision", "approve")
    assert runner.outcome(workflow) == "approved"


@pytest.mark.parametrize("rejecting", ["cluster_review", "board_appraisal", "chairman_decision"])
def test_a_reject_ends_rejected(model: CompiledModel, rejecting: str) -> None:
    dossier = Instance(model)
    for step in ("unit_prepare", "unit_submit", "cluster_review", "board_appraisal"):
        if step == rejecting:
            break
        dossier.act(step, "approve")
    workflow = dossier.act(rejecting, "reject", {"note": "Không đủ điều kiện"})
    assert runner.is_finished(workflow)
    assert runner.outcome(workflow) == "rejected"
    assert runner.open_tasks(workflow) == []


def test_open_tasks_describe_the_step(model: CompiledModel) -> None:
    dossier = Instance(model)
    dossier.act("unit_prepare", "approve")
    dossier.act("unit_submit", "approve")
    [task] = runner.open_tasks(dossier.load())
    assert (task.step, task.name, task.lane, task.role, task.scope) == (
        "cluster_review", "Cụm thi đua xét duyệt", "Cụm/Khối thi đua", "cluster_leader", "cluster",
    )
    assert re.fullmatch(r"[0-9a-f-]{36}", task.task_id)


def test_start_data_reaches_the_tasks(model: CompiledModel) -> None:
    dossier = Instance(model, {"dossier_id": 42, "unit_id": 7})
    workflow = dossier.load()
    [task] = runner.open_tasks(workflow)
    data = task_data(workflow, task)
    assert (data["dossier_id"], data["unit_id"]) == (42, 7)
    with pytest.raises(EngineError):
        runner.start(model.spec_json, model.sha256, {"when": object()})


# -- SE-5: the client cannot steer the route -------------------------------------------------------


def test_client_fields_cannot_change_routing(model: CompiledModel) -> None:
    dossier = Instance(model)
    hostile = {"decision": "reject", "cluster_approved": True, "note": "ok"}
    dossier.act("unit_prepare", "approve", hostile)
    workflow = dossier.act("unit_submit", "approve", hostile)
    assert dossier.open_steps() == ["cluster_review"]  # neither rejected nor skipped ahead
    [task] = runner.open_tasks(workflow)
    data = task_data(workflow, task)
    assert data["decision"] == "approve"
    assert "cluster_approved" not in data
    assert data["note"] == "ok"


def test_service_data_is_written_after_client_fields(model: CompiledModel) -> None:
    dossier = Instance(model)
    workflow = dossier.act(
        "unit_prepare", "approve", {"note": "client"}, service_data={"note": "server"}
    )
    [task] = runner.open_tasks(workflow)
    data = task_data(workflow, task)
    assert data["note"] == "server"


@pytest.mark.parametrize(
    "value",
    [
        {"typename": "BpmnWorkflow"},
        "x" * 10_001,
        10**16,
        float("nan"),
        [[[[[[["too deep"]]]]]]],
        object(),
        {1: "non-string key"},
    ],
)
def test_unstorable_field_values_refused(model: CompiledModel, value: object) -> None:
    workflow = runner.start(model.spec_json, model.sha256, {})
    [task] = runner.open_tasks(workflow)
    with pytest.raises(EngineError) as info:
        runner.complete(
            workflow, task.task_id, decision="approve", fields={"note": value}, service_data={}
        )
    assert "note" in info.value.message
    assert [t.step for t in runner.open_tasks(workflow)] == ["unit_prepare"]


def test_structured_field_values_are_kept(model: CompiledModel) -> None:
    dossier = Instance(model)
    value = {"items": [1, 2.5, "ba", None, True], "by": {"name": "Nguyễn Văn A"}}
    workflow = dossier.act("unit_prepare", "approve", {"note": value})
    [task] = runner.open_tasks(workflow)
    assert task_data(workflow, task)["note"] == value


def test_undeclared_decision_refused(model: CompiledModel) -> None:
    workflow = runner.start(model.spec_json, model.sha256, {})
    [task] = runner.open_tasks(workflow)
    for decision in ("reject", "return", "skip", ""):
        with pytest.raises(EngineError) as info:
            runner.complete(workflow, task.task_id, decision=decision, fields={}, service_data={})
        assert info.value.element_id == "unit_prepare"
    assert [t.step for t in runner.open_tasks(workflow)] == ["unit_prepare"]


def test_unknown_or_finished_task_refused(model: CompiledModel) -> None:
    workflow = runner.start(model.spec_json, model.sha256, {})
    [task] = runner.open_tasks(workflow)
    runner.complete(workflow, task.task_id, decision="approve", fields={}, service_data={})
    for task_id in (task.task_id, "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(EngineError):
            runner.complete(workflow, task_id, decision="approve", fields={}, service_data={})
    # A task that exists but is not waiting on a person (the gateway ahead) is refused too.
    future = [t for t in workflow.get_tasks() if t.task_spec.bpmn_id == "Gateway_unit_submit"]
    with pytest.raises(EngineError):
        runner.complete(workflow, str(future[0].id), decision="approve", fields={},
                        service_data={})


# -- SE-6 and DESIGN decision 4: state without spec, current version only --------------------------


def test_dump_state_has_no_spec_and_is_versioned(model: CompiledModel) -> None:
    state = json.loads(Instance(model).state)
    assert state["serializer_version"] == factory.SERIALIZER_VERSION
    assert "spec" not in state and "subprocess_specs" not in state
    assert "task_specs" not in json.dumps(state)
    assert "conditionExpression" not in json.dumps(state)


@pytest.mark.parametrize("version", ["1.4", "1.5", "tdkt-0/spiff-1.5", None, 15])
def test_restore_refuses_other_versions_before_deserializing(
    model: CompiledModel, version: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = json.loads(Instance(model).state)
    if version is None:
        del state["serializer_version"]
    else:
        state["serializer_version"] = version

    def no_deserializer() -> None:
        raise AssertionError("a refused state must not reach the deserializer")

    monkeypatch.setattr(runner, "_serializer", no_deserializer)
    with pytest.raises(StateRejected):
        runner.restore(model.spec_json, model.sha256, json.dumps(state))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s.update(spec={"typename": "BpmnProcessSpec"}),
        lambda s: s.update(typename="BpmnWorkflow"),
        lambda s: s.update(tasks={"x": {}}),
        lambda s: s.update(root="00000000-0000-0000-0000-000000000000"),
    ],
)
def test_restore_refuses_malformed_state(model: CompiledModel, mutate: Any) -> None:
    state = json.loads(Instance(model).state)
    mutate(state)
    with pytest.raises(StateRejected):
        runner.restore(model.spec_json, model.sha256, json.dumps(state))


@pytest.mark.parametrize("raw", ["", "[]", "null", "{", b"\xff"])
def test_restore_refuses_garbage(model: CompiledModel, raw: Any) -> None:
    with pytest.raises(StateRejected):
        runner.restore(model.spec_json, model.sha256, raw)


def test_state_of_another_diagram_refused(model: CompiledModel) -> None:
    other = compile_bpmn((FIXTURES / "unknown_role.bpmn").read_bytes(), {"mayor"})
    state = Instance(model).state
    with pytest.raises(StateRejected):
        runner.restore(other.spec_json, other.sha256, state)


def test_spec_objects_are_cached_per_key_and_shared_safely(model: CompiledModel) -> None:
    first, second = Instance(model), Instance(model)
    assert first.load().spec is second.load().spec
    # Interleaved instances on the one cached spec do not disturb each other.
    first.act("unit_prepare", "approve")
    second.act("unit_prepare", "approve")
    second.act("unit_submit", "return")
    first.act("unit_submit", "approve")
    assert first.open_steps() == ["cluster_review"]
    assert second.open_steps() == ["unit_prepare"]


def test_a_key_must_always_name_the_same_spec(model: CompiledModel) -> None:
    other = compile_bpmn((FIXTURES / "unknown_role.bpmn").read_bytes(), {"mayor"})
    runner.start(model.spec_json, model.sha256, {})
    with pytest.raises(EngineError):
        runner.start(other.spec_json, model.sha256, {})


def test_unreadable_spec_is_an_engine_error() -> None:
    with pytest.raises(EngineError):
        runner.start('{"format": "something else"}', "k", {})


# -- SE-4: bounded engine work ---------------------------------------------------------------------


def test_looping_diagram_hits_the_step_limit() -> None:
    looping = compile_bpmn((FIXTURES / "looping.bpmn").read_bytes(), set())
    began = time.perf_counter()
    with pytest.raises(EngineError) as info:
        runner.start(looping.spec_json, looping.sha256, {})
    assert time.perf_counter() - began < 10
    assert "vượt quá số bước" in info.value.message


def test_step_limit_is_what_stops_it(monkeypatch: pytest.MonkeyPatch) -> None:
    looping = compile_bpmn((FIXTURES / "looping.bpmn").read_bytes(), set())
    monkeypatch.setattr(runner, "MAX_ENGINE_STEPS", 25)
    began = time.perf_counter()
    with pytest.raises(EngineError):
        runner.start(looping.spec_json, looping.sha256, {})
    assert time.perf_counter() - began < 1


def test_runtime_expression_error_names_the_gateway() -> None:
    xml = (
        (FIXTURES / "gateway_no_condition.bpmn").read_text(encoding="utf-8")
        .replace('<bpmn:exclusiveGateway id="Gateway_1">',
                 '<bpmn:exclusiveGateway id="Gateway_1" default="Flow_no">')
        .replace(
            '<bpmn:sequenceFlow id="Flow_yes" sourceRef="Gateway_1" targetRef="end_approved" />',
            '<bpmn:sequenceFlow id="Flow_yes" sourceRef="Gateway_1" targetRef="end_approved">'
            "<bpmn:conditionExpression>score &gt; 5</bpmn:conditionExpression>"
            "</bpmn:sequenceFlow>",
        )
    )
    model = compile_bpmn(xml.encode(), ROLES)
    workflow = runner.start(model.spec_json, model.sha256, {})
    [task] = runner.open_tasks(workflow)
    with pytest.raises(EngineError) as info:
        runner.complete(workflow, task.task_id, decision="approve", fields={}, service_data={})
    assert info.value.element_id == "Gateway_1"
    assert "score" in info.value.message
    # The same diagram routes once the service supplies the variable.
    workflow = runner.start(model.spec_json, model.sha256, {})
    [task] = runner.open_tasks(workflow)
    runner.complete(workflow, task.task_id, decision="approve", fields={},
                    service_data={"score": 9})
    assert runner.outcome(workflow) == "approved"


def test_no_matching_branch_is_a_named_engine_error() -> None:
    both = (
        (FIXTURES / "gateway_no_condition.bpmn").read_text(encoding="utf-8")
        .replace('targetRef="end_approved" />',
                 'targetRef="end_approved"><bpmn:conditionExpression>score &gt; 5'
                 "</bpmn:conditionExpression></bpmn:sequenceFlow>")
        .replace('targetRef="end_rejected" />',
                 'targetRef="end_rejected"><bpmn:conditionExpression>score &lt; 0'
                 "</bpmn:conditionExpression></bpmn:sequenceFlow>")
    )
    model = compile_bpmn(both.encode(), ROLES)
    workflow = runner.start(model.spec_json, model.sha256, {})
    [task] = runner.open_tasks(workflow)
    with pytest.raises(EngineError) as info:
        runner.complete(workflow, task.task_id, decision="approve", fields={},
                        service_data={"score": 3})
    assert info.value.element_id == "Gateway_1"
    assert "Không có nhánh nào" in info.value.message


# -- SE-3 at run time: registered functions only --------------------------------------------------


def _scripted(monkeypatch: pytest.MonkeyPatch) -> CompiledModel:
    monkeypatch.setitem(
        factory.REGISTERED_FUNCTIONS,
        "stamp_received",
        lambda data, office: {"received_by": office, "saw_decision": "decision" in data},
    )
    xml = (
        (FIXTURES / "script_task.bpmn").read_text(encoding="utf-8")
        .replace("import os\nos.system('id')", "stamp_received('Văn thư')")
        .replace("<spiffworkflow:preScript>open('/etc/passwd').read()</spiffworkflow:preScript>",
                 "")
    )
    return compile_bpmn(xml.encode(), ROLES)


def test_registered_function_runs_from_a_script_task(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _scripted(monkeypatch)
    workflow = runner.start(model.spec_json, model.sha256, {})
    [task] = runner.open_tasks(workflow)
    data = task_data(workflow, task)
    assert data["received_by"] == "Văn thư"
    assert data["saw_decision"] is False


def test_script_refused_at_run_time_once_unregistered(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _scripted(monkeypatch)
    monkeypatch.delitem(factory.REGISTERED_FUNCTIONS, "stamp_received")
    with pytest.raises(EngineError) as info:
        runner.start(model.spec_json, model.sha256, {})
    assert info.value.element_id == "Script_exec"


# -- SE-1: one factory builds workflows ------------------------------------------------------------


def test_only_the_factory_constructs_bpmn_workflows() -> None:
    offenders = []
    for path in sorted((ROOT / "service").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "BpmnWorkflow(" in text and path.relative_to(ROOT).as_posix() != (
            "service/engine/factory.py"
        ):
            offenders.append(path.relative_to(ROOT).as_posix())
    assert offenders == []


def test_factory_workflows_always_use_the_safe_engine(model: CompiledModel) -> None:
    spec, subprocess_specs = factory.load_spec(model.spec_json)
    workflow = factory.new_workflow(spec, subprocess_specs)
    assert workflow.script_engine is factory.SCRIPT_ENGINE
    with pytest.raises(TypeError):
        workflow.script_engine = PythonScriptEngine()
    with pytest.raises(TypeError):
        factory.SafeBpmnWorkflow(spec, script_engine=PythonScriptEngine())
    restored = runner.restore(model.spec_json, model.sha256, runner.dump_state(workflow))
    assert restored.script_engine is factory.SCRIPT_ENGINE
