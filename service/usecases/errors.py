"""Errors that use cases raise; the web layer maps each to one HTTP status."""

from __future__ import annotations


class UseCaseError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class InvalidInput(UseCaseError):
    status = 422
    code = "invalid"


class Unauthenticated(UseCaseError):
    status = 401
    code = "unauthenticated"


class Forbidden(UseCaseError):
    status = 403
    code = "forbidden"


class NotFound(UseCaseError):
    status = 404
    code = "not_found"


class Conflict(UseCaseError):
    status = 409
    code = "conflict"


class TooManyRequests(UseCaseError):
    status = 429
    code = "too_many_requests"


class PayloadTooLarge(UseCaseError):
    status = 413
    code = "too_large"


class UnsupportedMedia(UseCaseError):
    status = 415
    code = "unsupported_media_type"


class StoredObjectCorrupt(UseCaseError):
    """The stored bytes no longer match the recorded SHA-256 (REL-6)."""

    status = 502
    code = "integrity_error"
