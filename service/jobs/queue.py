"""The job table as a queue: enqueue in a command's transaction, take under a lease, finish.

A command that needs slow work done (render a paper, convert it to PDF) adds a job in its own
transaction, so the job exists exactly when the command committed (the outbox). A worker takes
a job by compare-and-set on its state with a lease (``locked_until``); if the worker dies, the
lease runs out and another takes it again. Handlers are written so that running a job twice
has the effect of running it once: objects go to keys derived from the job, rows are checked
before they are added, and the job is marked done in the transaction that writes its rows.

A handler has two halves. ``prepare`` does the slow part outside any write transaction (SQLite
has one writer at a time) and returns ``apply``, which writes the rows inside one.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, or_, select, update

from service.audit.log import Actor, EventInput, RequestContext, append, utcnow
from service.db.models import Job
from service.db.session import UnitOfWork

log = logging.getLogger("tdkt.jobs")

LEASE = timedelta(minutes=10)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
MAX_ATTEMPTS = 5


# States of a job.
PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


@dataclass(frozen=True)
class Runtime:
    """What handlers may use besides the database: the object store and settings."""

    engine: Engine
    store: Any
    settings: dict


Apply = Callable[[UnitOfWork], None]


class Handler(Protocol):
    def __call__(self, runtime: Runtime, job: Job) -> Apply: ...


HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the handler of a kind of job."""
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn
    return register


def enqueue(uow: UnitOfWork, *, kind: str, dedupe_key: str, payload: dict,
            dossier_id: int | None = None, now: datetime | None = None,
            max_attempts: int = MAX_ATTEMPTS) -> Job:
    """Add a job in the caller's transaction (it runs only if the caller commits)."""
    job = new_job(kind=kind, dedupe_key=dedupe_key, payload=payload, dossier_id=dossier_id,
                  now=now, max_attempts=max_attempts)
    uow.session.add(job)
    uow.session.flush()
    if uow.on_new_job is not None:
        job_id, hook = job.id, uow.on_new_job
        uow.after_commit(lambda: hook(job_id))
    return job


def new_job(*, kind: str, dedupe_key: str, payload: dict, dossier_id: int | None = None,
            now: datetime | None = None, run_after: datetime | None = None,
            max_attempts: int = MAX_ATTEMPTS) -> Job:
    """A pending job row, not yet added: for code that adds it to a session it does not
    flush itself (the task projection leaves every row to its caller's one flush)."""
    now = now or utcnow()
    return Job(kind=kind, dedupe_key=dedupe_key, dossier_id=dossier_id,
               payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
               state=PENDING, attempts=0, max_attempts=max_attempts,
               run_after=run_after or now, created_at=now)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _ready(now: datetime):
    return or_(
        (Job.state == PENDING) & (Job.run_after <= now),
        (Job.state == RUNNING) & (Job.locked_until < now),
    )


def take(engine: Engine, *, worker: str, job_id: int | None = None,
         now: datetime | None = None) -> Job | None:
    """Take the oldest ready job (or the one named), or None. Commits the lease."""
    now = now or utcnow()
    with UnitOfWork(engine) as uow:
        query = select(Job.id).where(_ready(now)).order_by(Job.id).limit(1)
        if job_id is not None:
            query = query.where(Job.id == job_id)
        if uow.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        found = uow.session.scalar(query)
        if found is None:
            return None
        taken = uow.session.execute(
            update(Job).where(Job.id == found, _ready(now)).values(
                state=RUNNING, locked_by=worker, locked_until=now + LEASE,
                attempts=Job.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            uow.rollback()
            return None
        job = uow.session.get(Job, found)
        uow.commit()
        return job


def run(runtime: Runtime, job: Job, *, worker: str) -> bool:
    """Run a taken job to the end: True when done, False when it failed (and will be retried
    or is now an incident). Never raises for a handler's error."""
    try:
        fn = HANDLERS.get(job.kind)
        if fn is None:
            raise LookupError(f"no handler for jobs of kind {job.kind!r}")
        apply = fn(runtime, job)
        with UnitOfWork(runtime.engine) as uow:
            held = uow.session.execute(
                update(Job).where(Job.id == job.id, Job.state == RUNNING,
                                  Job.locked_by == worker)
                .values(state=DONE, finished_at=utcnow(), locked_until=None, last_error=None)
                .execution_options(synchronize_session=False)
            ).rowcount
            if held != 1:
                # The lease ran out and another worker took the job; its run counts.
                log.warning("job %s lost its lease before finishing", job.id)
                return False
            apply(uow)
            uow.commit()
        return True
    except Exception as exc:  # noqa: BLE001 - a job's failure is recorded, not raised
        log.exception("job %s (%s) failed", job.id, job.kind)
        _failed(runtime.engine, job, worker, exc)
        return False


def _failed(engine: Engine, job: Job, worker: str, exc: Exception) -> None:
    now = utcnow()
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000]
    with UnitOfWork(engine) as uow:
        current = uow.session.get(Job, job.id)
        if current is None or current.state != RUNNING or current.locked_by != worker:
            return
        current.last_error = error
        current.locked_by = None
        current.locked_until = None
        if current.attempts >= current.max_attempts:
            current.state = FAILED
            current.finished_at = now
            append(uow.session, Actor(None, "system"), RequestContext(request_id=f"job-{job.id}"),
                   EventInput(action="job.failed", target_type="job", target_id=str(job.id),
                              dossier_id=current.dossier_id,
                              details={"kind": current.kind, "attempts": current.attempts,
                                       "error": error}))
        else:
            current.state = PENDING
            current.run_after = now + backoff(current.attempts)
        uow.commit()


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at an hour."""
    return min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_MAX)


def run_ready(runtime: Runtime, *, worker: str | None = None, limit: int = 100,
              job_ids: list[int] | None = None) -> int:
    """Take and run ready jobs (only ``job_ids`` if given); returns how many finished."""
    worker = worker or worker_name()
    done = 0
    if job_ids is not None:
        for job_id in job_ids:
            job = take(runtime.engine, worker=worker, job_id=job_id)
            if job is not None and run(runtime, job, worker=worker):
                done += 1
        return done
    for _ in range(limit):
        job = take(runtime.engine, worker=worker)
        if job is None:
            break
        if run(runtime, job, worker=worker):
            done += 1
    return done


def retry(uow: UnitOfWork, job_id: int) -> Job | None:
    """Put a failed job back in the queue (an administrator's action on an incident)."""
    job = uow.session.get(Job, job_id)
    if job is None or job.state != FAILED:
        return None
    job.state = PENDING
    job.attempts = 0
    job.run_after = utcnow()
    job.finished_at = None
    return job
