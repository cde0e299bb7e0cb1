"""Deadline reminders and escalations as jobs (REL-4), notifications and their e-mails."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from service.audit.log import utcnow
from service.db.models import AuditEvent, Job, Notification, Task, User
from service.db.session import UnitOfWork
from service.domain.reminders import escalate_at, remind_at
from service.jobs import queue
from service.usecases import notifications, route
from tests.support import DEMO_PASSWORD
from tests.support.api import login, open_dossier

PUBLIC = "https://tdkt.example.vn"


class Inbox:
    """aiosmtpd handler: keeps what it receives."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def _runtime(app, smtp: dict | None = None) -> queue.Runtime:
    tdkt = app.extensions["tdkt"]
    return queue.Runtime(tdkt.engine, tdkt.store, {"smtp": smtp or {}})


def _future_dossier(client, days: int = 40) -> tuple[int, str]:
    """A dossier in a campaign whose deadline is ``days`` ahead: its unit task has jobs."""
    board = login(client, "bantdkt")
    deadline = (route.today_local() + timedelta(days=days)).isoformat()
    created = board.post("/campaigns", json={"code": f"TD-{days}", "name": "Đợt thi đua thử",
                                             "deadline": deadline})
    assert created.status_code == 201, created.get_json()
    donvi = login(client, "donvi1")
    response = donvi.post("/dossiers", json={"campaign_id": created.get_json()["id"],
                                             "title": "Hồ sơ có hạn phía trước",
                                             "proposals": []})
    assert response.status_code == 201, response.get_json()
    did = response.get_json()["id"]
    return did, donvi.task_for(did)["id"]


def _jobs(engine, task_id: str) -> dict[str, Job]:
    with UnitOfWork(engine, write=False) as uow:
        rows = uow.session.scalars(select(Job).where(Job.dedupe_key.in_(
            (f"remind:{task_id}", f"escalate:{task_id}"))))
        return {job.kind: job for job in rows}


def _make_due(engine, job_id: int) -> None:
    with UnitOfWork(engine) as uow:
        uow.session.execute(update(Job).where(Job.id == job_id)
                            .values(run_after=utcnow() - timedelta(minutes=1)))
        uow.commit()


def _count(engine, model, *where) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model).where(*where))


def _user_id(engine, username: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(User.id).where(User.username == username))


def _set_email(engine, username: str, address: str) -> None:
    with UnitOfWork(engine) as uow:
        uow.session.execute(update(User).where(User.username == username).values(email=address))
        uow.commit()


def test_a_new_task_with_a_due_date_queues_its_reminder_and_escalation(app, client):
    engine = app.extensions["tdkt"].engine
    did, task_id = _future_dossier(client)
    jobs = _jobs(engine, task_id)
    with UnitOfWork(engine, write=False) as uow:
        due_on = uow.session.get(Task, task_id).due_on
    calendar = route._calendar(due_on.year)
    assert jobs["deadline.remind"].run_after == remind_at(calendar, due_on, utcnow())
    assert jobs["deadline.escalate"].run_after == escalate_at(calendar, due_on)
    assert {j.dossier_id for j in jobs.values()} == {did}
    assert all(j.state == queue.PENDING for j in jobs.values())
    # Not before its time.
    assert queue.run_ready(_runtime(app), worker="w") == 0


