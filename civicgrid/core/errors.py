"""Errors every action of every app raises; the UI and the API map them to messages and HTTP codes."""

from typing import Any


class ActionError(Exception):
    code = "action_error"
    http_status = 400

    def __init__(self, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(ActionError):
    code = "invalid"
    http_status = 400


class NotFound(ActionError):
    """Also raised for objects outside the actor's scope: existence must not leak."""

    code = "not_found"
    http_status = 404


class Forbidden(ActionError):
    code = "forbidden"
    http_status = 403


class TransitionNotAllowed(ActionError):
    code = "transition_not_allowed"
    http_status = 409


class Conflict(ActionError):
    """Someone else changed the object first (stale version, or a concurrent action won)."""

    code = "conflict"
    http_status = 409
