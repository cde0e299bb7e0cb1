"""REL-2: two completions of the same task race; exactly one wins, the loser gets 409."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from service.db.models import AuditEvent
from tests.support.api import login, open_dossier

RACES = 25


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_concurrent_completions_have_one_winner(app):
    client = app.test_client()
    donvi, head, cum = login(client, "donvi1"), login(client, "thutruong1"), login(client, "cum1")
    tasks = []
    for n in range(RACES):
        did = open_dossier(donvi, title=f"Hồ sơ đua {n}")["id"]
        donvi.decide(did, "approve")
        head.decide(did, "approve")
        tasks.append(cum.task_for(did)["id"])

    engine = app.extensions["tdkt"].engine
    with engine.connect() as conn:
        before = conn.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "task.completed")
        )

    form = cum.get(f"/tasks/{tasks[0]}").get_json()["form"]
    meeting = {"present": [m["id"] for m in form["meeting_members"]]}
    results: dict[str, list[int]] = {t: [] for t in tasks}
    lock = threading.Lock()

    def complete(task_id: str, barrier: threading.Barrier) -> None:
        local = app.test_client()
        barrier.wait()
        response = local.post(
            f"/api/v1/tasks/{task_id}/complete",
            headers=cum.headers,
            json={"decision": "approve", "comment": "đồng ý", "meeting": meeting},
        )
        with lock:
            results[task_id].append(response.status_code)
            if response.status_code == 409:
                error = response.get_json()["error"]
                assert error["code"] == "already_completed"
                assert error["details"]["completed_by"] == "cum1"

    for task_id in tasks:
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=complete, args=(task_id, barrier)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    for task_id, codes in results.items():
        assert sorted(codes) == [200, 409], (task_id, codes)
    with engine.connect() as conn:
        after = conn.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "task.completed")
        )
    assert after - before == RACES


def test_idempotency_key_replays_the_first_answer(client):
    donvi = login(client, "donvi1")
    did = open_dossier(donvi)["id"]
    task = donvi.task_for(did)
    body = {"decision": "approve", "comment": ""}
    first = donvi.post(
        f"/tasks/{task['id']}/complete", json=body, headers={"Idempotency-Key": "k-1"}
    )
    again = donvi.post(
        f"/tasks/{task['id']}/complete", json=body, headers={"Idempotency-Key": "k-1"}
    )
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    other = donvi.post(
        f"/tasks/{task['id']}/complete",
        json={"decision": "reject"},
        headers={"Idempotency-Key": "k-1"},
    )
    assert other.status_code == 409
    assert other.get_json()["error"]["code"] == "idempotency_mismatch"
