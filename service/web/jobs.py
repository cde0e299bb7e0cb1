"""Administration of background jobs: the queue's unfinished work and failed jobs' retry."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext

from service.jobs import queue
from service.usecases import jobs as jobs_uc
from service.web.common import login_required, principal
from service.web.extensions import services, unit_of_work
from service.web.security import request_context

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")


@bp.route("")
@login_required
def index():
    with unit_of_work(write=False) as uow:
        rows = jobs_uc.unfinished(uow, principal())
    return render_template("admin/jobs.html", jobs=rows)


@bp.route("/<int:job_id>/retry", methods=["POST"])
@login_required
def retry(job_id: int):
    with unit_of_work() as uow:
        jobs_uc.retry(uow, principal(), request_context(), job_id)
        uow.commit()
    tdkt = services()
    if not tdkt.config.JOBS_INLINE:
        flash(gettext("Đã đưa việc nền #%(id)s vào hàng đợi; tiến trình nền sẽ chạy lại.",
                      id=job_id), "success")
    elif queue.run_ready(tdkt.runtime, job_ids=[job_id]):
        flash(gettext("Đã chạy lại việc nền #%(id)s.", id=job_id), "success")
    else:
        flash(gettext("Việc nền #%(id)s vẫn lỗi; sẽ được thử lại tự động.", id=job_id),
              "warning")
    return redirect(url_for("jobs.index"))
