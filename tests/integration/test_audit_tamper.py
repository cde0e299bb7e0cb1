"""Tamper evidence beyond the hash links: signed checkpoints catch truncation, a chain
recomputed without the key, forged or deleted checkpoints; every kind of change is named at
its first bad event, on SQLite and PostgreSQL, done as a superuser with the guards off."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from service.audit import checkpoints
from service.audit.chain import event_hash
from service.audit.log import iter_events, to_record
from service.audit.signing import AuditSigner
from service.db.models import AuditEvent
from service.db.session import UnitOfWork
from tests.support.api import login, open_dossier

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)

GUARDED = ("audit_event", "audit_checkpoint")


def _events(app, n_dossiers: int = 1) -> None:
    client = app.test_client()
    donvi, head = login(client, "donvi1"), login(client, "thutruong1")
    for n in range(n_dossiers):
        did = open_dossier(donvi, title=f"Hồ sơ kiểm tra {n}")["id"]
        donvi.decide(did, "approve")
        head.decide(did, "approve")


def _checkpoint(app) -> checkpoints.Checkpoint:
    tdkt = app.extensions["tdkt"]
    with UnitOfWork(tdkt.engine) as uow:
        written = checkpoints.write(uow.session, tdkt.audit_signer, tdkt.store,
                                    reason="periodic")
        uow.commit()
    return written


def _verify(app) -> checkpoints.TrailReport:
    tdkt = app.extensions["tdkt"]
    with UnitOfWork(tdkt.engine, write=False) as uow:
        return checkpoints.verify(uow.session, tdkt.audit_signer.public_key, tdkt.store)


def _as_superuser(app, *statements: tuple[str, dict]) -> None:
    """What someone with full rights on the database can do: switch the guards off, change
    rows directly with SQL, switch them on again."""
    engine = app.extensions["tdkt"].engine
    with engine.begin() as conn:
        postgres = engine.dialect.name == "postgresql"
        for table in GUARDED:
            if postgres:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            else:
                for verb in ("update", "delete"):
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
        for sql, params in statements:
            conn.execute(text(sql), params)
        if postgres:
            for table in GUARDED:
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def _records(app) -> list[dict]:
    with UnitOfWork(app.extensions["tdkt"].engine, write=False) as uow:
        return [to_record(row) for row in iter_events(uow.session)]


def _rehash_from(app, records: list[dict], start: int) -> list[tuple[str, dict]]:
    """Statements that recompute every hash from index ``start`` on, as a forger without the
    key would, so that all the links agree again."""
    statements = []
    prev = records[start - 1]["hash"] if start else "0" * 64
    for record in records[start:]:
        record = {**record, "prev_hash": prev}
        record["hash"] = event_hash(record)
        statements.append(("UPDATE audit_event SET comment = :comment, prev_hash = :prev, "
                           "hash = :hash WHERE id = :id",
                           {"comment": record["comment"], "prev": record["prev_hash"],
                            "hash": record["hash"], "id": record["id"]}))
        prev = record["hash"]
    return statements


def test_an_untouched_trail_verifies_with_its_checkpoints(app):
    _events(app)
    first = _checkpoint(app)
    _events(app)
    second = _checkpoint(app)
    assert second.event_id > first.event_id
    report = _verify(app)
    assert report.ok and report.checkpoints == 2
    assert report.events == second.event_id


def test_cutting_the_end_of_the_chain_is_detected(app):
    _events(app)
    _checkpoint(app)
    records = _records(app)
    cut_from = records[-3]["id"]
    _as_superuser(app, ("DELETE FROM audit_event WHERE id >= :id", {"id": cut_from}),
                  ("DELETE FROM audit_search WHERE event_id >= :id", {"id": cut_from}))
    report = _verify(app)
    assert not report.ok
    assert report.first_bad_id == records[-1]["id"]
    assert "cắt bớt" in report.reason


def test_a_chain_recomputed_without_the_key_is_detected(app):
    _events(app)
    _checkpoint(app)
    records = _records(app)
    victim = len(records) // 2
    records[victim]["comment"] = "Đồng ý (đã sửa lại)"
    _as_superuser(app, *_rehash_from(app, records, victim))
    report = _verify(app)
    assert not report.ok
    assert "tính lại" in report.reason
    assert report.first_bad_id == records[-1]["id"]  # the signed event no longer matches


def test_a_checkpoint_forged_to_match_a_recomputed_chain_is_detected(app):
    _events(app)
    _checkpoint(app)
    records = _records(app)
    records[2]["comment"] = "Sửa nội dung"
    statements = _rehash_from(app, records, 2)
    new_head = statements[-1][1]["hash"]
    statements.append(("UPDATE audit_checkpoint SET event_hash = :hash", {"hash": new_head}))
    _as_superuser(app, *statements)
    report = _verify(app)
    assert not report.ok
    assert "chữ ký" in report.reason


def test_a_checkpoint_signed_with_another_key_is_refused(app):
    _events(app)
    tdkt = app.extensions["tdkt"]
    with UnitOfWork(tdkt.engine) as uow:
        checkpoints.write(uow.session, AuditSigner("khoa-gia-mao-cua-ke-xau-0123456789"),
                          tdkt.store, reason="periodic")
        uow.commit()
    report = _verify(app)
    assert not report.ok and "chữ ký" in report.reason


def test_deleting_checkpoints_with_the_events_they_sign_is_detected(app):
    _events(app)
    _checkpoint(app)
    records = _records(app)
    _as_superuser(app, ("DELETE FROM audit_checkpoint", {}),
                  ("DELETE FROM audit_event WHERE id > :id", {"id": records[3]["id"]}))
    report = _verify(app)
    assert not report.ok
    assert "cắt bớt" in report.reason and "kho lưu trữ" in report.reason


@pytest.mark.parametrize("change", ["edit", "delete", "reorder"])
def test_each_change_inside_the_chain_is_named_at_its_first_bad_event(app, change):
    _events(app, 2)
    _checkpoint(app)
    records = _records(app)
    target = records[4]["id"]
    if change == "edit":
        statements = [("UPDATE audit_event SET comment = 'x' WHERE id = :id", {"id": target})]
        expected = target
    elif change == "delete":
        statements = [("DELETE FROM audit_event WHERE id = :id", {"id": target})]
        expected = target + 1
    else:  # two events swap places (their ids), contents and hashes kept
        other = target + 1
        statements = [("UPDATE audit_event SET id = -1 WHERE id = :a", {"a": target}),
                      ("UPDATE audit_event SET id = :a WHERE id = :b", {"a": target, "b": other}),
                      ("UPDATE audit_event SET id = :b WHERE id = -1", {"b": other})]
        expected = target
    _as_superuser(app, *statements)
    report = _verify(app)
    assert not report.ok
    assert report.first_bad_id == expected


def test_the_cli_names_the_first_bad_event_and_the_worker_checkpoints(app):
    _events(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    records = _records(app)
    records[1]["comment"] = "giả mạo"
    _as_superuser(app, *_rehash_from(app, records, 1))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 2
    assert "tính lại" in result.output
    engine = app.extensions["tdkt"].engine
    with engine.connect() as conn:
        assert conn.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
