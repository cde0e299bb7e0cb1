"""Per-request identity, request ids, idle timeout and security headers (WEB-1, WEB-3)."""

from __future__ import annotations

import secrets
import time

from flask import Flask, g, request, session

from service.audit.log import RequestContext
from service.usecases.principal import Principal, principal_for_user
from service.web.extensions import read_connection, reset_session, services

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    app.before_request(_before)
    app.after_request(_headers)


def _before() -> None:
    g.request_id = request.headers.get("X-Request-Id", "")[:64] or secrets.token_hex(8)
    g.principal = None
    if request.path.startswith(("/static/", "/assets/")):
        return
    uid = session.get("uid")
    if uid is None:
        return
    idle = services().config.SESSION_IDLE_MINUTES * 60
    now = int(time.time())
    if now - int(session.get("seen", 0)) > idle:
        reset_session()
        g.session_expired = True
        return
    session["seen"] = now
    g.principal = principal_for(uid)
    if g.principal is None:
        reset_session()


def principal_for(user_id: int) -> Principal | None:
    """Read on every request, never cached: deactivation and role changes apply at once."""
    with read_connection() as conn:
        return principal_for_user(conn, user_id)


def request_context() -> RequestContext:
    return RequestContext(request_id=g.get("request_id"), address=request.remote_addr)


def _headers(response):
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["X-Request-Id"] = g.get("request_id", "")
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if g.get("principal") is not None or request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
