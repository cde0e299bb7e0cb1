"""Accounts and their roles, administered: every change audited with what it was before.

Only administrators change accounts. An administrator cannot lock themself out: they may not
deactivate their own account nor give up their own last administrator role. A deactivated
account's tokens and sessions stop working at its next request (the principal is read afresh
on every request), and its tokens are deleted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import selectinload

from service.audit.log import EventInput, RequestContext, append, utcnow
from service.db.models import ApiToken, Organisation, RoleAssignment, User
from service.db.session import UnitOfWork
from service.domain.roles import KNOWN_ROLES, Role
from service.usecases.actors import admin_actor
from service.usecases.auth import hash_password
from service.usecases.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.usecases.principal import Principal

MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,63}$")


def _require_admin(principal: Principal) -> None:
    if not principal.has_role(Role.ADMIN):
        raise Forbidden("Chỉ quản trị hệ thống được quản lý tài khoản.")


def _role_ref(assignment: RoleAssignment) -> dict:
    return {"id": assignment.id, "role": assignment.role,
            "organisation_id": assignment.organisation_id,
            "organisation": assignment.organisation.name if assignment.organisation else None}


def _user_ref(user: User) -> dict:
    return {"username": user.username, "full_name": user.full_name, "active": user.is_active,
            "roles": [_role_ref(r) for r in user.roles]}


def list_users(uow: UnitOfWork, principal: Principal, *, q: str = "", limit: int = 200
               ) -> list[User]:
    _require_admin(principal)
    stmt = (select(User).options(selectinload(User.roles).joinedload(RoleAssignment.organisation))
            .order_by(User.username).limit(max(1, min(limit, 500))))
    q = unicodedata.normalize("NFC", q or "").strip()
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        stmt = stmt.where(or_(User.username.ilike(like, escape="\\"),
                              User.full_name.ilike(like, escape="\\")))
    return list(uow.session.scalars(stmt))


def get_user(uow: UnitOfWork, principal: Principal, user_id: int) -> User:
    _require_admin(principal)
    user = uow.session.get(User, user_id, options=[
        selectinload(User.roles).joinedload(RoleAssignment.organisation)])
    if user is None:
        raise NotFound("Không tìm thấy tài khoản.")
    return user


@dataclass(frozen=True)
class NewUser:
    username: str
    full_name: str
    password: str


def create_user(uow: UnitOfWork, principal: Principal, ctx: RequestContext,
                new: NewUser) -> User:
    _require_admin(principal)
    username = (new.username or "").strip().lower()
    if not _USERNAME.match(username):
        raise InvalidInput("Tên đăng nhập gồm 3–64 ký tự: chữ thường không dấu, số, . _ -; "
                           "bắt đầu bằng chữ.", code="invalid_username")
    full_name = unicodedata.normalize("NFC", new.full_name or "").strip()
    if not full_name or len(full_name) > 200:
        raise InvalidInput("Họ và tên là bắt buộc (tối đa 200 ký tự).", code="invalid_full_name")
    if len(new.password or "") < MIN_PASSWORD:
        raise InvalidInput(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.",
                           code="weak_password")
    session = uow.session
    if session.scalar(select(func.count(User.id)).where(User.username == username)):
        raise Conflict(f"Tên đăng nhập “{username}” đã có.", code="username_taken")
    user = User(username=username, full_name=full_name, password_hash=hash_password(
        new.password), is_active=True, created_at=utcnow())
    session.add(user)
    session.flush()
    append(session, admin_actor(principal), ctx, EventInput(
        action="user.created", target_type="user", target_id=str(user.id),
        details={"before": None, "after": {"username": username, "full_name": full_name,
                                           "active": True, "roles": []}}))
    return user


def set_active(uow: UnitOfWork, principal: Principal, ctx: RequestContext, user_id: int,
               active: bool) -> User:
    user = get_user(uow, principal, user_id)
    if user.id == principal.user_id and not active:
        raise Conflict("Không thể tự khóa tài khoản của chính mình.", code="self_lockout")
    if user.is_active == active:
        return user
    before = _user_ref(user)
    user.is_active = active
    if not active:
        uow.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    uow.session.flush()
    append(uow.session, admin_actor(principal), ctx, EventInput(
        action="user.activated" if active else "user.deactivated", target_type="user",
        target_id=str(user.id), details={"before": before, "after": _user_ref(user)}))
    return user


def grant_role(uow: UnitOfWork, principal: Principal, ctx: RequestContext, user_id: int,
               role: str, organisation_id: int) -> RoleAssignment:
    user = get_user(uow, principal, user_id)
    if role not in KNOWN_ROLES:
        raise InvalidInput("Vai trò không hợp lệ.", code="invalid_role")
    organisation = uow.session.get(Organisation, organisation_id)
    if organisation is None:
        raise InvalidInput("Tổ chức không tồn tại.", code="invalid_organisation")
    if any(r.role == role and r.organisation_id == organisation_id for r in user.roles):
        raise Conflict("Tài khoản đã có vai trò này ở tổ chức này.", code="role_exists")
    before = _user_ref(user)
    assignment = RoleAssignment(role=role, organisation_id=organisation_id)
    user.roles.append(assignment)
    uow.session.flush()
    uow.session.refresh(assignment, ["organisation"])
    append(uow.session, admin_actor(principal), ctx, EventInput(
        action="role.granted", target_type="user", target_id=str(user.id),
        details={"role": _role_ref(assignment), "before": before, "after": _user_ref(user)}))
    return assignment


def revoke_role(uow: UnitOfWork, principal: Principal, ctx: RequestContext, user_id: int,
                assignment_id: int) -> User:
    user = get_user(uow, principal, user_id)
    assignment = next((r for r in user.roles if r.id == assignment_id), None)
    if assignment is None:
        raise NotFound("Không tìm thấy vai trò này của tài khoản.")
    if (user.id == principal.user_id and assignment.role == Role.ADMIN
            and sum(1 for r in user.roles if r.role == Role.ADMIN) == 1):
        raise Conflict("Không thể tự bỏ vai trò quản trị cuối cùng của chính mình.",
                       code="self_lockout")
    before = _user_ref(user)
    revoked = _role_ref(assignment)
    user.roles.remove(assignment)
    uow.session.flush()
    append(uow.session, admin_actor(principal), ctx, EventInput(
        action="role.revoked", target_type="user", target_id=str(user.id),
        details={"role": revoked, "before": before, "after": _user_ref(user)}))
    return user


def organisations(uow: UnitOfWork) -> list[Organisation]:
    """The organisations a role may be granted in, by kind then name."""
    return list(uow.session.scalars(select(Organisation).order_by(Organisation.kind,
                                                                  Organisation.name)))
