"""Administration of accounts and roles (every change is audited with before and after)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from service.domain.roles import ROLE_LABELS, Role
from service.usecases import users as users_uc
from service.usecases.errors import InvalidInput, UseCaseError
from service.web.common import login_required, parse_int, principal
from service.web.extensions import unit_of_work
from service.web.security import request_context

bp = Blueprint("users", __name__, url_prefix="/admin/users")


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    who = principal()
    error = None
    if request.method == "POST":
        try:
            with unit_of_work() as uow:
                user = users_uc.create_user(uow, who, request_context(), users_uc.NewUser(
                    request.form.get("username", ""), request.form.get("full_name", ""),
                    request.form.get("password", "")))
                uow.commit()
            flash(gettext("Đã tạo tài khoản “%(username)s”.", username=user.username),
                  "success")
            return redirect(url_for("users.detail", user_id=user.id))
        except UseCaseError as exc:
            if exc.status == 403:
                raise
            error = exc.message
    with unit_of_work(write=False) as uow:
        rows = users_uc.list_users(uow, who, q=request.args.get("q", ""))
        return render_template("admin/users.html", users=rows, q=request.args.get("q", ""),
                               user_error=error, role_labels=ROLE_LABELS), 422 if error else 200


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@login_required
def detail(user_id: int):
    who = principal()
    error = None
    if request.method == "POST":
        action = request.form.get("action")
        try:
            with unit_of_work() as uow:
                if action == "grant":
                    users_uc.grant_role(uow, who, request_context(), user_id,
                                        request.form.get("role", ""),
                                        parse_int(request.form.get("organisation_id")) or 0)
                    message = gettext("Đã giao vai trò.")
                elif action == "revoke":
                    users_uc.revoke_role(uow, who, request_context(), user_id,
                                         parse_int(request.form.get("assignment_id")) or 0)
                    message = gettext("Đã thu hồi vai trò.")
                elif action in ("activate", "deactivate"):
                    users_uc.set_active(uow, who, request_context(), user_id,
                                        action == "activate")
                    message = (gettext("Đã mở khóa tài khoản.") if action == "activate"
                               else gettext("Đã khóa tài khoản."))
                else:
                    raise InvalidInput(gettext("Thao tác không hợp lệ."))
                uow.commit()
            flash(message, "success")
            return redirect(url_for("users.detail", user_id=user_id))
        except UseCaseError as exc:
            if exc.status in (403, 404):
                raise
            error = exc.message
    with unit_of_work(write=False) as uow:
        user = users_uc.get_user(uow, who, user_id)
        return render_template("admin/user.html", user=user, user_error=error,
                               organisations=users_uc.organisations(uow), roles=list(Role),
                               role_labels=ROLE_LABELS), 422 if error else 200
