"""Timers: what a diagram may say, how it is compiled, and how a waiting timer fires."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from service.engine import runner
from service.engine.registry import ValidationIssue, compile_bpmn, validate_bpmn
from service.engine.timers import DATE, DURATION, TimerInvalid, parse_timer
from tests.support.models import shipped

ROLES = {"unit_officer", "unit_head", "cluster_leader", "board_specialist", "board_head",
         "chairman"}


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    runner.clear_spec_cache()
    yield
    runner.clear_spec_cache()


@pytest.mark.parametrize(("kind", "text", "value"), [
    (DURATION, "P5D", "P5D"),
    (DURATION, " 'PT12H' ", "PT12H"),
    (DURATION, '"P1M"', "P1M"),
    (DURATION, "P2W", "P2W"),
    (DURATION, "P1Y2M3DT4H5M6S", "P1Y2M3DT4H5M6S"),
    (DURATION, "PT0S", "PT0S"),
    (DATE, "2024-12-31", "2024-12-31"),
    (DATE, "'2024-12-31T17:00:00+07:00'", "2024-12-31T17:00:00+07:00"),
    (DATE, "2024-12-31T10:00:00Z", "2024-12-31T10:00:00Z"),
])
def test_literal_iso_values_are_accepted(kind: str, text: str, value: str) -> None:
    parsed = parse_timer(kind, text)
    assert parsed.value == value
    assert parsed.expression == repr(value)


@pytest.mark.parametrize(("kind", "text"), [
    (DURATION, ""),
    (DURATION, "P"),
    (DURATION, "PT"),
    (DURATION, "P5"),
    (DURATION, "5D"),
    (DURATION, "P1DT"),
    (DURATION, "P1W2D"),
    (DURATION, "P99999Y"),
    (DURATION, "PT999999H"),
    (DURATION, "P1.5D"),
    (DURATION, "${dueDate}"),
    (DURATION, "due_days"),
    (DURATION, "__import__('os').system('id')"),
    (DURATION, "'P5D' + 'x'"),
    (DURATION, "'P5D"),
    (DURATION, "R3/PT1H"),
    (DATE, "2024-13-01"),
    (DATE, "2024-02-30"),
    (DATE, "31/12/2024"),
    (DATE, "1999-01-01"),
    (DATE, "P5D"),
    (DATE, "2024-W05-1"),
    ("timeCycle", "R3/PT1H"),
    (DURATION, "P" + "1" * 200 + "D"),
])
def test_anything_else_is_refused_in_vietnamese(kind: str, text: str) -> None:
    with pytest.raises(TimerInvalid) as info:
        parse_timer(kind, text)
    assert info.value.message and "Traceback" not in info.value.message


def boundary(definition: str, attached: str = "board_appraisal",
             extra: str = "") -> str:
    return shipped().replace('<bpmn:endEvent id="end_approved"', f'''<bpmn:boundaryEvent \
id="Timer_1" name="Quá hạn" attachedToRef="{attached}"{extra}>
      <bpmn:outgoing>Flow_timer</bpmn:outgoing>
      {definition}
    </bpmn:boundaryEvent>
    <bpmn:userTask id="followup" name="Đôn đốc">
      <bpmn:extensionElements><tdkt:step role="board_head" scope="province">
        <tdkt:decision value="approve" /></tdkt:step></bpmn:extensionElements>
      <bpmn:incoming>Flow_timer</bpmn:incoming>
      <bpmn:outgoing>Flow_followup</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_timer" sourceRef="Timer_1" targetRef="followup" />
    <bpmn:sequenceFlow id="Flow_followup" sourceRef="followup" targetRef="board_appraisal" />
    <bpmn:endEvent id="end_approved"''', 1).replace(
        "<bpmn:incoming>Flow_chairman_decision_return</bpmn:incoming>",
        "<bpmn:incoming>Flow_chairman_decision_return</bpmn:incoming>"
        "<bpmn:incoming>Flow_followup</bpmn:incoming>", 1)


def timer(tag: str, text: str) -> str:
    return (f'<bpmn:timerEventDefinition><bpmn:{tag} xsi:type="bpmn:tFormalExpression">'
            f"{text}</bpmn:{tag}></bpmn:timerEventDefinition>")


def codes(issues: list[ValidationIssue]) -> set[tuple[str | None, str]]:
    return {(i.element_id, i.code) for i in issues}


def test_a_boundary_timer_on_a_step_compiles_with_a_literal() -> None:
    model = compile_bpmn(boundary(timer("timeDuration", "P20D")).encode(), ROLES)
    spec = json.loads(model.spec_json)["spec"]["task_specs"]["Timer_1"]
    assert spec["event_definition"]["expression"] == "'P20D'"
    assert model.steps["followup"].role == "board_head"


def test_an_intermediate_timer_compiles() -> None:
    text = shipped().replace(
        'sourceRef="unit_prepare" targetRef="unit_submit" />',
        'sourceRef="unit_prepare" targetRef="Wait_1" />'
        '<bpmn:intermediateCatchEvent id="Wait_1" name="Chờ 1 ngày">'
        "<bpmn:incoming>Flow_prepare_done</bpmn:incoming><bpmn:outgoing>Flow_wait</bpmn:outgoing>"
        + timer("timeDuration", "'P1D'") + "</bpmn:intermediateCatchEvent>"
        '<bpmn:sequenceFlow id="Flow_wait" sourceRef="Wait_1" targetRef="unit_submit" />', 1)
    assert validate_bpmn(text.encode(), ROLES) == []


@pytest.mark.parametrize(("definition", "attached", "extra", "code"), [
    (timer("timeDuration", "${due}"), "board_appraisal", "", "timer_invalid"),
    (timer("timeCycle", "R3/PT1H"), "board_appraisal", "", "timer_invalid"),
    (timer("timeDate", "2024-13-40"), "board_appraisal", "", "timer_invalid"),
    ("<bpmn:timerEventDefinition />", "board_appraisal", "", "timer_invalid"),
    (timer("timeDuration", "P1D") + timer("timeDuration", "P2D"), "board_appraisal", "",
     "unsupported_event"),
    ("<bpmn:messageEventDefinition />", "board_appraisal", "", "unsupported_event"),
    (timer("timeDuration", "P1D"), "Gateway_board_appraisal", "", "timer_not_attached"),
    ("<bpmn:extensionElements>" + timer("timeDuration", "__import__('os')")
     + "</bpmn:extensionElements>", "board_appraisal", "", "timer_invalid"),
])
def test_timers_are_refused_with_the_event_named(definition, attached, extra, code) -> None:
    issues = validate_bpmn(boundary(definition, attached, extra).encode(), ROLES)
    assert ("Timer_1", code) in codes(issues)


def test_a_timer_on_a_start_event_is_refused() -> None:
    text = shipped().replace(
        '<bpmn:outgoing>Flow_start</bpmn:outgoing>\n    </bpmn:startEvent>',
        '<bpmn:outgoing>Flow_start</bpmn:outgoing>' + timer("timeDuration", "P1D")
        + "</bpmn:startEvent>", 1)
    assert ("StartEvent_submit", "unsupported_event") in codes(
        validate_bpmn(text.encode(), ROLES))


def _at_the_board(model) -> runner.Workflow:
    wf = runner.start(model.spec_json, model.sha256, {"dossier_id": 1})
    for step in ("unit_prepare", "unit_submit", "cluster_review"):
        [task] = [t for t in runner.open_tasks(wf) if t.step == step]
        runner.complete(wf, task.task_id, decision="approve", fields={}, service_data={})
    return wf


def _age_timers(state_json: str, by: timedelta) -> str:
    """The saved state as it would be read ``by`` later: waiting timers' due times moved."""
    state = json.loads(state_json)
    for task in state["tasks"].values():
        value = task["internal_data"].get("event_value")
        if isinstance(value, str):
            task["internal_data"]["event_value"] = (
                datetime.fromisoformat(value) - by).isoformat()
    return json.dumps(state)