def test_a_task_opened_already_overdue_is_not_announced(app, client):
    did = open_dossier(login(client, "donvi1"))["id"]  # the 2023 campaign: long past
    with app.extensions["tdkt"].engine.connect() as conn:
        assert conn.scalar(select(func.count(Job.id)).where(Job.dossier_id == did)) == 0


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_two_workers_announce_a_due_reminder_once(app, client):
    engine = app.extensions["tdkt"].engine
    _did, task_id = _future_dossier(client)
    _set_email(engine, "donvi1", "donvi1@example.vn")
    remind = _jobs(engine, task_id)["deadline.remind"]
    _make_due(engine, remind.id)
    runtime = _runtime(app)
    start = threading.Barrier(2)
    finished = []

    def work(name: str) -> None:
        start.wait()
        finished.append(queue.run_ready(runtime, worker=name, job_ids=[remind.id]))

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(finished) == [0, 1]
    donvi = _user_id(engine, "donvi1")
    assert _count(engine, Notification, Notification.task_id == task_id) == 1
    assert _count(engine, Notification, Notification.user_id == donvi,
                  Notification.kind == "deadline.reminder") == 1
    assert _count(engine, AuditEvent, AuditEvent.action == "deadline.reminded") == 1
    with engine.connect() as conn:
        event = conn.execute(select(AuditEvent).where(
            AuditEvent.action == "deadline.reminded")).one()
        assert event.actor == "system" and event.target_id == task_id
        emails = conn.scalars(select(Job.payload).where(Job.kind == "notify.email")).all()
    assert len(emails) == 1
    assert _jobs(engine, task_id)["deadline.remind"].state == queue.DONE


def test_a_closed_task_is_not_announced(app, client):
    engine = app.extensions["tdkt"].engine
    did, task_id = _future_dossier(client)
    login(client, "donvi1").decide(did, "approve")
    jobs = _jobs(engine, task_id)
    for job in jobs.values():
        _make_due(engine, job.id)
    assert queue.run_ready(_runtime(app), worker="w", job_ids=[j.id for j in jobs.values()]) == 2
    assert _count(engine, Notification) == 0
    assert _count(engine, AuditEvent, AuditEvent.action.like("deadline.%")) == 0


def test_an_overdue_board_step_is_escalated_to_the_board_head(app, client):
    engine = app.extensions["tdkt"].engine
    users = {name: login(client, name) for name in ("donvi1", "thutruong1", "cum1", "bantdkt")}
    did = open_dossier(users["donvi1"])["id"]
    for name in ("donvi1", "thutruong1", "cum1"):
        users[name].decide(did, "approve")
    task_id = users["bantdkt"].task_for(did)["id"]  # 20 working days: due ahead
    escalate = _jobs(engine, task_id)["deadline.escalate"]
    _make_due(engine, escalate.id)
    assert queue.run_ready(_runtime(app), worker="w", job_ids=[escalate.id]) == 1
    with engine.connect() as conn:
        notified = set(conn.scalars(select(User.username).join(
            Notification, Notification.user_id == User.id).where(
            Notification.task_id == task_id, Notification.kind == "deadline.escalated")))
        event = conn.execute(select(AuditEvent).where(
            AuditEvent.action == "deadline.escalated")).one()
    assert {"bantdkt", "truongban"} <= notified
    assert "kiemtoan" not in notified and "donvi1" not in notified
    assert event.dossier_id == did and event.target_id == task_id and event.actor == "system"


def test_auditors_are_never_notified(app):
    engine = app.extensions["tdkt"].engine
    ids = [_user_id(engine, "kiemtoan"), _user_id(engine, "donvi1")]
    with UnitOfWork(engine) as uow:
        rows = notifications.notify(uow.session, ids, "test", "Thông báo thử", "/")
        uow.commit()
    assert [r.user_id for r in rows] == [ids[1]]


