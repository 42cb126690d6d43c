"""Errors raised by cases.actions; the UI and the API map them to messages and HTTP codes."""

from typing import Any


class CaseError(Exception):
    code = "case_error"
    http_status = 400

    def __init__(self, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(CaseError):
    code = "invalid"
    http_status = 400


class NotFound(CaseError):
    """Also raised for cases outside the actor's scope: existence must not leak."""

    code = "not_found"
    http_status = 404


class Forbidden(CaseError):
    code = "forbidden"
    http_status = 403


class TransitionNotAllowed(CaseError):
    code = "transition_not_allowed"
    http_status = 409


class Conflict(CaseError):
    """Someone else changed the case first (stale version, or a concurrent action won)."""

    code = "conflict"
    http_status = 409
