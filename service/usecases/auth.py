"""Sign-in with argon2id (WEB-4), rate limits (WEB-5), and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, delete, func, select

from service.audit.log import Actor, EventInput, RequestContext, append, utcnow
from service.db.models import ApiToken, LoginAttempt, User
from service.db.session import UnitOfWork
from service.usecases import principal as principal_uc
from service.usecases.errors import TooManyRequests, Unauthenticated

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified when the account does not exist, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("tdkt-not-a-password")

GENERIC_FAILURE = "Tên đăng nhập hoặc mật khẩu không đúng."


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(uow: UnitOfWork, ctx: RequestContext, username: str, password: str, *,
                 max_attempts: int, window_seconds: int) -> User:
    """Check a password; failures are counted per account and per address."""
    session = uow.session
    username = (username or "").strip().lower()[:64]
    address = (ctx.address or "unknown")[:64]
    now = utcnow()
    since = now - timedelta(seconds=window_seconds)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=1)))
    recent_account = session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.username == username, LoginAttempt.at >= since))
    recent_address = session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.address == address, LoginAttempt.at >= since))
    if recent_account >= max_attempts or recent_address >= max_attempts * 4:
        append(session, Actor(None, username), ctx, EventInput(
            action="auth.login_throttled", target_type="user", target_id=username))
        uow.commit()
        raise TooManyRequests("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút.")
    user = session.scalar(select(User).where(User.username == username))
    ok = False
    try:
        ok = _hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or not user.is_active:
        session.add(LoginAttempt(username=username, address=address, at=now))
        append(session, Actor(user.id if user else None, username), ctx, EventInput(
            action="auth.login_failed", target_type="user", target_id=username))
        uow.commit()
        raise Unauthenticated(GENERIC_FAILURE)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
    append(session, Actor(user.id, user.username), ctx, EventInput(
        action="auth.login", target_type="user", target_id=str(user.id)))
    return user


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(uow: UnitOfWork, user: User, hours: int) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(user_id=user.id, token_hash=token_digest(token), created_at=now,
                   expires_at=now + timedelta(hours=hours))
    uow.session.add(row)
    uow.session.flush()
    return token, row


def principal_for_token(conn: Connection, token: str) -> principal_uc.Principal | None:
    """Who holds this API token: None if it is unknown or expired, or the user is inactive.

    Read from the database on every request (nothing cached), in two Core statements.
    """
    return principal_uc.principal_for_token(conn, token_digest(token), utcnow())


def record_logout(uow: UnitOfWork, ctx: RequestContext, user_id: int) -> None:
    user = uow.session.get(User, user_id)
    if user is None:
        return
    append(uow.session, Actor(user.id, user.username), ctx, EventInput(
        action="auth.logout", target_type="user", target_id=str(user.id)))