def test_a_due_timer_fires_when_the_instance_is_next_loaded() -> None:
    model = compile_bpmn(boundary(timer("timeDuration", "P20D")).encode(), ROLES)
    wf = _at_the_board(model)
    assert [t.step for t in runner.open_tasks(wf)] == ["board_appraisal"]
    state = runner.dump_state(wf)

    fresh = runner.restore(model.spec_json, model.sha256, state)
    assert runner.fire_due_timers(fresh) is False  # not yet
    assert [t.step for t in runner.open_tasks(fresh)] == ["board_appraisal"]

    later = runner.restore(model.spec_json, model.sha256,
                           _age_timers(state, timedelta(days=21)))
    assert runner.fire_due_timers(later) is True
    assert [t.step for t in runner.open_tasks(later)] == ["followup"]
    [task] = runner.open_tasks(later)
    runner.complete(later, task.task_id, decision="approve", fields={}, service_data={})
    assert [t.step for t in runner.open_tasks(later)] == ["board_appraisal"]


def test_a_past_date_fires_as_soon_as_the_step_is_reached() -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    model = compile_bpmn(boundary(timer("timeDate", past)).encode(), ROLES)
    wf = _at_the_board(model)
    assert [t.step for t in runner.open_tasks(wf)] == ["followup"]


def test_without_timers_nothing_is_refreshed() -> None:
    model = compile_bpmn(shipped().encode(), ROLES)
    wf = _at_the_board(model)
    assert runner.fire_due_timers(wf) is False
