"""The bell: a signed-in user's notifications (deadline reminders and escalations)."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext

from service.usecases import notifications as notifications_uc
from service.web.common import login_required, parse_int, principal
from service.web.extensions import unit_of_work

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("")
@login_required
def index():
    with unit_of_work(write=False) as uow:
        rows = notifications_uc.recent(uow, principal())
    return render_template("notifications.html", notifications=rows)


@bp.route("/unread.json")
@login_required
def unread_count():
    """The bell's count, read by a small script so that pages pay no query for it."""
    with unit_of_work(write=False) as uow:
        return jsonify({"unread": notifications_uc.unread_count(uow, principal())})


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():
    if request.form.get("all"):
        ids: list[int] | str = "all"
    else:
        ids = [i for i in (parse_int(v) for v in request.form.getlist("id")) if i is not None]
    with unit_of_work() as uow:
        changed = notifications_uc.mark_read(uow, principal(), ids)
        uow.commit()
    if changed:
        flash(gettext("Đã đánh dấu %(num)s thông báo là đã đọc.", num=changed), "success")
    return redirect(url_for("notifications.index"))
