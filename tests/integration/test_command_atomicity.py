"""REL-1: a command is one transaction; a fault before commit leaves no trace."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service.audit.log import RequestContext
from service.db.models import AuditEvent, DocumentVersion, ProcessInstance, Task, User
from service.db.session import UnitOfWork
from service.usecases import tasks as tasks_uc
from service.usecases.principal import load_principal
from tests.support.api import login, open_dossier
from tests.support.files import docx_bytes


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_fault_before_commit_leaves_no_trace(app, monkeypatch):
    client = app.test_client()
    donvi = login(client, "donvi1")
    did = open_dossier(donvi)["id"]
    task = donvi.task_for(did)
    engine = app.extensions["tdkt"].engine

    def snapshot():
        with engine.connect() as conn:
            return (
                conn.scalar(select(func.count(AuditEvent.id))),
                conn.scalar(select(Task.state).where(Task.id == task["id"])),
                conn.scalar(select(ProcessInstance.lock_version).where(
                    ProcessInstance.dossier_id == did)),
                conn.scalar(select(ProcessInstance.state_json).where(
                    ProcessInstance.dossier_id == did)),
                conn.scalar(select(func.count(DocumentVersion.id))),
            )

    before = snapshot()

    def fail_at_audit(*args, **kwargs):
        raise RuntimeError("injected fault just before commit")

    monkeypatch.setattr(tasks_uc, "append", fail_at_audit)
    # With an attachment: its object is written first, but no row may survive the fault.
    services = app.extensions["tdkt"]
    with UnitOfWork(engine) as uow:
        who = load_principal(uow.session, uow.session.scalars(
            select(User).where(User.username == "donvi1")).one())
    completion = tasks_uc.Completion(decision="approve",
                                     attachment=("Phụ lục.docx", docx_bytes()))
    with pytest.raises(RuntimeError, match="injected fault"), UnitOfWork(engine) as uow:
        tasks_uc.complete(uow, services.store, who, RequestContext(), task["id"], completion,
                          max_bytes=services.config.MAX_CONTENT_LENGTH)
        uow.commit()
    assert snapshot() == before
    api = donvi.post(f"/tasks/{task['id']}/complete", json={"decision": "approve"})
    assert api.status_code == 500
    assert api.get_json()["error"]["code"] == "internal_error"
    assert snapshot() == before
    monkeypatch.undo()
    assert donvi.post(f"/tasks/{task['id']}/complete",
                      json={"decision": "approve"}).status_code == 200
