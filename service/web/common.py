"""Helpers shared by the page blueprints."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, url_for

from service.domain.dates import format_date, format_datetime
from service.usecases.principal import Principal
from service.web.errors import wants_json

READ_ONLY_MESSAGE = "Kiểm toán viên chỉ được xem, không được thay đổi dữ liệu."
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def login_required(view):
    """A signed-in user; an auditor (read-only) only reads: any other method is 403."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        who = g.get("principal")
        if who is None:
            if wants_json():  # a script's request: a JSON 401, not a login page
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if (who.read_only and request.method not in SAFE_METHODS
                and not getattr(view, "read_only_allowed", False)):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def read_only_allowed(view):
    """Mark a POST a read-only account may send because it changes no data (asking for an
    export of what it may read). Put it under ``login_required``."""
    view.read_only_allowed = True
    return view


def principal() -> Principal:
    return g.principal


def parse_int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def vn_date(value: date | None) -> str:
    return format_date(value) if value else ""


def vn_datetime(value: datetime | None) -> str:
    """Stored times are naive UTC; show them in Asia/Ho_Chi_Minh."""
    if value is None:
        return ""
    return format_datetime(value if value.tzinfo else value.replace(tzinfo=UTC))


def safe_next(target: str | None, default: str = "inbox.index") -> str:
    """A local path to go to after an action; anything else falls back to ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for(default)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for(default)
    return target
