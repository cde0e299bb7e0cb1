"""Moving an instance to another version of its diagram (service.engine.migrate), with
SpiffWorkflow's own diff and migration."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from service.engine import runner
from service.engine.migrate import MigrationRefused, migrate
from service.engine.registry import CompiledModel, compile_bpmn
from tests.support.models import CONSULTATION_ID, shipped, with_consultation, without_cluster_review

ROLES = {"unit_officer", "unit_head", "cluster_leader", "board_specialist", "chairman"}


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    runner.clear_spec_cache()
    yield
    runner.clear_spec_cache()


@pytest.fixture(scope="module")
def v1() -> CompiledModel:
    return compile_bpmn(shipped().encode(), ROLES)


@pytest.fixture(scope="module")
def consultation() -> CompiledModel:
    return compile_bpmn(with_consultation().encode(), ROLES)


@pytest.fixture(scope="module")
def no_cluster() -> CompiledModel:
    return compile_bpmn(without_cluster_review().encode(), ROLES)


def act(wf: runner.Workflow, step: str, decision: str = "approve") -> None:
    [task] = [t for t in runner.open_tasks(wf) if t.step == step]
    runner.complete(wf, task.task_id, decision=decision, fields={}, service_data={})


def waiting_at(model: CompiledModel, last: str) -> runner.Workflow:
    """Saved and restored, as the service holds it: approved by every step up to ``last``."""
    wf = runner.start(model.spec_json, model.sha256, {"dossier_id": 7})
    for step in ("unit_prepare", "unit_submit", "cluster_review", "board_appraisal"):
        if step == last:
            break
        act(wf, step)
    return runner.restore(model.spec_json, model.sha256, runner.dump_state(wf))


def test_a_waiting_step_keeps_its_task_on_the_new_version(v1, consultation) -> None:
    wf = waiting_at(v1, "board_appraisal")
    [before] = runner.open_tasks(wf)
    moved = migrate(wf, consultation.spec_json, consultation.sha256)
    [after] = runner.open_tasks(moved.workflow)
    assert (after.task_id, after.step) == (before.task_id, "board_appraisal")
    # From now on it follows the new version: a return comes back through "Hiệp y".
    wf = moved.workflow
    act(wf, "board_appraisal", "return")
    for step in ("unit_prepare", "unit_submit", "cluster_review"):
        act(wf, step)
    assert [t.step for t in runner.open_tasks(wf)] == [CONSULTATION_ID]
    data = wf.get_task_from_id(UUID(runner.open_tasks(wf)[0].task_id)).data
    assert data["dossier_id"] == 7  # the instance's data survives the move


def test_a_step_missing_from_the_target_is_refused_by_name(v1, no_cluster) -> None:
    wf = waiting_at(v1, "cluster_review")
    with pytest.raises(MigrationRefused) as info:
        migrate(wf, no_cluster.spec_json, no_cluster.sha256)
    assert info.value.code == "step_missing"
    assert info.value.element_ids == ("cluster_review",)
    assert "cluster_review" in info.value.message


def test_history_the_target_cannot_describe_is_refused(v1, no_cluster) -> None:
    wf = waiting_at(v1, "board_appraisal")  # it went through cluster_review
    with pytest.raises(MigrationRefused) as info:
        migrate(wf, no_cluster.spec_json, no_cluster.sha256)
    assert info.value.code == "history_missing"
    assert "cluster_review" in info.value.element_ids


def test_an_early_dossier_moves_to_a_version_without_a_later_step(v1, no_cluster) -> None:
    wf = waiting_at(v1, "unit_submit")
    moved = migrate(wf, no_cluster.spec_json, no_cluster.sha256)
    act(moved.workflow, "unit_submit")
    assert [t.step for t in runner.open_tasks(moved.workflow)] == ["board_appraisal"]
    restored = runner.restore(no_cluster.spec_json, no_cluster.sha256, moved.state_json)
    assert [t.step for t in runner.open_tasks(restored)] == ["unit_submit"]
