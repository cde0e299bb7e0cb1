"""The audit trail: one event per command, hash-chained, append-only, tampering named."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from service.audit import log as audit_log
from service.db.session import UnitOfWork
from tests.support.api import login, open_dossier

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


def _route(app) -> int:
    client = app.test_client()
    donvi, head = login(client, "donvi1"), login(client, "thutruong1")
    did = open_dossier(donvi)["id"]
    donvi.decide(did, "approve")
    head.decide(did, "approve")
    login(client, "cum1").decide(did, "return", "Thiếu biên bản")
    return did


def _verify(app):
    with UnitOfWork(app.extensions["tdkt"].engine, write=False) as uow:
        return audit_log.verify(uow.session)


def _raw(app, sql: str, **params) -> None:
    engine = app.extensions["tdkt"].engine
    with engine.begin() as conn:
        conn.execute(text(sql), params)


def _without_triggers(app, sql: str, **params) -> None:
    """What a database superuser could do: switch the guard off, change rows, switch it on."""
    engine = app.extensions["tdkt"].engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
            conn.execute(text(sql), params)
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
            conn.execute(text(sql), params)


def test_route_leaves_a_verifiable_chain(app):
    did = _route(app)
    report = _verify(app)
    assert report.ok, report
    with UnitOfWork(app.extensions["tdkt"].engine, write=False) as uow:
        events = audit_log.dossier_events(uow.session, did)
    actions = [e.action for e in events]
    assert actions == ["dossier.created", "task.completed", "task.completed", "task.completed"]
    assert [e.decision for e in events[1:]] == ["approve", "approve", "return"]
    assert events[-1].comment == "Thiếu biên bản"
    assert events[-1].actor == "cum1" and events[-1].role == "cluster_leader"


@pytest.mark.parametrize("sql", ["UPDATE audit_event SET comment = 'x' WHERE id = 2",
                                 "DELETE FROM audit_event WHERE id = 2"])
def test_database_refuses_update_and_delete(app, sql):
    _route(app)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(app, sql)
    assert _verify(app).ok


def test_edit_is_detected_at_the_edited_event(app):
    _route(app)
    with UnitOfWork(app.extensions["tdkt"].engine, write=False) as uow:
        target = max(e.id for e in audit_log.iter_events(uow.session)) - 1
    _without_triggers(app, "UPDATE audit_event SET comment = 'Đã sửa' WHERE id = :id", id=target)
    report = _verify(app)
    assert not report.ok
    assert report.first_bad_id == target


def test_deletion_is_detected_at_the_next_event(app):
    _route(app)
    _without_triggers(app, "DELETE FROM audit_event WHERE id = 3")
    report = _verify(app)
    assert not report.ok and report.first_bad_id == 4


def test_cli_reports_the_first_altered_event(app):
    _route(app)
    _without_triggers(app, "UPDATE audit_event SET actor = 'ke_gian' WHERE id = 5")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 2
    assert "#5" in result.output
