"""Sign-in and sign-out pages."""

from __future__ import annotations

import time

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext

from service.usecases import auth as auth_uc
from service.usecases.errors import TooManyRequests, Unauthenticated
from service.web.common import safe_next
from service.web.extensions import reset_session, services, unit_of_work
from service.web.security import request_context

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if g.get("principal") is not None:
            return redirect(url_for("inbox.index"))
        expired = request.args.get("expired")
        return render_template("login.html", expired=expired, next=request.args.get("next"))
    cfg = services().config
    username = request.form.get("username", "")
    try:
        with unit_of_work() as uow:
            user = auth_uc.authenticate(
                uow, request_context(), username, request.form.get("password", ""),
                max_attempts=cfg.LOGIN_MAX_ATTEMPTS, window_seconds=cfg.LOGIN_WINDOW_SECONDS)
            uow.commit()
    except (Unauthenticated, TooManyRequests) as exc:
        status = exc.status
        return render_template("login.html", error=exc.message, username=username,
                               next=request.form.get("next")), status
    reset_session()  # a fresh session at every sign-in (WEB-1), in the language chosen
    session.permanent = False
    session["uid"] = user.id
    session["seen"] = int(time.time())
    return redirect(safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
def logout():
    principal = g.get("principal")
    if principal is not None:
        with unit_of_work() as uow:
            auth_uc.record_logout(uow, request_context(), principal.user_id)
            uow.commit()
    reset_session()
    flash(gettext("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/health")
def health():
    return {"status": "ok"}
