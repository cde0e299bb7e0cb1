"""REL-5 with a real kill -9: a worker process dies at each point of generating papers; the
job is taken again once its lease runs out, no row ever lacks its object, and the sweep removes
only what the dead attempt left behind."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.db.models import Document, DocumentVersion, Job
from service.db.session import UnitOfWork
from service.jobs import queue
from service.usecases import papers
from tests.support.api import login, open_dossier

# Where the doomed worker kills itself: (function of service.usecases.papers, call number).
POINTS = {
    "after rendering, before any object": ("_put", 1),
    "between the .docx and its PDF": ("_put", 2),
    "after the objects, before the rows": ("_add_versions", 1),
}

WORKER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from service.app import create_app
    from service.config import TestConfig
    from service.jobs import queue
    from service.usecases import papers

    var_dir, url, name, call = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    app = create_app(TestConfig(Path(var_dir), database_url=url))
    real = getattr(papers, name)
    calls = {"n": 0}

    def doomed(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)

    setattr(papers, name, doomed)
    queue.run_ready(app.extensions["tdkt"].runtime, worker="doomed")
    sys.exit(3)  # not reached: the worker dies first
""")


@pytest.mark.parametrize("point", list(POINTS))
def test_a_worker_killed_while_generating_leaves_no_row_without_its_object(app, tmp_path,
                                                                           point):
    client = app.test_client()
    donvi, head, cum = login(client, "donvi1"), login(client, "thutruong1"), login(client, "cum1")
    did = open_dossier(donvi)["id"]
    donvi.decide(did, "approve")
    head.decide(did, "approve")
    cum.decide(did, "approve")  # the cluster's Biên bản and Tờ trình are now queued
    tdkt = app.extensions["tdkt"]
    url = tdkt.config.SQLALCHEMY_DATABASE_URI
    name, call = POINTS[point]

    worker = subprocess.run(
        [sys.executable, "-c", WORKER, str(tmp_path / "var"), url, name, str(call)],
        capture_output=True, timeout=180, cwd=str(tdkt.config.WORKFLOWS_DIR.parents[1]))
    assert worker.returncode == -9, worker.stderr.decode()[-2000:]

    with UnitOfWork(tdkt.engine, write=False) as uow:
        job = uow.session.scalar(select(Job).where(Job.kind == papers.JOB_KIND))
        assert job.state == queue.RUNNING and job.locked_by == "doomed"
        assert _generated_rows(uow) == []
    left = {o.key for o in tdkt.store.list()}
    expected_left = {"after rendering, before any object": 0,
                     "between the .docx and its PDF": 1,
                     "after the objects, before the rows": 4}[point]  # two papers
    assert len([k for k in left if "/papers/" in k]) == expected_left

    # Until the lease runs out nobody takes the job, and the sweep keeps its objects.
    assert queue.take(tdkt.engine, worker="w2") is None
    with UnitOfWork(tdkt.engine, write=False) as uow:
        assert papers.sweep(uow.session, tdkt.store, datetime.now(UTC) + timedelta(hours=1)) == []

    later = datetime.now(UTC).replace(tzinfo=None) + queue.LEASE + timedelta(seconds=1)
    retaken = queue.take(tdkt.engine, worker="w2", now=later)
    assert retaken is not None and retaken.attempts == 2
    assert queue.run(tdkt.runtime, retaken, worker="w2")

    with UnitOfWork(tdkt.engine, write=False) as uow:
        rows = _generated_rows(uow)
        assert sorted(kind for kind, *_ in rows) == ["cluster_minutes", "cluster_submission"]
        assert all(version == 1 for _kind, version, *_ in rows)
        referenced = {key for _k, _v, docx, pdf in rows for key in (docx, pdf)}
        assert all(tdkt.store.exists(key) for key in referenced)
        assert all("/a2-" in key for key in referenced), "the retry wrote keys of its own"
        removed = set(papers.sweep(uow.session, tdkt.store,
                                   datetime.now(UTC) + timedelta(hours=1)))
    assert removed == {k for k in left if "/papers/" in k}
    assert all(tdkt.store.exists(key) for key in referenced)
    generated = [e for e in cum.get(f"/dossiers/{did}/history").get_json()["items"]
                 if e["action"] == "document.generated"]
    assert len(generated) == 1, json.dumps(generated, ensure_ascii=False)


def _generated_rows(uow) -> list[tuple]:
    return list(uow.session.execute(
        select(Document.kind, DocumentVersion.version, DocumentVersion.object_key,
               DocumentVersion.pdf_object_key)
        .join(DocumentVersion, DocumentVersion.document_id == Document.id)
        .where(Document.generated.is_(True))).all())
