"""The flows an instance took, read from its saved task tree (service.engine.trace)."""

from __future__ import annotations

from service.engine import runner, trace
from service.engine.registry import compile_bpmn
from tests.support.models import shipped

ROLES = {"unit_officer", "unit_head", "cluster_leader", "board_specialist", "chairman"}


def test_flows_taken_follow_decisions_and_returns() -> None:
    xml = shipped().encode()
    model = compile_bpmn(xml, ROLES)
    wf = runner.start(model.spec_json, model.sha256, {})
    assert trace.flows_taken(xml, wf) == ["Flow_start"]
    for step, decision in (("unit_prepare", "approve"), ("unit_submit", "approve"),
                           ("cluster_review", "return"), ("unit_prepare", "approve"),
                           ("unit_submit", "approve"), ("cluster_review", "approve")):
        [task] = [t for t in runner.open_tasks(wf) if t.step == step]
        runner.complete(wf, task.task_id, decision=decision, fields={}, service_data={})
    restored = runner.restore(model.spec_json, model.sha256, runner.dump_state(wf))
    taken = trace.flows_taken(xml, restored)
    assert taken[:2] == ["Flow_start", "Flow_prepare_done"]
    assert set(taken) == {"Flow_start", "Flow_prepare_done", "Flow_unit_submit_done",
                          "Flow_unit_submit_approve", "Flow_cluster_review_done",
                          "Flow_cluster_review_return", "Flow_cluster_review_approve"}
    assert len(taken) == len(set(taken))


def test_a_diagram_without_those_flows_gives_none() -> None:
    model = compile_bpmn(shipped().encode(), ROLES)
    wf = runner.start(model.spec_json, model.sha256, {})
    other = b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'/>"
    assert trace.flows_taken(other, wf) == []
