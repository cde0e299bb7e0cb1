"""The task inbox: what waits for me, by due date, with claim and unclaim."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request
from flask_babel import gettext

from service.usecases import campaigns as campaigns_uc
from service.usecases import route
from service.usecases import tasks as tasks_uc
from service.web.common import login_required, parse_int, principal, safe_next
from service.web.extensions import unit_of_work
from service.web.security import request_context
from service.web.templating import nav_campaigns

bp = Blueprint("inbox", __name__)


@bp.route("/")
@login_required
def index():
    query = tasks_uc.InboxQuery(
        state="completed" if request.args.get("state") == "completed" else "open",
        campaign_id=parse_int(request.args.get("campaign")),
        step=request.args.get("step") or None,
    )
    today = route.today_local()
    with unit_of_work(write=False) as uow:
        tasks = tasks_uc.inbox(uow, principal(), query)
        rows = [
            {"task": t, "dossier": t.dossier, "unit": t.dossier.unit.name,
             "days_left": route.working_days_left(t.due_on, today) if t.state == "open" else None}
            for t in tasks
        ]
        all_campaigns = campaigns_uc.list_campaigns(uow)
        steps = sorted({(t.step, t.name) for t in tasks})
    return render_template("inbox.html", rows=rows, campaigns=all_campaigns, steps=steps,
                           query=query, route_campaigns=nav_campaigns(all_campaigns))


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: str):
    with unit_of_work() as uow:
        tasks_uc.claim(uow, principal(), request_context(), task_id)
        uow.commit()
    flash(gettext("Đã nhận xử lý công việc."), "success")
    return redirect(safe_next(request.form.get("back")))


@bp.route("/tasks/<task_id>/unclaim", methods=["POST"])
@login_required
def unclaim(task_id: str):
    with unit_of_work() as uow:
        tasks_uc.unclaim(uow, principal(), request_context(), task_id)
        uow.commit()
    flash(gettext("Đã trả lại công việc vào hộp chung."), "info")
    return redirect(safe_next(request.form.get("back")))
