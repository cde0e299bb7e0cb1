"""REL-4 for the job table: taken under a lease, retaken after a dead worker, retried with
back-off, an incident after the last attempt, and no duplicate effect when run twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.audit.log import Actor, EventInput, RequestContext, append, utcnow
from service.db.models import AuditEvent, Job
from service.db.session import UnitOfWork
from service.jobs import queue

KIND = "test.effect"
CALLS: list[int] = []
FAILURES: dict[int, int] = {}  # job id → how many more runs fail


@queue.handler(KIND)
def _effect(runtime: queue.Runtime, job: Job) -> queue.Apply:
    CALLS.append(job.id)
    if FAILURES.get(job.id, 0) > 0:
        FAILURES[job.id] -= 1
        raise RuntimeError("máy chủ lưu trữ không trả lời")

    def apply(uow: UnitOfWork) -> None:
        append(uow.session, Actor(None, "system"), RequestContext(), EventInput(
            action="test.effect", target_type="job", target_id=str(job.id)))

    return apply


@pytest.fixture
def runtime(app):
    CALLS.clear()
    FAILURES.clear()
    tdkt = app.extensions["tdkt"]
    return queue.Runtime(tdkt.engine, tdkt.store, {})


def _enqueue(runtime, key: str = "k1", *, max_attempts: int = 5) -> int:
    with UnitOfWork(runtime.engine) as uow:
        job = queue.enqueue(uow, kind=KIND, dedupe_key=key, payload={"n": 1},
                            max_attempts=max_attempts)
        uow.commit()
        return job.id


def _effects(runtime, action: str = "test.effect") -> int:
    with runtime.engine.connect() as conn:
        return conn.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


def _job(runtime, job_id: int) -> Job:
    with UnitOfWork(runtime.engine, write=False) as uow:
        return uow.session.get(Job, job_id)


def test_a_job_exists_only_if_its_command_commits(runtime):
    with UnitOfWork(runtime.engine) as uow:
        queue.enqueue(uow, kind=KIND, dedupe_key="rolled-back", payload={})
        uow.rollback()
    assert queue.take(runtime.engine, worker="w1") is None


def test_the_hook_runs_a_job_only_after_its_commit(runtime):
    seen = []
    with UnitOfWork(runtime.engine) as uow:
        uow.on_new_job = seen.append
        job = queue.enqueue(uow, kind=KIND, dedupe_key="hooked", payload={})
        assert seen == []
        uow.commit()
    assert seen == [job.id]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_taken_job_is_not_taken_twice_until_its_lease_runs_out(runtime):
    job_id = _enqueue(runtime)
    first = queue.take(runtime.engine, worker="w1")
    assert first is not None and first.id == job_id and first.attempts == 1
    assert queue.take(runtime.engine, worker="w2") is None
    # w1 dies; once the lease has run out another worker takes the job again.
    later = utcnow() + queue.LEASE + timedelta(seconds=1)
    again = queue.take(runtime.engine, worker="w2", now=later)
    assert again is not None and again.id == job_id and again.attempts == 2
    assert queue.run(runtime, again, worker="w2") is True
    # The dead worker comes back and finishes its run: its lease is gone, nothing is added.
    assert queue.run(runtime, first, worker="w1") is False
    assert _effects(runtime) == 1
    assert _job(runtime, job_id).state == queue.DONE


def test_a_failing_job_backs_off_then_succeeds(runtime):
    job_id = _enqueue(runtime)
    FAILURES[job_id] = 1
    assert queue.run_ready(runtime, worker="w1") == 0
    job = _job(runtime, job_id)
    assert job.state == queue.PENDING and job.attempts == 1
    assert "máy chủ lưu trữ" in job.last_error
    assert job.run_after >= utcnow() + timedelta(seconds=25)
    assert queue.run_ready(runtime, worker="w1") == 0  # not before its time
    assert queue.take(runtime.engine, worker="w1", now=job.run_after) is not None
    assert queue.run(runtime, _job(runtime, job_id), worker="w1") is True
    assert _effects(runtime) == 1


def test_the_last_failed_attempt_is_an_incident_in_the_audit_trail(runtime):
    job_id = _enqueue(runtime, max_attempts=2)
    FAILURES[job_id] = 5
    now = utcnow()
    for attempt in range(2):
        job = queue.take(runtime.engine, worker="w1", now=now + timedelta(hours=attempt * 2))
        assert job is not None
        queue.run(runtime, job, worker="w1")
    job = _job(runtime, job_id)
    assert job.state == queue.FAILED and job.attempts == 2
    assert _effects(runtime, "job.failed") == 1
    assert queue.take(runtime.engine, worker="w1", now=now + timedelta(days=1)) is None
    with UnitOfWork(runtime.engine) as uow:
        assert queue.retry(uow, job_id) is not None
        uow.commit()
    FAILURES[job_id] = 0
    assert queue.run_ready(runtime, worker="w1") == 1
    assert _effects(runtime) == 1


def test_back_off_doubles_and_is_capped():
    assert [queue.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert queue.backoff(30) == queue.BACKOFF_MAX
