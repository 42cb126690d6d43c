"""The kernel's action errors (core.errors) under the names the cases code uses."""

from civicgrid.core.errors import ActionError as CaseError
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TransitionNotAllowed

__all__ = ["CaseError", "Conflict", "Forbidden", "InvalidInput", "NotFound", "TransitionNotAllowed"]
