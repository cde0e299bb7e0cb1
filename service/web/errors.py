"""Error pages and JSON errors: a short message, never a stack trace (WEB-10)."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext, lazy_gettext
from werkzeug.exceptions import HTTPException

from service.usecases.errors import UseCaseError

log = logging.getLogger("tdkt.web")

# Lazy: each becomes text in the language of the request that shows it.
MESSAGES = {
    400: lazy_gettext("Yêu cầu không hợp lệ."),
    401: lazy_gettext("Bạn cần đăng nhập."),
    403: lazy_gettext("Bạn không có quyền thực hiện thao tác này."),
    404: lazy_gettext("Không tìm thấy trang hoặc dữ liệu yêu cầu."),
    405: lazy_gettext("Phương thức không được hỗ trợ."),
    409: lazy_gettext("Dữ liệu đã thay đổi; vui lòng tải lại."),
    413: lazy_gettext("Tệp tải lên quá lớn (tối đa 20 MiB)."),
    415: lazy_gettext("Loại tệp không được chấp nhận."),
    422: lazy_gettext("Dữ liệu không hợp lệ."),
    429: lazy_gettext("Quá nhiều yêu cầu; vui lòng thử lại sau."),
    500: lazy_gettext("Đã có lỗi hệ thống. Sự cố đã được ghi lại."),
}
CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large",
         415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
         500: "internal_error"}


def wants_json() -> bool:
    """JSON for the API, for page endpoints that answer JSON (``*.json``), and for any request
    that asks for it (the modeler's and viewers' fetch calls send ``Accept: application/json``,
    a JSON body, or ``?format=json``)."""
    if request.path.startswith("/api/") or request.path.endswith(".json"):
        return True
    if request.is_json or request.args.get("format") == "json":
        return True
    return request.accept_mimetypes.best_match(
        ("text/html", "application/json")) == "application/json"


def error_response(status: int, code: str, message: str, details: dict | None = None):
    message = str(message)  # a lazy message becomes text in the request's language
    if wants_json():
        body = {"error": {"code": code, "message": message}}
        if details:
            body["error"]["details"] = details
        return jsonify(body), status
    return render_template("error.html", status=status, message=message,
                           details=details or {}), status


def init_app(app: Flask) -> None:
    @app.errorhandler(UseCaseError)
    def _use_case(exc: UseCaseError):
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        message = MESSAGES.get(status, exc.name)
        if status == 400 and "CSRF" in (exc.description or ""):
            message = gettext(
                "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ; vui lòng thử lại.")
        return error_response(status, CODES.get(status, "error"), message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error", extra={"path": request.path,
                                                "request_id": g.get("request_id")})
        return error_response(500, "internal_error", MESSAGES[500])