def test_the_email_is_sent_and_a_failing_one_becomes_an_incident_an_admin_retries(
        app, client, smtp_server):
    controller, inbox = smtp_server
    engine = app.extensions["tdkt"].engine
    _did, task_id = _future_dossier(client)
    _set_email(engine, "donvi1", "donvi1@example.vn")
    remind = _jobs(engine, task_id)["deadline.remind"]
    _make_due(engine, remind.id)
    assert queue.run_ready(_runtime(app), worker="w", job_ids=[remind.id]) == 1
    with engine.connect() as conn:
        email_job = conn.scalar(select(Job.id).where(Job.kind == "notify.email"))

    # The SMTP server is down: every attempt fails, the last one is an incident.
    down = {"host": "127.0.0.1", "port": _free_port(), "sender": "tdkt@example.vn",
            "public_url": PUBLIC}
    with UnitOfWork(engine) as uow:
        uow.session.execute(update(Job).where(Job.id == email_job).values(max_attempts=2))
        uow.commit()
    now = utcnow()
    for attempt in range(2):
        job = queue.take(engine, worker="w", job_id=email_job,
                         now=now + timedelta(hours=2 * attempt))
        assert job is not None
        assert queue.run(_runtime(app, down), job, worker="w") is False
    assert _count(engine, AuditEvent, AuditEvent.action == "job.failed") == 1
    assert inbox.envelopes == []

    admin = app.test_client()
    assert admin.post("/login", data={"username": "quantri",
                                      "password": DEMO_PASSWORD}).status_code == 302
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "notify.email" in page and f"/admin/jobs/{email_job}/retry" in page
    assert admin.post(f"/admin/jobs/{email_job}/retry").status_code == 302

    up = {**down, "port": controller.port}
    assert queue.run_ready(_runtime(app, up), worker="w", job_ids=[email_job]) == 1
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert envelope.rcpt_tos == ["donvi1@example.vn"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"].startswith("[TĐKT Flow] Sắp đến hạn: bước “")
    body = message.get_content()
    assert "Kính gửi" in body and "Hồ sơ có hạn phía trước" in body
    assert f"{PUBLIC}/tasks/{task_id}" in body


def test_without_an_smtp_host_the_email_job_finishes_unsent(app, caplog):
    engine = app.extensions["tdkt"].engine
    _set_email(engine, "donvi1", "donvi1@example.vn")
    with UnitOfWork(engine) as uow:
        notifications.notify(uow.session, [_user_id(engine, "donvi1")], "test",
                             "Thông báo thử", "/")
        uow.commit()
    with caplog.at_level("INFO", logger="tdkt.notifications"):
        assert queue.run_ready(_runtime(app), worker="w") == 1
    assert "e-mail not sent" in caplog.text


def test_the_bell_the_page_and_the_api(app, client):
    engine = app.extensions["tdkt"].engine
    donvi_id = _user_id(engine, "donvi1")
    with UnitOfWork(engine) as uow:
        first, = notifications.notify(uow.session, [donvi_id], "deadline.reminder",
                                      "Sắp đến hạn: bước “Lập hồ sơ”", "/tasks/x")
        second, = notifications.notify(uow.session, [donvi_id], "deadline.escalated",
                                       "Quá hạn xử lý: bước “Lập hồ sơ”", "/tasks/x")
        uow.commit()
    page = app.test_client()
    assert page.post("/login", data={"username": "donvi1",
                                     "password": DEMO_PASSWORD}).status_code == 302
    home = page.get("/").get_data(as_text=True)
    assert 'data-testid="bell"' in home and "notifications.js" in home
    assert page.get("/notifications/unread.json").get_json() == {"unread": 2}
    listing = page.get("/notifications").get_data(as_text=True)
    assert "Sắp đến hạn: bước “Lập hồ sơ”" in listing and "Quá hạn xử lý" in listing
    assert page.post("/notifications/read", data={"id": str(first.id)}).status_code == 302
    assert page.get("/notifications/unread.json").get_json() == {"unread": 1}

    api = login(client, "donvi1")
    body = api.get("/notifications?unread=1").get_json()
    assert body["unread"] == 1 and [n["id"] for n in body["items"]] == [second.id]
    assert api.post("/notifications/read", json={"ids": "x"}).status_code == 422
    # Someone else's ids change nothing.
    assert login(client, "thutruong1").post("/notifications/read",
                                            json={"all": True}).get_json() == {"marked": 0}
    assert api.post("/notifications/read", json={"all": True}).get_json() == {"marked": 1}
    assert api.get("/notifications").get_json()["unread"] == 0
    # The auditor reads nothing to mark, and may not POST.
    auditor = login(client, "kiemtoan")
    assert auditor.get("/notifications").get_json()["items"] == []
    assert auditor.post("/notifications/read", json={"all": True}).status_code == 403
