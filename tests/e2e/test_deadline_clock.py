"""The appraisal clock pauses while a dossier is back with the unit and resumes where it
stopped: the board's second round gets the working days its first round left, not 20 anew."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from service.db.models import Task
from service.usecases import route
from tests.support.api import login, open_dossier


def _board_task(app, dossier_id: int) -> Task:
    with app.extensions["tdkt"].engine.connect() as conn:
        return conn.execute(select(Task).where(Task.dossier_id == dossier_id,
                                               Task.step == "board_appraisal",
                                               Task.state == "open")).one()


def test_the_appraisal_clock_pauses_while_the_dossier_is_returned(app):
    client = app.test_client()
    donvi, head, cum = login(client, "donvi1"), login(client, "thutruong1"), login(client, "cum1")
    board = login(client, "bantdkt")
    did = open_dossier(donvi)["id"]
    for user in (donvi, head, cum):
        user.decide(did, "approve")
    first = _board_task(app, did)
    today = route.today_local()
    calendar = route._calendar(today.year)
    assert first.due_on == calendar.add_working_days(route.local_date(first.received_at), 20)

    # The board received it three weeks ago (in working days: whatever the calendar says,
    # holidays included) and returns it today for a missing document.
    received = datetime.combine(today - timedelta(days=21), datetime.min.time()) + timedelta(
        hours=3)  # 10:00 in Viet Nam, stored as UTC
    engine = app.extensions["tdkt"].engine
    with engine.begin() as conn:
        conn.execute(update(Task).where(Task.id == first.id).values(received_at=received))
    used = calendar.working_days_between(route.local_date(received), today)
    assert 0 < used < 20
    board.decide(did, "return", "Thiếu biên bản họp của đơn vị")

    # The unit completes the dossier and it comes back through the cluster.
    donvi.decide(did, "approve")
    head.decide(did, "approve")
    cum.decide(did, "approve")
    second = _board_task(app, did)
    assert second.id != first.id
    assert second.due_on == calendar.add_working_days(route.local_date(second.received_at),
                                                      20 - used)
    assert second.due_on < calendar.add_working_days(route.local_date(second.received_at), 20)
    left = board.task_for(did)
    assert left["due_at"].startswith(second.due_on.isoformat())


def test_a_round_that_used_up_its_days_leaves_the_next_due_at_once():
    step = route.StepMeta("board_appraisal", "Ban TĐKT thẩm định", None, "board_specialist",
                          "province", (("approve", "Đạt"),), (), 20)
    received = datetime(2024, 3, 4, 3)  # Monday 4 March 2024, 10:00 in Viet Nam
    assert route.due_date(step, received, None, used_working_days=25) == date(2024, 3, 4)
    assert route.due_date(step, received, None, used_working_days=19) == date(2024, 3, 5)
